"""Smart-money patterns: what one underlying's flow adds up to over a rolling 15 minutes.

The detector is evaluated at fixed boundaries of the tape's own time, every ``step_s`` (60 s)
on the epoch grid; the window of boundary ``B`` is ``[B - window_s, B)`` (15 minutes). Per
underlying and window, with premiums summed exactly (integer cents):

- **aggressive call buying** (:attr:`Pattern.CALL_BUYING`): calls bought at or above the ask
  total at least ``buying_min_premium`` ($500,000) over at least ``buying_min_prints`` (5)
  prints, and are at least ``buying_min_share`` (70%) of the underlying's *aggressive* premium
  (every print bought at/above the ask or sold at/below the bid, calls and puts);
- **aggressive put buying** (:attr:`Pattern.PUT_BUYING`): the same for puts;
- **institutional flow** (:attr:`Pattern.INSTITUTIONAL`): at least ``institutional_min_prints``
  (1) prints of at least ``institutional_premium`` ($250,000) each, whatever their side;
- **unusual-volume cluster** (:attr:`Pattern.UNUSUAL_VOLUME_CLUSTER`): UNUSUAL_VOLUME events
  (from :class:`~optix.flow.volume.UnusualVolumeDetector`, passed to :meth:`update`) on at
  least ``cluster_min_contracts`` (2) distinct contracts of the underlying, placed in the
  window by their last print's time.

Canceled, late and out-of-sequence prints count for nothing. A pattern fires at the first
boundary where its rule holds and is then quiet on that underlying until the window has
rolled over (``window_s`` later): at most one event per pattern, underlying and window.

When boundaries are evaluated
-----------------------------
Print patterns at boundary ``B`` once ``now_ns >= B`` (every print before ``B`` is in).
The unusual-volume cluster waits ``settle_s`` (120 s) more, so that every detector has emitted
its events for prints before ``B`` (the unusual-volume detector holds an event up to its
``follow_s``, 60 s); an event arriving later still counts for later boundaries.
:meth:`PatternDetector.flush` evaluates every boundary up to the one closing the minute of the
last print or event. The emitted events therefore do not depend on how the tape is cut into
batches.

Events
------
Patterns are :class:`~optix.flow.events.FlowEvent` objects of type ``EventType.PATTERN`` with
``detail["pattern"]`` the :class:`Pattern` value. ``seqs`` are the prints that make the pattern
(the bought calls or puts, the institutional prints, the union of the clustered events' prints),
``first_ts_ns`` / ``last_ts_ns`` their times; ``detail`` carries ``window_start_ns``,
``window_end_ns`` and the measured quantities.

Caps for the busiest underlyings
--------------------------------
A print pattern lists at most ``max_event_prints`` (1,000) prints: the largest by premium,
ties broken by the lower ``seq``, in time order. ``detail["prints_total"]`` is the number of
qualifying prints in the window and ``detail["prints"]`` the number listed; ``premium``,
``size``, the share and the sentiment stay exact (they come from the per-minute integer sums),
while ``first_ts_ns`` / ``last_ts_ns`` are those of the listed prints. On the synthetic market
no pattern has more than 171 prints, so the cap never binds there.

Memory: per-minute sums per underlying for the last ``window_s``, the qualifying prints of the
window, the window's unusual-volume events, and one "last fired" boundary per underlying and
pattern. Qualifying prints are kept only while they can still be listed: per underlying,
minute and class (call buying, put buying, institutional), the ``max_event_prints`` largest
(the same order as above), so at most ``3 x steps x max_event_prints`` per underlying (the
window's top prints are always among its minutes' top prints). The trim runs whenever the
stored prints have doubled and before a snapshot; since it keeps a fixed function of the
prints' content, the events do not depend on when it ran.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from optix.core.arrays import Int64Array
from optix.core.enums import Condition
from optix.core.trades import OptionTradeBatch
from optix.flow.blocks import factorize_symbols
from optix.flow.events import EventType, FlowEvent
from optix.flow.side import aggressor, classify_side

__all__ = ["PATTERN_EVENT_TYPE", "Pattern", "PatternConfig", "PatternDetector"]

_S = 1_000_000_000
_NO_SIDE = np.uint32(int(Condition.no_side()))
# per-minute fields (integer sums)
_AGGR, _CB, _PB, _CB_N, _PB_N, _INST_N, _INST, _CB_SZ, _PB_SZ, _INST_SZ, _INST_TILT = range(11)
_NF = 11
_SNAPSHOT_VERSION = 2
# row classes (bits)
_CALL_BUY, _PUT_BUY, _INSTITUTIONAL = 1, 2, 4
_ROW_COLS: dict[str, npt.DTypeLike] = {"ts": np.int64, "seq": np.int64, "slot": np.int64,
                                       "cls": np.int8, "cents": np.int64, "size": np.int64,
                                       "sent": np.int8}


class Pattern(StrEnum):
    """The smart-money patterns (``detail["pattern"]`` of a pattern event)."""

    CALL_BUYING = "aggressive_call_buying"
    PUT_BUYING = "aggressive_put_buying"
    INSTITUTIONAL = "institutional_flow"
    UNUSUAL_VOLUME_CLUSTER = "unusual_volume_cluster"


PATTERN_EVENT_TYPE: Final[dict[Pattern, EventType]] = dict.fromkeys(Pattern, EventType.PATTERN)
"""The :class:`EventType` each pattern's events carry (all ``PATTERN``)."""

_ORDER = (Pattern.CALL_BUYING, Pattern.PUT_BUYING, Pattern.INSTITUTIONAL,
          Pattern.UNUSUAL_VOLUME_CLUSTER)


@dataclass(frozen=True, slots=True)
class PatternConfig:
    """Thresholds of the smart-money patterns (module docstring).

    Attributes
    ----------
    window_s : float
        Rolling window (900 s: 15 minutes); a multiple of ``step_s``.
    step_s : float
        Evaluation boundaries every this many seconds of tape time (60).
    buying_min_premium : float
        Aggressive call (put) buying: bought premium at least this ($500,000) ...
    buying_min_share : float
        ... at least this share of the underlying's aggressive premium (0.70) ...
    buying_min_prints : int
        ... over at least this many prints (5).
    institutional_premium : float
        An institutional print has at least this premium ($250,000).
    institutional_min_prints : int
        Institutional flow: at least this many such prints in the window (1).
    cluster_min_contracts : int
        Unusual-volume cluster: events on at least this many distinct contracts (2).
    settle_s : float
        The cluster is evaluated this long after its boundary (120 s), once the other
        detectors have emitted their events for the window.
    max_event_prints : int
        A print pattern lists at most this many prints (1,000), the largest by premium;
        it also bounds the prints kept per underlying (module docstring, "Caps"). The
        synthetic market's largest pattern has 171 prints.
    """

    window_s: float = 900.0
    step_s: float = 60.0
    buying_min_premium: float = 500_000.0
    buying_min_share: float = 0.70
    buying_min_prints: int = 5
    institutional_premium: float = 250_000.0
    institutional_min_prints: int = 1
    cluster_min_contracts: int = 2
    settle_s: float = 120.0
    max_event_prints: int = 1000

    def __post_init__(self) -> None:
        for name in ("window_s", "step_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0 and round(v * _S) > 0):
                raise ValueError(f"{name} must be finite and positive, got {v!r}")
        if round(self.window_s * _S) % round(self.step_s * _S):
            raise ValueError("window_s must be a whole multiple of step_s")
        for name in ("buying_min_premium", "institutional_premium", "settle_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be finite and >= 0, got {v!r}")
        if not 0.0 <= self.buying_min_share <= 1.0:
            raise ValueError(f"buying_min_share must be in [0, 1], got {self.buying_min_share}")
        for name in ("buying_min_prints", "institutional_min_prints", "cluster_min_contracts",
                     "max_event_prints"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    @property
    def step_ns(self) -> int:
        """Boundary spacing in nanoseconds."""
        return round(self.step_s * _S)

    @property
    def steps(self) -> int:
        """Window length in steps."""
        return round(self.window_s * _S) // self.step_ns


def _cents(dollars: float) -> int:
    return math.ceil(round(dollars * 100.0, 6))


@dataclass(slots=True)
class _UvEvent:
    ts: int
    slot: int
    contract: str
    seqs: list[int]
    size: int
    cents: int
    sentiment: int


class PatternDetector:
    """Smart-money patterns per underlying over a rolling window (module docstring).

    Parameters
    ----------
    config : PatternConfig, optional
        Thresholds; defaults to :class:`PatternConfig()`.

    Notes
    -----
    Confidence of aggressive buying: ``0.4 + 0.3 min(1, log10(premium / min) / 1)
    + 0.3 (share - min_share) / (1 - min_share)``; institutional flow:
    ``0.5 + 0.5 min(1, log10(premium / institutional_premium))``; a cluster:
    ``0.5 + 0.5 min(1, (contracts - 1) / 4)``.
    """

    def __init__(self, config: PatternConfig | None = None) -> None:
        self.config = config or PatternConfig()
        self._slot: dict[str, int] = {}
        self._names: list[str] = []
        self._minutes: dict[int, Int64Array] = {}  # minute -> (fields, slots) int64 sums
        self._rows: dict[str, npt.NDArray[Any]] = {
            k: np.empty(0, dtype=t) for k, t in _ROW_COLS.items()}
        self._uv: list[_UvEvent] = []
        self._fired: dict[tuple[int, str], int] = {}  # (slot, pattern) -> boundary index
        self._done_prints = -(2**62)  # last boundary index evaluated for print patterns
        self._done_events = -(2**62)  # ... for the event pattern
        self._last_minute = -(2**62)  # minute of the latest print or event
        self._trim_at = 0  # trim the stored prints once there are more than this

    # ------------------------------------------------------------------ input
    def _slots(self, names: list[str]) -> Int64Array:
        out = np.empty(len(names), dtype=np.int64)
        for i, name in enumerate(names):
            s = self._slot.get(name)
            if s is None:
                s = self._slot[name] = len(self._names)
                self._names.append(name)
            out[i] = s
        return out

    def update(self, batch: OptionTradeBatch | None, now_ns: int,
               events: list[FlowEvent] | None = None, *,
               side: npt.ArrayLike | None = None) -> list[FlowEvent]:
        """Take a batch and the other detectors' events; return the patterns decided.

        Parameters
        ----------
        batch : OptionTradeBatch or None
            Validated prints, in time order, none earlier than a print already given.
        now_ns : int
            Every print with ``ts_ns < now_ns`` has been delivered.
        events : list of FlowEvent, optional
            Events the other detectors emitted in this step; UNUSUAL_VOLUME events feed the
            cluster pattern, the rest (and pattern events) are ignored.
        side : array_like of int8, optional
            Precomputed :func:`~optix.flow.side.classify_side` codes of the batch.

        Returns
        -------
        list of FlowEvent
            Pattern events, by boundary, then underlying and pattern.
        """
        if batch is not None and len(batch):
            self._add_prints(batch, side)
        for ev in events or ():
            if ev.type is EventType.UNUSUAL_VOLUME and "pattern" not in ev.detail:
                self._add_event(ev)
        step = self.config.step_ns
        out = self._advance(now_ns // step, prints=True)
        out += self._advance((now_ns - round(self.config.settle_s * _S)) // step, prints=False)
        self._evict()
        return out

    def flush(self) -> list[FlowEvent]:
        """Evaluate every boundary up to the one after the last print or event (end of tape)."""
        end = self._last_minute + 1
        out = self._advance(end, prints=True) + self._advance(end, prints=False)
        self._evict()
        return out

    def _add_prints(self, batch: OptionTradeBatch, side: npt.ArrayLike | None) -> None:
        cfg = self.config
        s = (classify_side(batch.price, batch.bid, batch.ask, batch.conditions) if side is None
             else np.asarray(side, dtype=np.int8))
        aggr = aggressor(s)
        valid = (batch.conditions & _NO_SIDE) == 0
        aggr = np.where(valid, aggr, 0)
        cents = np.rint(batch.price * batch.size * 10_000.0).astype(np.int64)
        right = batch.right
        cb = (aggr > 0) & (right > 0)
        pb = (aggr > 0) & (right < 0)
        inst = valid & (cents >= _cents(cfg.institutional_premium))
        inv, names = factorize_symbols(batch.underlying)
        slot = self._slots(names)[inv]
        minute = batch.ts_ns // cfg.step_ns
        # only the minutes that have prints (a batch may span a night or a weekend)
        if bool(np.all(minute[1:] >= minute[:-1])):
            new_min = np.empty(minute.size, dtype=bool)
            new_min[0] = True
            new_min[1:] = minute[1:] != minute[:-1]
            uniq_min = minute[new_min]
            rel = (np.cumsum(new_min) - 1).astype(np.int64)
        else:
            uniq_min, rel = np.unique(minute, return_inverse=True)
            rel = rel.astype(np.int64)
        n_min = int(uniq_min.size)
        n_slots = len(self._names)
        cell = rel * n_slots + slot
        size = n_min * n_slots
        fields = np.zeros((n_min, _NF, n_slots), dtype=np.int64)
        sent = (aggr * np.sign(right)).astype(np.int8)
        sz = batch.size.astype(np.int64)
        for f, w in ((_AGGR, np.where(aggr != 0, cents, 0)), (_CB, np.where(cb, cents, 0)),
                     (_PB, np.where(pb, cents, 0)), (_CB_N, cb), (_PB_N, pb),
                     (_INST_N, inst), (_INST, np.where(inst, cents, 0)),
                     (_CB_SZ, np.where(cb, sz, 0)), (_PB_SZ, np.where(pb, sz, 0)),
                     (_INST_SZ, np.where(inst, sz, 0)),
                     (_INST_TILT, np.where(inst, sent.astype(np.int64) * cents, 0))):
            fields[:, f, :] = _int_bincount(cell, w, size).reshape(n_min, n_slots)
        for j in np.flatnonzero(fields.any(axis=(1, 2))).tolist():
            m = int(uniq_min[j])
            cur = self._minutes.get(m)
            if cur is None:
                self._minutes[m] = fields[j].copy()
            else:
                if cur.shape[1] < n_slots:
                    cur = np.pad(cur, ((0, 0), (0, n_slots - cur.shape[1])))
                cur += fields[j]
                self._minutes[m] = cur
        self._last_minute = max(self._last_minute, int(minute.max()))
        cls = (cb * _CALL_BUY | pb * _PUT_BUY | inst * _INSTITUTIONAL).astype(np.int8)
        keep = np.flatnonzero(cls)
        if keep.size:
            new = {"ts": batch.ts_ns[keep], "seq": batch.seq[keep], "slot": slot[keep],
                   "cls": cls[keep], "cents": cents[keep], "size": batch.size[keep],
                   "sent": sent[keep]}
            self._rows = {k: np.concatenate([self._rows[k], new[k].astype(t)])
                          for k, t in _ROW_COLS.items()}
            if self._rows["ts"].size > self._trim_at:
                self._trim()

    def _trim(self) -> None:
        """Keep per underlying, minute and class the ``max_event_prints`` largest prints.

        The kept set is a function of the prints alone (premium, then lower seq), so trimming
        earlier or later never changes an event.
        """
        cap = self.config.max_event_prints
        r = self._rows
        n = r["ts"].size
        keep = np.zeros(n, dtype=bool)
        minute = r["ts"] // self.config.step_ns
        for bit in (_CALL_BUY, _PUT_BUY, _INSTITUTIONAL):
            idx = np.flatnonzero((r["cls"] & bit) != 0)
            if idx.size <= cap:
                keep[idx] = True
                continue
            order = idx[np.lexsort((r["seq"][idx], -r["cents"][idx], minute[idx],
                                    r["slot"][idx]))]
            grp = np.ones(order.size, dtype=bool)
            grp[1:] = (r["slot"][order][1:] != r["slot"][order][:-1]) | (
                minute[order][1:] != minute[order][:-1])
            start = np.maximum.accumulate(np.where(grp, np.arange(order.size), 0))
            keep[order[np.arange(order.size) - start < cap]] = True
        if not keep.all():
            self._rows = {k: v[keep] for k, v in r.items()}
        self._trim_at = max(2 * int(self._rows["ts"].size), 4 * cap)

    def _add_event(self, ev: FlowEvent) -> None:
        slot = int(self._slots([ev.underlying])[0])
        contract = f"{ev.expiry}|{ev.strike!r}|{ev.right}"
        self._uv.append(_UvEvent(ts=ev.last_ts_ns, slot=slot, contract=contract,
                                 seqs=list(ev.seqs), size=ev.size,
                                 cents=round(ev.premium * 100.0), sentiment=ev.sentiment))
        self._last_minute = max(self._last_minute, ev.last_ts_ns // self.config.step_ns)

    # ------------------------------------------------------------------ evaluation
    def _advance(self, limit: int, prints: bool) -> list[FlowEvent]:
        """Evaluate boundaries ``done + 1 .. limit`` that have data in their window."""
        steps = self.config.steps
        done = self._done_prints if prints else self._done_events
        if limit <= done:
            return []
        if prints:
            data = sorted(self._minutes)
        else:
            data = sorted({e.ts // self.config.step_ns for e in self._uv})
        out: list[FlowEvent] = []
        # boundary b sees minutes [b - steps, b): only b in (m, m + steps] for some data m
        cands: set[int] = set()
        for m in data:
            lo, hi = max(m + 1, done + 1), min(m + steps, limit)
            if lo <= hi:
                cands.update(range(lo, hi + 1))
        for b in sorted(cands):
            out += self._eval_prints(b) if prints else self._eval_events(b)
        if prints:
            self._done_prints = limit
        else:
            self._done_events = limit
        return out

    def _may_fire(self, slot: int, pattern: Pattern, b: int) -> bool:
        last = self._fired.get((slot, pattern.value))
        return last is None or b - last >= self.config.steps

    def _eval_prints(self, b: int) -> list[FlowEvent]:
        cfg = self.config
        n_slots = len(self._names)
        tot = np.zeros((_NF, n_slots), dtype=np.int64)
        for m in range(b - cfg.steps, b):
            cur = self._minutes.get(m)
            if cur is not None:
                tot[:, : cur.shape[1]] += cur
        min_b = _cents(cfg.buying_min_premium)
        hits: list[tuple[int, Pattern]] = []
        for pat, f, fn in ((Pattern.CALL_BUYING, _CB, _CB_N), (Pattern.PUT_BUYING, _PB, _PB_N)):
            ok = ((tot[f] >= min_b) & (tot[fn] >= cfg.buying_min_prints)
                  & (tot[f] >= cfg.buying_min_share * tot[_AGGR]) & (tot[f] > 0))
            hits += [(s, pat) for s in np.flatnonzero(ok).tolist()]
        ok = tot[_INST_N] >= cfg.institutional_min_prints
        hits += [(s, Pattern.INSTITUTIONAL) for s in np.flatnonzero(ok).tolist()]
        out: list[FlowEvent] = []
        lo_ts, hi_ts = (b - cfg.steps) * cfg.step_ns, b * cfg.step_ns
        for s, pat in sorted(hits, key=lambda h: (self._names[h[0]], _ORDER.index(h[1]))):
            if not self._may_fire(s, pat, b):
                continue
            self._fired[(s, pat.value)] = b
            bit = {Pattern.CALL_BUYING: _CALL_BUY, Pattern.PUT_BUYING: _PUT_BUY}.get(
                pat, _INSTITUTIONAL)
            r = self._rows
            sel = np.flatnonzero((r["slot"] == s) & ((r["cls"] & bit) != 0)
                                 & (r["ts"] >= lo_ts) & (r["ts"] < hi_ts))
            if sel.size > cfg.max_event_prints:
                top = np.lexsort((r["seq"][sel], -r["cents"][sel]))[: cfg.max_event_prints]
                sel = np.sort(sel[top])
            out.append(self._print_event(pat, s, sel, tot[:, s], lo_ts, hi_ts))
        return out

    def _print_event(self, pat: Pattern, s: int, sel: Int64Array, tot: Int64Array,
                     lo_ts: int, hi_ts: int) -> FlowEvent:
        cfg = self.config
        r = self._rows
        f_cents, f_n, f_size = {Pattern.CALL_BUYING: (_CB, _CB_N, _CB_SZ),
                                Pattern.PUT_BUYING: (_PB, _PB_N, _PB_SZ)}.get(
            pat, (_INST, _INST_N, _INST_SZ))
        premium = int(tot[f_cents]) / 100.0
        aggr_prem = int(tot[_AGGR]) / 100.0
        detail: dict[str, Any] = {"pattern": pat.value, "window_start_ns": lo_ts,
                                  "window_end_ns": hi_ts, "prints": int(sel.size),
                                  "prints_total": int(tot[f_n]),
                                  "aggressive_premium": aggr_prem}
        if pat is Pattern.INSTITUTIONAL:
            tilt = int(tot[_INST_TILT])
            sent = 1 if tilt > 0 else -1 if tilt < 0 else 0
            side, right = 0, 0
            conf = 0.5 + 0.5 * min(1.0, math.log10(
                max(float(r["cents"][sel].max()) / 100.0, 1.0)
                / max(cfg.institutional_premium, 1.0)))
        else:
            share = premium / aggr_prem if aggr_prem > 0 else 1.0
            detail["share"] = round(share, 6)
            side, right = 1, 1 if pat is Pattern.CALL_BUYING else -1
            sent = right
            span = 1.0 - cfg.buying_min_share
            conf = (0.4 + 0.3 * min(1.0, math.log10(max(premium, 1.0)
                                                    / max(cfg.buying_min_premium, 1.0)))
                    + 0.3 * ((share - cfg.buying_min_share) / span if span > 0 else 1.0))
        ts = r["ts"][sel]
        return FlowEvent(
            type=PATTERN_EVENT_TYPE[pat], underlying=self._names[s], expiry=None,
            strike=math.nan, right=right, first_ts_ns=int(ts.min()), last_ts_ns=int(ts.max()),
            seqs=tuple(int(q) for q in r["seq"][sel]), stream="option", venues=(),
            size=int(tot[f_size]), premium=premium, side=side, sentiment=sent,
            confidence=round(min(max(conf, 0.0), 1.0), 4), detail=detail)

    def _eval_events(self, b: int) -> list[FlowEvent]:
        cfg = self.config
        lo_ts, hi_ts = (b - cfg.steps) * cfg.step_ns, b * cfg.step_ns
        by_slot: dict[int, list[_UvEvent]] = {}
        for e in self._uv:
            if lo_ts <= e.ts < hi_ts:
                by_slot.setdefault(e.slot, []).append(e)
        out: list[FlowEvent] = []
        pat = Pattern.UNUSUAL_VOLUME_CLUSTER
        for s in sorted(by_slot, key=lambda k: self._names[k]):
            evs = by_slot[s]
            contracts = {e.contract for e in evs}
            if len(contracts) < cfg.cluster_min_contracts or not self._may_fire(s, pat, b):
                continue
            self._fired[(s, pat.value)] = b
            seqs = sorted({q for e in evs for q in e.seqs})
            tilt = sum(e.sentiment * e.cents for e in evs)
            ts = [e.ts for e in evs]
            out.append(FlowEvent(
                type=PATTERN_EVENT_TYPE[pat], underlying=self._names[s], expiry=None,
                strike=math.nan, right=0, first_ts_ns=min(ts), last_ts_ns=max(ts),
                seqs=tuple(seqs), stream="option", venues=(),
                size=sum(e.size for e in evs), premium=sum(e.cents for e in evs) / 100.0,
                side=0, sentiment=1 if tilt > 0 else -1 if tilt < 0 else 0,
                confidence=round(0.5 + 0.5 * min(1.0, (len(contracts) - 1) / 4.0), 4),
                detail={"pattern": pat.value, "window_start_ns": lo_ts, "window_end_ns": hi_ts,
                        "contracts": len(contracts), "events": len(evs)}))
        return out

    def _evict(self) -> None:
        """Drop minutes, prints and events no pending boundary can see."""
        cfg = self.config
        lo_p = self._done_prints + 1 - cfg.steps  # first minute still needed
        for m in [m for m in self._minutes if m < lo_p]:
            del self._minutes[m]
        lo_ts = lo_p * cfg.step_ns
        r = self._rows
        if r["ts"].size and int(r["ts"][0]) < lo_ts:
            k = int(np.searchsorted(r["ts"], lo_ts, side="left"))
            self._rows = {c: v[k:] for c, v in r.items()}
        lo_e = (self._done_events + 1 - cfg.steps) * cfg.step_ns
        self._uv = [e for e in self._uv if e.ts >= lo_e]
        horizon = min(self._done_prints, self._done_events) - cfg.steps
        self._fired = {k: v for k, v in self._fired.items() if v > horizon}

    # ------------------------------------------------------------------ state
    def snapshot(self) -> dict[str, Any]:
        """JSON-serializable state (the stored prints trimmed first, see "Caps")."""
        self._trim()
        return {
            "version": _SNAPSHOT_VERSION, "names": list(self._names),
            "minutes": {str(m): v.tolist() for m, v in sorted(self._minutes.items())},
            "rows": {k: v.tolist() for k, v in self._rows.items()},
            "uv": [[e.ts, e.slot, e.contract, list(e.seqs), e.size, e.cents, e.sentiment]
                   for e in self._uv],
            "fired": [[s, p, b] for (s, p), b in sorted(self._fired.items())],
            "done_prints": self._done_prints, "done_events": self._done_events,
            "last_minute": self._last_minute,
        }

    @classmethod
    def restore(cls, state: dict[str, Any], config: PatternConfig | None = None
                ) -> PatternDetector:
        """A detector that continues from ``state`` (from :meth:`snapshot`)."""
        if state.get("version") != _SNAPSHOT_VERSION:
            raise ValueError(f"unknown pattern snapshot version {state.get('version')!r}")
        det = cls(config)
        det._names = [str(n) for n in state["names"]]
        det._slot = {n: i for i, n in enumerate(det._names)}
        det._minutes = {int(m): np.asarray(v, dtype=np.int64).reshape(_NF, -1)
                        for m, v in state["minutes"].items()}
        det._rows = {k: np.asarray(state["rows"][k], dtype=t).reshape(-1)
                     for k, t in _ROW_COLS.items()}
        det._uv = [_UvEvent(int(t), int(s), str(c), [int(q) for q in seqs], int(z), int(p),
                            int(se)) for t, s, c, seqs, z, p, se in state["uv"]]
        det._fired = {(int(s), str(p)): int(b) for s, p, b in state["fired"]}
        det._done_prints = int(state["done_prints"])
        det._done_events = int(state["done_events"])
        det._last_minute = int(state["last_minute"])
        det._trim_at = max(2 * int(det._rows["ts"].size), 4 * det.config.max_event_prints)
        return det


def _int_bincount(cell: Int64Array, weights: npt.NDArray[Any], size: int) -> Int64Array:
    """Exact integer sums of ``weights`` per ``cell`` (bincount works in float64)."""
    w = np.asarray(weights, dtype=np.int64)
    if w.size and int(np.abs(w).max()) * w.size < 2**53:
        return np.rint(np.bincount(cell, weights=w, minlength=size)).astype(np.int64)
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, cell, w)
    return out
