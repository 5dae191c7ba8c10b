"""Discrete cash dividends: the shape contract and the escrowed-dividend European price.

Shape contract
--------------
``dividends = (times, amounts)``: two 1-D array-likes of equal length, shared by every element
of the batch (one underlying's schedule). ``times`` are ex-dividend times in years from today on
the same clock as ``T``; ``amounts`` are cash per share, ``>= 0``. For an option with expiry
``T`` the dividends with ``0 <= time < T`` count; earlier ones are already paid and later ones
fall after expiry, so both are ignored for that element. An empty schedule means no dividends.

Model
-----
Escrowed dividends: the spot is split into the present value of the dividends that fall before
expiry, discounted at ``r``, and the risky remainder ``S* = S - PV``, which carries the
volatility ``sigma`` and the continuous yield ``q``. The European price is Black-Scholes-Merton
on ``S*`` (what QuantLib's ``AnalyticDividendEuropeanEngine`` computes); the American price is
the lattice of :mod:`optix.quant.american.binomial` on ``S*``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray
from optix.quant.bsm import bsm_price

__all__ = ["escrowed_spot", "european_price_cash_dividends", "validate_dividends"]


def validate_dividends(
    dividends: tuple[npt.ArrayLike, npt.ArrayLike] | None,
) -> tuple[FloatArray, FloatArray]:
    """Check a ``(times, amounts)`` schedule and return it as two float64 arrays.

    Raises
    ------
    ValueError
        If ``dividends`` is not a pair of equal-length 1-D arrays of finite numbers with
        non-negative amounts.
    """
    if dividends is None:
        return np.empty(0), np.empty(0)
    if not isinstance(dividends, tuple | list) or len(dividends) != 2:
        raise ValueError("dividends must be a (times, amounts) pair of 1-D arrays")
    times = np.asarray(dividends[0], dtype=np.float64)
    amounts = np.asarray(dividends[1], dtype=np.float64)
    if times.ndim != 1 or amounts.ndim != 1 or times.shape != amounts.shape:
        raise ValueError(
            "dividends must be (times, amounts), two 1-D arrays of equal length; got shapes "
            f"{times.shape} and {amounts.shape}"
        )
    if not (np.all(np.isfinite(times)) and np.all(np.isfinite(amounts))):
        raise ValueError("dividends: times and amounts must be finite")
    if np.any(amounts < 0.0):
        raise ValueError(f"dividends: amounts must be >= 0, got {amounts[amounts < 0.0][:3]}")
    return np.ascontiguousarray(times), np.ascontiguousarray(amounts)


def escrowed_spot(
    S: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike, times: FloatArray, amounts: FloatArray
) -> FloatArray:
    """``S - sum(D_i e^{-r t_i})`` over the dividends with ``0 <= t_i < T``, broadcast.

    Raises
    ------
    ValueError
        If the dividends before expiry are worth the spot or more (``S* <= 0``).
    """
    s, t, rr = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (S, T, r)))
    if times.size == 0:
        return np.array(s, dtype=np.float64)
    live = (times >= 0.0) & (times < t[..., None])
    pv = np.sum(np.where(live, amounts * np.exp(-rr[..., None] * times), 0.0), axis=-1)
    s_star = s - pv
    if np.any(s_star <= 0.0):
        raise ValueError(
            "dividends: the present value of the dividends before expiry must be below the "
            f"spot, got an escrowed spot of {float(np.min(s_star)):.6g}"
        )
    return np.asarray(s_star, dtype=np.float64)


def european_price_cash_dividends(
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
    sigma: npt.ArrayLike,
    right: npt.ArrayLike,
    dividends: tuple[npt.ArrayLike, npt.ArrayLike] | None,
) -> FloatArray:
    """European price with discrete cash dividends, escrowed-dividend model.

    Parameters
    ----------
    S, K, T, r, q, sigma, right : array_like
        As in :func:`optix.quant.bsm.bsm_price`; ``q`` is a continuous yield on top of the
        cash dividends (usually 0). All broadcast.
    dividends : (times, amounts) or None
        The schedule shared by the batch (see the module docstring for the contract).

    Returns
    -------
    ndarray of float64
        ``bsm_price(S - PV(dividends before expiry), K, T, r, q, sigma, right)``.

    Raises
    ------
    ValueError
        For a malformed schedule or one worth the spot or more.
    """
    times, amounts = validate_dividends(dividends)
    s_star = escrowed_spot(S, T, r, times, amounts)
    return bsm_price(s_star, K, T, r, q, sigma, right)
