"""Token-bucket rate limits, one bucket per key, with bounded memory.

Pure and clock-injectable: pass any ``() -> float`` seconds clock (default
:func:`time.monotonic`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["RateLimiter", "TokenBucket"]

Clock = Callable[[], float]


class TokenBucket:
    """A bucket of ``burst`` tokens refilled at ``rate_per_s``; each request takes one.

    Parameters
    ----------
    rate_per_s : float
        Tokens added per second (the sustained rate).
    burst : float
        Capacity (the largest burst); the bucket starts full.
    clock : callable, optional
        Seconds clock; default :func:`time.monotonic`.
    """

    def __init__(self, rate_per_s: float, burst: float, clock: Clock = time.monotonic) -> None:
        if not (rate_per_s > 0 and math.isfinite(rate_per_s)):
            raise ValueError("rate_per_s must be a positive number")
        if not (burst >= 1 and math.isfinite(burst)):
            raise ValueError("burst must be at least 1")
        self.rate_per_s = float(rate_per_s)
        self.burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()

    def _refill(self) -> float:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate_per_s)
        self._updated = now
        return now

    @property
    def tokens(self) -> float:
        """Tokens available now."""
        self._refill()
        return self._tokens

    def take(self, n: float = 1.0) -> float:
        """Take ``n`` tokens if there are enough.

        Returns
        -------
        float
            0.0 when taken; otherwise the seconds until ``n`` tokens will be there (nothing
            taken).
        """
        self._refill()
        if self._tokens >= n:
            self._tokens -= n
            return 0.0
        return (n - self._tokens) / self.rate_per_s

    def idle_full(self) -> bool:
        """Whether the bucket is full again (forgetting it loses nothing)."""
        return self.tokens >= self.burst


class RateLimiter:
    """Token buckets keyed per client (an API key id), created on first use.

    Memory is bounded: buckets that have refilled completely are dropped (a new bucket
    starts full, so nothing is lost), and beyond ``max_keys`` the least recently used bucket
    is dropped.

    Parameters
    ----------
    rate_per_s, burst : float
        Each key's sustained rate and burst, as in :class:`TokenBucket`.
    clock : callable, optional
        Seconds clock; default :func:`time.monotonic`.
    max_keys : int
        Most buckets kept.
    """

    def __init__(self, rate_per_s: float, burst: float, clock: Clock = time.monotonic,
                 max_keys: int = 10_000) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        TokenBucket(rate_per_s, burst, clock)  # validates the parameters
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[Hashable, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, key: Hashable) -> tuple[bool, float]:
        """Spend one token of ``key``'s bucket.

        Returns
        -------
        (bool, float)
            Whether the request is allowed, and if not, the seconds to wait before retrying
            (0.0 when allowed).
        """
        with self._lock:
            self._sweep()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = TokenBucket(self.rate_per_s, self.burst, self._clock)
                self._buckets[key] = bucket
                while len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
            wait = bucket.take()
        return wait == 0.0, wait

    def _sweep(self) -> None:
        """Drop full buckets, at most once per refill period."""
        now = self._clock()
        if now - self._last_sweep < self.burst / self.rate_per_s:
            return
        self._last_sweep = now
        for key in [k for k, b in self._buckets.items() if b.idle_full()]:
            del self._buckets[key]
