"""The pipeline on a Ray cluster: shard actors, the router, the alert hub and the supervisor.

:class:`Pipeline` starts (or finds, by name) the named, detached actors of one deployment and
routes feed batches through them. The driver of ``optix flow scan --cluster`` uses it directly;
``optix up`` runs it inside :class:`PipelineActor`, which also drives the market source.

Actors are named ``<prefix>-shard-<i>``, ``<prefix>-shard-pin-<symbol>``, ``<prefix>-alert-hub``
and ``<prefix>-supervisor`` (``prefix`` is ``optix`` for ``optix up``), so the Ray dashboard shows
them by name. Shards are placed round-robin over the nodes with soft node affinity
(:func:`shard_strategy`: a lost node's shards come back on the others).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import ray

from actors.hub import AlertHub
from actors.placement import Placement
from actors.router import BatchResult, Router
from actors.shard import ShardActor
from actors.supervisor import SupervisorActor
from optix.data.feed import FeedBatch
from optix.flow.engine import FlowConfig
from optix.gex.engine import GexEngineConfig
from optix.store.checkpoints import CheckpointStore

__all__ = ["Pipeline", "PipelineActor", "PipelineConfig", "shard_strategy"]

log = logging.getLogger("optix.pipeline")


def shard_strategy(index: int) -> Any:
    """Where shard ``index`` goes: round-robin over the alive nodes, softly.

    Ray's ``SPREAD`` is best effort and may stack zero-CPU actors on one node, so each shard
    asks for a node of its own in turn (``soft=True``: if that node is lost, Ray restarts the
    shard anywhere). Without node information it falls back to ``SPREAD``.
    """
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = sorted(n["NodeID"] for n in ray.nodes() if n.get("Alive"))
    if not nodes:
        return "SPREAD"
    return NodeAffinitySchedulingStrategy(node_id=nodes[index % len(nodes)], soft=True)


@dataclass(frozen=True)
class PipelineConfig:
    """How many shards, where state goes, what runs.

    Attributes
    ----------
    prefix : str
        Actor-name prefix ("optix").
    shards : int
        General shard actors (2: one per core here).
    pinned : tuple of str
        Symbols that get a shard of their own.
    n_groups : int
        Key groups (4096).
    checkpoint_every : int
        Parts between checkpoints of a shard (50).
    max_in_flight : int
        Outstanding calls per shard (2).
    hub : bool
        Run the alert hub (persist, dedup, console).
    console : bool
        The hub prints alerts.
    supervisor : bool
        Run the supervisor on the market clock.
    flow : FlowConfig
    gex : GexEngineConfig
    """

    prefix: str = "optix"
    shards: int = 2
    pinned: tuple[str, ...] = ()
    n_groups: int = 4096
    checkpoint_every: int = 50
    max_in_flight: int = 2
    hub: bool = True
    console: bool = True
    supervisor: bool = True
    flow: FlowConfig = field(default_factory=lambda: FlowConfig(validate=False))
    gex: GexEngineConfig = field(default_factory=GexEngineConfig)

    def __post_init__(self) -> None:
        if self.shards < 1:
            raise ValueError(f"shards must be at least 1, got {self.shards}")

    def placement(self) -> Placement:
        """The placement of this deployment."""
        return Placement(tuple(f"{self.prefix}-shard-{i}" for i in range(self.shards)),
                         self.n_groups,
                         {s: f"{self.prefix}-shard-pin-{s.lower()}" for s in self.pinned})


class Pipeline:
    """Shards, router, hub and supervisor of one deployment (see the module docstring).

    Parameters
    ----------
    config : PipelineConfig
    checkpoints : CheckpointStore or None
        Where shards checkpoint (None: no recovery of state).
    database_url : str or None
        The hub's database (alert_history); None keeps alerts in memory only.
    start_ns : int or None
        Market time the supervisor starts from (default: the first batch's start).
    """

    def __init__(self, config: PipelineConfig, checkpoints: CheckpointStore | None = None,
                 database_url: str | None = None, start_ns: int | None = None) -> None:
        self.config = config
        self.placement = config.placement()
        self.shards = {
            name: ShardActor.options(  # type: ignore[attr-defined]
                name=name, lifetime="detached", get_if_exists=True,
                scheduling_strategy=shard_strategy(i)).remote(
                    name, checkpoints, config.checkpoint_every, config.flow, config.gex)
            for i, name in enumerate(self.placement.all_shards)}
        self.hub = (AlertHub.options(  # type: ignore[attr-defined]
            name=f"{config.prefix}-alert-hub", lifetime="detached",
            get_if_exists=True).remote(database_url, config.console)
            if config.hub else None)
        self.supervisor: Any = None
        self._start_ns = start_ns
        self._publishing: deque[Any] = deque()
        self.latency_s: deque[float] = deque(maxlen=100_000)
        self.alerts = 0
        self.router = Router(self.placement, self.shards, config.max_in_flight,
                             on_result=self._on_result, keep=False)
        self.results: deque[BatchResult] = deque()
        self.keep_results = False

    def _on_result(self, res: BatchResult) -> None:
        records = [a.as_record() for a in res.flow] + [g.as_record() for g in res.gex]
        self.alerts += len(records)
        if records and self.hub is not None:
            self._publishing.append(self.hub.publish.remote(records))
            while len(self._publishing) > 8:  # bounded: the hub must keep up
                ray.get(self._publishing.popleft())
        if records:
            self.latency_s.append(time.perf_counter() - res.submitted_s)
        if self.keep_results:
            self.results.append(res)

    def submit(self, batch: FeedBatch) -> None:
        """Route one feed batch (and advance the supervisor to its end)."""
        if self.config.supervisor and self.supervisor is None:
            self.supervisor = SupervisorActor.options(  # type: ignore[attr-defined]
                name=f"{self.config.prefix}-supervisor", lifetime="detached",
                get_if_exists=True).remote(
                    self._start_ns if self._start_ns is not None else batch.start_ns)
        self.router.submit(batch)
        if self.supervisor is not None:
            self.supervisor.advance.remote(batch.end_ns)

    def flush(self) -> BatchResult:
        """Drain the router and close every shard's windows (end of a tape)."""
        res = self.router.flush()
        self.drain_hub()
        return res

    def drain_hub(self) -> None:
        """Wait until the hub has every alert published so far."""
        while self._publishing:
            ray.get(self._publishing.popleft())

    def cluster_view(self) -> dict[str, Any]:
        """Shards (node, symbols, applied offset, lag, trades/s, checkpoint age) and totals."""
        statuses = ray.get([h.status.remote() for h in self.shards.values()])
        sent = self.router.last_sent()
        nodes: dict[str, list[str]] = {}
        for st in statuses:
            st["lag_batches"] = max(sent.get(st["shard"], -1) - st["applied"], 0)
            nodes.setdefault(st["node"], []).append(st["shard"])
        return {"shards": statuses, "nodes": nodes, "router": dict(self.router.stats),
                "buffered_parts": self.router.buffered(), "alerts": self.alerts}

    def _holder(self, symbol: str) -> tuple[str, Any]:
        """``symbol`` upper-cased and the handle of the shard that holds it."""
        symbol = symbol.upper()
        return symbol, self.shards[self.placement.shard_of(symbol)]

    def summary(self, symbol: str) -> dict[str, Any]:
        """The per-symbol summary from the shard that holds ``symbol``."""
        symbol, shard = self._holder(symbol)
        out: dict[str, Any] = ray.get(shard.summary.remote(symbol))
        return out

    def gex_view(self, symbol: str, conventions: dict[str, Any] | None = None,
                 heatmaps: bool = False, history: bool = False) -> dict[str, Any] | None:
        """A symbol's GEX from the shard that holds it (:meth:`ShardCore.gex_view`)."""
        symbol, shard = self._holder(symbol)
        out: dict[str, Any] | None = ray.get(shard.gex_view.remote(
            symbol, conventions, heatmaps, history))
        return out

    def flow_aggregates(self, symbol: str | None = None, top: int = 20) -> dict[str, Any]:
        """The 60-minute flow window of ``symbol`` (its shard) or of the market (every shard).

        See :meth:`ShardCore.flow_aggregates`; market-wide, ``by_underlying`` is sorted by
        premium, largest first, and ``top_contracts`` is the top ``top`` over all shards.
        """
        if symbol is not None:
            symbol, shard = self._holder(symbol)
            out: dict[str, Any] = ray.get(shard.flow_aggregates.remote(symbol, top))
            return out
        parts = ray.get([h.flow_aggregates.remote(None, top) for h in self.shards.values()])

        def premium(r: dict[str, Any]) -> float:
            return -(r.get("premium") or 0.0)

        return {"by_underlying": sorted((r for p in parts for r in p["by_underlying"]),
                                        key=premium),
                "events": sorted((r for p in parts for r in p["events"]),
                                 key=lambda r: (r["underlying"], r["type"])),
                "top_contracts": sorted((r for p in parts for r in p["top_contracts"]),
                                        key=premium)[:top]}

    def gex_symbols(self) -> list[str]:
        """Every symbol with a GEX result on some shard, sorted."""
        parts = ray.get([h.gex_symbols.remote() for h in self.shards.values()])
        return sorted({s for part in parts for s in part})

    def shutdown(self) -> None:
        """Kill this deployment's actors (their checkpoints stay)."""
        handles = list(self.shards.values())
        handles += [h for h in (self.hub, self.supervisor) if h is not None]
        for h in handles:
            ray.kill(h, no_restart=True)


@ray.remote(num_cpus=0)
class PipelineActor:
    """Runs a market source through a :class:`Pipeline` at the feed's pace (``optix up``)."""

    def __init__(self, settings: Any, config: PipelineConfig) -> None:
        from optix.data import SimulatedClock, make_source
        from optix.store.checkpoints import make_checkpoints

        self.settings = settings
        self.source = make_source(settings)
        self.clock = SimulatedClock()
        self.pipeline = Pipeline(config, make_checkpoints(settings.cache, settings.database),
                                 settings.database.url.get_secret_value())
        self.batches = self.trades = 0
        self.error: str | None = None
        self._stop = False
        self.started = time.time()

    def run(self) -> None:
        """Feed the source through the pipeline until it ends or :meth:`stop` is called."""
        from optix.data import pace

        try:
            for batch in pace(self.source.batches(), self.settings.feed.speed, clock=self.clock):
                self.pipeline.submit(batch)
                self.batches += 1
                self.trades += batch.n_trades
                if self._stop:
                    break
            else:
                self.pipeline.flush()
        except Exception as exc:  # reported through status(), and logged
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("pipeline stopped")

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current batch."""
        self._stop = True

    def status(self) -> dict[str, Any]:
        """Source, counts, market time and the cluster view."""
        return {"source": self.source.name, "market_time_ns": self.clock.now_ns(),
                "batches": self.batches, "option_trades": self.trades,
                "alerts": self.pipeline.alerts, "error": self.error,
                "running_s": round(time.time() - self.started, 1)}

    def cluster_view(self) -> dict[str, Any]:
        """See :meth:`Pipeline.cluster_view`."""
        return self.pipeline.cluster_view()

    def summary(self, symbol: str) -> dict[str, Any]:
        """See :meth:`Pipeline.summary`."""
        return self.pipeline.summary(symbol)

    def gex_view(self, symbol: str, conventions: dict[str, Any] | None = None,
                 heatmaps: bool = False, history: bool = False) -> dict[str, Any] | None:
        """See :meth:`Pipeline.gex_view`."""
        return self.pipeline.gex_view(symbol, conventions, heatmaps, history)

    def flow_aggregates(self, symbol: str | None = None, top: int = 20) -> dict[str, Any]:
        """See :meth:`Pipeline.flow_aggregates`."""
        return self.pipeline.flow_aggregates(symbol, top)

    def gex_symbols(self) -> list[str]:
        """See :meth:`Pipeline.gex_symbols`."""
        return self.pipeline.gex_symbols()

    def shutdown(self) -> None:
        """Kill the pipeline's actors."""
        self.pipeline.shutdown()
