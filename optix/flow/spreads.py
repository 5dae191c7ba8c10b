"""Spread detector: the legs of one multi-leg (complex) order on an underlying.

Two ways a spread shows on the tape, each clustered like sweeps (a cluster opens at a print and
takes every later print of the same key within :attr:`SpreadConfig.window_s` of that first
print, inclusive; the next print beyond the window opens the next cluster):

**Flagged legs.** Prints carrying :attr:`~optix.core.enums.Condition.MULTI_LEG` (the exchange
reports them as legs of a complex order), keyed by underlying and venue (a complex order
executes on one exchange's complex book). A cluster is a spread when it has at least
``min_legs`` prints on at least ``min_contracts`` distinct contracts (a calendar or diagonal
counts: expiries may differ) and at least ``flagged_min_premium`` in total. A flagged leg needs
no aggressor side (complex orders print between the legs' own quotes).

**Simultaneous opposite legs.** Prints *without* the flag, with an aggressor side, each of at
least ``unflagged_min_leg_premium`` ($10,000), keyed by underlying and size (a 1:1 spread
legged in separately prints equal sizes). A cluster is a spread when it has at least
``min_legs`` prints on at least ``min_contracts`` distinct contracts and both a bought leg (at
or above the ask) and a sold leg (at or below the bid). ``unflagged=False`` turns this rule off.
Ratio spreads legged in unflagged (unequal sizes) are not found; flagged ones are.

Canceled, late and out-of-sequence prints are never legs (their time says nothing about the
order they belong to). The synthetic market's spreads are flagged legs a fraction of a
millisecond apart; its decoys are the same legs unflagged and 1.1 s apart (past the window).

The event names every leg (``seqs`` in time order); ``expiry``, ``strike`` and ``right`` are the
legs' common values (``None``, ``nan``, 0 where they differ). ``side`` is +1 when every leg was
bought, -1 when every leg was sold, else 0; ``sentiment`` is the sign of the legs' premium
signed by aggressor and right (a risk reversal bought on the call side is bullish).
``detail`` holds ``structure`` (a guess: vertical, calendar, diagonal, straddle, strangle,
risk_reversal, synthetic, butterfly, condor, iron_condor, iron_butterfly, complex), ``flagged``,
``legs`` (per print: expiry, strike, right, side, size, price) and ``span_ns``.

Split invariance and memory as for :mod:`optix.flow.clusters`: a cluster is decided once
``now_ns`` has passed its window, :meth:`SpreadDetector.flush` decides the rest, and only the
prints of open clusters are kept.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from optix.core.arrays import Int64Array
from optix.core.enums import Condition
from optix.core.trades import OptionTradeBatch
from optix.flow.clusters import _assign_anchors, _mix, _OpenRowsDetector, _Rows, symbol_keys
from optix.flow.events import EventType, FlowEvent
from optix.flow.side import aggressor, classify_side

__all__ = ["SpreadConfig", "SpreadDetector", "spread_structure"]

_S = 1_000_000_000
_MULTI = np.uint32(int(Condition.MULTI_LEG))
_NO_SIDE = np.uint32(int(Condition.no_side()))
_EPOCH = dt.date(1970, 1, 1)
_FLAGGED_SALT = np.uint64(0x5BD1E9955BD1E995)
_UNFLAGGED_SALT = np.uint64(0x27D4EB2F165667C5)


@dataclass(frozen=True, slots=True)
class SpreadConfig:
    """Thresholds of the spread rules (defaults: the planting rules of the synthetic market).

    Attributes
    ----------
    window_s : float
        Legs within this many seconds of the cluster's first leg (inclusive; 1 s,
        ``PlantingRules.spread_window_s``).
    min_legs : int
        Prints in a spread, at least (2).
    min_contracts : int
        Distinct contracts among them, at least (2).
    flagged_min_premium : float
        Total premium of a flagged spread, at least (0: any).
    unflagged : bool
        Also look for simultaneous opposite legs without the multi-leg flag.
    unflagged_min_leg_premium : float
        Premium of every unflagged leg, at least ($10,000, a sweep leg: small prints on
        opposite sides of a busy underlying meet within a second all the time).
    """

    window_s: float = 1.0
    min_legs: int = 2
    min_contracts: int = 2
    flagged_min_premium: float = 0.0
    unflagged: bool = True
    unflagged_min_leg_premium: float = 10_000.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.window_s) and self.window_s > 0):
            raise ValueError(f"window_s must be finite and positive, got {self.window_s!r}")
        if self.min_legs < 2:
            raise ValueError(f"min_legs must be at least 2, got {self.min_legs}")
        if not 1 <= self.min_contracts <= self.min_legs:
            raise ValueError(f"min_contracts must be in [1, min_legs], got {self.min_contracts}")
        for name in ("flagged_min_premium", "unflagged_min_leg_premium"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be finite and >= 0, got {v!r}")

    @property
    def window_ns(self) -> int:
        """The window in nanoseconds."""
        return round(self.window_s * _S)


def spread_structure(expiry: Int64Array, strike: npt.NDArray[np.float64],
                     right: npt.NDArray[np.int8], sign: npt.NDArray[np.int8]) -> str:
    """A best guess at the structure of a spread from its legs (one row per print).

    Parameters
    ----------
    expiry : ndarray of int64
        Expiry as days since 1970.
    strike : ndarray of float
    right : ndarray of int8
        +1 call, -1 put.
    sign : ndarray of int8
        Aggressor per leg (+1 bought, -1 sold, 0 unknown).

    Returns
    -------
    str
        One of vertical, calendar, diagonal, straddle, strangle, risk_reversal, synthetic,
        butterfly, condor, iron_butterfly, iron_condor, complex.
    """
    legs = sorted({(int(e), float(k), int(r)) for e, k, r in
                   zip(expiry.tolist(), strike.tolist(), right.tolist(), strict=True)})
    expiries = {e for e, _, _ in legs}
    rights = {r for _, _, r in legs}
    strikes = {k for _, k, _ in legs}
    n = len(legs)
    if n == 2:
        if len(expiries) == 2:
            return "calendar" if len(strikes) == 1 and len(rights) == 1 else "diagonal"
        if len(rights) == 1:
            return "vertical"
        same_dir = bool(np.all(sign == sign[0])) and int(sign[0]) != 0
        if len(strikes) == 1:
            return "straddle" if same_dir else "synthetic"
        return "strangle" if same_dir else "risk_reversal"
    if len(expiries) == 1 and n == 3 and len(rights) == 1:
        return "butterfly"
    if len(expiries) == 1 and n == 4:
        if len(rights) == 1:
            return "condor"
        if sum(1 for _, _, r in legs if r > 0) == 2:
            return "iron_butterfly" if len(strikes) == 3 else "iron_condor"
    return "complex"


class SpreadDetector(_OpenRowsDetector[SpreadConfig]):
    """Spreads: flagged multi-leg prints, or simultaneous opposite legs (module docstring).

    Parameters
    ----------
    config : SpreadConfig, optional
        Thresholds; defaults to :class:`SpreadConfig()`.

    Notes
    -----
    Confidence: a flagged spread ``0.8 + 0.2 (1 - span / window)``; an unflagged one
    ``0.4 + 0.3 (1 - span / window) + 0.1 min(1, legs / 4)`` plus 0.2 when every leg has the
    same venue.
    """

    def __init__(self, config: SpreadConfig | None = None) -> None:
        super().__init__(config or SpreadConfig())

    def update(self, batch: OptionTradeBatch, now_ns: int, *,
               side: npt.ArrayLike | None = None) -> list[FlowEvent]:
        """Take a batch (time ordered, validated); return the spreads closed by ``now_ns``.

        Parameters
        ----------
        batch : OptionTradeBatch
            Prints later than (or at) every print seen so far.
        now_ns : int
            Market time up to which the tape is complete; taken as at least the last
            print's time.
        side : array_like of int8, optional
            Precomputed :func:`~optix.flow.side.classify_side` codes of the batch.

        Returns
        -------
        list of FlowEvent
            SPREAD events that can no longer change, in time order.
        """
        return self._feed(self._rows(batch, side), now_ns)

    def _rows(self, batch: OptionTradeBatch, side: npt.ArrayLike | None) -> _Rows:
        cfg = self.config
        n = len(batch)
        if n == 0:
            return _Rows.empty()
        cond = batch.conditions
        valid = (cond & _NO_SIDE) == 0
        flagged = valid & ((cond & _MULTI) != 0)
        s = np.zeros(n, dtype=np.int8)
        if cfg.unflagged:
            s = (classify_side(batch.price, batch.bid, batch.ask, cond) if side is None
                 else np.asarray(side, dtype=np.int8))
            aggr = aggressor(s)
            leg = valid & ~flagged & (aggr != 0)
            if leg.any():
                leg &= batch.price * batch.size * 100.0 >= cfg.unflagged_min_leg_premium
            take = flagged | leg
        else:
            take = flagged
            if take.any():
                s = (classify_side(batch.price, batch.bid, batch.ask, cond) if side is None
                     else np.asarray(side, dtype=np.int8))
        rows = np.flatnonzero(take)
        if rows.size == 0:
            return _Rows.empty()
        ts = batch.ts_ns[rows]
        if rows.size > 1 and bool(np.any(ts[1:] < ts[:-1])):
            rows = rows[np.lexsort((batch.seq[rows], ts))]
        sym = symbol_keys(batch.underlying[rows]).view(np.uint64)
        fl = flagged[rows]
        extra = np.where(fl, batch.venue[rows].astype(np.uint64) + _FLAGGED_SALT,
                         batch.size[rows].astype(np.uint64) + _UNFLAGGED_SALT)
        key = np.zeros(n, dtype=np.int64)
        key[rows] = _mix(sym ^ _mix(extra)).view(np.int64)
        out = _Rows.from_batch(batch, s, key, rows)
        out.cols["poison"] = fl  # the column marks flagged legs here
        return out

    def _run(self, new: _Rows, now: int, final: bool) -> list[FlowEvent]:
        rows = _Rows.concat(self._open, new)
        if len(rows) == 0:
            return []
        r = rows.take(np.argsort(rows.cols["key"], kind="stable"))
        c = r.cols
        window = self.config.window_ns
        anchor = _assign_anchors(c["key"], c["ts"], c["anchor"], window)
        c["anchor"] = anchor
        n = anchor.size
        start = np.ones(n, dtype=np.bool_)
        start[1:] = (c["key"][1:] != c["key"][:-1]) | (anchor[1:] != anchor[:-1])
        first = np.flatnonzero(start)
        cid = np.cumsum(start) - 1
        count = np.diff(np.append(first, n))
        closed = np.full(first.size, True) if final else anchor[first] + window < now
        events: list[FlowEvent] = []
        for k in np.flatnonzero(closed & (count >= self.config.min_legs)).tolist():
            ev = self._judge(r, np.arange(first[k], first[k] + count[k]))
            if ev is not None:
                events.append(ev)
        self._open = r.take(np.flatnonzero(~closed[cid]))
        events.sort(key=lambda e: (e.first_ts_ns, e.seqs[0]))
        return events

    def _judge(self, r: _Rows, idx: Int64Array) -> FlowEvent | None:
        cfg = self.config
        c = r.cols
        expiry, strike, right = c["expiry"][idx], c["strike"][idx], c["right"][idx]
        contracts = {(int(e), float(k), int(q)) for e, k, q in
                     zip(expiry.tolist(), strike.tolist(), right.tolist(), strict=True)}
        if len(contracts) < cfg.min_contracts:
            return None
        flagged = bool(c["poison"][idx[0]])
        sign = aggressor(c["side"][idx])
        premium = c["premium"][idx]
        total = float(premium.sum())
        venues = np.unique(c["venue"][idx])
        ts = c["ts"][idx]
        span = int(ts.max() - ts.min())
        timing = 1.0 - span / cfg.window_ns
        if flagged:
            if total < cfg.flagged_min_premium:
                return None
            conf = 0.8 + 0.2 * timing
        else:
            if not (np.any(sign > 0) and np.any(sign < 0)):
                return None
            conf = (0.4 + 0.3 * timing + 0.1 * min(1.0, idx.size / 4.0)
                    + (0.2 if venues.size == 1 else 0.0))
        side = 1 if bool(np.all(sign > 0)) else -1 if bool(np.all(sign < 0)) else 0
        tilt = float(np.sum(sign * np.sign(right.astype(np.int64)) * premium))
        one = idx[0]
        same_exp = bool(np.all(expiry == expiry[0]))
        detail: dict[str, Any] = {
            "structure": spread_structure(expiry, strike, right, sign),
            "flagged": flagged, "span_ns": span, "contracts": len(contracts),
            "legs": [{"expiry": (_EPOCH + dt.timedelta(days=int(e))).isoformat(),
                      "strike": float(k), "right": int(q), "side": int(g), "size": int(z),
                      "price": float(p)}
                     for e, k, q, g, z, p in zip(expiry.tolist(), strike.tolist(),
                                                 right.tolist(), sign.tolist(),
                                                 c["size"][idx].tolist(),
                                                 c["price"][idx].tolist(), strict=True)],
        }
        return FlowEvent(
            type=EventType.SPREAD, underlying=str(r.underlying[one]),
            expiry=(_EPOCH + dt.timedelta(days=int(expiry[0]))) if same_exp else None,
            strike=float(strike[0]) if bool(np.all(strike == strike[0])) else math.nan,
            right=int(right[0]) if bool(np.all(right == right[0])) else 0,
            first_ts_ns=int(ts.min()), last_ts_ns=int(ts.max()),
            seqs=tuple(int(q) for q in c["seq"][idx]), stream="option",
            venues=tuple(int(v) for v in venues), size=int(c["size"][idx].sum()),
            premium=round(total, 2), side=side,
            sentiment=1 if tilt > 0 else -1 if tilt < 0 else 0,
            confidence=round(min(max(conf, 0.0), 1.0), 4), detail=detail,
        )
