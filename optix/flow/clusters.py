"""Sweep, split and repeated-hits detectors: clusters of prints on one contract.

Both detectors look at the prints of one contract bought at or above the ask (or sold at or
below the bid) and group them in time; prints with no aggressor (mid, canceled, late, out of
sequence, no usable quote) are ignored. Buys and sells of a contract are grouped separately.

**Sweeps and splits** (:class:`SweepDetector`). A *cluster* opens at a print and takes every
later print of the same contract and side within :attr:`SweepConfig.window_s` of that first
print (inclusive); the next print beyond the window opens the next cluster. A cluster is a
**sweep** when it has at least ``min_legs`` prints, on at least ``min_venues`` venues, and
*every* print in it has at least ``min_leg_premium`` of premium; a cluster that meets the same
rules on a single venue is a **split**. A cluster holding one print under the leg premium is
neither, even if it has enough large legs besides (the synthetic market's premium decoys are
exactly that). An ISO flag on a leg strengthens a sweep (``detail["iso"]``).

**Repeated hits** (:class:`RepeatedHitsDetector`). Scanning the prints of one contract and
side in time order, the earliest print whose window (itself and every print within
:attr:`RepeatConfig.window_s` after it) holds at least ``min_hits`` prints totalling at least
``min_premium`` starts an event made of that whole window; the scan resumes after it.

Both are split invariant: the events do not depend on how the tape is cut into batches. A
cluster or window is decided once ``now_ns`` has passed its end (no later print can join it),
and :meth:`flush` decides everything still open at the end of a tape. Open state holds only
prints of the last window, so memory is bounded by time.

Contracts are identified by a 64-bit hash of (underlying, expiry, strike, right, side);
two contracts would only be confused on a hash collision (probability about ``n**2 / 2**64``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, Literal, Self, TypeVar, overload

import numpy as np
import numpy.typing as npt

from optix.core.arrays import BoolArray, Int8Array, Int64Array
from optix.core.enums import Condition
from optix.core.trades import OptionTradeBatch
from optix.flow.events import EventType, FlowEvent
from optix.flow.side import Side, aggressor, classify_side
from optix.quant._jit import njit

__all__ = [
    "RepeatConfig",
    "RepeatedHitsDetector",
    "SweepConfig",
    "SweepDetector",
    "contract_keys",
    "symbol_keys",
]

_S = 1_000_000_000
_ISO = np.uint32(int(Condition.ISO))
_EPOCH = dt.date(1970, 1, 1)


# ----------------------------------------------------------------------------- configs
@dataclass(frozen=True, slots=True)
class SweepConfig:
    """Thresholds of the sweep and split rules (defaults: the flow-engine issue).

    Attributes
    ----------
    min_legs : int
        A sweep or split has at least this many prints of one contract and side.
    min_venues : int
        A sweep spans at least this many venues; a split is the same on one venue.
    window_s : float
        All prints within this many seconds of the cluster's first print (inclusive).
    min_leg_premium : float
        Every print of the cluster has at least this premium in dollars.
    """

    min_legs: int = 4
    min_venues: int = 2
    window_s: float = 2.0
    min_leg_premium: float = 10_000.0

    def __post_init__(self) -> None:
        if self.min_legs < 2:
            raise ValueError(f"min_legs must be at least 2, got {self.min_legs}")
        if self.min_venues < 2:
            raise ValueError(f"min_venues must be at least 2, got {self.min_venues}")
        if not (np.isfinite(self.window_s) and self.window_s > 0):
            raise ValueError(f"window_s must be finite and positive, got {self.window_s!r}")
        if not (np.isfinite(self.min_leg_premium) and self.min_leg_premium >= 0):
            raise ValueError(f"min_leg_premium must be finite and >= 0, got "
                             f"{self.min_leg_premium!r}")

    @property
    def window_ns(self) -> int:
        """The window in nanoseconds."""
        return round(self.window_s * _S)


@dataclass(frozen=True, slots=True)
class RepeatConfig:
    """Thresholds of the repeated-hits rule (defaults: the flow-engine issue).

    Attributes
    ----------
    min_hits : int
        At least this many prints of one contract and side (the rule "hit > 5 times") ...
    window_s : float
        ... within this many seconds of the first (inclusive) ...
    min_premium : float
        ... totalling at least this premium in dollars.
    """

    min_hits: int = 6
    window_s: float = 0.1
    min_premium: float = 25_000.0

    def __post_init__(self) -> None:
        if self.min_hits < 2:
            raise ValueError(f"min_hits must be at least 2, got {self.min_hits}")
        if not (np.isfinite(self.window_s) and self.window_s > 0):
            raise ValueError(f"window_s must be finite and positive, got {self.window_s!r}")
        if not (np.isfinite(self.min_premium) and self.min_premium >= 0):
            raise ValueError(f"min_premium must be finite and >= 0, got {self.min_premium!r}")

    @property
    def window_ns(self) -> int:
        """The window in nanoseconds."""
        return round(self.window_s * _S)


# ----------------------------------------------------------------------------- keys
def _mix(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 finalizer (wraps modulo 2**64)."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def symbol_keys(names: npt.NDArray[np.str_]) -> Int64Array:
    """A stable 64-bit hash per ticker (FNV-1a over the code points, then splitmix64).

    The hash ignores the column's string width (``<U3`` and ``<U8`` give the same keys), so
    the same ticker keys alike in batches built from different sources.

    Parameters
    ----------
    names : ndarray of str

    Returns
    -------
    ndarray of int64
        Equal for equal tickers, in any batch or process.
    """
    n = names.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64)
    arr = np.ascontiguousarray(names)
    width = max(arr.dtype.itemsize // 4, 1)
    codes = arr.view(np.uint32).reshape(n, width).astype(np.uint64)
    h = np.full(n, 0xCBF29CE484222325, dtype=np.uint64)
    for c in range(width):  # NUL padding (a wider string dtype) leaves the hash unchanged
        col = codes[:, c]
        h = np.where(col != 0, (h ^ col) * np.uint64(0x100000001B3), h)
    return _mix(h).view(np.int64)


@overload
def contract_keys(batch: OptionTradeBatch, aggr: npt.ArrayLike | None = None, *,
                  aggr_too: Literal[False] = False) -> Int64Array: ...


@overload
def contract_keys(batch: OptionTradeBatch, aggr: npt.ArrayLike | None = None, *,
                  aggr_too: Literal[True]) -> tuple[Int64Array, Int64Array]: ...


def contract_keys(batch: OptionTradeBatch, aggr: npt.ArrayLike | None = None, *,
                  aggr_too: bool = False) -> Int64Array | tuple[Int64Array, Int64Array]:
    """A 64-bit key per print for its contract (and, if given, its aggressor sign).

    Parameters
    ----------
    batch : OptionTradeBatch
    aggr : array_like of int8, optional
        Aggressor sign per print (+1, -1, 0), mixed into the key so buys and sells of a
        contract get different keys.

    aggr_too : bool
        Return both keys, ``(without the sign, with it)``, from one pass over the contract
        columns (``aggr`` required).

    Returns
    -------
    ndarray of int64, or a pair of them with ``aggr_too``
        Equal for prints of the same contract (and sign); a hash, stable across batches
        and processes.
    """
    n = len(batch)
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return (empty, empty) if aggr_too else empty
    h = symbol_keys(batch.underlying).view(np.uint64)
    days = batch.expiry.astype("datetime64[D]").astype(np.int64).astype(np.uint64)
    strike = np.round(batch.strike * 10_000.0).astype(np.int64).astype(np.uint64)
    h = _mix(h ^ _mix(days + np.uint64(0x9E3779B97F4A7C15)))
    h = _mix(h ^ strike)
    right = batch.right.astype(np.int64) + 2
    if aggr_too:
        if aggr is None:
            raise ValueError("aggr_too needs aggr")
        plain = _mix(h ^ right.astype(np.uint64)).view(np.int64)
        signed = right * 4 + np.asarray(aggr, dtype=np.int64) + 2
        return plain, _mix(h ^ signed.astype(np.uint64)).view(np.int64)
    if aggr is not None:
        right = right * 4 + np.asarray(aggr, dtype=np.int64) + 2
    h = _mix(h ^ right.astype(np.uint64))
    return h.view(np.int64)


# ----------------------------------------------------------------------------- open rows
_COLS: dict[str, npt.DTypeLike] = {
    "key": np.int64, "ts": np.int64, "seq": np.int64, "side": np.int8, "venue": np.uint8,
    "cond": np.uint32, "price": np.float64, "size": np.int64, "premium": np.float64,
    "expiry": np.int64, "strike": np.float64, "right": np.int8, "anchor": np.int64,
    "poison": np.bool_,
}


@dataclass(slots=True)
class _Rows:
    """Columns of the prints a detector keeps open between batches."""

    cols: dict[str, npt.NDArray[Any]]
    underlying: npt.NDArray[np.str_]

    @classmethod
    def empty(cls) -> _Rows:
        return cls({k: np.empty(0, dtype=t) for k, t in _COLS.items()},
                   np.empty(0, dtype="<U1"))

    def __len__(self) -> int:
        return int(self.cols["ts"].shape[0])

    @classmethod
    def from_batch(cls, batch: OptionTradeBatch, side: Int8Array, key: Int64Array,
                   rows: Int64Array) -> _Rows:
        n = rows.size
        b = batch
        cols: dict[str, npt.NDArray[Any]] = {
            "key": key[rows], "ts": b.ts_ns[rows], "seq": b.seq[rows], "side": side[rows],
            "venue": b.venue[rows], "cond": b.conditions[rows], "price": b.price[rows],
            "size": b.size[rows], "premium": b.price[rows] * b.size[rows] * 100.0,
            "expiry": b.expiry[rows].astype("datetime64[D]").astype(np.int64),
            "strike": b.strike[rows], "right": b.right[rows],
            "anchor": np.full(n, -1, dtype=np.int64), "poison": np.zeros(n, dtype=np.bool_),
        }
        return cls(cols, b.underlying[rows])

    def take(self, idx: npt.NDArray[Any]) -> _Rows:
        return _Rows({k: v[idx] for k, v in self.cols.items()}, self.underlying[idx])

    @staticmethod
    def concat(a: _Rows, b: _Rows) -> _Rows:
        if len(a) == 0:
            return b
        if len(b) == 0:
            return a
        return _Rows({k: np.concatenate([a.cols[k], b.cols[k]]) for k in _COLS},
                     np.concatenate([a.underlying, b.underlying]))

    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in self.cols.items():
            out[k] = [bool(x) for x in v] if v.dtype == np.bool_ else v.tolist()
        out["underlying"] = [str(u) for u in self.underlying]
        return out

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> _Rows:
        cols = {k: np.asarray(state[k], dtype=t).reshape(-1) for k, t in _COLS.items()}
        under = np.asarray(state["underlying"], dtype=str).reshape(-1)
        if under.size == 0:
            under = np.empty(0, dtype="<U1")
        return cls(cols, under)


def _sided_rows(batch: OptionTradeBatch, side: npt.ArrayLike | None,
                keys: npt.ArrayLike | None) -> _Rows:
    """The batch's prints that have an aggressor, in time order, as open-row columns."""
    if len(batch) == 0:
        return _Rows.empty()
    s = (classify_side(batch.price, batch.bid, batch.ask, batch.conditions)
         if side is None else np.asarray(side, dtype=np.int8))
    aggr = aggressor(s)
    key = (contract_keys(batch, aggr) if keys is None else np.asarray(keys, dtype=np.int64))
    rows = np.flatnonzero(aggr != 0)
    ts = batch.ts_ns[rows]
    if rows.size > 1 and bool(np.any(ts[1:] < ts[:-1])):
        rows = rows[np.lexsort((batch.seq[rows], ts))]
    return _Rows.from_batch(batch, s, key, rows)


def _event(kind: EventType, r: _Rows, idx: Int64Array, confidence: float,
           detail: dict[str, Any]) -> FlowEvent:
    c = r.cols
    i0 = int(idx[0])
    sign = 1 if int(c["side"][i0]) > 0 else -1
    right = int(c["right"][i0])
    return FlowEvent(
        type=kind, underlying=str(r.underlying[i0]),
        expiry=_EPOCH + dt.timedelta(days=int(c["expiry"][i0])),
        strike=float(c["strike"][i0]), right=right,
        first_ts_ns=int(c["ts"][idx].min()), last_ts_ns=int(c["ts"][idx].max()),
        seqs=tuple(int(s) for s in c["seq"][idx]), stream="option",
        venues=tuple(int(v) for v in np.unique(c["venue"][idx])),
        size=int(c["size"][idx].sum()), premium=round(float(c["premium"][idx].sum()), 2),
        side=sign, sentiment=sign * (1 if right > 0 else -1 if right < 0 else 0),
        confidence=round(min(max(confidence, 0.0), 1.0), 4), detail=detail,
    )


def _effective_now(now_ns: int, last_ts: int) -> int:
    return max(int(now_ns), last_ts)


# ----------------------------------------------------------------------------- kernels
@njit
def _assign_anchors(key: Int64Array, ts: Int64Array, anchor_in: Int64Array,
                    window: int) -> Int64Array:  # pragma: no cover - compiled
    """Anchor (first print time) of each row's cluster; rows sorted by key, then time."""
    n = key.shape[0]
    out = np.empty(n, dtype=np.int64)
    anchor = np.int64(0)
    for i in range(n):
        if anchor_in[i] >= 0:
            anchor = anchor_in[i]
        elif i == 0 or key[i] != key[i - 1] or ts[i] - anchor > window:
            anchor = ts[i]
        out[i] = anchor
    return out


@njit
def _repeat_scan(key: Int64Array, ts: Int64Array, premium: npt.NDArray[np.float64],
                 window: int, min_hits: int, min_premium: float, now: int,
                 final: bool) -> tuple[Int64Array, Int64Array, BoolArray]:  # pragma: no cover
    """Greedy repeated-hit runs over rows sorted by key then time.

    Returns the (start, stop) row ranges of the events found and a mask of the rows still
    undecided (their window may yet grow).
    """
    n = key.shape[0]
    starts = np.empty(n, dtype=np.int64)
    stops = np.empty(n, dtype=np.int64)
    keep = np.zeros(n, dtype=np.bool_)
    n_ev = 0
    g = 0
    while g < n:
        e = g
        while e < n and key[e] == key[g]:
            e += 1
        i = g
        j = g
        total = 0.0
        while i < e:
            if not final and ts[i] + window >= now:
                for k in range(i, e):
                    keep[k] = True
                break
            if j < i:
                j = i
                total = 0.0
            while j < e and ts[j] - ts[i] <= window:
                total += premium[j]
                j += 1
            if j - i >= min_hits and total >= min_premium:
                starts[n_ev] = i
                stops[n_ev] = j
                n_ev += 1
                i = j
                total = 0.0
            else:
                total -= premium[i]
                i += 1
        g = e
    return starts[:n_ev], stops[:n_ev], keep


# ----------------------------------------------------------------------------- sweeps
C = TypeVar("C")


class _OpenRowsDetector(Generic[C]):
    """What the window detectors share: the undecided prints, the tape clock, flush, state.

    A subclass turns each batch into :class:`_Rows` and hands them to :meth:`_feed`, and
    implements ``_run(new, now, final)``: decide what ``now`` (or, with ``final``, the end of
    the tape) settles, keep the rest in ``self._open``.
    """

    def __init__(self, config: C) -> None:
        self.config = config
        self._open = _Rows.empty()
        self._last_ts = -(2**62)

    def _feed(self, new: _Rows, now_ns: int) -> list[FlowEvent]:
        if len(new):
            self._last_ts = max(self._last_ts, int(new.cols["ts"].max()))
        return self._run(new, _effective_now(now_ns, self._last_ts), final=False)

    def _run(self, new: _Rows, now: int, final: bool) -> list[FlowEvent]:
        raise NotImplementedError

    def flush(self) -> list[FlowEvent]:
        """Decide every open window (end of tape) and return its events."""
        return self._run(_Rows.empty(), self._last_ts, final=True)

    def snapshot(self) -> dict[str, Any]:
        """JSON-serializable state (the undecided prints)."""
        return {"version": 1, "last_ts": self._last_ts, "open": self._open.state()}

    @classmethod
    def restore(cls, state: dict[str, Any], config: C | None = None) -> Self:
        """A detector that continues from ``state`` (from :meth:`snapshot`)."""
        if state.get("version") != 1:
            raise ValueError(f"unknown {cls.__name__} snapshot version {state.get('version')!r}")
        det = cls(config)  # type: ignore[arg-type]  # subclasses default a None config
        det._last_ts = int(state["last_ts"])
        det._open = _Rows.from_state(state["open"])
        return det


class SweepDetector(_OpenRowsDetector[SweepConfig]):
    """Sweeps (several venues) and splits (one venue) of one contract.

    Parameters
    ----------
    config : SweepConfig, optional
        Thresholds; defaults to :class:`SweepConfig()`.

    Notes
    -----
    Confidence is ``0.30 legs + 0.25 venues + 0.20 time + 0.25 aggressiveness`` (+0.1 when a
    leg carries the ISO flag, capped at 1): ``legs`` is ``min(1, legs / (2 min_legs))``,
    ``venues`` is ``min(1, venues / 4)``, ``time`` is ``1 - span / window``, and
    ``aggressiveness`` averages 1.0 for a leg through the quote (above the ask, below the
    bid) and 0.6 for a leg at it.
    """

    def __init__(self, config: SweepConfig | None = None) -> None:
        super().__init__(config or SweepConfig())

    def update(self, batch: OptionTradeBatch, now_ns: int, *, side: npt.ArrayLike | None = None,
               keys: npt.ArrayLike | None = None) -> list[FlowEvent]:
        """Take a batch (time ordered, validated); return the events closed by ``now_ns``.

        Parameters
        ----------
        batch : OptionTradeBatch
            Prints later than (or at) every print seen so far.
        now_ns : int
            Market time up to which the tape is complete (no later print is earlier); taken
            as at least the last print's time.
        side : array_like of int8, optional
            Precomputed :func:`~optix.flow.side.classify_side` codes of the batch.
        keys : array_like of int64, optional
            Precomputed :func:`contract_keys` of the batch (with the aggressor sign).

        Returns
        -------
        list of FlowEvent
            SWEEP and SPLIT events whose cluster can no longer change, in time order.
        """
        return self._feed(_sided_rows(batch, side, keys), now_ns)

    def _run(self, new: _Rows, now: int, final: bool) -> list[FlowEvent]:
        cfg = self.config
        rows = _Rows.concat(self._open, new)
        if len(rows) == 0:
            return []
        c = rows.cols
        order = np.argsort(c["key"], kind="stable")
        r = rows.take(order)
        c = r.cols
        window = cfg.window_ns
        anchor = _assign_anchors(c["key"], c["ts"], c["anchor"], window)
        c["anchor"] = anchor
        n = anchor.size
        start = np.ones(n, dtype=np.bool_)
        start[1:] = (c["key"][1:] != c["key"][:-1]) | (anchor[1:] != anchor[:-1])
        first = np.flatnonzero(start)
        cid = np.cumsum(start) - 1
        bad = c["poison"] | (c["premium"] < cfg.min_leg_premium)
        n_bad = np.bincount(cid, weights=bad, minlength=first.size)
        count = np.diff(np.append(first, n))
        closed = np.full(first.size, True) if final else anchor[first] + window < now
        events: list[FlowEvent] = []
        for k in np.flatnonzero(closed & (n_bad == 0) & (count >= cfg.min_legs)):
            idx = np.arange(first[k], first[k] + count[k])
            ev = self._make(r, idx)
            if ev is not None:
                events.append(ev)
        # keep open clusters: every row of a clean one, one poisoned row of a spoiled one
        open_c = ~closed
        keep_row = open_c[cid] & ((n_bad[cid] == 0) | start)
        kept = r.take(np.flatnonzero(keep_row))
        kept.cols["poison"] = kept.cols["poison"] | (n_bad[cid][keep_row] > 0)
        self._open = kept
        events.sort(key=lambda e: (e.first_ts_ns, e.seqs[0]))
        return events

    def _make(self, r: _Rows, idx: Int64Array) -> FlowEvent | None:
        cfg = self.config
        c = r.cols
        venues = np.unique(c["venue"][idx])
        if venues.size >= cfg.min_venues:
            kind = EventType.SWEEP
        elif venues.size == 1:
            kind = EventType.SPLIT
        else:
            return None
        legs = int(idx.size)
        ts = c["ts"][idx]
        span = int(ts.max() - ts.min())
        through = np.abs(c["side"][idx].astype(np.int64)) == abs(int(Side.ABOVE_ASK))
        aggr = float(np.mean(np.where(through, 1.0, 0.6)))
        iso_legs = int(np.count_nonzero(c["cond"][idx] & _ISO))
        conf = (0.30 * min(1.0, legs / (2.0 * cfg.min_legs))
                + 0.25 * min(1.0, venues.size / 4.0)
                + 0.20 * (1.0 - span / cfg.window_ns) + 0.25 * aggr
                + (0.1 if iso_legs else 0.0))
        detail: dict[str, Any] = {"iso": iso_legs > 0, "iso_legs": iso_legs, "legs": legs,
                                  "span_ns": span, "through_quote_legs": int(through.sum())}
        return _event(kind, r, idx, conf, detail)



# ----------------------------------------------------------------------------- repeats
class RepeatedHitsDetector(_OpenRowsDetector[RepeatConfig]):
    """The same contract hit many times within a short window.

    Parameters
    ----------
    config : RepeatConfig, optional
        Thresholds; defaults to :class:`RepeatConfig()`.

    Notes
    -----
    Confidence is ``0.5 + 0.25 min(1, (hits - min_hits + 1) / min_hits)
    + 0.25 (1 - span / window)``.
    """

    def __init__(self, config: RepeatConfig | None = None) -> None:
        super().__init__(config or RepeatConfig())

    def update(self, batch: OptionTradeBatch, now_ns: int, *, side: npt.ArrayLike | None = None,
               keys: npt.ArrayLike | None = None) -> list[FlowEvent]:
        """Take a batch (time ordered, validated); return the events decided by ``now_ns``.

        Parameters are those of :meth:`SweepDetector.update`.

        Returns
        -------
        list of FlowEvent
            REPEATED_HITS events that can no longer change, in time order.
        """
        return self._feed(_sided_rows(batch, side, keys), now_ns)

    def _run(self, new: _Rows, now: int, final: bool) -> list[FlowEvent]:
        cfg = self.config
        rows = _Rows.concat(self._open, new)
        if len(rows) == 0:
            return []
        r = rows.take(np.argsort(rows.cols["key"], kind="stable"))
        c = r.cols
        starts, stops, keep = _repeat_scan(c["key"], c["ts"], c["premium"], cfg.window_ns,
                                           cfg.min_hits, float(cfg.min_premium), now, final)
        events: list[FlowEvent] = []
        for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
            idx = np.arange(a, b)
            hits = b - a
            span = int(c["ts"][b - 1] - c["ts"][a])
            conf = (0.5 + 0.25 * min(1.0, (hits - cfg.min_hits + 1) / cfg.min_hits)
                    + 0.25 * (1.0 - span / cfg.window_ns))
            events.append(_event(EventType.REPEATED_HITS, r, idx, conf,
                                 {"hits": hits, "span_ns": span}))
        self._open = r.take(np.flatnonzero(keep))
        events.sort(key=lambda e: (e.first_ts_ns, e.seqs[0]))
        return events

