"""Shard actors: the flow and GEX state of many symbols, checkpointed with the feed offset.

A shard hosts one :class:`~optix.flow.engine.FlowEngine` and one
:class:`~optix.gex.engine.GexEngine` for every symbol the placement gives it (both engines are
per-symbol inside, so one instance serves them all). The router sends it one part of each feed
batch (:func:`actors.split.split_batch`), always in feed order; a part whose offset the shard
has already applied is ignored, which is what makes a replay after a restart idempotent.

Every ``checkpoint_every`` batches the shard writes its state with the offset it covers to the
checkpoint store (Redis when configured, else the database). A restarted shard (the actor is
named and detached with unlimited restarts) restores that checkpoint in its constructor; the
router then replays the parts after that offset from its buffer. Alert ids are deterministic,
so the alerts of a replayed part equal the first ones, and the alert hub drops them as
duplicates: nothing is lost and nothing is alerted twice.

:class:`ShardCore` is the plain-Python host (testable without Ray); :class:`ShardActor` puts it
on the cluster with ingest and queries in separate concurrency groups, so a query never waits
behind a big batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
import zlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import ray

from actors.metrics import ShardMetrics
from optix.core.jsonsafe import json_safe
from optix.data.feed import FeedBatch
from optix.flow.engine import FlowConfig, FlowEngine
from optix.flow.scoring import ScoredAlert
from optix.gex.alerts import GexAlert
from optix.gex.config import GexConfig
from optix.gex.engine import GexEngine, GexEngineConfig
from optix.gex.result import compute_gex
from optix.store.checkpoints import CheckpointStore

__all__ = ["ShardActor", "ShardCore", "ShardReply"]

_STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class ShardReply:
    """What a shard answers for one part.

    Attributes
    ----------
    shard : str
    offset : int
        The part's feed offset.
    applied : int
        The last offset the shard has applied (``offset`` unless the part was a duplicate).
    checkpoint : int
        The offset its latest checkpoint covers: the router may drop parts up to it.
    flow : list of ScoredAlert
    gex : list of GexAlert
    trades : int
        Trades in the part.
    duplicate : bool
        The part had been applied already (a replay): it changed nothing.
    gap : bool
        The part does not follow the last applied one (parts before it were lost with a
        restarted process): it was not applied; the router replays from ``applied``.
    busy_s : float
        Time spent on the part.
    """

    shard: str
    offset: int
    applied: int
    checkpoint: int
    flow: list[ScoredAlert] = field(default_factory=list)
    gex: list[GexAlert] = field(default_factory=list)
    trades: int = 0
    duplicate: bool = False
    busy_s: float = 0.0
    gap: bool = False


class ShardCore:
    """Hosts the engines of one shard (see the module docstring).

    Parameters
    ----------
    name : str
        Shard name (also its checkpoint key).
    checkpoints : CheckpointStore or None
        Where checkpoints go. None keeps no checkpoints: every applied part counts as covered
        (the router buffers nothing), and a restarted shard starts empty from the next part.
    checkpoint_every : int
        Checkpoint after this many applied parts (0: only when asked).
    flow_config : FlowConfig, optional
        Defaults to ``FlowConfig(validate=False)``: feed sources validate and count.
    gex_config : GexEngineConfig, optional
    recent : int
        Alerts kept per symbol for queries.
    """

    def __init__(self, name: str, checkpoints: CheckpointStore | None = None,
                 checkpoint_every: int = 50, flow_config: FlowConfig | None = None,
                 gex_config: GexEngineConfig | None = None, recent: int = 50) -> None:
        self.name = name
        self.checkpoints = checkpoints
        self.checkpoint_every = checkpoint_every
        self.flow_config = flow_config or FlowConfig(validate=False)
        self.gex_config = gex_config or GexEngineConfig()
        self.flow = FlowEngine(self.flow_config)
        self.gex = GexEngine(self.gex_config)
        self.applied = -1
        self.checkpointed = -1
        self.trades = 0
        self.parts = 0
        self.duplicates = 0
        self.restored_from: int | None = None
        self.last_checkpoint_s: float | None = None
        self._since_checkpoint = 0
        self._recent: dict[str, deque[dict[str, Any]]] = {}
        self._recent_n = recent
        self._busy_s = 0.0
        self._started = time.monotonic()
        if checkpoints is not None:
            saved = checkpoints.load(name)
            if saved is not None:
                self._load(saved[1])
                self.restored_from = self.applied

    # ------------------------------------------------------------------ ingest
    def ingest(self, part: FeedBatch, prev_offset: int = -1) -> ShardReply:
        """Apply one part; ``prev_offset`` is the offset of the part sent before it (-1: none).

        A part already applied is ignored (``duplicate``); a part whose predecessor is not the
        last applied one is refused (``gap``), so a part sent to a freshly restarted process
        can never skip the parts that died with the old one.
        """
        if part.offset <= self.applied:
            self.duplicates += 1
            return ShardReply(self.name, part.offset, self.applied, self.checkpointed,
                              duplicate=True)
        if prev_offset != self.applied and not (self.checkpoints is None and self.applied < 0):
            return ShardReply(self.name, part.offset, self.applied, self.checkpointed, gap=True)
        t0 = time.perf_counter()
        events = self.flow.update(part.trades, part.end_ns, equities=part.equities,
                                  reference=part.reference, chains=part.chains)
        flow = self.flow.score(events)
        gex = self.gex.update(part.chains, part.end_ns) if part.chains else []
        self.applied = part.offset
        if self.checkpoints is None:
            self.checkpointed = self.applied  # nothing to replay into: the router keeps none
        self.parts += 1
        self.trades += part.n_trades
        self._remember(flow, gex)
        self._since_checkpoint += 1
        if self.checkpoint_every and self._since_checkpoint >= self.checkpoint_every:
            self.checkpoint()
        busy = time.perf_counter() - t0
        self._busy_s += busy
        return ShardReply(self.name, part.offset, self.applied, self.checkpointed, flow, gex,
                          part.n_trades, False, busy)

    def flush(self) -> ShardReply:
        """Close every open window (end of a tape) and return the alerts."""
        flow = self.flow.score(self.flow.flush())
        self._remember(flow, [])
        return ShardReply(self.name, self.applied, self.applied, self.checkpointed, flow)

    def _remember(self, flow: list[ScoredAlert], gex: list[GexAlert]) -> None:
        for a in flow:
            self._recent_for(a.event.underlying).append(
                {"id": a.alert_id, "type": a.event.type.value, "severity": a.severity.name,
                 "score": a.score, "ts_ns": a.event.last_ts_ns, "premium": a.event.premium})
        for g in gex:
            self._recent_for(g.underlying).append(
                {"id": g.alert_id, "type": g.type.value, "severity": g.severity.name,
                 "score": g.score, "ts_ns": g.as_of_ns})

    def _recent_for(self, symbol: str) -> deque[dict[str, Any]]:
        q = self._recent.get(symbol)
        if q is None:
            q = self._recent[symbol] = deque(maxlen=self._recent_n)
        return q

    # ------------------------------------------------------------------ state
    def state_bytes(self) -> bytes:
        """The shard's state (engines, offset, counters), compressed JSON."""
        state = {"version": _STATE_VERSION, "applied": self.applied,
                 "flow": self.flow.snapshot(), "gex": self.gex.snapshot(),
                 "trades": self.trades, "parts": self.parts,
                 "recent": {s: list(q) for s, q in self._recent.items()}}
        return zlib.compress(json.dumps(state, separators=(",", ":")).encode(), 1)

    def _load(self, blob: bytes) -> None:
        state = json.loads(zlib.decompress(blob))
        if state.get("version") != _STATE_VERSION:
            raise ValueError(f"shard {self.name}: checkpoint version {state.get('version')!r} "
                             f"is not {_STATE_VERSION}")
        self.flow = FlowEngine.restore(state["flow"], self.flow_config)
        self.gex = GexEngine.restore(state["gex"], self.gex_config)
        self.applied = self.checkpointed = int(state["applied"])
        self.trades, self.parts = int(state["trades"]), int(state["parts"])
        self._recent = {s: deque(v, maxlen=self._recent_n) for s, v in state["recent"].items()}

    def checkpoint(self) -> int:
        """Write a checkpoint now; return the offset it covers."""
        if self.checkpoints is None:
            return self.checkpointed
        self.checkpoints.save(self.name, self.applied, self.state_bytes())
        self.checkpointed = self.applied
        self.last_checkpoint_s = time.monotonic()
        self._since_checkpoint = 0
        return self.checkpointed

    # ------------------------------------------------------------------ queries
    def symbols(self) -> list[str]:
        """Symbols with flow or GEX state here."""
        flow = set(self.flow.aggregator.contracts()["underlying"].tolist()) if (
            self.flow.config.views) else set()
        return sorted(flow | set(self.gex.underlyings) | set(self._recent))

    def gex_symbols(self) -> list[str]:
        """Symbols with a GEX result here (a chain the engine could use), sorted."""
        return [u for u in self.gex.underlyings if self.gex.latest(u) is not None]

    def summary(self, symbol: str) -> dict[str, Any]:
        """A symbol's state: flow window counts, latest GEX levels, recent alerts."""
        out: dict[str, Any] = {"symbol": symbol, "shard": self.name}
        if self.flow.config.views:
            agg = self.flow.aggregator.contracts()
            mine = agg[agg["underlying"] == symbol]
            out["flow_60m"] = {"contracts_traded": len(mine),
                               "prints": int(mine["prints"].sum()) if len(mine) else 0,
                               "premium": float(mine["premium"].sum()) if len(mine) else 0.0}
        gex = self.gex.latest(symbol)
        out["gex"] = None if gex is None else {
            k: gex.summary()[k] for k in ("spot", "total_gex", "flip", "call_wall", "put_wall",
                                          "max_pain_nearest", "regime")}
        out["recent_alerts"] = list(self._recent.get(symbol, ()))
        return out

    def flow_aggregates(self, symbol: str | None = None, top: int = 20) -> dict[str, Any]:
        """The 60-minute flow window: per-underlying sums, events by type, busiest contracts.

        Parameters
        ----------
        symbol : str, optional
            Only this underlying (default: every one on the shard).
        top : int
            Contracts kept in ``top_contracts`` (by premium).

        Returns
        -------
        dict
            ``by_underlying`` (:meth:`optix.flow.aggregate.FlowAggregator.summary` rows),
            ``events`` (its ``events()`` rows by underlying and type) and ``top_contracts``
            (``contracts()`` rows, largest premium first), each a list of records; empty
            when the engine keeps no views.
        """
        out: dict[str, Any] = {"by_underlying": [], "events": [], "top_contracts": []}
        if not self.flow.config.views:
            return out
        agg = self.flow.aggregator

        def rows(df: pd.DataFrame) -> list[dict[str, Any]]:
            if symbol is not None:
                df = df[df["underlying"] == symbol]
            recs: list[dict[str, Any]] = json_safe(df.to_dict(orient="records"))
            return recs

        out["by_underlying"] = rows(agg.summary(("underlying",)))
        out["events"] = rows(agg.events(("underlying", "type")))
        contracts = rows(agg.contracts())  # filter first: a quiet symbol has its own top
        out["top_contracts"] = sorted(contracts, key=lambda r: -(r["premium"] or 0.0))[:top]
        return out

    def gex_view(self, symbol: str, conventions: Mapping[str, Any] | None = None,
                 heatmaps: bool = False, history: bool = False) -> dict[str, Any] | None:
        """A symbol's latest GEX (:meth:`optix.gex.GexResult.as_dict`), or None if it has none.

        Parameters
        ----------
        symbol : str
            Underlying.
        conventions : mapping, optional
            :class:`~optix.gex.GexConfig` fields to change (``unit``, ``sign``,
            ``expiry_window`` ...): the latest chain is computed again under the engine's
            conventions with these replaced (default: the engine's result as it stands).
        heatmaps : bool
            Add the strike x expiry and strike x spot tables.
        history : bool
            Add the snapshots over time (``history``: columns) and net GEX by strike over
            time (``heatmap_strike_time``: ``times_ns``, ``strikes``, ``net_gex`` rows).

        Raises
        ------
        ValueError
            For a convention that is not a :class:`~optix.gex.GexConfig` field or has a bad
            value, and (:class:`~optix.gex.GexError`) when the chain gives no usable gamma
            under the conventions.
        """
        res = self.gex.latest(symbol)
        chain = self.gex.latest_chain(symbol)
        if res is None or chain is None:
            return None
        config = res.config
        if conventions:
            unknown = set(conventions) - {f.name for f in dataclasses.fields(GexConfig)}
            if unknown:
                raise ValueError(f"not GEX conventions: {sorted(unknown)}")
            config = dataclasses.replace(res.config, **conventions)
        recomputed = config != res.config
        if recomputed:
            res = compute_gex(chain, config)
        out = res.as_dict(heatmaps)
        out["shard"] = self.name
        out["recomputed"] = recomputed
        if history:
            h = self.gex.history(symbol)
            out["history"] = json_safe({c: h[c].tolist() for c in h.columns})
            hm = self.gex.history_heatmap(symbol)
            out["heatmap_strike_time"] = json_safe({
                "times_ns": hm.index.tolist(), "strikes": hm.columns.tolist(),
                "net_gex": hm.to_numpy().tolist()})
        return out

    def status(self) -> dict[str, Any]:
        """Counters for the cluster view."""
        up = max(time.monotonic() - self._started, 1e-9)
        return {"shard": self.name, "applied": self.applied, "checkpoint": self.checkpointed,
                "checkpoint_age_s": None if self.last_checkpoint_s is None
                else round(time.monotonic() - self.last_checkpoint_s, 1),
                "restored_from": self.restored_from, "trades": self.trades,
                "parts": self.parts, "duplicates": self.duplicates,
                "trades_per_s": round(self.trades / up, 1),
                "busy_share": round(self._busy_s / up, 3), "symbols": len(self._recent)}


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0,  # type: ignore[call-overload]
            concurrency_groups={"ingest": 16, "query": 1})
class ShardActor:
    """A :class:`ShardCore` on the cluster (named, detached, restarted without limit).

    Ray does not promise that an async actor starts calls in the order they were sent, so
    :meth:`ingest` waits (without blocking other calls) until the part it carries is next:
    until the part sent before it has been applied. A part whose predecessor never comes
    (it died with a previous process and the router has not replayed it within
    ``order_timeout_s``) is answered as a gap.

    Parameters are :class:`ShardCore`'s, plus ``order_timeout_s`` (10 s: out-of-order calls
    normally wait milliseconds; a part stranded by a restart waits this long before its gap
    reply starts the router's replay).
    """

    def __init__(self, name: str, checkpoints: CheckpointStore | None = None,
                 checkpoint_every: int = 50, flow_config: FlowConfig | None = None,
                 gex_config: GexEngineConfig | None = None, order_timeout_s: float = 10.0
                 ) -> None:
        self.core = ShardCore(name, checkpoints, checkpoint_every, flow_config, gex_config)
        self.metrics = ShardMetrics(name)
        self.order_timeout_s = order_timeout_s
        self._turn: asyncio.Condition | None = None

    @ray.method(concurrency_group="ingest")
    async def ingest(self, part: FeedBatch, prev_offset: int = -1) -> ShardReply:
        """See :meth:`ShardCore.ingest`; waits for the part's turn first."""
        if self._turn is None:
            self._turn = asyncio.Condition()
        async with self._turn:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._turn.wait_for(lambda: prev_offset <= self.core.applied),
                    timeout=self.order_timeout_s)
            reply = self.core.ingest(part, prev_offset)
            self._turn.notify_all()
        self.metrics.record(reply.trades, reply.busy_s, reply.duplicate, reply.gap)
        return reply

    @ray.method(concurrency_group="ingest")
    async def flush(self) -> ShardReply:
        """See :meth:`ShardCore.flush`."""
        return self.core.flush()

    @ray.method(concurrency_group="ingest")
    async def checkpoint(self) -> int:
        """See :meth:`ShardCore.checkpoint`."""
        return self.core.checkpoint()

    @ray.method(concurrency_group="ingest")
    async def state(self) -> bytes:
        """The shard's serialized state (for comparisons and tests)."""
        return self.core.state_bytes()

    @ray.method(concurrency_group="query")
    async def applied(self) -> int:
        """The last feed offset applied."""
        return self.core.applied

    @ray.method(concurrency_group="query")
    async def status(self) -> dict[str, Any]:
        """See :meth:`ShardCore.status`, plus the node it runs on."""
        out = self.core.status()
        out["node"] = ray.get_runtime_context().get_node_id()
        return out

    @ray.method(concurrency_group="query")
    async def summary(self, symbol: str) -> dict[str, Any]:
        """See :meth:`ShardCore.summary`."""
        return self.core.summary(symbol)

    @ray.method(concurrency_group="query")
    async def flow_aggregates(self, symbol: str | None = None, top: int = 20
                              ) -> dict[str, Any]:
        """See :meth:`ShardCore.flow_aggregates`."""
        return self.core.flow_aggregates(symbol, top)

    @ray.method(concurrency_group="query")
    async def gex_view(self, symbol: str, conventions: Mapping[str, Any] | None = None,
                       heatmaps: bool = False, history: bool = False) -> dict[str, Any] | None:
        """See :meth:`ShardCore.gex_view`."""
        return self.core.gex_view(symbol, conventions, heatmaps, history)

    @ray.method(concurrency_group="query")
    async def gex_symbols(self) -> list[str]:
        """See :meth:`ShardCore.gex_symbols`."""
        return self.core.gex_symbols()

    @ray.method(concurrency_group="query")
    async def symbols(self) -> list[str]:
        """See :meth:`ShardCore.symbols`."""
        return self.core.symbols()
