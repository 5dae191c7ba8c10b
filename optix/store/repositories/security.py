"""Repositories of the security tables: users, API keys, audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from optix.store.models import ApiKey, AuditLog, User
from optix.store.repositories._base import Repository

__all__ = ["ApiKeyRepository", "AuditLogRepository", "UserRepository", "hash_api_key"]

_KEY_PREFIX = "optx_"


def hash_api_key(raw: str) -> str:
    """SHA-256 hex digest of an API key (keys are random, so no salt is needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()


class UserRepository(Repository[User]):
    """Users."""

    model = User

    def by_username(self, username: str) -> User | None:
        """The user with this username, or None."""
        return self.session.scalars(select(User).where(User.username == username)).one_or_none()


class ApiKeyRepository(Repository[ApiKey]):
    """API keys: issue, verify, revoke. The raw key exists only in :meth:`issue`'s result."""

    model = ApiKey

    def issue(
        self,
        user: User,
        name: str,
        scopes: Sequence[str] = (),
        expires_at: dt.datetime | None = None,
    ) -> tuple[str, ApiKey]:
        """Create a key for ``user``.

        Returns
        -------
        (str, ApiKey)
            The raw key, to show the user once, and the stored record (digest only).
        """
        raw = _KEY_PREFIX + secrets.token_urlsafe(32)
        record = ApiKey(
            user_id=user.id,
            name=name,
            prefix=raw[: len(_KEY_PREFIX) + 6],
            key_hash=hash_api_key(raw),
            scopes=list(scopes),
            expires_at=expires_at,
        )
        self.add(record)
        return raw, record

    def verify(self, raw: str, now: dt.datetime) -> ApiKey | None:
        """The active key matching ``raw`` (not revoked, not expired, user active), or None.

        Records ``now`` as the key's last use.
        """
        key = self.session.scalars(
            select(ApiKey).where(ApiKey.key_hash == hash_api_key(raw))
        ).one_or_none()
        if key is None or key.revoked_at is not None:
            return None
        if key.expires_at is not None and key.expires_at <= now:
            return None
        if not key.user.is_active:
            return None
        key.last_used_at = now
        self.session.flush()
        return key

    def revoke(self, key_id: uuid.UUID, now: dt.datetime) -> bool:
        """Revoke a key; False if there is no such key."""
        key = self.get(key_id)
        if key is None:
            return False
        key.revoked_at = now
        self.session.flush()
        return True


class AuditLogRepository(Repository[AuditLog]):
    """Append-only audit trail."""

    model = AuditLog

    def record(
        self,
        action: str,
        resource: str,
        *,
        user_id: uuid.UUID | None = None,
        api_key_id: uuid.UUID | None = None,
        outcome: str = "success",
        status_code: int | None = None,
        ip_address: str | None = None,
        user_agent: str | None = None,
        request_id: str | None = None,
        details: dict[str, Any] | None = None,
        ts: dt.datetime | None = None,
    ) -> AuditLog:
        """Append one entry."""
        entry = AuditLog(
            action=action,
            resource=resource,
            user_id=user_id,
            api_key_id=api_key_id,
            outcome=outcome,
            status_code=status_code,
            ip_address=ip_address,
            user_agent=user_agent,
            request_id=request_id,
            details=details or {},
        )
        if ts is not None:
            entry.ts = ts
        return self.add(entry)

    def for_user(self, user_id: uuid.UUID, since: dt.datetime | None = None) -> Sequence[AuditLog]:
        """Entries of one user, newest first."""
        stmt = select(AuditLog).where(AuditLog.user_id == user_id)
        if since is not None:
            stmt = stmt.where(AuditLog.ts >= since)
        return self.session.scalars(stmt.order_by(AuditLog.ts.desc(), AuditLog.id.desc())).all()
