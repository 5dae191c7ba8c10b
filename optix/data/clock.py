"""Market time: a simulated clock, and pacing a feed at a chosen speed of real time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

from optix.data.feed import FeedBatch

__all__ = ["SimulatedClock", "pace"]


class SimulatedClock:
    """A clock that reads market time, moved forward by the feed (never by the wall clock).

    Parameters
    ----------
    start_ns : int
        Initial time, epoch nanoseconds.
    """

    def __init__(self, start_ns: int = 0) -> None:
        self._now = int(start_ns)

    def now_ns(self) -> int:
        """Current market time, epoch nanoseconds."""
        return self._now

    def advance_to(self, ts_ns: int) -> None:
        """Move to ``ts_ns``; time never goes backwards (an earlier value is ignored)."""
        self._now = max(self._now, int(ts_ns))


def pace(
    batches: Iterable[FeedBatch],
    speed: float,
    *,
    clock: SimulatedClock | None = None,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Iterator[FeedBatch]:
    """Release each batch when its slice of market time has passed at ``speed`` x real time.

    ``speed=1`` replays in real time, ``speed=60`` a minute of market per second, and
    ``speed=0`` as fast as possible. A gap in market time (overnight) is skipped, not slept
    through: pacing restarts at each batch whose start is more than an hour after the last
    batch's end. ``clock`` (if given) is advanced to each batch's end as it is released.

    Raises
    ------
    ValueError
        If ``speed`` is negative.
    """
    if speed < 0:
        raise ValueError(f"speed must be >= 0, got {speed}")
    anchor_market: int | None = None
    anchor_wall = 0.0
    last_end: int | None = None
    for batch in batches:
        if speed > 0:
            if anchor_market is None or (last_end is not None
                                         and batch.start_ns - last_end > 3_600 * 10**9):
                anchor_market, anchor_wall = batch.start_ns, monotonic()
            due = anchor_wall + (batch.end_ns - anchor_market) / 1e9 / speed
            wait = due - monotonic()
            if wait > 0:
                sleep(wait)
        last_end = batch.end_ns
        if clock is not None:
            clock.advance_to(batch.end_ns)
        yield batch
