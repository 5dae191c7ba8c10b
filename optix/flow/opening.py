"""Opening-trade tracking: day volume and open interest behind every recent print.

The opening-trade heuristic (:func:`~optix.flow.side.is_opening`) calls a trade *opening* when
``size > open_interest - (day_volume - size)``: the day's volume through and including it
exceeds the open interest carried in from the previous close, so at least part of it cannot be
closing existing contracts. :class:`OpeningTracker` supplies the two numbers for the flow
engine's events:

- per contract (:func:`~optix.flow.clusters.contract_keys` without the aggressor), the day's
  cumulative volume in contracts, reset at the first print of each New York calendar day (the
  convention of :mod:`optix.flow.volume`; canceled prints add no volume), and its open interest
  from the latest :class:`~optix.core.reference.ContractReference` (published at each session's
  start; contracts missing from it have unknown open interest);
- per print of the last :attr:`OpeningConfig.horizon_s` seconds: the contract's day volume
  through that print and its open interest at the time.

:meth:`OpeningTracker.annotate` then sets, on every single-contract option event (sweep, split,
block, repeated hits, unusual volume with an expiry, a finite strike and a right), the event's
day volume through its last print (the latest in tape order among its prints) and
``detail["opening"] = is_opening(event.size, open_interest, day_volume)``.

Horizon and memory
------------------
The detectors emit an event a short time after its last print: a sweep or split 2 s after its
first print, repeated hits 0.1 s, a block at once, an unusual-volume event once ``follow_s``
(60 s) has passed its crossing print. The prints are trimmed at the end of each engine update to
those within ``horizon_s`` (300 s: five minutes, twice the longest unusual-volume reach of
``lookback_s + follow_s``) of ``now_ns``, so an event that is still open at one update finds its
prints at the next one however far ``now_ns`` then jumps. Smart-money patterns (emitted up to
~17 minutes after their prints) name no single contract and are not annotated. Memory: one day
volume per contract traded today, the reference's open interest, and four integers per print of
the horizon.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from optix.core.arrays import Int64Array
from optix.core.enums import Condition
from optix.core.reference import ContractReference
from optix.core.trades import OptionTradeBatch
from optix.flow.clusters import contract_keys
from optix.flow.events import EventType, FlowEvent
from optix.flow.side import is_opening

__all__ = ["OPENING_TYPES", "OpeningConfig", "OpeningTracker"]

_S = 1_000_000_000
_NY = ZoneInfo("America/New_York")
_CANCEL = np.uint32(int(Condition.CANCEL))
_COLS = ("seq", "ts", "pos", "vol", "oi", "key")  # per recent print (key: the contract's)

OPENING_TYPES = frozenset({EventType.SWEEP, EventType.SPLIT, EventType.BLOCK,
                           EventType.REPEATED_HITS, EventType.UNUSUAL_VOLUME})
"""Event types that :meth:`OpeningTracker.annotate` judges (when they name one contract)."""


@dataclass(frozen=True, slots=True)
class OpeningConfig:
    """How long the tracker remembers prints.

    Attributes
    ----------
    horizon_s : float
        Prints are kept this many seconds behind ``now_ns`` (300). It must exceed the longest
        time an event can stay open after its last print (unusual volume: ``follow_s``).
    """

    horizon_s: float = 300.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.horizon_s) and self.horizon_s > 0):
            raise ValueError(f"horizon_s must be finite and positive, got {self.horizon_s}")


def _next_midnight_ns(ts_ns: int) -> int:
    """Epoch ns of the New York midnight that ends the day of ``ts_ns``."""
    local = dt.datetime.fromtimestamp(ts_ns / _S, tz=_NY).date()
    nxt = dt.datetime.combine(local + dt.timedelta(days=1), dt.time(), tzinfo=_NY)
    return round(nxt.timestamp()) * _S


def _contract_keys_of(underlying: Any, expiry: Any, strike: Any, right: Any) -> Int64Array:
    """:func:`contract_keys` of contracts given as columns (a zero-filled batch around them)."""
    under = np.asarray(underlying, dtype=str)
    n = under.size
    zf = np.zeros(n, dtype=np.float64)
    zi = np.zeros(n, dtype=np.int64)
    batch = OptionTradeBatch(
        ts_ns=zi, seq=zi, underlying=under,
        expiry=np.asarray(expiry, dtype="datetime64[D]"),
        strike=np.asarray(strike, dtype=np.float64), right=np.asarray(right, dtype=np.int8),
        price=zf, size=zi, venue=np.zeros(n, dtype=np.uint8), bid=zf, ask=zf,
        conditions=np.zeros(n, dtype=np.uint32))
    return contract_keys(batch)


def _reference_keys(reference: ContractReference) -> Int64Array:
    """:func:`contract_keys` of the reference's contracts."""
    return _contract_keys_of(reference.underlying, reference.expiry, reference.strike,
                             reference.right)


class OpeningTracker:
    """Day volume and open interest per contract and per recent print (module docstring).

    Parameters
    ----------
    config : OpeningConfig, optional
        Defaults to :class:`OpeningConfig()`.
    """

    def __init__(self, config: OpeningConfig | None = None) -> None:
        self.config = config or OpeningConfig()
        self._ref_keys = np.zeros(0, dtype=np.int64)  # sorted, unique
        self._ref_oi = np.zeros(0, dtype=np.int64)
        self._ref_vol = np.zeros(0, dtype=np.int64)  # day volume per reference contract
        self._index = pd.Index(self._ref_keys)
        self._other: dict[int, int] = {}  # day volume of contracts the reference lacks
        self._day_end = -(2**62)  # epoch ns of the current day's end (none yet)
        self._pos = 0  # prints recorded so far (tape position of the next one)
        self._buf = np.zeros((len(_COLS), 0), dtype=np.int64)  # recent prints: _COLS rows
        self._lo = self._hi = 0  # the live columns of _buf, in tape order
        self._sorted = True  # recent seqs strictly increase (binary search by seq)

    # ------------------------------------------------------------------ input
    def set_reference(self, reference: ContractReference) -> None:
        """Use ``reference``'s open interest for the prints from now on (day volumes are kept)."""
        keys = _reference_keys(reference)
        oi = np.asarray(reference.open_interest, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        keys, oi = keys[order], oi[order]
        uniq = np.ones(keys.size, dtype=bool)
        uniq[1:] = keys[1:] != keys[:-1]  # a duplicated row: the first wins
        keys, oi = keys[uniq], oi[uniq]
        vol = np.zeros(keys.size, dtype=np.int64)
        old = self._ref_vol != 0
        moved = dict(zip(self._ref_keys[old].tolist(), self._ref_vol[old].tolist(), strict=True))
        moved.update(self._other)  # every day volume so far, by contract
        if moved:
            mk = np.fromiter(moved, dtype=np.int64, count=len(moved))
            at = self._find(mk, keys)
            vol[at[at >= 0]] = np.fromiter(moved.values(), dtype=np.int64,
                                           count=len(moved))[at >= 0]
            self._other = {k: v for k, v, a in zip(moved, moved.values(), at.tolist(),
                                                   strict=True) if a < 0}
        self._ref_keys, self._ref_oi, self._ref_vol = keys, oi, vol
        self._index = pd.Index(keys)

    @staticmethod
    def _find(key: Int64Array, sorted_keys: Int64Array) -> Int64Array:
        """Row of each ``key`` in ``sorted_keys``, -1 where absent."""
        n = sorted_keys.size
        if n == 0:
            return np.full(key.size, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(sorted_keys, key), n - 1)
        return np.where(sorted_keys[pos] == key, pos, -1).astype(np.int64)

    def _lookup(self, key: Int64Array) -> Int64Array:
        """Reference row of each contract key, -1 where it is not listed."""
        if key.size >= 256 and self._ref_keys.size:  # hashing has a fixed cost
            return np.asarray(self._index.get_indexer(pd.Index(key)), dtype=np.int64)
        return self._find(key, self._ref_keys)

    def update(self, trades: OptionTradeBatch, keys: npt.ArrayLike | None = None) -> None:
        """Record a batch of validated prints (in time order, none earlier than the last)."""
        n = len(trades)
        if n == 0:
            return
        ts = trades.ts_ns
        keys = contract_keys(trades) if keys is None else np.asarray(keys, dtype=np.int64)
        size = np.where((trades.conditions & _CANCEL) == 0, trades.size, 0).astype(np.int64)
        vol = np.empty(n, dtype=np.int64)
        oi = np.empty(n, dtype=np.int64)
        start = 0
        while start < n:
            if int(ts[start]) >= self._day_end:
                self._ref_vol[:] = 0  # a new New York day
                self._other.clear()
                self._day_end = _next_midnight_ns(int(ts[start]))
            stop = max(int(np.searchsorted(ts, self._day_end, side="left")), start + 1)
            vol[start:stop], oi[start:stop] = self._cumulate(keys[start:stop], size[start:stop])
            start = stop
        seq = np.asarray(trades.seq, dtype=np.int64)
        pos = np.arange(self._pos, self._pos + n, dtype=np.int64)
        self._pos += n
        self._sorted = bool(self._sorted and (n < 2 or bool(np.all(seq[1:] > seq[:-1])))
                            and (self._hi == self._lo or int(seq[0]) > int(self._seq[-1])))
        live = self._hi - self._lo
        if self._hi + n > self._buf.shape[1]:  # compact, growing if more than half full
            cap = max(self._buf.shape[1], 2 * (live + n), 1024)
            buf = np.zeros((len(_COLS), cap), dtype=np.int64)
            buf[:, :live] = self._buf[:, self._lo:self._hi]
            self._buf, self._lo, self._hi = buf, 0, live
        self._buf[:, self._hi:self._hi + n] = (seq, ts, pos, vol, oi, keys)
        self._hi += n

    @property
    def _seq(self) -> Int64Array:
        return self._buf[0, self._lo:self._hi]

    def _rec(self) -> dict[str, Int64Array]:
        """The recent prints' columns (views)."""
        return {c: self._buf[i, self._lo:self._hi] for i, c in enumerate(_COLS)}

    def _cumulate(self, keys: Int64Array, size: Int64Array) -> tuple[Int64Array, Int64Array]:
        """Day volume through each print and its open interest (one day's prints).

        Updates the contracts' day volumes.
        """
        codes, uniq = pd.factorize(keys)
        codes = np.asarray(codes, dtype=np.int64)
        uk = np.asarray(uniq, dtype=np.int64)
        m = uk.size
        row = self._lookup(uk)
        listed = row >= 0
        base = np.zeros(m, dtype=np.int64)
        base[listed] = self._ref_vol[row[listed]]
        unlisted = np.flatnonzero(~listed)
        others = uk[unlisted].tolist()
        if others:
            base[unlisted] = [self._other.get(k, 0) for k in others]
        sort_codes = codes.astype(np.int16) if m < 2**15 else codes
        order = np.argsort(sort_codes, kind="stable")  # radix sort on int16
        cs = np.cumsum(size[order])
        ends = np.cumsum(np.bincount(codes, minlength=m))
        before = np.zeros(m, dtype=np.int64)
        before[1:] = cs[ends[:-1] - 1]
        out = np.empty(keys.size, dtype=np.int64)
        out[order] = cs + np.repeat(base - before, np.diff(ends, prepend=0))
        total = base + cs[ends - 1] - before
        self._ref_vol[row[listed]] = total[listed]
        if others:
            self._other.update(zip(others, total[unlisted].tolist(), strict=True))
        oi_u = np.full(m, -1, dtype=np.int64)
        oi_u[listed] = self._ref_oi[row[listed]]
        return out, oi_u[codes]

    def trim(self, now_ns: int) -> None:
        """Forget prints more than ``horizon_s`` before ``now_ns``."""
        ts = self._buf[_COLS.index("ts"), self._lo:self._hi]
        self._lo += int(np.searchsorted(ts, now_ns - round(self.config.horizon_s * _S)))

    # ------------------------------------------------------------------ output
    def lookup(self, seqs: Int64Array, keys: Int64Array
               ) -> tuple[Int64Array, Int64Array, Int64Array]:
        """Tape position, day volume and open interest of each print (``-1``: not recorded).

        A print is found by its sequence number *and* its contract: feed sequence numbers do
        not name prints on their own (OPRA numbers per publisher, replayed files per file).

        Parameters
        ----------
        seqs : ndarray of int64
            Feed sequence numbers of recent prints.
        keys : ndarray of int64
            :func:`~optix.flow.clusters.contract_keys` (without the sign) of their contracts.

        Returns
        -------
        pos, day_volume, open_interest : ndarray of int64
            ``open_interest`` is -1 where the contract is not in the reference.
        """
        rec = self._rec()
        n = rec["seq"].size
        miss = np.full(seqs.size, -1, dtype=np.int64)
        if n == 0 or seqs.size == 0:
            return miss, miss.copy(), miss.copy()
        order = (np.arange(n) if self._sorted
                 else np.argsort(rec["seq"], kind="stable"))
        sorted_seq = rec["seq"][order]
        lo = np.searchsorted(sorted_seq, seqs, side="left")
        hi = np.searchsorted(sorted_seq, seqs, side="right")
        at = order[np.minimum(lo, n - 1)]
        hit = (lo < hi) & (rec["key"][at] == keys)
        # a sequence number shared by prints of several contracts: scan its few rows
        for j in np.flatnonzero(~hit & (hi - lo > 1)):
            rows = order[lo[j]:hi[j]]
            same = rows[rec["key"][rows] == keys[j]]
            if same.size:
                at[j] = same[-1]
                hit[j] = True
        return (np.where(hit, rec["pos"][at], -1), np.where(hit, rec["vol"][at], -1),
                np.where(hit, rec["oi"][at], -1))

    def annotate(self, events: list[FlowEvent]) -> None:
        """Set ``opening``, ``day_volume`` and ``open_interest`` in each judged event's detail.

        An event is judged when its type is in :data:`OPENING_TYPES` and it names one option
        contract. ``day_volume`` is the contract's day volume through the event's last print
        and ``open_interest`` the contract's (``None`` when unknown: then ``opening`` is
        False); keys the detector already set (unusual volume: at its crossing print) are
        kept. Prints older than the horizon give ``day_volume`` ``None`` and ``opening`` False.
        """
        judged = [ev for ev in events
                  if ev.type in OPENING_TYPES and ev.stream == "option" and ev.expiry is not None
                  and ev.right != 0 and math.isfinite(ev.strike)]
        if not judged:
            return
        lens = [len(ev.seqs) for ev in judged]
        seqs = np.fromiter((q for ev in judged for q in ev.seqs), dtype=np.int64,
                           count=sum(lens))
        ev_keys = _contract_keys_of([ev.underlying for ev in judged],
                                    [ev.expiry for ev in judged],
                                    [ev.strike for ev in judged], [ev.right for ev in judged])
        pos, vol, oi = self.lookup(seqs, np.repeat(ev_keys, lens))
        starts = np.concatenate(([0], np.cumsum(lens)[:-1])).astype(np.int64)
        last = np.maximum.reduceat(pos, starts)
        # the row of each event's latest print: position equals the group maximum
        owner = np.repeat(np.arange(len(judged)), lens)
        is_last = (pos == last[owner]) & (pos >= 0)
        rows = np.full(len(judged), -1, dtype=np.int64)
        rows[owner[is_last]] = np.flatnonzero(is_last)
        for j, ev in enumerate(judged):
            r = int(rows[j])
            day_vol = int(vol[r]) if r >= 0 else None
            o = int(oi[r]) if r >= 0 and oi[r] >= 0 else None
            opening = bool(is_opening(ev.size, o, day_vol)) if (
                o is not None and day_vol is not None) else False
            ev.detail["opening"] = opening
            ev.detail.setdefault("day_volume", day_vol)
            ev.detail.setdefault("open_interest", o)

    # ------------------------------------------------------------------ state
    def snapshot(self) -> dict[str, Any]:
        """JSON-serializable state (reference open interest, day volumes, recent prints)."""
        active = np.flatnonzero(self._ref_vol)
        return {"ref_keys": self._ref_keys.tolist(), "ref_oi": self._ref_oi.tolist(),
                "active": active.tolist(), "volume": self._ref_vol[active].tolist(),
                "other_keys": list(self._other), "other_volume": list(self._other.values()),
                "day_end": self._day_end, "pos": self._pos, "sorted": self._sorted,
                "recent": {c: v.tolist() for c, v in self._rec().items()}}

    @classmethod
    def restore(cls, state: dict[str, Any], config: OpeningConfig | None = None
                ) -> OpeningTracker:
        """A tracker continuing from :meth:`snapshot` ``state``."""
        tr = cls(config)
        tr._ref_keys = np.asarray(state["ref_keys"], dtype=np.int64).reshape(-1)
        tr._ref_oi = np.asarray(state["ref_oi"], dtype=np.int64).reshape(-1)
        if tr._ref_keys.size != tr._ref_oi.size:
            raise ValueError("opening state: reference columns differ in length")
        tr._index = pd.Index(tr._ref_keys)
        tr._ref_vol = np.zeros(tr._ref_keys.size, dtype=np.int64)
        tr._ref_vol[np.asarray(state["active"], dtype=np.int64)] = np.asarray(
            state["volume"], dtype=np.int64)
        tr._other = {int(k): int(v) for k, v in zip(state["other_keys"], state["other_volume"],
                                                    strict=True)}
        tr._day_end, tr._pos = int(state["day_end"]), int(state["pos"])
        tr._sorted = bool(state["sorted"])
        rec = [np.asarray(state["recent"][c], dtype=np.int64).reshape(-1) for c in _COLS]
        tr._buf = np.stack(rec) if rec[0].size else np.zeros((len(_COLS), 0), dtype=np.int64)
        tr._lo, tr._hi = 0, tr._buf.shape[1]
        return tr
