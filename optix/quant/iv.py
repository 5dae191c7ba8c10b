"""Implied volatility of European options to machine precision, vectorized and compiled.

The solver works on the normalized Black price ``b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2}
N(x/s - s/2)`` of the out-of-the-money option (``x = ln(F/K) <= 0`` after put-call symmetry, ``s =
sigma sqrt(T)``), as in Jäckel's "Let's be rational" (2015): the price curve has one inflection
point at ``s_c = sqrt(2|x|)``, below which it is solved on ``ln b`` and above which on
``ln(b_max - b)`` (``b_max = e^{x/2}``), both evaluated without cancellation. Each branch
starts from its asymptotic inversion and takes third-order Householder steps inside a bracket;
two to four steps reach the last bit.

An in-the-money price is turned into the out-of-the-money one by put-call parity on its time
value, so deep in-the-money inputs keep the precision their time value carries. Prices with no
implied volatility give ``nan`` and an :class:`~optix.quant.ivstatus.IVStatus` code per element;
nothing here raises for a bad price.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray
from optix.quant._jit import njit
from optix.quant._special import INV_SQRT_2PI, norm_cdf_given_pdf
from optix.quant.bsm import flat_broadcast, rights_to_sign
from optix.quant.ivstatus import _ABOVE, _AT, _BAD, _BELOW, _FLAT, _NOCONV, _OK

__all__ = ["IVResult", "black76_implied_vol", "implied_vol"]

_EPS = 2.220446049250313e-16
_TINY = 1e-290  # normalized prices below this carry no information about volatility


class IVResult(NamedTuple):
    """Implied volatilities and, element by element, why one is missing.

    Attributes
    ----------
    vol : ndarray of float64
        Annualized volatility (decimal); ``nan`` where ``status`` is not ``OK``.
    status : ndarray of int8
        :class:`~optix.quant.ivstatus.IVStatus` codes.
    """

    vol: FloatArray
    status: npt.NDArray[np.int8]


@njit
def _ndtri(p: float) -> float:
    """Inverse normal CDF (Acklam's rational approximation, relative error < 1.2e-9).

    Used only for starting points, which the Householder steps then polish.
    """
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    if p < 0.02425:
        u = math.sqrt(-2.0 * math.log(p))
        return (((((-7.784894002430293e-03 * u - 3.223964580411365e-01) * u
                   - 2.400758277161838e+00) * u - 2.549732539343734e+00) * u
                 + 4.374664141464968e+00) * u + 2.938163982698783e+00) / (
            (((7.784695709041462e-03 * u + 3.224671290700398e-01) * u
              + 2.445134137142996e+00) * u + 3.754408661907416e+00) * u + 1.0)
    if p > 1.0 - 0.02425:
        return -_ndtri(1.0 - p)
    u = p - 0.5
    v = u * u
    return (((((-3.969683028665376e+01 * v + 2.209460984245205e+02) * v
               - 2.759285104469687e+02) * v + 1.383577518672690e+02) * v
             - 3.066479806614716e+01) * v + 2.506628277459239e+00) * u / (
        ((((-5.447609879822406e+01 * v + 1.615858368580409e+02) * v
           - 1.556989798598866e+02) * v + 6.680131188771972e+01) * v
         - 1.328068155288572e+01) * v + 1.0)


@njit
def _otm_price(x: float, s: float, ex_half: float, v: float) -> float:
    """Normalized out-of-the-money call price b(x, s) for x <= 0, given ``v = b'(s)``.

    ``v = e^{x/2} phi(h+) = e^{-x/2} phi(h-)`` gives both normal densities without another
    exponential, so both distribution values come from :func:`norm_cdf_given_pdf`.
    """
    hp = x / s + 0.5 * s
    hm = x / s - 0.5 * s
    return (ex_half * norm_cdf_given_pdf(hp, v / ex_half)
            - norm_cdf_given_pdf(hm, v * ex_half) / ex_half)


@njit
def _otm_complement(x: float, s: float, ex_half: float, v: float) -> float:
    """b_max - b(x, s) = e^{x/2} N(-x/s - s/2) + e^{-x/2} N(x/s - s/2), both terms positive."""
    hp = x / s + 0.5 * s
    hm = x / s - 0.5 * s
    return (ex_half * norm_cdf_given_pdf(-hp, v / ex_half)
            + norm_cdf_given_pdf(hm, v * ex_half) / ex_half)


@njit
def _vega_normalized(x: float, s: float) -> float:
    return INV_SQRT_2PI * math.exp(-0.5 * (x * x / (s * s) + 0.25 * s * s))


@njit
def _solve_normalized(beta: float, x: float) -> tuple[float, int]:
    """``s`` with b(x, s) = beta for x <= 0 and 0 < beta < e^{x/2}; returns (s, status)."""
    ex_half = math.exp(0.5 * x)
    b_max = ex_half
    ax = -x
    s_c = math.sqrt(2.0 * ax)
    lower = False
    if s_c > 0.0:
        lower = beta < _otm_price(x, s_c, ex_half, _vega_normalized(x, s_c))
    if lower:
        lo = 0.0
        hi = s_c
        target = math.log(beta)
        # asymptotic small-s inversion: ln b ~ -x^2/(2 s^2) + ln(s^3 / (x^2 sqrt(2 pi))) - s^2/8
        s = s_c
        for _ in range(3):
            den = -target + math.log(s * s * s * INV_SQRT_2PI / (ax * ax)) - s * s / 8.0
            if den <= 0.0:
                break
            s_new = ax / math.sqrt(2.0 * den)
            if not (0.0 < s_new < s_c):
                break
            s = s_new
    else:
        lo = s_c
        hi = math.inf
        gap = b_max - beta
        target = math.log(gap)
        # large-s inversion: b_max - b ~ (e^{x/2} + e^{-x/2}) N(-s/2)
        s = -2.0 * _ndtri(gap / (ex_half + 1.0 / ex_half))
        if not s > s_c:
            s = s_c * 1.5 if s_c > 0.0 else 1.0
    for _ in range(40):
        inv_s = 1.0 / s
        v = INV_SQRT_2PI * math.exp(-0.5 * (x * x * inv_s * inv_s + 0.25 * s * s))
        a2 = x * x * inv_s * inv_s * inv_s - 0.25 * s
        a3 = a2 * a2 - 3.0 * x * x * inv_s * inv_s * inv_s * inv_s - 0.25
        if lower:
            val = _otm_price(x, s, ex_half, v)
            f0 = math.log(val) - target if val > 0.0 else -math.inf
            g1 = v / val if val > 0.0 else math.inf
        else:
            val = _otm_complement(x, s, ex_half, v)
            f0 = math.log(val) - target
            g1 = -v / val
        # derivatives of ln(u) from those of u: (ln u)' = g1, (ln u)'' = g1 a2 - g1^2, ...
        f1 = g1
        f2 = g1 * a2 - g1 * g1
        f3 = g1 * a3 - 3.0 * g1 * g1 * a2 + 2.0 * g1 * g1 * g1
        increasing = lower  # ln b rises with s, ln(b_max - b) falls
        if f0 == -math.inf:
            lo = s  # b underflowed: the root is to the right
            s_new = 0.5 * (s + hi)
        else:
            if (f0 < 0.0) == increasing:
                lo = s
            else:
                hi = s
            nu = -f0 / f1
            h2 = f2 / f1
            h3 = f3 / f1
            den = 1.0 + h2 * nu + h3 * nu * nu / 6.0
            step = nu * (1.0 + 0.5 * h2 * nu) / den if den != 0.0 else nu
            # Householder(3) converges with order 4: after a step of relative size 1e-6 the
            # error is ~1e-24 (times a constant of order 1 in these coordinates), far below
            # rounding; demanding a step of a few ulps instead can stall on rounding noise
            if abs(step) <= 1e-6 * s:
                return s + step, _OK
            s_new = s + step
            if not lo < s_new < hi:
                s_new = 0.5 * (lo + hi) if hi < math.inf else 2.0 * s
        s = s_new
    return math.nan, _NOCONV


@njit
def _iv_kernel(
    p_arr: FloatArray, s_arr: FloatArray, k_arr: FloatArray, t_arr: FloatArray,
    r_arr: FloatArray, q_arr: FloatArray, w_arr: FloatArray, vol: FloatArray,
    status: npt.NDArray[np.int8],
) -> None:
    for i in range(vol.shape[0]):
        price = p_arr[i]
        s = s_arr[i]
        k = k_arr[i]
        t = t_arr[i]
        w = w_arr[i]
        vol[i] = math.nan
        if not (s > 0.0 and k > 0.0 and t > 0.0 and s < math.inf and k < math.inf
                and t < math.inf and abs(price) < math.inf and abs(r_arr[i]) < math.inf
                and abs(q_arr[i]) < math.inf):
            status[i] = _BAD
            continue
        df = math.exp(-r_arr[i] * t)
        fwd = s * math.exp((r_arr[i] - q_arr[i]) * t)
        p = price / df
        intrinsic = w * (fwd - k)
        if intrinsic < 0.0:
            intrinsic = 0.0
        upper = fwd if w > 0.0 else k
        # the intrinsic value and any price near it carry rounding of order eps * max(F, K)
        noise = 8.0 * _EPS * (fwd if fwd > k else k)
        if p < intrinsic:
            # a price within rounding of the bound is at the bound, not below it
            status[i] = _BELOW if p < intrinsic - noise else _AT
            continue
        if p >= upper:
            status[i] = _ABOVE
            continue
        time_value = p - intrinsic
        if time_value == 0.0:
            status[i] = _AT
            continue
        root = math.sqrt(fwd * k)
        beta = time_value / root
        # time value lost in rounding of an in-the-money price, or no room below the bound
        if ((intrinsic > 0.0 and time_value <= noise) or beta < _TINY
                or upper - p <= 8.0 * _EPS * upper):
            status[i] = _FLAT
            continue
        x = -abs(math.log(fwd / k))
        if beta >= math.exp(0.5 * x):
            status[i] = _ABOVE
            continue
        sd, code = _solve_normalized(beta, x)
        status[i] = code
        if code == _OK:
            vol[i] = sd / math.sqrt(t)


def implied_vol(
    price: npt.ArrayLike, S: npt.ArrayLike, K: npt.ArrayLike, T: npt.ArrayLike,
    r: npt.ArrayLike, q: npt.ArrayLike, right: npt.ArrayLike,
) -> IVResult:
    """Black-Scholes-Merton implied volatility of European option prices.

    Parameters
    ----------
    price : array_like
        Option prices (per unit of underlying).
    S, K, T, r, q, right : array_like
        As in :func:`optix.quant.bsm_price`: spot, strike, years to expiry, rate and dividend
        yield (continuous), ``'c'``/``'p'``. All arguments broadcast.

    Returns
    -------
    IVResult
        ``vol`` (decimal per year) and ``status`` (:class:`IVStatus`) arrays of the broadcast
        shape. Where vega is not negligible the volatility reprices to machine precision
        (|error| <= 1e-10 in vol); a price below the discounted intrinsic value is
        ``BELOW_INTRINSIC``, one at or above the discounted spot (call) or strike (put) is
        ``ABOVE_UPPER_BOUND``, a bad spot/strike/expiry is ``BAD_INPUT``; all give ``nan``.

    Raises
    ------
    ValueError
        Only if a right is neither a call nor a put (prices never raise).
    """
    flat, shape = flat_broadcast(price, S, K, T, r, q, rights_to_sign(right))
    n = flat[0].size
    vol = np.empty(n, dtype=np.float64)
    status = np.empty(n, dtype=np.int8)
    p_, s_, k_, t_, r_, q_, w_ = flat
    _iv_kernel(p_, s_, k_, t_, r_, q_, w_, vol, status)
    return IVResult(vol.reshape(shape), status.reshape(shape))


def black76_implied_vol(
    price: npt.ArrayLike, F: npt.ArrayLike, K: npt.ArrayLike, T: npt.ArrayLike,
    r: npt.ArrayLike, right: npt.ArrayLike,
) -> IVResult:
    """Black-76 implied volatility of options on a future or forward ``F``.

    Same contract as :func:`implied_vol`, with ``F`` in place of the spot and no carry.
    """
    return implied_vol(price, F, K, T, r, r, right)
