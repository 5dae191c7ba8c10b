"""Aggressor side, sentiment and the opening-trade heuristic, vectorized over a batch.

Every option print is placed against the NBBO at trade time into one of five buckets, with
``tol`` the :attr:`SideConfig.quote_tolerance`:

- ``ABOVE_ASK``: ``price > ask + tol`` (a buyer paid through the offer);
- ``AT_ASK``: ``ask - tol <= price <= ask + tol`` (a buyer lifted the offer);
- ``MID``: strictly inside the spread, farther than ``tol`` from both sides (no aggressor);
- ``AT_BID``: ``bid - tol <= price <= bid + tol`` (a seller hit the bid);
- ``BELOW_BID``: ``price < bid - tol`` (a seller went through the bid).

A print gets :attr:`Side.NONE` when it is canceled, late or out of sequence (its time says
nothing about the quote it met), or when the quote is unusable (missing, crossed, or an ask of
zero). A locked market (``bid == ask``) classifies as AT_ASK: the price met the offer.

Sentiment follows the aggressor and the right: calls bought at or above the ask and puts sold
at or below the bid are bullish (+1); puts bought at or above the ask and calls sold at or
below the bid are bearish (-1); everything else is neutral (0).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from optix.core.arrays import BoolArray, FloatArray, Int8Array
from optix.core.enums import Condition

__all__ = ["Side", "SideConfig", "aggressor", "classify_side", "is_opening", "sentiment"]


class Side(IntEnum):
    """Where a print met the quote, stored as ``int8``."""

    BELOW_BID = -2
    AT_BID = -1
    MID = 0
    AT_ASK = 1
    ABOVE_ASK = 2
    NONE = 9
    """No side: a canceled, late or out-of-sequence print, or no usable quote."""


@dataclass(frozen=True, slots=True)
class SideConfig:
    """How prints are placed against the quote.

    Attributes
    ----------
    quote_tolerance : float
        Dollars within which a price counts as at the bid or at the ask. A tenth of a cent by
        default: listed option prices and quotes sit on a penny (or nickel) grid, so this
        absorbs representation noise but keeps a half-penny print inside a one-cent market
        in the middle, not at either side.
    """

    quote_tolerance: float = 0.001

    def __post_init__(self) -> None:
        if not (self.quote_tolerance >= 0.0 and np.isfinite(self.quote_tolerance)):
            raise ValueError(f"quote_tolerance must be finite and >= 0, got "
                             f"{self.quote_tolerance!r}")


_NO_SIDE_FLAGS = np.uint32(int(Condition.no_side()))


def classify_side(
    price: npt.ArrayLike, bid: npt.ArrayLike, ask: npt.ArrayLike, conditions: npt.ArrayLike,
    config: SideConfig | None = None,
) -> Int8Array:
    """The :class:`Side` bucket of every print.

    Parameters
    ----------
    price, bid, ask : array_like of float
        Trade price and the NBBO at trade time (``nan`` where unknown).
    conditions : array_like of uint32
        :class:`~optix.core.enums.Condition` bitmasks.
    config : SideConfig, optional
        Tolerances; defaults to :class:`SideConfig()`.

    Returns
    -------
    ndarray of int8
        :class:`Side` codes, one per print.
    """
    cfg = config or SideConfig()
    p = np.asarray(price, dtype=np.float64)
    b = np.asarray(bid, dtype=np.float64)
    a = np.asarray(ask, dtype=np.float64)
    cond = np.asarray(conditions, dtype=np.uint32)
    tol = cfg.quote_tolerance
    with np.errstate(invalid="ignore"):
        side = np.select(
            [p > a + tol, p >= a - tol, p < b - tol, p <= b + tol],
            [Side.ABOVE_ASK, Side.AT_ASK, Side.BELOW_BID, Side.AT_BID],
            Side.MID,
        ).astype(np.int8)
        usable = np.isfinite(p) & np.isfinite(b) & np.isfinite(a) & (a > 0) & (b >= 0) & (b <= a)
    side[~usable | ((cond & _NO_SIDE_FLAGS) != 0)] = Side.NONE
    return side


_AGGRESSOR = np.zeros(Side.NONE + 3, dtype=np.int8)  # indexed by code + 2
_AGGRESSOR[Side.BELOW_BID + 2] = _AGGRESSOR[Side.AT_BID + 2] = -1
_AGGRESSOR[Side.AT_ASK + 2] = _AGGRESSOR[Side.ABOVE_ASK + 2] = 1


def aggressor(side: npt.ArrayLike) -> Int8Array:
    """+1 where a buyer lifted the offer (at/above ask), -1 where a seller hit the bid, else 0."""
    s = np.asarray(side, dtype=np.int8)
    return np.asarray(_AGGRESSOR[s.astype(np.intp) + 2], dtype=np.int8)


def sentiment(side: npt.ArrayLike, right: npt.ArrayLike) -> Int8Array:
    """+1 bullish, -1 bearish, 0 neutral: the aggressor's sign times the right (+1 call, -1 put).

    Parameters
    ----------
    side : array_like of int8
        :class:`Side` codes from :func:`classify_side`.
    right : array_like of int8
        +1 call, -1 put (0, an unknown right, gives 0).
    """
    r = np.asarray(right, dtype=np.int8)
    return np.asarray(aggressor(side) * np.sign(r), dtype=np.int8)


def is_opening(
    size: npt.ArrayLike, open_interest: npt.ArrayLike, day_volume: npt.ArrayLike,
) -> BoolArray:
    """The opening-trade heuristic: ``size > open_interest - (day_volume - size)``.

    A print is likely opening new positions when the day's volume through and including it
    exceeds the open interest carried in from the previous day: at least part of it cannot
    be closing existing contracts.

    Parameters
    ----------
    size : array_like of int
        Contracts in the print.
    open_interest : array_like of float
        Start-of-day open interest of the print's contract (``nan`` or negative: unknown,
        which never counts as opening).
    day_volume : array_like of int
        The contract's volume so far today, including this print.
    """
    n = np.asarray(size, dtype=np.float64)
    oi: FloatArray = np.asarray(open_interest, dtype=np.float64)
    vol = np.asarray(day_volume, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        known = np.isfinite(oi) & (oi >= 0)
        return np.asarray(known & (n > oi - (vol - n)), dtype=np.bool_)
