"""Unusual-volume detector: a contract trading more today than its open interest and its norm.

A contract shows **unusual volume** on the print at which its day volume (contracts, summed
over the session day in New York time) first satisfies both

- ``day_volume > min_oi_ratio x open_interest`` (more than the open interest by default), and
- ``day_volume >= min_avg_multiple x avg_volume`` (five times its trailing average daily
  volume),

with ``open_interest`` and ``avg_volume`` from the latest
:class:`~optix.core.reference.ContractReference` (published at each session's start). It is
reported once per contract per day. Contracts missing from the reference are not judged, but
their day volume is still counted, so a contract that enters the reference mid-day (a late
publication) is judged on its whole day's volume from its next print on; canceled prints add no
volume. Volume resets when the first print of a new New York calendar
day arrives.

Which prints make up the event
------------------------------
The event names the contract's prints from ``lookback_s`` before the crossing print up to
``follow_s`` after it (the same day): the burst that took volume over the line. It is emitted
once ``now_ns`` has passed ``crossing + follow_s`` (no later print can join), at the day's end,
or at :meth:`UnusualVolumeDetector.flush`; ``follow_s = 0`` emits it as soon as the crossing
print's time has passed. Membership depends only on print times, never on batch boundaries.
``detail`` names the crossing print (``cross_seq``, ``cross_ts_ns``) and the day volume,
open interest, average and ratios at the crossing.

Cap for the busiest contracts
-----------------------------
An event lists at most ``max_buffer_per_contract`` (N, 1,000) prints up to and including the
crossing print (the most recent ones, in tape order) and at most N prints after it (the first
ones): at most 2N prints, whatever the contract's print rate. When either side was cut,
``detail["truncated"]`` is ``True`` (absent otherwise) and ``detail["follow_dropped"]`` counts
the following prints left out. ``size``, ``premium``, side and venues are those of the listed
prints; ``day_volume`` stays exact. On the synthetic market no event has more than 17 prints
on either side, so the cap never binds there.

State and memory
----------------
Per reference contract: its day volume and whether it fired today (two arrays), plus the last
``lookback_s`` of prints (chunks, one per batch, dropped by time) and the open events. The
buffered prints are trimmed to the N + 1 most recent per contract (the extra one tells whether
an event's look-back was cut) whenever the buffer has doubled and before a snapshot; an open
event holds at most 2N prints. What is kept is a function of the prints alone, so trimming
never changes an event.

``now_ns`` must mean "every print with ``ts_ns < now_ns`` has been delivered" (e.g. the
feed batch's ``end_ns``); events close on it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from optix.core.arrays import Int64Array
from optix.core.enums import Condition
from optix.core.reference import ContractReference
from optix.core.trades import OptionTradeBatch
from optix.flow.blocks import SymbolIds, factorize_symbols
from optix.flow.events import EventType, FlowEvent
from optix.flow.side import SideConfig, aggressor, classify_side

__all__ = ["UnusualVolumeConfig", "UnusualVolumeDetector"]

_S = 1_000_000_000
_NY = ZoneInfo("America/New_York")
_CANCEL = np.uint32(int(Condition.CANCEL))
_STRIKE_BITS = 26  # strikes in thousandths of a dollar, up to $67,108
_DAY_BITS = 16  # expiry as days since 1970, up to 2149
_COLS = ("key", "ts", "seq", "size", "price", "bid", "ask", "cond", "venue")
_DTYPES = {"key": np.int64, "ts": np.int64, "seq": np.int64, "size": np.int64,
           "price": np.float64, "bid": np.float64, "ask": np.float64, "cond": np.uint32,
           "venue": np.uint8}


@dataclass(frozen=True, slots=True)
class UnusualVolumeConfig:
    """Thresholds of the unusual-volume rule.

    Attributes
    ----------
    min_oi_ratio : float
        Day volume must exceed this multiple of open interest (1.0).
    min_avg_multiple : float
        Day volume must be at least this multiple of the trailing average volume (5.0).
    lookback_s : float
        The event names the contract's prints from this many seconds before the crossing
        print (60).
    follow_s : float
        ... up to this many seconds after it (60); the event is emitted once that has passed.
    side_dominance : float
        The event's side is +1 (-1) when buys (sells) are at least this share of the
        contracts printed at or through the ask or bid (0.75); else 0.
    side : SideConfig
        How prints are placed against the quote.
    max_buffer_per_contract : int
        An event lists at most this many prints up to its crossing and this many after it
        (1,000); it bounds the prints buffered per contract (module docstring, "Cap"). The
        synthetic market's busiest event has 17 prints on one side.
    """

    min_oi_ratio: float = 1.0
    min_avg_multiple: float = 5.0
    lookback_s: float = 60.0
    follow_s: float = 60.0
    side_dominance: float = 0.75
    side: SideConfig = field(default_factory=SideConfig)
    max_buffer_per_contract: int = 1000

    def __post_init__(self) -> None:
        for name in ("min_oi_ratio", "min_avg_multiple", "lookback_s", "follow_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be finite and >= 0, got {v}")
        if not 0.5 < self.side_dominance <= 1.0:
            raise ValueError(f"side_dominance must be in (0.5, 1], got {self.side_dominance}")
        if self.max_buffer_per_contract < 1:
            raise ValueError("max_buffer_per_contract must be at least 1, got "
                             f"{self.max_buffer_per_contract}")


@dataclass(slots=True)
class _Open:
    """An event past its crossing, waiting for ``follow_s`` to pass."""

    key: int
    underlying: str
    expiry_day: int
    strike: float
    right: int
    cross_ts: int
    cross_seq: int
    volume: int
    oi: int
    avg: float
    rows: dict[str, list[Any]]
    follow: int = 0  # prints listed after the crossing
    dropped: int = 0  # following prints left out (over the cap)
    truncated: bool = False  # the look-back was cut


class UnusualVolumeDetector:
    """Finds contracts whose day volume turns unusual (see the module docstring).

    Parameters
    ----------
    config : UnusualVolumeConfig, optional
        Thresholds; defaults to :class:`UnusualVolumeConfig()`.
    """

    def __init__(self, config: UnusualVolumeConfig | None = None) -> None:
        self.config = config or UnusualVolumeConfig()
        self._syms = SymbolIds()
        self._code = self._syms.ids
        self._keys = np.zeros(0, dtype=np.int64)
        self._index = pd.Index(self._keys)
        self._oi = np.zeros(0, dtype=np.int64)
        self._avg = np.zeros(0, dtype=np.float64)
        self._vol = np.zeros(0, dtype=np.int64)
        self._fired = np.zeros(0, dtype=bool)
        self._other: dict[int, int] = {}  # day volume of contracts not in the reference
        self._day = -1  # current New York date, days since 1970 (-1: none yet)
        self._day_end = -1  # epoch ns of the next New York midnight
        self._chunks: list[dict[str, np.ndarray[Any, Any]]] = []
        self._open: list[_Open] = []
        self._now = -(2**62)
        self._trim_at = 0  # trim the buffer once it holds more rows than this

    # ------------------------------------------------------------------ reference
    @property
    def n_contracts(self) -> int:
        """Contracts in the current reference."""
        return int(self._keys.size)

    def set_reference(self, reference: ContractReference) -> None:
        """Use ``reference`` (open interest, trailing volume) from now on.

        Day volumes so far are kept (a mid-day republication does not reset them), both for
        contracts in the old reference and for those that traded before they were listed.
        """
        codes = self._codes(reference.underlying, add=True)
        keys = _keys(codes, reference.expiry, reference.strike, reference.right)
        ok = keys >= 0
        keys, oi, avg = keys[ok], reference.open_interest[ok], reference.avg_volume[ok]
        order = np.argsort(keys, kind="stable")
        keys, oi, avg = keys[order], oi[order], avg[order]
        uniq = np.ones(keys.size, dtype=bool)
        uniq[1:] = keys[1:] != keys[:-1]  # a duplicated row: the first wins
        keys, oi, avg = keys[uniq], oi[uniq], avg[uniq]
        vol = np.zeros(keys.size, dtype=np.int64)
        fired = np.zeros(keys.size, dtype=bool)
        if self._keys.size and keys.size:
            pos = np.minimum(np.searchsorted(self._keys, keys), self._keys.size - 1)
            same = self._keys[pos] == keys
            vol[same] = self._vol[pos[same]]
            fired[same] = self._fired[pos[same]]
            gone = np.ones(self._keys.size, dtype=bool)
            gone[pos[same]] = False
            for k, v in zip(self._keys[gone].tolist(), self._vol[gone].tolist(), strict=True):
                if v:
                    self._other[k] = v  # delisted: keep counting its day volume
        if self._other and keys.size:
            for j, k in enumerate(keys.tolist()):
                v = self._other.pop(k, 0)
                if v:
                    vol[j] += v
        self._keys, self._oi, self._avg = keys, oi.astype(np.int64), avg.astype(np.float64)
        self._vol, self._fired = vol, fired
        self._index = pd.Index(keys)

    def _lookup(self, key: Int64Array) -> Int64Array:
        """Reference row of each contract key, -1 where it is not listed."""
        n = self._keys.size
        if n == 0:
            return np.full(key.size, -1, dtype=np.int64)
        if key.size >= 256:  # hashing has a fixed cost; binary search wins on a few rows
            return np.asarray(self._index.get_indexer(pd.Index(key)), dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._keys, key), n - 1)
        return np.where((self._keys[pos] == key) & (key >= 0), pos, -1).astype(np.int64)

    def _codes(self, names: np.ndarray[Any, Any], add: bool) -> Int64Array:
        """Code of each row's underlying.

        Unknown underlyings are added in first-seen order (``add``) or get -1.
        """
        found = self._syms.find(names)
        if found is not None and (not add or bool((found >= 0).all())):
            return found
        inv, uniq = factorize_symbols(names)
        table = np.empty(len(uniq), dtype=np.int64)
        for i, name in enumerate(uniq):
            c = self._code.get(name)
            if c is None:
                if add:
                    c = self._code[name] = len(self._code)
                else:
                    c = -1
            table[i] = c
        return table[inv]

    # ------------------------------------------------------------------ stream
    def update(self, trades: OptionTradeBatch | None, now_ns: int,
               reference: ContractReference | None = None) -> list[FlowEvent]:
        """Feed one batch; return the events closed by ``now_ns``.

        Parameters
        ----------
        trades : OptionTradeBatch or None
            Validated prints, in time order.
        now_ns : int
            Every print with ``ts_ns < now_ns`` has been delivered.
        reference : ContractReference, optional
            New reference data, applied (see :meth:`set_reference`) before the prints.

        Returns
        -------
        list of FlowEvent
        """
        if reference is not None:
            self.set_reference(reference)
        out: list[FlowEvent] = []
        if trades is not None and len(trades):
            ts = trades.ts_ns
            start = 0
            while start < ts.size:
                if int(ts[start]) >= self._day_end or self._day < 0:
                    out += self._new_day(int(ts[start]))
                stop = int(np.searchsorted(ts, self._day_end, side="left"))
                stop = max(stop, start + 1)
                self._batch(trades, start, stop)
                start = stop
        self._now = max(self._now, now_ns)
        out += self._close(now_ns)
        horizon = now_ns - round(self.config.lookback_s * _S)
        self._chunks = [c for c in self._chunks if c["ts"].size and int(c["ts"][-1]) >= horizon]
        if sum(int(c["ts"].size) for c in self._chunks) > self._trim_at:
            self._trim()
        return out

    def _buffer(self) -> dict[str, np.ndarray[Any, Any]]:
        """The buffered prints of listed contracts within ``lookback_s`` of ``now``, trimmed."""
        horizon = self._now - round(self.config.lookback_s * _S)
        cat = {c: np.concatenate([ch[c] for ch in self._chunks]) if self._chunks
               else np.zeros(0, dtype=_DTYPES[c]) for c in _COLS}
        m = (cat["key"] >= 0) & (cat["ts"] >= horizon)
        cat = {c: v[m] for c, v in cat.items()}
        return {c: v[_last_per_key(cat["key"], self.config.max_buffer_per_contract + 1)]
                for c, v in cat.items()}

    def _trim(self) -> None:
        """Keep the ``max_buffer_per_contract + 1`` latest buffered prints per contract."""
        buf = self._buffer()
        self._chunks = [buf] if buf["ts"].size else []
        self._trim_at = max(2 * int(buf["ts"].size), 1024)

    def flush(self) -> list[FlowEvent]:
        """Emit every open event (end of tape)."""
        out = [self._event(ev) for ev in self._open]
        self._open = []
        return out

    def _new_day(self, ts_ns: int) -> list[FlowEvent]:
        out = self.flush()
        local = dt.datetime.fromtimestamp(ts_ns / _S, tz=_NY).date()
        self._day = local.toordinal() - _EPOCH_ORD
        nxt = dt.datetime.combine(local + dt.timedelta(days=1), dt.time(), tzinfo=_NY)
        self._day_end = round(nxt.timestamp()) * _S
        self._vol[:] = 0
        self._fired[:] = False
        self._other = {}
        self._chunks = []
        return out

    def _batch(self, trades: OptionTradeBatch, start: int, stop: int) -> None:
        cfg = self.config
        sl = slice(start, stop)
        size = trades.size[sl]
        codes = self._codes(trades.underlying[sl], add=True)
        key = _keys(codes, trades.expiry[sl], trades.strike[sl], trades.right[sl])
        pos = self._lookup(key)  # -1: not listed
        live = (trades.conditions[sl] & _CANCEL) == 0
        found = (pos >= 0) & live
        unlisted = (pos < 0) & (key >= 0) & live
        if unlisted.any():  # count their volume in case the reference lists them later
            uk, inv = np.unique(key[unlisted], return_inverse=True)
            tot = np.bincount(inv, weights=size[unlisted]).astype(np.int64)
            for k, v in zip(uk.tolist(), tot.tolist(), strict=True):
                self._other[k] = self._other.get(k, 0) + v
        key = np.where(found, key, -1)
        chunk: dict[str, np.ndarray[Any, Any]] = {
            "key": key, "ts": trades.ts_ns[sl], "seq": trades.seq[sl], "size": size,
            "price": trades.price[sl], "bid": trades.bid[sl], "ask": trades.ask[sl],
            "cond": trades.conditions[sl], "venue": trades.venue[sl]}
        # prints following an open event's crossing join it (the first N of them)
        cap = cfg.max_buffer_per_contract
        for ev in self._open:
            rows = np.flatnonzero((key == ev.key)
                                  & (chunk["ts"] <= ev.cross_ts + round(cfg.follow_s * _S)))
            take = min(int(rows.size), cap - ev.follow)
            ev.dropped += int(rows.size) - take
            ev.follow += take
            for c in _COLS:
                ev.rows[c] += chunk[c][rows[:take]].tolist()
        idx = pos[found]
        if idx.size:
            np.add.at(self._vol, idx, size[found])
            v = self._vol[idx]
            hit = ~self._fired[idx] & (v > cfg.min_oi_ratio * self._oi[idx]) & (
                v >= cfg.min_avg_multiple * self._avg[idx])
            if hit.any():
                for i in np.unique(idx[hit]).tolist():
                    self._cross(i, chunk, np.flatnonzero(found)[idx == i], trades, start)
        self._chunks.append(chunk)

    def _cross(self, i: int, chunk: dict[str, np.ndarray[Any, Any]], rows: Int64Array,
               trades: OptionTradeBatch, start: int) -> None:
        """Open the event of reference contract ``i``, which crossed in ``rows`` of ``chunk``."""
        cfg = self.config
        sizes = chunk["size"][rows]
        before = int(self._vol[i]) - int(sizes.sum())
        cum = before + np.cumsum(sizes)
        ok = (cum > cfg.min_oi_ratio * self._oi[i]) & (cum >= cfg.min_avg_multiple * self._avg[i])
        j = int(np.argmax(ok))
        r = int(rows[j])
        self._fired[i] = True
        cross_ts = int(chunk["ts"][r])
        lo = cross_ts - round(cfg.lookback_s * _S)
        hi = cross_ts + round(cfg.follow_s * _S)
        k = int(self._keys[i])
        cap = cfg.max_buffer_per_contract
        before_rows: dict[str, list[Any]] = {c: [] for c in _COLS}
        for c_ in self._chunks:
            m = np.flatnonzero((c_["key"] == k) & (c_["ts"] >= lo))
            for c in _COLS:
                before_rows[c] += c_[c][m].tolist()
        upto = np.flatnonzero((chunk["key"] == k) & (chunk["ts"] >= lo)
                              & (np.arange(chunk["ts"].size) <= r))
        after = np.flatnonzero((chunk["key"] == k) & (chunk["ts"] <= hi)
                               & (np.arange(chunk["ts"].size) > r))
        acc = {c: before_rows[c] + chunk[c][upto].tolist() for c in _COLS}
        n_before = len(acc["ts"])
        acc = {c: v[max(0, n_before - cap):] for c, v in acc.items()}
        follow = min(int(after.size), cap)
        for c in _COLS:
            acc[c] += chunk[c][after[:follow]].tolist()
        t = start + r
        self._open.append(_Open(
            key=k, underlying=str(trades.underlying[t]),
            expiry_day=int(trades.expiry[t].astype("datetime64[D]").astype(np.int64)),
            strike=float(trades.strike[t]), right=int(trades.right[t]), cross_ts=cross_ts,
            cross_seq=int(chunk["seq"][r]), volume=int(cum[j]), oi=int(self._oi[i]),
            avg=float(self._avg[i]), rows=acc, follow=follow,
            dropped=int(after.size) - follow, truncated=n_before > cap))

    def _close(self, now_ns: int) -> list[FlowEvent]:
        follow = round(self.config.follow_s * _S)
        done = [ev for ev in self._open if ev.cross_ts + follow < now_ns]
        if not done:
            return []
        self._open = [ev for ev in self._open if ev.cross_ts + follow >= now_ns]
        return [self._event(ev) for ev in done]

    def _event(self, ev: _Open) -> FlowEvent:
        cfg = self.config
        rows = ev.rows
        size = np.asarray(rows["size"], dtype=np.int64)
        price = np.asarray(rows["price"], dtype=np.float64)
        side = classify_side(price, rows["bid"], rows["ask"],
                             np.asarray(rows["cond"], dtype=np.uint32), cfg.side)
        agg = aggressor(side)
        buys, sells = int(size[agg > 0].sum()), int(size[agg < 0].sum())
        sided = buys + sells
        s = 0
        if sided and buys >= cfg.side_dominance * sided:
            s = 1
        elif sided and sells >= cfg.side_dominance * sided:
            s = -1
        oi_ratio = ev.volume / ev.oi if ev.oi > 0 else math.inf
        avg_multiple = ev.volume / ev.avg if ev.avg > 0 else math.inf
        conf = 0.5 + 0.25 * math.log10(min(oi_ratio, 100.0) / max(cfg.min_oi_ratio, 1e-9))
        conf += 0.25 * math.log10(min(avg_multiple, 1e4) / max(cfg.min_avg_multiple, 1e-9))
        ts = rows["ts"]
        detail: dict[str, Any] = {
            "cross_seq": ev.cross_seq, "cross_ts_ns": ev.cross_ts, "day_volume": ev.volume,
            "open_interest": ev.oi, "avg_volume": ev.avg, "oi_ratio": oi_ratio,
            "avg_multiple": avg_multiple}
        if ev.truncated or ev.dropped:
            detail["truncated"] = True
            detail["follow_dropped"] = ev.dropped
        return FlowEvent(
            type=EventType.UNUSUAL_VOLUME, underlying=ev.underlying,
            expiry=dt.date.fromordinal(ev.expiry_day + _EPOCH_ORD), strike=ev.strike,
            right=ev.right, first_ts_ns=int(ts[0]), last_ts_ns=int(ts[-1]),
            seqs=tuple(int(q) for q in rows["seq"]), stream="option",
            venues=tuple(sorted({int(v) for v in rows["venue"]})), size=int(size.sum()),
            premium=float((price * size).sum() * 100.0), side=s, sentiment=s * ev.right,
            confidence=min(max(conf, 0.0), 1.0), detail=detail,
        )

    # ------------------------------------------------------------------ state
    def snapshot(self) -> dict[str, Any]:
        """JSON-serializable state (reference, day volumes, recent prints, open events).

        The recent prints are trimmed first (module docstring, "Cap").
        """
        buf = self._buffer()
        recent = {c: v.tolist() for c, v in buf.items()}
        active = np.flatnonzero((self._vol != 0) | self._fired)
        return {
            "underlyings": list(self._code), "keys": self._keys.tolist(),
            "open_interest": self._oi.tolist(), "avg_volume": self._avg.tolist(),
            "active": active.tolist(), "volume": self._vol[active].tolist(),
            "fired": self._fired[active].tolist(),
            "other": [[k, v] for k, v in self._other.items()], "day": self._day,
            "day_end": self._day_end, "now": self._now, "recent": recent,
            "open": [{"key": e.key, "underlying": e.underlying, "expiry_day": e.expiry_day,
                      "strike": e.strike, "right": e.right, "cross_ts": e.cross_ts,
                      "cross_seq": e.cross_seq, "volume": e.volume, "oi": e.oi, "avg": e.avg,
                      "rows": {c: list(v) for c, v in e.rows.items()}, "follow": e.follow,
                      "dropped": e.dropped, "truncated": e.truncated} for e in self._open],
        }

    @classmethod
    def restore(cls, state: dict[str, Any], config: UnusualVolumeConfig | None = None
                ) -> UnusualVolumeDetector:
        """A detector continuing from :meth:`snapshot` ``state``."""
        det = cls(config)
        det._code.update((str(n), i) for i, n in enumerate(state["underlyings"]))
        det._keys = np.asarray(state["keys"], dtype=np.int64).reshape(-1)
        det._oi = np.asarray(state["open_interest"], dtype=np.int64).reshape(-1)
        det._avg = np.asarray(state["avg_volume"], dtype=np.float64).reshape(-1)
        det._index = pd.Index(det._keys)
        if not det._keys.size == det._oi.size == det._avg.size:
            raise ValueError("unusual-volume state: reference columns differ in length")
        det._vol = np.zeros(det._keys.size, dtype=np.int64)
        det._fired = np.zeros(det._keys.size, dtype=bool)
        active = np.asarray(state["active"], dtype=np.int64).reshape(-1)
        det._vol[active] = np.asarray(state["volume"], dtype=np.int64).reshape(-1)
        det._fired[active] = np.asarray(state["fired"], dtype=bool).reshape(-1)
        det._other = {int(k): int(v) for k, v in state.get("other", [])}
        det._day, det._day_end, det._now = int(state["day"]), int(state["day_end"]), int(
            state["now"])
        recent = state["recent"]
        det._chunks = [{c: np.asarray(recent[c], dtype=_DTYPES[c]).reshape(-1)
                        for c in _COLS}]
        det._open = [_Open(key=int(o["key"]), underlying=str(o["underlying"]),
                           expiry_day=int(o["expiry_day"]), strike=float(o["strike"]),
                           right=int(o["right"]), cross_ts=int(o["cross_ts"]),
                           cross_seq=int(o["cross_seq"]), volume=int(o["volume"]),
                           oi=int(o["oi"]), avg=float(o["avg"]),
                           rows={c: list(o["rows"][c]) for c in _COLS},
                           follow=int(o.get("follow", 0)), dropped=int(o.get("dropped", 0)),
                           truncated=bool(o.get("truncated", False)))
                     for o in state["open"]]
        det._trim_at = max(2 * int(det._chunks[0]["ts"].size), 1024)
        return det


_EPOCH_ORD = dt.date(1970, 1, 1).toordinal()


def _last_per_key(key: Int64Array, n: int) -> Int64Array:
    """Indices (ascending) of the last ``n`` rows of each key."""
    if key.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((-np.arange(key.size), key))  # by key, latest first
    k = key[order]
    start = np.ones(k.size, dtype=bool)
    start[1:] = k[1:] != k[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(k.size), 0))
    return np.sort(order[np.arange(k.size) - first < n]).astype(np.int64)


def _keys(codes: Int64Array, expiry: np.ndarray[Any, Any], strike: np.ndarray[Any, Any],
          right: np.ndarray[Any, Any]) -> Int64Array:
    """One int64 per contract: symbol code, expiry day, strike (1/1000 $), right; -1 if none."""
    days = np.asarray(expiry).astype("datetime64[D]").astype(np.int64)
    milli = np.rint(np.asarray(strike, dtype=np.float64) * 1000.0)
    r = np.asarray(right, dtype=np.int8)
    ok = ((codes >= 0) & (codes < 2**20) & (days >= 0) & (days < 2**_DAY_BITS)
          & (milli > 0) & (milli < 2**_STRIKE_BITS) & (r != 0))
    milli_i = np.where(ok, milli, 0).astype(np.int64)
    key = (((codes << _DAY_BITS) | np.where(ok, days, 0)) << _STRIKE_BITS | milli_i) << 1
    key |= (r > 0).astype(np.int64)
    return np.where(ok, key, -1)
