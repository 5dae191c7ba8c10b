"""Prometheus metrics of the actors, through ``ray.util.metrics`` (exported by each node).

Ray's metrics agent on each node serves every worker's metrics at its export port (prefixed
``ray_``); ``GET /metrics`` of the HTTP API gathers them (:mod:`serve.metrics`). Metrics are
made inside the actor that records them: a ``ray.util.metrics`` object needs a Ray worker.

* ``optix_trades_processed_total{shard}``: option trades applied by a shard.
* ``optix_feed_parts_total{shard, outcome}``: feed parts a shard was sent (``applied``,
  ``duplicate``, ``gap``).
* ``optix_shard_ingest_seconds{shard}``: time to apply one part (histogram).
* ``optix_alerts_emitted_total{source, severity}``: new alerts the hub stored and fanned out.
* ``optix_alert_duplicates_total``: repeated alerts the hub dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ray.util.metrics import Counter, Histogram

__all__ = ["LATENCY_BOUNDARIES_S", "HubMetrics", "ShardMetrics"]

LATENCY_BOUNDARIES_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                        10.0]
"""Histogram buckets of every latency metric, in seconds."""


class ShardMetrics:
    """A shard's counters (see the module docstring)."""

    def __init__(self, shard: str) -> None:
        self._tags = {"shard": shard}
        self.trades = Counter("optix_trades_processed_total",
                              "Option trades applied by a shard", tag_keys=("shard",))
        self.parts = Counter("optix_feed_parts_total", "Feed parts sent to a shard, by outcome",
                             tag_keys=("shard", "outcome"))
        self.ingest = Histogram("optix_shard_ingest_seconds", "Time to apply one feed part",
                                boundaries=LATENCY_BOUNDARIES_S, tag_keys=("shard",))

    def record(self, n_trades: int, busy_s: float, duplicate: bool, gap: bool) -> None:
        """Count one ingest reply."""
        outcome = "duplicate" if duplicate else "gap" if gap else "applied"
        self.parts.inc(1, tags={**self._tags, "outcome": outcome})
        if outcome == "applied":
            if n_trades:
                self.trades.inc(n_trades, tags=self._tags)
            self.ingest.observe(busy_s, tags=self._tags)


class HubMetrics:
    """The alert hub's counters (see the module docstring)."""

    def __init__(self) -> None:
        self.emitted = Counter("optix_alerts_emitted_total", "New alerts stored and fanned out",
                               tag_keys=("source", "severity"))
        self.duplicates = Counter("optix_alert_duplicates_total",
                                  "Repeated alerts the hub dropped")

    def record(self, new: Iterable[Mapping[str, Any]], duplicates: int) -> None:
        """Count one publish: its new records and how many were repeats."""
        counts: dict[tuple[str, str], int] = {}
        for r in new:
            key = (str(r["source"]), str(r["severity"]))
            counts[key] = counts.get(key, 0) + 1
        for (source, severity), n in counts.items():
            self.emitted.inc(n, tags={"source": source, "severity": severity})
        if duplicates:
            self.duplicates.inc(duplicates)
