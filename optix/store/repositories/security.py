"""Repositories of the security tables: users, API keys, audit log."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from optix.security.keys import (
    ROLES,
    generate_key,
    key_matches,
    key_prefix,
    new_salt,
)
from optix.security.keys import hash_key as hash_api_key
from optix.store.models import ApiKey, AuditLog, User
from optix.store.repositories._base import Repository

__all__ = ["ApiKeyRepository", "AuditLogRepository", "UserRepository", "hash_api_key"]


class UserRepository(Repository[User]):
    """Users."""

    model = User

    def by_username(self, username: str) -> User | None:
        """The user with this username, or None."""
        return self.session.scalars(select(User).where(User.username == username)).one_or_none()


class ApiKeyRepository(Repository[ApiKey]):
    """API keys: issue, verify, revoke, find and list.

    The raw key exists only in :meth:`issue`'s result; the table holds its public prefix, a
    per-key random salt and ``sha256(salt || key)`` (:func:`hash_api_key`).
    """

    model = ApiKey

    def issue(
        self,
        user: User,
        name: str,
        scopes: Sequence[str] = (),
        expires_at: dt.datetime | None = None,
    ) -> tuple[str, ApiKey]:
        """Create a key for ``user``.

        Parameters
        ----------
        user : User
            The owner.
        name : str
            A label for people.
        scopes : sequence of str
            Roles of the key, from :data:`optix.security.keys.ROLES`.
        expires_at : datetime, optional
            When the key stops working.

        Returns
        -------
        (str, ApiKey)
            The raw key, to show the user once, and the stored record (digest only).

        Raises
        ------
        ValueError
            A scope is not a known role.
        """
        unknown = sorted(set(scopes) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown roles {unknown}; expected some of {list(ROLES)}")
        raw = generate_key()
        salt = new_salt()
        record = ApiKey(
            user_id=user.id,
            name=name,
            prefix=key_prefix(raw),
            salt=salt,
            key_hash=hash_api_key(raw, salt),
            scopes=list(scopes),
            expires_at=expires_at,
        )
        self.add(record)
        return raw, record

    def verify(self, raw: str, now: dt.datetime, record_use: bool = True) -> ApiKey | None:
        """The active key matching ``raw`` (not revoked, not expired, user active), or None.

        Candidates are found by the public prefix and each digest is compared in constant
        time. Records ``now`` as the key's last use unless ``record_use`` is False.
        """
        candidates = self.session.scalars(
            select(ApiKey).where(ApiKey.prefix == key_prefix(raw))
        ).all()
        key = None
        for candidate in candidates:  # check every candidate: no early exit on a match
            if key_matches(raw, candidate.salt, candidate.key_hash):
                key = candidate
        if key is None or key.revoked_at is not None:
            return None
        if key.expires_at is not None and _aware(key.expires_at) <= _aware(now):
            return None
        if not key.user.is_active:
            return None
        if record_use:
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

    def find(self, prefix_or_id: str) -> Sequence[ApiKey]:
        """Keys whose id (UUID text) or public prefix is ``prefix_or_id``."""
        try:
            key_id = uuid.UUID(prefix_or_id)
        except ValueError:
            pass
        else:
            key = self.get(key_id)
            return [key] if key is not None else []
        return self.session.scalars(
            select(ApiKey).where(ApiKey.prefix == prefix_or_id).order_by(ApiKey.created_at)
        ).all()

    def for_user(self, user: User | None = None) -> Sequence[ApiKey]:
        """Every key (or only ``user``'s), oldest first."""
        stmt = select(ApiKey)
        if user is not None:
            stmt = stmt.where(ApiKey.user_id == user.id)
        return self.session.scalars(stmt.order_by(ApiKey.created_at, ApiKey.prefix)).all()


def _aware(ts: dt.datetime) -> dt.datetime:
    """``ts`` with UTC attached when naive (SQLite hands back naive datetimes)."""
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=dt.UTC)


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
