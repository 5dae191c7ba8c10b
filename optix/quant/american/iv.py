"""Implied volatility of American options: a safeguarded root finder per element (compiled).

For each element the price function ``P(sigma)`` of the chosen method is increasing from the
zero-volatility value ``P(0)`` (the best exercise date of the deterministic forward path, never
below the exercise value) to its supremum (the spot for a call, the strike for a put; ``S
e^{-qT}`` or ``K e^{-rT}`` where that is larger, i.e. where early exercise never pays). Prices
outside that range have no implied volatility and get a reason code from
:class:`~optix.quant.ivstatus.IVStatus`:

* below ``P(0)``: ``BELOW_INTRINSIC``; equal to it (to 1e-14 of ``max(S, K)``):
  ``AT_INTRINSIC``; within 1e-12 of ``max(S, K)`` above it: ``VEGA_NEGLIGIBLE``;
* at or above the supremum: ``ABOVE_UPPER_BOUND``; above ``P`` at ``sigma sqrt(T) = 20``,
  where the price is within rounding of its supremum: ``VEGA_NEGLIGIBLE``;
* non-finite or non-positive ``S``, ``K``, ``T``, or a non-finite price, rate or yield:
  ``BAD_INPUT``.

Inside the range, Brent's method (Brent, 1973) works on ``P(sigma) - price`` over a bracket that
starts at ``[0, 0.5]`` and doubles its upper end until the sign changes; it stops when the
bracket is narrower than ``4e-16 sigma + 1e-13`` or the price is matched to 1e-15 of
``max(S, K)``. For ``"qdfp"`` the bracket starts above ``|r - q| sqrt(T) / 6`` when the root
lies there, so that the search does not visit the low volatilities that ``qdfp`` hands to a
fine lattice (:data:`~optix.quant.american.pricing.DRIFT_OVER_VOL_MAX`). Each element costs
10 to 15 prices. Nothing raises for a bad price.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray
from optix.quant._jit import njit
from optix.quant.american._common import REGIME_SINGLE, deterministic_value, put_regime
from optix.quant.american.pricing import (
    DRIFT_OVER_VOL_MAX,
    METHODS,
    broadcast_inputs,
    price_one,
    validate_options,
)
from optix.quant.american.qdfp import QdFpScheme, scheme_tables
from optix.quant.iv import IVResult
from optix.quant.ivstatus import _ABOVE, _AT, _BAD, _BELOW, _FLAT, _NOCONV, _OK

__all__ = ["american_implied_vol"]

_QDFP = METHODS["qdfp"]
_MAX_ITER = 100
_MAX_SD = 20.0  # sigma sqrt(T) at the top of the search


@njit
def _iv_batch(method: int, price: FloatArray, S: FloatArray, K: FloatArray, T: FloatArray,
              r: FloatArray, q: FloatArray, w: FloatArray, steps: int, div_t: FloatArray,
              div_a: FloatArray, max_iterations: int, tolerance: float, tau_frac: FloatArray,
              sn: FloatArray, cs: FloatArray, wt: FloatArray, lag: FloatArray,
              snp: FloatArray, csp: FloatArray, wtp: FloatArray, lagp: FloatArray,
              vol: FloatArray, status: npt.NDArray[np.int8]) -> None:
    for i in range(price.size):
        p, s, k, t, rr, qq, ww = price[i], S[i], K[i], T[i], r[i], q[i], w[i]
        vol[i] = math.nan
        finite = (math.isfinite(p) and math.isfinite(s) and math.isfinite(k)
                  and math.isfinite(t) and math.isfinite(rr) and math.isfinite(qq))
        if not finite or s <= 0.0 or k <= 0.0 or t <= 0.0:
            status[i] = _BAD
            continue
        scale = max(s, k)
        lower = deterministic_value(s, k, t, rr, qq, ww)
        upper = max(s, s * math.exp(-qq * t)) if ww > 0.0 else max(k, k * math.exp(-rr * t))
        if p >= upper:
            status[i] = _ABOVE
            continue
        excess = p - lower
        if excess < -1e-14 * scale:
            status[i] = _BELOW
            continue
        if excess <= 1e-14 * scale:
            status[i] = _AT
            continue
        if excess < 1e-12 * scale:
            status[i] = _FLAT
            continue
        # bracket [a, b] with f(a) < 0 < f(b), f = P(sigma) - price
        a = 0.0
        fa = lower - p
        b = 0.5
        sigma_max = _MAX_SD / math.sqrt(t)
        # qdfp hands sigma < |r - q| sqrt(T) / 6 to a fine lattice (pricing.py): keep the
        # search above that unless the root is below it
        sigma_c = abs(rr - qq) * math.sqrt(t) / DRIFT_OVER_VOL_MAX * (1.0 + 1e-9)
        r_p, q_p = (qq, rr) if ww > 0.0 else (rr, qq)
        if method == _QDFP and sigma_c > 1e-4 and put_regime(r_p, q_p) == REGIME_SINGLE:
            fc_ = price_one(method, s, k, t, rr, qq, sigma_c, ww, steps, div_t, div_a,
                            max_iterations, tolerance, tau_frac, sn, cs, wt, lag, snp, csp,
                            wtp, lagp) - p
            if fc_ < 0.0:
                a, fa = sigma_c, fc_
                b = max(b, 2.0 * sigma_c)
        fb = price_one(method, s, k, t, rr, qq, b, ww, steps, div_t, div_a, max_iterations,
                       tolerance, tau_frac, sn, cs, wt, lag, snp, csp, wtp, lagp) - p
        while fb < 0.0 and b < sigma_max:
            a, fa = b, fb
            b = min(2.0 * b, sigma_max)
            fb = price_one(method, s, k, t, rr, qq, b, ww, steps, div_t, div_a,
                           max_iterations, tolerance, tau_frac, sn, cs, wt, lag, snp, csp,
                           wtp, lagp) - p
        if fb < 0.0:
            status[i] = _FLAT  # within rounding of the supremum: no information about sigma
            continue
        # Brent's method (zeroin)
        c, fc = a, fa
        d = b - a
        e = d
        ftol = 1e-15 * scale
        converged = False
        for _ in range(_MAX_ITER):
            if (fb > 0.0) == (fc > 0.0):
                c, fc = a, fa
                d = b - a
                e = d
            if abs(fc) < abs(fb):
                a, fa = b, fb
                b, fb = c, fc
                c, fc = a, fa
            xtol = 4e-16 * abs(b) + 1e-13
            m = 0.5 * (c - b)
            if abs(m) <= xtol or abs(fb) <= ftol:
                converged = True
                break
            if abs(e) >= xtol and abs(fa) > abs(fb) and fc != 0.0:
                sr = fb / fa
                if a == c:
                    pp = 2.0 * m * sr
                    qq_ = 1.0 - sr
                else:
                    qa = fa / fc
                    rb = fb / fc
                    pp = sr * (2.0 * m * qa * (qa - rb) - (b - a) * (rb - 1.0))
                    qq_ = (qa - 1.0) * (rb - 1.0) * (sr - 1.0)
                if pp > 0.0:
                    qq_ = -qq_
                else:
                    pp = -pp
                if 2.0 * pp < min(3.0 * m * qq_ - abs(xtol * qq_), abs(e * qq_)):
                    e = d
                    d = pp / qq_
                else:
                    d = m
                    e = m
            else:
                d = m
                e = m
            a, fa = b, fb
            if abs(d) > xtol:
                b += d
            else:
                b += xtol if m > 0.0 else -xtol
            fb = price_one(method, s, k, t, rr, qq, b, ww, steps, div_t, div_a,
                           max_iterations, tolerance, tau_frac, sn, cs, wt, lag, snp, csp,
                           wtp, lagp) - p
        if converged:
            vol[i] = b
            status[i] = _OK
        else:
            status[i] = _NOCONV


def american_implied_vol(
    price: npt.ArrayLike,
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    method: str = "qdfp",
    steps: int | None = None,
    scheme: QdFpScheme | None = None,
) -> IVResult:
    """Implied volatility of American option prices, element by element.

    Parameters
    ----------
    price : array_like
        Option prices per unit of underlying.
    S, K, T, r, q, right : array_like
        As in :func:`~optix.quant.american.pricing.american_price`; all broadcast.
    method : {"qdfp", "baw", "bs2002", "binomial", "crr"}
        Pricing method inverted (``"qdfp"`` by default).
    steps : int or None
        Lattice steps for the lattice methods (default 801).
    scheme : QdFpScheme or None
        Discretization of ``"qdfp"``.

    Returns
    -------
    vol : ndarray of float64
        Implied volatilities, ``nan`` where ``status`` is not ``OK``; repricing an ``OK`` vol
        with the same method matches ``price`` to 1e-15 of ``max(S, K)`` or the vol to 1e-13.
    status : ndarray of int8
        :class:`~optix.quant.ivstatus.IVStatus` codes (see the module docstring).

    Raises
    ------
    ValueError
        Only for an unknown ``method``, bad ``steps``/``scheme`` or an unrecognized ``right``,
        never for prices or market inputs.
    """
    steps, scheme = validate_options(method, steps, scheme)
    shape, (p, s, k, t, rr, qq, w) = broadcast_inputs(right, price, S, K, T, r, q)
    vol = np.empty(p.size)
    status = np.empty(p.size, dtype=np.int8)
    empty = np.empty(0)
    _iv_batch(METHODS[method], p, s, k, t, rr, qq, w, steps, empty, empty,
              scheme.max_iterations, scheme.tolerance, *scheme_tables(scheme), vol, status)
    return IVResult(vol.reshape(shape), status.reshape(shape))
