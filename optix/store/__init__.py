"""Persistence (SQLAlchemy 2 on SQLite or PostgreSQL) and the Redis / in-process cache."""

from optix.store.cache import Cache, CacheKind, MemoryCache, RedisCache, make_cache
from optix.store.db import Database
from optix.store.migrate import current_revision, downgrade, head_revision, upgrade

__all__ = [
    "Cache",
    "CacheKind",
    "Database",
    "MemoryCache",
    "RedisCache",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_cache",
    "upgrade",
]
