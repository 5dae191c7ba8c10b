"""Listed contracts of a session: expiries, strike grids, open interest and flow propensity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optix.core.arrays import DateArray, FloatArray, Int8Array, Int64Array
from optix.data.calendar import standard_expiries
from optix.data.synthetic.universe import Universe

__all__ = ["Listings", "list_contracts", "strike_step"]

_YEAR_NS = 365.0 * 86_400 * 1e9


@dataclass(frozen=True, slots=True)
class Listings:
    """Every listed contract of the universe for one session, grouped by symbol.

    Attributes
    ----------
    sym : ndarray of int64
        Symbol index (into the universe) of each contract; non-decreasing.
    first, stop : ndarray of int64
        Contracts of symbol ``s`` are ``first[s]:stop[s]``.
    expiry : ndarray of datetime64[D]
    expiry_ns : ndarray of int64
        Expiration time (16:00 New York on the expiry date), epoch ns.
    strike : ndarray of float64
    right : ndarray of int8
    open_interest : ndarray of int64
    avg_volume : ndarray of float64
        Trailing average daily volume (what "well above its average" compares with).
    flow_share : ndarray of float64
        Share of its symbol's background prints that each contract gets (sums to 1 per
        symbol).
    expected_volume : ndarray of float64
        Expected background day volume.
    """

    sym: Int64Array
    first: Int64Array
    stop: Int64Array
    expiry: DateArray
    expiry_ns: Int64Array
    strike: FloatArray
    right: Int8Array
    open_interest: Int64Array
    avg_volume: FloatArray
    flow_share: FloatArray
    expected_volume: FloatArray

    def __len__(self) -> int:
        return int(self.sym.shape[0])


def strike_step(spot: float, busy: bool) -> float:
    """Strike increment that listing rules would give a name at this price."""
    if spot < 5:
        return 0.5
    if spot < 25:
        return 0.5 if busy else 1.0
    if spot < 200:
        return 1.0 if busy else 2.5
    if spot < 1000:
        return 1.0 if busy else 5.0
    return 5.0 if busy else 10.0


def _roundness(k: FloatArray) -> FloatArray:
    """Open-interest multiplier of round strikes (multiples of 5, 10, 50, 100)."""
    cents = np.round(k * 100).astype(np.int64)
    out = np.ones_like(k)
    for unit, mult in ((5, 1.3), (10, 1.4), (50, 1.6), (100, 1.3)):
        out *= np.where(cents % (unit * 100) == 0, mult, 1.0)
    return out


def _expiry_ns(expiry: DateArray) -> Int64Array:
    """16:00 New York on each date, epoch ns (daylight saving handled by the tz database)."""
    local = pd.DatetimeIndex(expiry.astype("datetime64[ns]")) + pd.Timedelta(hours=16)
    utc = local.tz_localize("America/New_York").tz_convert("UTC").tz_localize(None)
    return np.asarray(utc.to_numpy().astype(np.int64), dtype=np.int64)


_EXPIRY_NS: dict[bytes, Int64Array] = {}


def _expiry_ns_cached(expiry: DateArray) -> Int64Array:
    key = expiry.tobytes()
    if key not in _EXPIRY_NS:
        if len(_EXPIRY_NS) > 4096:
            _EXPIRY_NS.clear()
        _EXPIRY_NS[key] = _expiry_ns(expiry)
    return _EXPIRY_NS[key]


def list_contracts(
    universe: Universe,
    spot: FloatArray,
    today: dt.date,
    open_ns: int,
    trades_per_day: float,
    rng: np.random.Generator,
) -> Listings:
    """List the contracts of every symbol for the session ``today`` around ``spot``.

    Busy names get daily expiries, weeklies, finer strikes and LEAPS; every name gets
    monthlies and quarterlies. Strikes span about 3.5 standard deviations of the expiry's
    horizon on each side. Open interest concentrates near the money, at round strikes and in
    standard monthly expiries; it is always at least four times a contract's expected
    background day volume, so that only planted events push volume above open interest.
    """
    n = len(universe)
    rank = np.arange(n)
    sym_parts: list[Int64Array] = []
    exp_parts: list[DateArray] = []
    k_parts: list[FloatArray] = []
    r_parts: list[Int8Array] = []
    oi_parts: list[FloatArray] = []
    w_parts: list[FloatArray] = []
    monthly = standard_expiries(today, monthlies=12, quarterlies_months=0)
    for s in range(n):
        busy = rank[s] < 20
        expiries = standard_expiries(
            today,
            daily=10 if (rank[s] < 3 or (universe.index_like[s] and rank[s] < 10)) else 0,
            weeklies=6 if rank[s] < 200 else 0,
            monthlies=3,
            quarterlies_months=12 if rank[s] < 500 else 0,
            leaps=2 if rank[s] < 100 else 0,
        )
        t_years = np.maximum((_expiry_ns_cached(expiries) - open_ns) / _YEAR_NS, 1.0 / 365.0)
        s0, vol = float(spot[s]), float(universe.vol[s])
        base_step = strike_step(s0, busy)
        max_strikes = 120 if busy else 40
        for e, t in zip(expiries, t_years, strict=True):
            half_width = float(np.clip(3.5 * vol * np.sqrt(t), 0.06, 0.8))
            lo, hi = s0 * np.exp(-half_width), s0 * np.exp(half_width)
            step = base_step
            while (hi - lo) / step > max_strikes:
                step *= 2.5 if step in (2.0, 20.0) else 2.0
            strikes = np.arange(np.ceil(lo / step) * step, hi + step / 2, step)
            strikes = strikes[strikes > 0]
            m = np.log(strikes / s0) / (vol * np.sqrt(max(t, 5.0 / 365)))
            is_monthly = e in monthly
            oi_term = (2.0 if is_monthly else 0.7) * (1.5 if t > 1 else 1.0)
            oi_shape = np.exp(-0.5 * (m / 1.2) ** 2) * oi_term
            flow_shape = np.exp(-0.5 * (m / 0.8) ** 2) * (
                np.exp(-t / 0.06) + 0.08)
            for sign in (1, -1):
                skew_tilt = np.exp(-0.25 * sign * m)  # more put OI below, call OI above
                sym_parts.append(np.full(strikes.size, s))
                exp_parts.append(np.full(strikes.size, e))
                k_parts.append(strikes)
                r_parts.append(np.full(strikes.size, sign, dtype=np.int8))
                oi_parts.append(oi_shape * skew_tilt)
                w_parts.append(flow_shape * skew_tilt)
    sym = np.concatenate(sym_parts).astype(np.int64)
    expiry = np.concatenate(exp_parts).astype("datetime64[D]")
    strike = np.concatenate(k_parts).astype(np.float64)
    right = np.concatenate(r_parts)
    round_mult = _roundness(strike)
    oi_shape = np.concatenate(oi_parts) * round_mult * rng.lognormal(0.0, 0.5, sym.size)
    weight = np.concatenate(w_parts) * round_mult**0.5 * rng.lognormal(0.0, 0.4, sym.size)
    weight_sum = np.bincount(sym, weights=weight, minlength=n)
    share = weight / weight_sum[sym]
    first = np.searchsorted(sym, np.arange(n), side="left").astype(np.int64)
    stop = np.searchsorted(sym, np.arange(n), side="right").astype(np.int64)
    mean_size = 4.0
    expected = trades_per_day * universe.activity[sym] * share * mean_size
    oi_sum = np.bincount(sym, weights=oi_shape, minlength=n)
    oi_total = 60.0 * trades_per_day * universe.activity  # OI ~ 60 days of prints
    oi = oi_shape / oi_sum[sym] * oi_total[sym]
    oi_count = np.maximum(np.round(oi), np.ceil(4.0 * expected + 10.0)).astype(np.int64)
    avg_volume = expected * rng.lognormal(0.0, 0.2, sym.size)
    return Listings(
        sym=sym, first=first, stop=stop, expiry=expiry, expiry_ns=_expiry_ns(expiry),
        strike=strike, right=right, open_interest=oi_count, avg_volume=avg_volume,
        flow_share=share, expected_volume=expected,
    )
