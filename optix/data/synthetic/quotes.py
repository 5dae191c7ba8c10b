"""Implied volatility surface, theoretical values and NBBO quotes of synthetic contracts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optix.core.arrays import BoolArray, FloatArray
from optix.quant.bsm import bsm_price_unchecked

__all__ = ["Quotes", "implied_vol", "quote", "tick_size"]

_YEAR_NS = 365.0 * 86_400 * 1e9
_MIN_T = 60.0 / (365.0 * 86_400)  # one minute: the floor on time to expiry
_VRP = 1.08  # implied over realized: the variance risk premium


def implied_vol(
    inst_vol: FloatArray, long_vol: FloatArray, skew: FloatArray, spot: FloatArray,
    strike: FloatArray, t: FloatArray, rate: float, div: FloatArray,
) -> FloatArray:
    """Implied volatility with term structure and skew.

    At-the-money vol decays from the current instantaneous level towards the long-run
    level with horizon (3-month time constant), times a variance-risk premium; the smile
    is ``atm * (1 + skew*m + 0.06*m**2)`` in standardized moneyness
    ``m = ln(K/F) / (atm * sqrt(T))``, clipped to [0.4, 3] x ATM.
    """
    atm = (long_vol + (inst_vol - long_vol) * np.exp(-t / 0.25)) * _VRP
    fwd = spot * np.exp((rate - div) * t)
    m = np.log(strike / fwd) / (atm * np.sqrt(t))
    smile = 1.0 + skew * m + 0.06 * m * m
    return np.asarray(atm * np.clip(smile, 0.4, 3.0), dtype=np.float64)


def tick_size(price: FloatArray, penny: BoolArray) -> FloatArray:
    """Minimum quoting increment of each option.

    Pennies under $3 (nickels above) for Penny Program classes, nickels under $3 (dimes
    above) for the rest.
    """
    return np.where(penny, np.where(price < 3.0, 0.01, 0.05),
                    np.where(price < 3.0, 0.05, 0.10))


@dataclass(frozen=True, slots=True)
class Quotes:
    """Theoretical value, NBBO and quoting increment per row."""

    theo: FloatArray
    iv: FloatArray
    bid: FloatArray
    ask: FloatArray
    tick: FloatArray


def quote(
    spot: FloatArray, strike: FloatArray, expiry_ns: npt.NDArray[np.int64],
    ts_ns: npt.NDArray[np.int64] | int, right: npt.NDArray[np.int8], inst_vol: FloatArray,
    long_vol: FloatArray, skew: FloatArray, div: FloatArray, rate: float,
    rel_spread: FloatArray, penny: BoolArray,
) -> Quotes:
    """Theoretical value from the surface and an NBBO around it, on the tick grid.

    The quoted width is ``rel_spread * theo``, wider in the wings, at least one tick; the
    bid is never negative and a contract worth under half a tick is quoted 0 bid.
    """
    t = np.maximum((expiry_ns - ts_ns) / _YEAR_NS, _MIN_T)
    iv = implied_vol(inst_vol, long_vol, skew, spot, strike, t, rate, div)
    theo = bsm_price_unchecked(spot, strike, t, rate, div, iv, right.astype(np.float64))
    tick = tick_size(theo, penny)
    moneyness = np.abs(np.log(strike / spot))
    width = np.maximum(rel_spread * theo * (1.0 + 4.0 * moneyness), tick)
    width = np.ceil(width / tick - 1e-9) * tick
    bid = np.floor((theo - 0.5 * width) / tick + 1e-9) * tick
    bid = np.maximum(bid, 0.0)
    ask = np.maximum(bid + width, tick)
    return Quotes(theo=theo, iv=iv, bid=np.round(bid, 2).astype(np.float64),
                  ask=np.round(ask, 2).astype(np.float64), tick=tick)
