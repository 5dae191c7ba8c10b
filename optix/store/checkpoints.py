"""Where shard checkpoints live: Redis when configured, else the database.

A checkpoint is one shard's serialized state plus the feed offset it covers. Unlike the cache, a
checkpoint must not be dropped silently: a failed save raises (the shard keeps its replay buffer
and tries again at the next checkpoint), and Redis keys carry no TTL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import redis

from optix.config import CacheConfig, DatabaseConfig
from optix.store.db import Database
from optix.store.migrate import upgrade
from optix.store.repositories.cluster import CheckpointRepository

__all__ = ["CheckpointStore", "DatabaseCheckpoints", "RedisCheckpoints", "make_checkpoints"]


class CheckpointStore(ABC):
    """Save and load the latest checkpoint per shard."""

    backend: str = ""

    @abstractmethod
    def save(self, shard: str, feed_offset: int, state: bytes) -> None:
        """Replace ``shard``'s checkpoint (raises if it could not be stored)."""

    @abstractmethod
    def load(self, shard: str) -> tuple[int, bytes] | None:
        """``(feed_offset, state)`` of ``shard``, or None if it has never checkpointed."""

    def delete(self, shard: str) -> None:  # noqa: B027 - optional
        """Forget ``shard``'s checkpoint (tests, re-deployments)."""


class RedisCheckpoints(CheckpointStore):
    """Checkpoints as Redis hashes ``<namespace>:checkpoint:<shard>`` (no expiry).

    Parameters
    ----------
    url : str
        ``redis://...``.
    namespace : str
        Key prefix.
    """

    backend = "redis"

    def __init__(self, url: str, namespace: str = "optix") -> None:
        self.url = url
        self.namespace = namespace
        self._client: redis.Redis | None = None

    @property
    def client(self) -> redis.Redis:
        """The connection, opened on first use (so the store pickles to other processes)."""
        if self._client is None:
            self._client = redis.Redis.from_url(self.url, socket_timeout=10.0)
        return self._client

    def __getstate__(self) -> dict[str, str]:
        return {"url": self.url, "namespace": self.namespace}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.__init__(state["url"], state["namespace"])  # type: ignore[misc]

    def _key(self, shard: str) -> str:
        return f"{self.namespace}:checkpoint:{shard}"

    def save(self, shard: str, feed_offset: int, state: bytes) -> None:
        """Replace ``shard``'s checkpoint in one HSET."""
        self.client.hset(self._key(shard), mapping={"offset": str(feed_offset), "state": state})

    def load(self, shard: str) -> tuple[int, bytes] | None:
        """The stored checkpoint, or None."""
        got = self.client.hmget(self._key(shard), ["offset", "state"])
        offset, state = got[0], got[1]
        if offset is None or state is None:
            return None
        return int(offset), state if isinstance(state, bytes) else state.encode()

    def delete(self, shard: str) -> None:
        """Remove the key."""
        self.client.delete(self._key(shard))


class DatabaseCheckpoints(CheckpointStore):
    """Checkpoints in the ``shard_checkpoints`` table (migrated on first use).

    Parameters
    ----------
    db : Database
    """

    backend = "database"

    def __init__(self, db: Database) -> None:
        self.db = db
        upgrade(db)

    def __getstate__(self) -> dict[str, str | None]:
        return {"url": self.db.url.render_as_string(hide_password=False),
                "search_path": self.db.search_path}

    def __setstate__(self, state: dict[str, str | None]) -> None:
        url = state["url"]
        assert url is not None
        self.__init__(Database(url, state["search_path"]))  # type: ignore[misc]

    def save(self, shard: str, feed_offset: int, state: bytes) -> None:
        """Upsert the row in its own transaction."""
        with self.db.transaction() as s:
            CheckpointRepository(s).save(shard, feed_offset, state)

    def load(self, shard: str) -> tuple[int, bytes] | None:
        """The stored row, or None."""
        with self.db.transaction() as s:
            return CheckpointRepository(s).load(shard)

    def delete(self, shard: str) -> None:
        """Delete the row."""
        from optix.store.models import ShardCheckpoint

        with self.db.transaction() as s:
            row = s.get(ShardCheckpoint, shard)
            if row is not None:
                s.delete(row)


def make_checkpoints(cache: CacheConfig, database: DatabaseConfig) -> CheckpointStore:
    """Redis when ``cache.redis_url`` is set, else the configured database."""
    if cache.redis_url is not None:
        return RedisCheckpoints(cache.redis_url.get_secret_value(), cache.namespace)
    return DatabaseCheckpoints(Database(database))
