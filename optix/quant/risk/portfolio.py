"""Option portfolios, market states, aggregated Greeks and full revaluation under scenarios.

A :class:`Portfolio` is columnar: one row per position (an option or a stock holding) with the
index of its underlying into ``Portfolio.underlyings``. A :class:`MarketState` gives spot, rate
and dividend yield per underlying. Options are valued with Black-Scholes-Merton at each
position's own implied volatility (the sticky-strike convention); scenarios shift spot
(relatively), volatility (in absolute points) and time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from optix.core.arrays import FloatArray, Int64Array
from optix.quant.bsm import bsm_price
from optix.quant.greeks import bsm_greeks

__all__ = ["MarketState", "Portfolio", "PortfolioGreeks", "portfolio_greeks", "revalue"]

STOCK = 0.0
"""Right code of a stock holding (calls are +1, puts -1)."""


def _rights(right: npt.ArrayLike) -> FloatArray:
    arr = np.atleast_1d(np.asarray(right))
    if arr.dtype.kind in "iuf":
        codes = arr.astype(np.float64)
    else:
        text = np.char.upper(np.char.strip(arr.astype(str)))
        codes = np.select([np.isin(text, ("C", "CALL")), np.isin(text, ("P", "PUT")),
                           np.isin(text, ("S", "STOCK"))], [1.0, -1.0, 0.0], np.nan)
    bad = ~np.isin(codes, (1.0, -1.0, 0.0))
    if np.any(bad):
        raise ValueError(f"right must be 'c', 'p' or 's' (stock) or +1/-1/0, got "
                         f"{arr[bad][:3]}")
    return codes


@dataclass(frozen=True)
class Portfolio:
    """Positions as columns.

    Parameters
    ----------
    underlying : array_like of str
        Underlying symbol per position.
    right : array_like
        ``'c'``, ``'p'`` or ``'s'`` (a stock holding), or +1/-1/0.
    strike, expiry : array_like of float
        Strike and years to expiry (ignored for stock rows; pass any finite value).
    quantity : array_like of float
        Signed number of contracts (or shares for stock rows); negative is short.
    iv : array_like of float
        Implied volatility per option position, decimal (ignored for stock rows).
    multiplier : array_like of float, default 100
        Shares per contract (1 is forced for stock rows).
    """

    underlying: npt.ArrayLike
    right: npt.ArrayLike
    strike: npt.ArrayLike
    expiry: npt.ArrayLike
    quantity: npt.ArrayLike
    iv: npt.ArrayLike
    multiplier: npt.ArrayLike = 100.0

    def __post_init__(self) -> None:
        names = np.atleast_1d(np.asarray(self.underlying, dtype=str))
        n = names.size
        if n == 0:
            raise ValueError("a portfolio needs at least one position")
        right = _rights(self.right)
        cols: dict[str, FloatArray] = {}
        for name in ("strike", "expiry", "quantity", "iv", "multiplier"):
            value = np.asarray(getattr(self, name), dtype=np.float64)
            try:
                col = np.broadcast_to(value, (n,)).astype(np.float64)
            except ValueError:
                raise ValueError(f"{name} has shape {value.shape}; expected ({n},) like "
                                 "underlying") from None
            if not np.all(np.isfinite(col)):
                raise ValueError(f"{name} must be finite")
            cols[name] = col
        right = np.broadcast_to(right, (n,)).astype(np.float64)
        option = right != STOCK
        for name, ok in (("strike", cols["strike"] > 0), ("expiry", cols["expiry"] >= 0),
                         ("iv", cols["iv"] >= 0), ("multiplier", cols["multiplier"] > 0)):
            if not np.all(ok | ~option):
                raise ValueError(f"{name} out of range for option rows: "
                                 f"{cols[name][option & ~ok][:3]}")
        cols["multiplier"] = np.where(option, cols["multiplier"], 1.0)
        underlyings, index = np.unique(names, return_inverse=True)
        object.__setattr__(self, "underlying", names)
        object.__setattr__(self, "right", right)
        for name, col in cols.items():
            object.__setattr__(self, name, col)
        object.__setattr__(self, "_underlyings", tuple(str(u) for u in underlyings))
        object.__setattr__(self, "_index", index.astype(np.int64))

    @property
    def underlyings(self) -> tuple[str, ...]:
        """Distinct underlyings, sorted; the order of every per-underlying array."""
        return self._underlyings  # type: ignore[attr-defined, no-any-return]

    @property
    def index(self) -> Int64Array:
        """Per position, its underlying's index into :attr:`underlyings`."""
        return self._index  # type: ignore[attr-defined, no-any-return]

    @property
    def n_positions(self) -> int:
        """Number of positions (rows)."""
        return int(self.index.size)


@dataclass(frozen=True)
class MarketState:
    """Spot, rate and dividend yield per underlying, in :attr:`Portfolio.underlyings` order.

    Parameters
    ----------
    spot : array_like of float
        Spot per underlying, positive.
    rate, dividend_yield : array_like of float
        Continuously compounded, per underlying or one scalar for all.
    """

    spot: npt.ArrayLike
    rate: npt.ArrayLike = 0.0
    dividend_yield: npt.ArrayLike = 0.0

    def __post_init__(self) -> None:
        spot = np.atleast_1d(np.asarray(self.spot, dtype=np.float64))
        if not np.all(np.isfinite(spot) & (spot > 0)):
            raise ValueError(f"spot must be positive and finite, got {spot[~(spot > 0)][:3]}")
        object.__setattr__(self, "spot", spot)
        for name in ("rate", "dividend_yield"):
            value = np.broadcast_to(np.asarray(getattr(self, name), dtype=np.float64),
                                    spot.shape).copy()
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{name} must be finite")
            object.__setattr__(self, name, value)

    def check(self, portfolio: Portfolio) -> None:
        """Raise ValueError unless there is one spot per underlying of ``portfolio``."""
        if np.asarray(self.spot).size != len(portfolio.underlyings):
            raise ValueError(f"market has {np.asarray(self.spot).size} spots; the portfolio "
                             f"has {len(portfolio.underlyings)} underlyings "
                             f"{portfolio.underlyings[:5]}")


@dataclass(frozen=True)
class PortfolioGreeks:
    """Greeks aggregated per underlying (arrays in :attr:`underlyings` order) and in total.

    Units: ``delta`` in shares; ``dollar_delta`` in currency per 1.00 relative move
    (delta x spot); ``gamma`` in shares per 1 unit of spot; ``dollar_gamma`` the usual
    dollar gamma, gamma x spot^2 / 100 (the change of the position's share delta, in currency
    of underlying, for a 1 % move); ``vega`` per vol point; ``theta`` per
    calendar day; ``rho`` per 1 % of rate; ``vanna`` the change of delta (shares) per vol point;
    ``charm`` the change of delta (shares) per calendar day. Totals in currency add across
    underlyings; share counts do not, so ``total`` holds only the currency-valued ones.
    """

    underlyings: tuple[str, ...]
    value: FloatArray
    delta: FloatArray
    dollar_delta: FloatArray
    gamma: FloatArray
    dollar_gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray
    vanna: FloatArray
    charm: FloatArray

    @property
    def total(self) -> dict[str, float]:
        """Portfolio totals of the currency-valued Greeks."""
        return {name: float(np.sum(getattr(self, name))) for name in
                ("value", "dollar_delta", "dollar_gamma", "vega", "theta", "rho")}

    def to_frame(self) -> pd.DataFrame:
        """One row per underlying."""
        cols = ("value", "delta", "dollar_delta", "gamma", "dollar_gamma", "vega", "theta",
                "rho", "vanna", "charm")
        return pd.DataFrame({c: getattr(self, c) for c in cols},
                            index=pd.Index(self.underlyings, name="underlying"))


class _Rows(NamedTuple):
    """Per position: its market, its option terms (placeholders on stock rows), its size."""

    spot: FloatArray
    rate: FloatArray
    div: FloatArray
    strike: FloatArray
    expiry: FloatArray
    iv: FloatArray
    right: FloatArray
    option: npt.NDArray[np.bool_]
    size: FloatArray

    @classmethod
    def of(cls, portfolio: Portfolio, market: MarketState) -> _Rows:
        idx = portfolio.index
        spot = np.asarray(market.spot)[idx]
        right = np.asarray(portfolio.right)
        option = right != STOCK
        return cls(spot=spot, rate=np.asarray(market.rate)[idx],
                   div=np.asarray(market.dividend_yield)[idx],
                   strike=np.where(option, np.asarray(portfolio.strike), spot),
                   expiry=np.where(option, np.asarray(portfolio.expiry), 0.0),
                   iv=np.where(option, np.asarray(portfolio.iv), 0.0),
                   right=np.where(option, right, 1.0), option=option,
                   size=np.asarray(portfolio.quantity) * np.asarray(portfolio.multiplier))


def portfolio_greeks(portfolio: Portfolio, market: MarketState) -> PortfolioGreeks:
    """Aggregate position Greeks per underlying (units in :class:`PortfolioGreeks`).

    Parameters
    ----------
    portfolio : Portfolio
    market : MarketState
        One spot per underlying of the portfolio.

    Returns
    -------
    PortfolioGreeks
    """
    market.check(portfolio)
    idx = portfolio.index
    spot, rate, div, strike, expiry, iv, opt_right, option, size = _Rows.of(portfolio, market)
    g = bsm_greeks(spot, strike, expiry, rate, div, iv, opt_right, order=2)
    assert g.vanna is not None and g.charm is not None
    per_pos = {
        "value": np.where(option, g.price, spot),
        "delta": np.where(option, g.delta, 1.0),
        "gamma": np.where(option, g.gamma, 0.0),
        "vega": np.where(option, g.vega / 100.0, 0.0),
        "theta": np.where(option, g.theta / 365.0, 0.0),
        "rho": np.where(option, g.rho / 100.0, 0.0),
        "vanna": np.where(option, g.vanna / 100.0, 0.0),
        "charm": np.where(option, g.charm / 365.0, 0.0),
    }
    n_und = len(portfolio.underlyings)
    agg = {k: np.bincount(idx, weights=v * size, minlength=n_und).astype(np.float64)
           for k, v in per_pos.items()}
    spots = np.asarray(market.spot)
    return PortfolioGreeks(
        underlyings=portfolio.underlyings, value=agg["value"], delta=agg["delta"],
        dollar_delta=agg["delta"] * spots, gamma=agg["gamma"],
        dollar_gamma=agg["gamma"] * spots**2 / 100.0, vega=agg["vega"], theta=agg["theta"],
        rho=agg["rho"], vanna=agg["vanna"], charm=agg["charm"])


def revalue(
    portfolio: Portfolio, market: MarketState, spot_return: npt.ArrayLike,
    vol_shift: npt.ArrayLike = 0.0, horizon_years: float = 0.0, *, chunk: int = 1_000_000,
) -> FloatArray:
    """Profit and loss of the portfolio under scenarios, by full revaluation.

    Parameters
    ----------
    portfolio : Portfolio
    market : MarketState
    spot_return : array_like, shape (n_scenarios, n_underlyings) or broadcastable
        Relative spot move per underlying (``0.05`` is +5 %).
    vol_shift : array_like, shape (n_scenarios, n_underlyings) or broadcastable
        Absolute change of every implied volatility on that underlying (``0.02`` is +2 vol
        points); volatilities are floored at 0.
    horizon_years : float
        Time that passes before the scenario (expiries shorten; expired options pay intrinsic).
    chunk : int
        Maximum number of (scenario, position) prices evaluated at once, to bound memory.

    Returns
    -------
    ndarray, shape (n_scenarios,)
        Scenario value minus today's value, in currency.
    """
    market.check(portfolio)
    if horizon_years < 0 or not np.isfinite(horizon_years):
        raise ValueError(f"horizon_years must be >= 0, got {horizon_years}")
    n_und = len(portfolio.underlyings)
    ret = np.atleast_2d(np.asarray(spot_return, dtype=np.float64))
    shift = np.atleast_2d(np.asarray(vol_shift, dtype=np.float64))
    n_scen = max(ret.shape[0], shift.shape[0])
    try:
        ret = np.broadcast_to(ret, (n_scen, n_und))
        shift = np.broadcast_to(shift, (n_scen, n_und))
    except ValueError:
        raise ValueError(f"spot_return and vol_shift must broadcast to (n_scenarios, {n_und})"
                         f"; got {ret.shape} and {shift.shape}") from None
    if np.any(ret <= -1.0) or not np.all(np.isfinite(ret)):
        raise ValueError("spot_return must be finite and > -1 (a spot cannot go to zero)")
    if not np.all(np.isfinite(shift)):
        raise ValueError("vol_shift must be finite")
    idx = portfolio.index
    spot, rate, div, strike, expiry, iv, opt_right, option, size = _Rows.of(portfolio, market)
    base = np.where(option, bsm_price(spot, strike, expiry, rate, div, iv, opt_right), spot)
    base_value = float(np.sum(base * size))
    t_new = expiry - horizon_years
    pnl = np.empty(n_scen)
    step = max(1, chunk // max(1, idx.size))
    for lo in range(0, n_scen, step):
        hi = min(n_scen, lo + step)
        s_new = spot * (1.0 + ret[lo:hi, idx])
        vol_new = np.maximum(iv + shift[lo:hi, idx], 0.0)
        price = bsm_price(s_new, strike, t_new, rate, div, vol_new, opt_right)
        value = np.where(option, price, s_new)
        pnl[lo:hi] = value @ size - base_value
    return pnl
