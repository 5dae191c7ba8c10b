"""Cache of hot, expirable results: Redis when configured, in-process otherwise.

Both backends share one interface, :class:`Cache`. Keys are namespaced
(``<namespace>:<kind>:<key>``) and each kind has its own time to live (GEX 5 min,
predictions 15 min, dedup keys as configured). Values are JSON (numpy scalars and arrays,
dates and UUIDs are converted) or raw bytes; nothing is pickled, so a value read back from a
shared Redis can never execute code.

A configured Redis that is down or slow never raises to the caller: reads become misses, writes
are dropped, at most one warning is logged per ``warn_interval_s``, and Redis is not retried for
``retry_after_s`` after a failure so that an outage costs no timeout per call.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis

from optix.config import CacheConfig
from optix.store import jsonio

__all__ = ["Cache", "CacheKind", "CacheStats", "MemoryCache", "RedisCache", "make_cache"]

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class CacheKind(StrEnum):
    """What an entry is; each kind has its own TTL."""

    GEX = "gex"
    PREDICTION = "prediction"
    DEDUP = "dedup"
    GENERIC = "generic"


def ttls_from_config(cfg: CacheConfig) -> dict[CacheKind, int]:
    """TTL in seconds of each kind from the ``cache`` settings."""
    return {
        CacheKind.GEX: cfg.gex_ttl_s,
        CacheKind.PREDICTION: cfg.prediction_ttl_s,
        CacheKind.DEDUP: cfg.dedup_ttl_s,
        CacheKind.GENERIC: cfg.default_ttl_s,
    }


def encode_json(value: Any) -> bytes:
    """Serialize a value as compact JSON bytes (see :func:`optix.store.jsonio.dumps`)."""
    return jsonio.dumps(value).encode()


@dataclass
class CacheStats:
    """Counters of one cache object."""

    hits: int = 0
    misses: int = 0
    writes: int = 0
    dropped_writes: int = 0
    errors: int = 0


class Cache(ABC):
    """Namespaced, per-kind-TTL cache of JSON values and bytes.

    Parameters
    ----------
    namespace : str
        Prefix of every key.
    ttls : mapping of CacheKind to int
        Time to live in seconds per kind.
    """

    def __init__(self, namespace: str, ttls: Mapping[CacheKind, int]) -> None:
        missing = set(CacheKind) - set(ttls)
        if missing:
            raise ValueError(f"ttls missing for kinds {sorted(missing)}")
        if any(v <= 0 for v in ttls.values()):
            raise ValueError("every TTL must be positive")
        self.namespace = namespace
        self.ttls = dict(ttls)
        self.stats = CacheStats()

    def key(self, kind: CacheKind, key: str) -> str:
        """The full key of an entry."""
        return f"{self.namespace}:{kind.value}:{key}"

    def ttl(self, kind: CacheKind) -> int:
        """TTL in seconds of a kind."""
        return self.ttls[kind]

    # -- public API ---------------------------------------------------------------------------
    def get(self, kind: CacheKind, key: str) -> Any | None:
        """The JSON value stored under ``key``, or None on a miss (or an unusable entry)."""
        raw = self.get_bytes(kind, key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            log.warning("cache entry %s is not JSON; treating as a miss", self.key(kind, key))
            return None

    def set(self, kind: CacheKind, key: str, value: Any, ttl_s: float | None = None) -> bool:
        """Store a JSON-serializable value; False when the write was dropped."""
        return self.set_bytes(kind, key, encode_json(value), ttl_s)

    def get_bytes(self, kind: CacheKind, key: str) -> bytes | None:
        """Raw bytes under ``key``, or None."""
        value = self._get(self.key(kind, key))
        if value is None:
            self.stats.misses += 1
        else:
            self.stats.hits += 1
        return value

    def set_bytes(
        self, kind: CacheKind, key: str, value: bytes, ttl_s: float | None = None
    ) -> bool:
        """Store raw bytes; False when the write was dropped."""
        ttl = self._ttl(kind, ttl_s)
        ok = self._set(self.key(kind, key), value, ttl)
        if ok:
            self.stats.writes += 1
        else:
            self.stats.dropped_writes += 1
        return ok

    def claim(self, kind: CacheKind, key: str, ttl_s: float | None = None) -> bool:
        """Set ``key`` only if absent (dedup); True when this call claimed it.

        If the backend cannot answer (Redis down) the claim is granted: a possible duplicate
        is preferred to a lost alert.
        """
        result = self._set_if_absent(self.key(kind, key), b"1", self._ttl(kind, ttl_s))
        return True if result is None else result

    def delete(self, kind: CacheKind, key: str) -> None:
        """Remove an entry (no error if absent or if the backend is down)."""
        self._delete(self.key(kind, key))

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def _ttl(self, kind: CacheKind, ttl_s: float | None) -> int:
        ttl = self.ttls[kind] if ttl_s is None else ttl_s
        if not ttl > 0:
            raise ValueError(f"ttl_s must be positive, got {ttl}")
        return max(1, math.ceil(float(ttl)))  # Redis EX takes whole seconds

    # -- backend primitives --------------------------------------------------------------------
    @abstractmethod
    def _get(self, full_key: str) -> bytes | None: ...

    @abstractmethod
    def _set(self, full_key: str, value: bytes, ttl_s: int) -> bool: ...

    @abstractmethod
    def _set_if_absent(self, full_key: str, value: bytes, ttl_s: int) -> bool | None: ...

    @abstractmethod
    def _delete(self, full_key: str) -> None: ...

    @property
    @abstractmethod
    def backend(self) -> str:
        """``'memory'`` or ``'redis'``."""


class MemoryCache(Cache):
    """In-process TTL cache with LRU eviction; thread-safe.

    Parameters
    ----------
    namespace, ttls :
        See :class:`Cache`.
    max_entries : int
        Least recently used entries are evicted beyond this many.
    clock : callable, optional
        Monotonic seconds; injectable for tests (default :func:`time.monotonic`).
    """

    def __init__(
        self,
        namespace: str,
        ttls: Mapping[CacheKind, int],
        max_entries: int = 100_000,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(namespace, ttls)
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        """``'memory'``."""
        return "memory"

    def __len__(self) -> int:
        with self._lock:
            self._purge_expired()
            return len(self._data)

    def _purge_expired(self) -> None:
        now = self._clock()
        for k in [k for k, (exp, _) in self._data.items() if exp <= now]:
            del self._data[k]

    def _get(self, full_key: str) -> bytes | None:
        with self._lock:
            item = self._data.get(full_key)
            if item is None:
                return None
            if item[0] <= self._clock():
                del self._data[full_key]
                return None
            self._data.move_to_end(full_key)
            return item[1]

    def _set(self, full_key: str, value: bytes, ttl_s: int) -> bool:
        with self._lock:
            self._data[full_key] = (self._clock() + ttl_s, value)
            self._data.move_to_end(full_key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return True

    def _set_if_absent(self, full_key: str, value: bytes, ttl_s: int) -> bool | None:
        with self._lock:  # check and write under one lock: exactly one claimant wins
            now = self._clock()
            item = self._data.get(full_key)
            if item is not None and item[0] > now:
                return False
            self._data[full_key] = (now + ttl_s, value)
            self._data.move_to_end(full_key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
            return True

    def _delete(self, full_key: str) -> None:
        with self._lock:
            self._data.pop(full_key, None)


class RedisCache(Cache):
    """Redis-backed cache that degrades to misses and dropped writes when Redis fails.

    Parameters
    ----------
    client : redis.Redis
        A client with short socket timeouts (see :func:`make_cache`).
    namespace, ttls :
        See :class:`Cache`.
    retry_after_s : float
        After a failure, skip Redis for this long.
    warn_interval_s : float
        At most one warning per interval while failing.
    clock : callable, optional
        Monotonic seconds.
    """

    def __init__(
        self,
        client: redis.Redis,
        namespace: str,
        ttls: Mapping[CacheKind, int],
        retry_after_s: float = 2.0,
        warn_interval_s: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(namespace, ttls)
        self.client = client
        self.retry_after_s = retry_after_s
        self.warn_interval_s = warn_interval_s
        self._clock = clock
        self._down_until = float("-inf")
        self._last_warning = float("-inf")
        self._suppressed = 0
        self._failing = False
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        """``'redis'``."""
        return "redis"

    @property
    def available(self) -> bool:
        """False while in the back-off window after a failure."""
        return self._clock() >= self._down_until

    def ping(self) -> bool:
        """True when Redis answers now (ignores the back-off window)."""
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def _call(self, fn: Callable[[], Any]) -> tuple[bool, Any]:
        if not self.available:
            return False, None
        try:
            result = fn()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            self._on_failure(exc)  # the server is unreachable: back off
            return False, None
        except (redis.RedisError, UnicodeError) as exc:
            # The server answered but refused this one call (or the key could not be
            # encoded): count it, report it, but do not treat Redis as down.
            self.stats.errors += 1
            log.warning("Redis cache call failed: %s: %s", type(exc).__name__, exc)
            return False, None
        if self._failing:
            with self._lock:
                self._failing = False
            log.info("Redis cache reachable again (%d failed calls while down)", self._suppressed)
            self._suppressed = 0
        return True, result

    def _on_failure(self, exc: Exception) -> None:
        now = self._clock()
        with self._lock:
            self.stats.errors += 1
            self._failing = True
            self._down_until = now + self.retry_after_s
            self._suppressed += 1
            if now - self._last_warning < self.warn_interval_s:
                return
            self._last_warning = now
        log.warning(
            "Redis cache unavailable (%s: %s); serving misses and dropping writes, "
            "retrying every %.1fs",
            type(exc).__name__, exc, self.retry_after_s,
        )

    def _get(self, full_key: str) -> bytes | None:
        ok, value = self._call(lambda: self.client.get(full_key))
        return value if ok else None

    def _set(self, full_key: str, value: bytes, ttl_s: int) -> bool:
        ok, _ = self._call(lambda: self.client.set(full_key, value, ex=ttl_s))
        return ok

    def _set_if_absent(self, full_key: str, value: bytes, ttl_s: int) -> bool | None:
        ok, result = self._call(lambda: self.client.set(full_key, value, ex=ttl_s, nx=True))
        return bool(result) if ok else None

    def _delete(self, full_key: str) -> None:
        self._call(lambda: self.client.delete(full_key))

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


def make_cache(cfg: CacheConfig, clock: Clock = time.monotonic) -> Cache:
    """The cache the settings ask for: Redis when ``redis_url`` is set, else in-process.

    A Redis that is unreachable at start-up is not an error: the cache starts degraded and
    recovers when Redis comes back.
    """
    ttls = ttls_from_config(cfg)
    if cfg.redis_url is None:
        return MemoryCache(cfg.namespace, ttls, max_entries=cfg.max_local_entries, clock=clock)
    client = redis.Redis.from_url(
        cfg.redis_url.get_secret_value(),
        socket_timeout=cfg.socket_timeout_s,
        socket_connect_timeout=cfg.socket_timeout_s,
        retry_on_timeout=False,
        health_check_interval=30,
    )
    return RedisCache(
        client,
        cfg.namespace,
        ttls,
        retry_after_s=cfg.retry_after_s,
        warn_interval_s=cfg.warn_interval_s,
        clock=clock,
    )
