"""Security tables: users, api_keys, audit_logs.

API keys are never stored: a key is shown once when issued and only a short public prefix (for
lookup and display), a per-key random salt and ``sha256(salt || key)`` are kept (see
:mod:`optix.security.keys`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from optix.store.models.base import Base, BigIntPK, utcnow, uuid_pk

__all__ = ["ROLES", "ApiKey", "AuditLog", "User"]

ROLES = ("admin", "trader", "analyst", "viewer")
"""User roles, most privileged first."""


class User(Base):
    """A person or service account that calls the API."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'trader', 'analyst', 'viewer')", name="role"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]

    api_keys: Mapped[list[ApiKey]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class ApiKey(Base):
    """An API key of a user: its salted digest, public prefix, roles (scopes) and lifetime."""

    __tablename__ = "api_keys"
    __table_args__ = (Index(None, "prefix"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16), doc="first characters, for display")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True,
                                          doc="sha256(salt || key), hex")
    salt: Mapped[str] = mapped_column(String(32), default="", server_default="",
                                      doc="per-key random salt, hex ('' for pre-salt keys)")
    scopes: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="api_keys")


class AuditLog(Base):
    """One security-relevant action: who, what, on which resource, from where, outcome."""

    __tablename__ = "audit_logs"
    __table_args__ = (
        Index(None, "ts"),
        Index(None, "user_id", "ts"),
        Index(None, "action", "ts"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    ts: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16), default="success")
    status_code: Mapped[int | None]
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
