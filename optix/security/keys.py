"""API keys: generation, salted SHA-256 digests, constant-time checks, and roles.

A key looks like ``optx_<43 url-safe characters>`` (256 random bits). Only its first
:data:`PREFIX_LENGTH` characters (the public *prefix*, for lookup and display), a per-key random
*salt* and ``sha256(salt || key)`` are stored. The salt is 16 random bytes written as 32 hex
characters; the digest is over the ASCII salt text followed by the UTF-8 key, so an empty salt
gives the plain ``sha256(key)`` of keys issued before salts existed.

Roles are ``read`` < ``trade`` < ``admin``; a higher role implies every lower one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

__all__ = [
    "KEY_PREFIX",
    "PREFIX_LENGTH",
    "ROLES",
    "fingerprint",
    "generate_key",
    "has_role",
    "hash_key",
    "key_matches",
    "key_prefix",
    "new_salt",
    "roles_for",
]

KEY_PREFIX = "optx_"
"""What every key starts with."""

PREFIX_LENGTH = len(KEY_PREFIX) + 6
"""Characters of a key kept in clear as its public prefix."""

ROLES: tuple[str, ...] = ("read", "trade", "admin")
"""Key roles, least privileged first; each implies the ones before it."""


def generate_key() -> str:
    """A new random key, ``optx_`` followed by 256 bits in url-safe base64."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_salt() -> str:
    """A new per-key salt: 16 random bytes as 32 hex characters."""
    return secrets.token_hex(16)


def key_prefix(raw: str) -> str:
    """The public prefix of ``raw`` (its first :data:`PREFIX_LENGTH` characters)."""
    return raw[:PREFIX_LENGTH]


def hash_key(raw: str, salt: str) -> str:
    """``sha256(salt || raw)`` as 64 hex characters.

    Parameters
    ----------
    raw : str
        The key.
    salt : str
        The key's salt (hex text; empty for keys issued before salts).
    """
    return hashlib.sha256(salt.encode("ascii") + raw.encode("utf-8")).hexdigest()


def key_matches(raw: str, salt: str, digest: str) -> bool:
    """Whether ``raw`` hashes to ``digest`` under ``salt`` (constant-time comparison)."""
    return hmac.compare_digest(hash_key(raw, salt), digest)


def fingerprint(raw: str) -> str:
    """Unsalted SHA-256 hex of ``raw``: an in-process cache key that is not the key itself.

    Never store it: only the salted digest goes to the database.
    """
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def roles_for(role: str) -> list[str]:
    """``role`` and every role it implies, least privileged first.

    Raises
    ------
    ValueError
        ``role`` is not one of :data:`ROLES`.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return list(ROLES[: ROLES.index(role) + 1])


def has_role(roles: Iterable[str], required: str) -> bool:
    """Whether a key holding ``roles`` may act as ``required`` (higher roles imply lower).

    Raises
    ------
    ValueError
        ``required`` is not one of :data:`ROLES`.
    """
    need = ROLES.index(roles_for(required)[-1])
    return any(r in ROLES and ROLES.index(r) >= need for r in roles)
