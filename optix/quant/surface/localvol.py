"""Dupire local volatility from a total-variance surface (Gatheral's form).

With ``k = ln(K/F_T)`` and ``w(k, T)`` the total implied variance, deterministic rates and
dividends (Gatheral 2006, eq. 1.10)::

    sigma_loc**2 = (dw/dT) / (1 - k/w dw/dk + 1/4 (-1/4 - 1/w + k**2/w**2) (dw/dk)**2
                              + 1/2 d2w/dk2)

where ``dw/dT`` is taken at fixed ``k``. The denominator equals Gatheral-Jacquier's ``g(k)``
(butterfly arbitrage where it is not positive); the numerator is negative under calendar
arbitrage. Points where the formula has no meaning give ``nan`` with a :class:`LocalVolStatus`
saying why, or raise :class:`LocalVolArbitrageError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray, Int8Array
from optix.quant.surface.smile import butterfly_g

__all__ = ["LocalVolArbitrageError", "LocalVolResult", "LocalVolStatus", "dupire_local_variance"]


class LocalVolStatus(IntEnum):
    """Why a local volatility is, or is not, there.

    Attributes
    ----------
    OK
        Finite, non-negative local volatility.
    BUTTERFLY
        Denominator ``g(k) <= 0``: butterfly arbitrage (no positive density) at this point.
    CALENDAR
        ``dw/dT < 0`` at fixed ``k``: calendar arbitrage.
    NO_VARIANCE
        Total variance ``w <= 0`` (or not finite): no smile to differentiate.
    """

    OK = 0
    BUTTERFLY = 1
    CALENDAR = 2
    NO_VARIANCE = 3


class LocalVolArbitrageError(ValueError):
    """Local volatility requested where the surface has arbitrage (see the message)."""


@dataclass(frozen=True)
class LocalVolResult:
    """Local volatilities with a reason code per point.

    Attributes
    ----------
    vol : ndarray of float64
        Local volatility; ``nan`` where ``status != OK``.
    status : ndarray of int8
        :class:`LocalVolStatus` codes, same shape.
    """

    vol: FloatArray
    status: Int8Array

    @property
    def ok(self) -> bool:
        """Every point has a local volatility."""
        return bool(np.all(self.status == LocalVolStatus.OK))


def dupire_local_variance(
    k: npt.ArrayLike,
    w: npt.ArrayLike,
    dw_dk: npt.ArrayLike,
    d2w_dk2: npt.ArrayLike,
    dw_dT: npt.ArrayLike,
) -> tuple[FloatArray, Int8Array]:
    """Local variance from total variance and its derivatives, with a reason per point.

    Parameters
    ----------
    k : array_like
        Log-forward-moneyness.
    w, dw_dk, d2w_dk2 : array_like
        Total variance and its first two ``k``-derivatives.
    dw_dT : array_like
        Derivative of total variance in ``T`` at fixed ``k``.

    Returns
    -------
    (local_variance, status)
        ``sigma_loc**2`` (``nan`` where ``status != OK``) and :class:`LocalVolStatus` codes.
    """
    kk, ww, w1, w2, wt = np.broadcast_arrays(
        *(np.asarray(x, dtype=np.float64) for x in (k, w, dw_dk, d2w_dk2, dw_dT)))
    den = butterfly_g(kk, ww, w1, w2)
    status = np.full(kk.shape, LocalVolStatus.OK, dtype=np.int8)
    no_var = ~(np.isfinite(ww) & (ww > 0.0))
    fly = ~no_var & ~(den > 0.0)
    cal = ~no_var & ~fly & ~(wt >= 0.0)
    status[fly] = LocalVolStatus.BUTTERFLY
    status[cal] = LocalVolStatus.CALENDAR
    status[no_var] = LocalVolStatus.NO_VARIANCE
    with np.errstate(divide="ignore", invalid="ignore"):
        var = wt / den
    var = np.where(status == LocalVolStatus.OK, var, np.nan)
    return np.asarray(var, dtype=np.float64), status
