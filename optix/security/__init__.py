"""API-key security primitives: key generation and salted hashing, roles, rate limits.

Pure library (no web framework, no database): :mod:`optix.store` keeps the keys and
:mod:`serve.security` enforces them on HTTP requests.
"""

from optix.security.keys import (
    KEY_PREFIX,
    PREFIX_LENGTH,
    ROLES,
    fingerprint,
    generate_key,
    has_role,
    hash_key,
    key_matches,
    key_prefix,
    new_salt,
    roles_for,
)
from optix.security.ratelimit import RateLimiter, TokenBucket

__all__ = [
    "KEY_PREFIX",
    "PREFIX_LENGTH",
    "ROLES",
    "RateLimiter",
    "TokenBucket",
    "fingerprint",
    "generate_key",
    "has_role",
    "hash_key",
    "key_matches",
    "key_prefix",
    "new_salt",
    "roles_for",
]
