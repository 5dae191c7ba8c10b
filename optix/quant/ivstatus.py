"""Reason codes of the implied-volatility solvers (European and American).

Every solver returns an array of volatilities and an array of these codes, element by element:
a price that has no implied volatility gives ``nan`` and says why, never an exception and
never a silently wrong number.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["IVStatus"]


class IVStatus(IntEnum):
    """Why an implied volatility is, or is not, there.

    Attributes
    ----------
    OK
        Converged; the volatility reprices the input to solver precision.
    BELOW_INTRINSIC
        Price below the lower no-arbitrage bound (discounted intrinsic, or exercise value for
        an American option): no volatility reaches it.
    ABOVE_UPPER_BOUND
        Price at or above the upper bound (discounted spot for a call, discounted strike for a
        put; for an American option the spot or the strike).
    AT_INTRINSIC
        Price equal to the lower bound: the volatility is 0 (or undetermined), returned as
        ``nan`` because no positive volatility is identified.
    VEGA_NEGLIGIBLE
        The price carries no information about volatility at double precision (time value
        below ~1e-12 of the forward's scale); returned as ``nan``.
    NO_CONVERGENCE
        The iteration budget ran out (should not happen; reported, never hidden).
    BAD_INPUT
        A non-finite or non-positive spot, strike or expiry, or a non-finite price, rate or
        dividend yield.
    """

    OK = 0
    BELOW_INTRINSIC = 1
    ABOVE_UPPER_BOUND = 2
    AT_INTRINSIC = 3
    VEGA_NEGLIGIBLE = 4
    NO_CONVERGENCE = 5
    BAD_INPUT = 6


# Plain-int copies of the codes for the compiled solvers (numba reads module globals as
# constants; an IntEnum member is not one).
_OK = int(IVStatus.OK)
_BELOW = int(IVStatus.BELOW_INTRINSIC)
_ABOVE = int(IVStatus.ABOVE_UPPER_BOUND)
_AT = int(IVStatus.AT_INTRINSIC)
_FLAT = int(IVStatus.VEGA_NEGLIGIBLE)
_NOCONV = int(IVStatus.NO_CONVERGENCE)
_BAD = int(IVStatus.BAD_INPUT)
