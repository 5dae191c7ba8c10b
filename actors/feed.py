"""The feed actor: runs the configured market source at its pace and keeps its counts.

Until the router (actor layer issue) consumes the batches, the feed actor is the consumer:
it drives the source, so ``optix up`` runs on the synthetic market, and reports progress.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import ray

from optix.config import OptixSettings
from optix.data import SimulatedClock, make_source, pace

__all__ = ["FeedActor"]

log = logging.getLogger("optix.feed")


@ray.remote(num_cpus=0)
class FeedActor:
    """Hosts one market source (``settings.feed``) and runs it until stopped."""

    def __init__(self, settings: OptixSettings) -> None:
        self.source = make_source(settings)
        self.speed = settings.feed.speed
        self.clock = SimulatedClock()
        self.batches = self.trades = self.equities = self.chains = self.labels = 0
        self.started = time.time()
        self.error: str | None = None
        self._stop = False

    def run(self) -> None:
        """Consume the source at ``feed.speed`` until it ends or :meth:`stop` is called."""
        try:
            for batch in pace(self.source.batches(), self.speed, clock=self.clock):
                self.batches += 1
                self.trades += batch.n_trades
                self.equities += batch.n_equities
                self.chains += len(batch.chains)
                self.labels += len(batch.labels)
                if self._stop:
                    break
        except Exception as exc:  # reported through status(), and logged
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("feed stopped")

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current batch."""
        self._stop = True

    def status(self) -> dict[str, Any]:
        """Counts so far, market time and rejections."""
        return {
            "source": self.source.name,
            "market_time_ns": self.clock.now_ns(),
            "batches": self.batches,
            "option_trades": self.trades,
            "equity_prints": self.equities,
            "chain_snapshots": self.chains,
            "labels": self.labels,
            "rows": self.source.stats.as_dict(),
            "running_s": round(time.time() - self.started, 1),
            "error": self.error,
        }


