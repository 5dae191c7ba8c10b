"""The flow engine: one object that takes a feed's batches and returns flow events and alerts.

:class:`FlowEngine` composes the detectors of :mod:`optix.flow` (sweeps and splits, repeated
hits, blocks, unusual volume, dark-pool prints, spreads, smart-money patterns) and the two views
(60-minute aggregation, dealer positioning) for every underlying in the batches it is given;
the actor layer hosts one engine per shard. Per batch it validates the prints (a bad row is
rejected with a reason and counted, the rest of the batch goes on), classifies each print's side
once, computes the contract keys once, and hands both to the detectors.

Events are returned when they can no longer change (a sweep when its 2-second window has
passed, a block at once), so the set of events does not depend on how the tape is cut into
batches; :meth:`FlowEngine.flush` closes everything at the end of a tape. Within one call,
events come out in a deterministic order: by first print time, then type, then sequence
numbers. :meth:`FlowEngine.snapshot` / :meth:`FlowEngine.restore` carry the whole state through
JSON.

Every single-contract option event (sweep, split, block, repeated hits, unusual volume) also
says whether it looks like opening new positions: :class:`~optix.flow.opening.OpeningTracker`
keeps each contract's day volume and open interest behind the recent prints and sets
``detail["opening"]`` (``size > open_interest - (day_volume - size)``), ``detail["day_volume"]``
(through the event's last print) and ``detail["open_interest"]`` (``None`` when unknown).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from optix.core.arrays import Int8Array
from optix.core.chains import ChainSnapshot
from optix.core.equities import EquityPrintBatch
from optix.core.reference import ContractReference
from optix.core.trades import OptionTradeBatch
from optix.core.validation import RejectReason
from optix.flow.aggregate import AggregateConfig, FlowAggregator
from optix.flow.blocks import BlockConfig, BlockDetector
from optix.flow.clusters import (
    RepeatConfig,
    RepeatedHitsDetector,
    SweepConfig,
    SweepDetector,
    contract_keys,
)
from optix.flow.darkpool import DarkPoolConfig, DarkPoolDetector
from optix.flow.events import FlowEvent
from optix.flow.opening import OpeningConfig, OpeningTracker
from optix.flow.patterns import PatternConfig, PatternDetector
from optix.flow.positioning import PositioningConfig, PositioningModel
from optix.flow.scoring import ScoredAlert, ScoringConfig, score_event
from optix.flow.side import SideConfig, aggressor, classify_side
from optix.flow.spreads import SpreadConfig, SpreadDetector
from optix.flow.volume import UnusualVolumeConfig, UnusualVolumeDetector

__all__ = ["FlowConfig", "FlowEngine", "FlowStats"]


@dataclass(frozen=True, slots=True)
class FlowConfig:
    """Configuration of every part of the engine (each part documents its own fields).

    Attributes
    ----------
    side, sweep, repeat, block, unusual_volume, dark_pool, spread, pattern, aggregate, \
    positioning, scoring, opening
        The components' configs; defaults are the issue's thresholds.
    views : bool
        Keep the 60-minute aggregation and the dealer-positioning model up to date (queries:
        :attr:`FlowEngine.aggregator`, :attr:`FlowEngine.positioning`). Off, the engine runs
        only the event detectors.
    validate : bool
        Validate incoming batches (reject and count bad rows). Turn off only for batches a
        source has already validated (every :mod:`optix.data` source does).
    """

    side: SideConfig = field(default_factory=SideConfig)
    sweep: SweepConfig = field(default_factory=SweepConfig)
    repeat: RepeatConfig = field(default_factory=RepeatConfig)
    block: BlockConfig = field(default_factory=BlockConfig)
    unusual_volume: UnusualVolumeConfig = field(default_factory=UnusualVolumeConfig)
    dark_pool: DarkPoolConfig = field(default_factory=DarkPoolConfig)
    spread: SpreadConfig = field(default_factory=SpreadConfig)
    pattern: PatternConfig = field(default_factory=PatternConfig)
    aggregate: AggregateConfig = field(default_factory=AggregateConfig)
    positioning: PositioningConfig = field(default_factory=PositioningConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    opening: OpeningConfig = field(default_factory=OpeningConfig)
    views: bool = True
    validate: bool = True


@dataclass(slots=True)
class FlowStats:
    """Counters of what the engine has seen.

    Attributes
    ----------
    trades, equities : int
        Option trades and equity prints accepted.
    rejected : collections.Counter
        Rejected rows per :class:`~optix.core.validation.RejectReason` name.
    events : collections.Counter
        Events emitted per type.
    """

    trades: int = 0
    equities: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"trades": self.trades, "equities": self.equities,
                "rejected": dict(self.rejected), "events": dict(self.events)}


_NO_TRADES = OptionTradeBatch.from_columns(
    ts_ns=[], seq=[], underlying=[], expiry=[], strike=[], right=[], price=[], size=[], venue=[],
    bid=[], ask=[])


_NY = ZoneInfo("America/New_York")


def _session_date(ts_ns: int) -> str:
    return dt.datetime.fromtimestamp(ts_ns / 1e9, _NY).date().isoformat()


def _next_midnight_ns(ts_ns: int) -> int:
    day = dt.datetime.fromtimestamp(ts_ns / 1e9, _NY).date() + dt.timedelta(days=1)
    return round(dt.datetime.combine(day, dt.time(), tzinfo=_NY).timestamp()) * 1_000_000_000


def _order(ev: FlowEvent) -> tuple[int, str, tuple[int, ...]]:
    return (ev.first_ts_ns, ev.type.value, ev.seqs)


class FlowEngine:
    """Flow detectors over a stream of batches (module docstring).

    Parameters
    ----------
    config : FlowConfig, optional
        Defaults to :class:`FlowConfig()`.
    """

    def __init__(self, config: FlowConfig | None = None) -> None:
        cfg = config or FlowConfig()
        # one side classification for every component: the engine's ``side`` wins
        cfg = replace(cfg, **{
            name: replace(getattr(cfg, name), side=cfg.side)
            for name in ("block", "unusual_volume", "aggregate", "positioning", "spread",
                         "pattern", "sweep", "repeat", "dark_pool", "opening")
            if hasattr(getattr(cfg, name), "side")})
        self.config = cfg
        self.stats = FlowStats()
        self._sweep = SweepDetector(cfg.sweep)
        self._repeat = RepeatedHitsDetector(cfg.repeat)
        self._block = BlockDetector(cfg.block)
        self._volume = UnusualVolumeDetector(cfg.unusual_volume)
        self._dark = DarkPoolDetector(cfg.dark_pool)
        self._spread = SpreadDetector(cfg.spread)
        self._pattern = PatternDetector(cfg.pattern)
        self._opening = OpeningTracker(cfg.opening)
        self.aggregator = FlowAggregator(cfg.aggregate)
        """60-minute order-flow aggregates (query it: ``contracts``, ``summary``, ``events``)."""
        self.positioning = PositioningModel(cfg.positioning)
        """Dealer inventory from signed flow, with Greeks (``positions``, ``exposure``...)."""
        self._now = -(2**62)
        self._session = ""

    def update(
        self, trades: OptionTradeBatch | None, now_ns: int, *,
        equities: EquityPrintBatch | None = None, reference: ContractReference | None = None,
        chains: tuple[ChainSnapshot, ...] = (),
    ) -> list[FlowEvent]:
        """Take the next batch of a tape; return the events that closed.

        Parameters
        ----------
        trades : OptionTradeBatch or None
            Option prints, in time order, none earlier than a print already given.
        now_ns : int
            Market time up to which the tape is complete.
        equities : EquityPrintBatch, optional
            Equity prints of the same interval (for dark-pool prints).
        reference : ContractReference, optional
            Open interest and average volume, when the feed publishes them (for unusual
            volume and max pain); kept until the next one.
        chains : tuple of ChainSnapshot
            Chain snapshots (spot and implied vols for the positioning model's Greeks).

        Returns
        -------
        list of FlowEvent
            In order of first print time, type and sequence numbers.
        """
        events: list[FlowEvent] = []
        self._now = max(self._now, now_ns)
        if reference is not None:
            self._volume.set_reference(reference)
            self._opening.set_reference(reference)
        side = None
        if trades is not None and len(trades):
            trades = self._clean(trades)
        if trades is not None and len(trades):
            self.stats.trades += len(trades)
            side = classify_side(trades.price, trades.bid, trades.ask, trades.conditions,
                                 self.config.side)
            plain, keys = contract_keys(trades, aggressor(side), aggr_too=True)
            self._opening.update(trades, plain)
            events += self._sweep.update(trades, now_ns, side=side, keys=keys)
            events += self._repeat.update(trades, now_ns, side=side, keys=keys)
            events += self._block.update(trades, now_ns, side=side)
            events += self._volume.update(trades, now_ns)
            events += self._spread.update(trades, now_ns, side=side)
        else:
            trades = None
            events += self._sweep.update(_NO_TRADES, now_ns)
            events += self._repeat.update(_NO_TRADES, now_ns)
            events += self._volume.update(None, now_ns)
            events += self._spread.update(_NO_TRADES, now_ns)
        if equities is not None and len(equities):
            equities = self._clean(equities)
            self.stats.equities += len(equities)
            events += self._dark.update(equities, now_ns)
        events += self._pattern.update(trades, now_ns, events, side=side)
        self._opening.annotate(events)
        self._opening.trim(now_ns)
        if self.config.views:
            self._views(trades, now_ns, events, equities, chains, reference, side)
        return self._emit(events)

    def _views(self, trades: OptionTradeBatch | None, now_ns: int, events: list[FlowEvent],
               equities: EquityPrintBatch | None, chains: tuple[ChainSnapshot, ...],
               reference: ContractReference | None, side: Int8Array | None = None) -> None:
        self.aggregator.update(trades, now_ns, events, side=side)
        if trades is None:
            self.positioning.update(None, now_ns, equities=equities, chains=chains,
                                    reference=reference)
            return
        # inventory is estimated per New York session: a batch that straddles midnight
        # adds its earlier prints to the old session before the new one starts
        start = 0
        ts = trades.ts_ns
        while start < ts.size:
            session = _session_date(int(ts[start]))
            stop = int(np.searchsorted(ts, _next_midnight_ns(int(ts[start])), side="left"))
            stop = max(stop, start + 1)
            if session != self._session:
                if self._session:
                    self.positioning.reset()
                self._session = session
            whole = start == 0 and stop == ts.size
            part = trades if whole else trades.take(slice(start, stop))
            self.positioning.update(
                part, now_ns, equities=equities if stop == ts.size else None,
                chains=chains if stop == ts.size else (),
                reference=reference if start == 0 else None,
                side=None if side is None else (side if whole else side[start:stop]))
            start = stop

    def flush(self) -> list[FlowEvent]:
        """Close every open window (end of a tape) and return the events."""
        events = (self._sweep.flush() + self._repeat.flush() + self._block.flush()
                  + self._volume.flush() + self._dark.flush() + self._spread.flush())
        events += self._pattern.update(None, self._now, events)
        events += self._pattern.flush()
        self._opening.annotate(events)
        if self.config.views:
            self.aggregator.update(None, self._now, events)
        return self._emit(events)

    def score(self, events: list[FlowEvent]) -> list[ScoredAlert]:
        """Score events into alerts (:func:`~optix.flow.scoring.score_event`)."""
        return [score_event(ev, self.config.scoring) for ev in events]

    def snapshot(self) -> dict[str, Any]:
        """The engine's whole state, JSON-serializable."""
        return {"version": 1, "stats": self.stats.as_dict(), "now": self._now,
                "session": self._session, "sweep": self._sweep.snapshot(),
                "repeat": self._repeat.snapshot(), "block": self._block.snapshot(),
                "volume": self._volume.snapshot(), "dark": self._dark.snapshot(),
                "spread": self._spread.snapshot(), "pattern": self._pattern.snapshot(),
                "aggregate": self.aggregator.snapshot(),
                "positioning": self.positioning.snapshot(),
                "opening": self._opening.snapshot()}

    @classmethod
    def restore(cls, state: dict[str, Any], config: FlowConfig | None = None) -> FlowEngine:
        """An engine continuing from :meth:`snapshot` output."""
        if state.get("version") != 1:
            raise ValueError(f"unknown flow engine snapshot version {state.get('version')!r}")
        eng = cls(config)
        cfg = eng.config
        eng._sweep = SweepDetector.restore(state["sweep"], cfg.sweep)
        eng._repeat = RepeatedHitsDetector.restore(state["repeat"], cfg.repeat)
        eng._block = BlockDetector.restore(state["block"], cfg.block)
        eng._volume = UnusualVolumeDetector.restore(state["volume"], cfg.unusual_volume)
        eng._dark = DarkPoolDetector.restore(state["dark"], cfg.dark_pool)
        eng._spread = SpreadDetector.restore(state["spread"], cfg.spread)
        eng._pattern = PatternDetector.restore(state["pattern"], cfg.pattern)
        eng.aggregator = FlowAggregator.restore(state["aggregate"], cfg.aggregate)
        eng.positioning = PositioningModel.restore(state["positioning"], cfg.positioning)
        if "opening" in state:  # absent from snapshots taken before opening tracking
            eng._opening = OpeningTracker.restore(state["opening"], cfg.opening)
        eng._now = int(state["now"])
        eng._session = str(state["session"])
        st = state["stats"]
        eng.stats = FlowStats(int(st["trades"]), int(st["equities"]), Counter(st["rejected"]),
                              Counter(st["events"]))
        return eng

    def _clean(self, batch: Any) -> Any:
        if not self.config.validate:
            return batch
        checked = batch.validate()
        for reason, count in checked.reason_counts().items():
            self.stats.rejected[RejectReason(reason).name] += count
        return checked.clean

    def _emit(self, events: list[FlowEvent]) -> list[FlowEvent]:
        events.sort(key=_order)
        for ev in events:
            self.stats.events[ev.type.value] += 1
        return events
