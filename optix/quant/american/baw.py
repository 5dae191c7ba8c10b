"""Barone-Adesi and Whaley (1987) quadratic approximation (compiled scalar kernel).

G. Barone-Adesi and R. E. Whaley, "Efficient analytic approximation of American option
values", Journal of Finance 42 (1987) 301-320. The early-exercise premium solves the pricing
PDE with the time derivative scaled away, ``A (S/S*)^Q``; the critical price ``S*`` solves the
value-matching condition by Newton's method from the paper's seed. The same formulas as
QuantLib's ``BaroneAdesiWhaleyApproximationEngine`` (including its ``r -> 0`` limit of
``2r / (sigma^2 (1 - e^{-rT}))``), but Newton runs to a relative residual of 1e-13 instead of
QuantLib's 1e-6, which can leave its price 2e-5 short of the approximation's own value.
Accuracy is the method's: errors of a few cents on long-dated options are normal.

Cases with no early exercise are routed to the European formula by the caller
(:func:`optix.quant.american.pricing.american_price`), as are negative-rate cases the
approximation does not cover.
"""

from __future__ import annotations

import math

from optix.quant._jit import njit
from optix.quant._special import norm_cdf, norm_pdf
from optix.quant.american._common import bsm_scalar

__all__ = ["baw_price"]

_MAX_NEWTON = 100


@njit
def baw_price(S: float, K: float, T: float, r: float, q: float, sigma: float, w: float,
              tol: float = 1e-13) -> float:
    """BAW price of an American call (``w = 1``) or put (``w = -1``) with early exercise.

    Requires ``T > 0``, ``sigma > 0`` and ``r >= 0`` (the caller routes the rest). ``tol`` is
    the relative residual of value matching at which Newton stops; QuantLib uses 1e-6, which
    leaves prices up to ~2e-5 off the converged approximation.
    """
    var = sigma * sigma * T
    sd = math.sqrt(var)
    df_r = math.exp(-r * T)
    df_q = math.exp(-q * T)
    b_t = (r - q) * T
    n = 2.0 * b_t / var
    m = 2.0 * r * T / var
    # 2rT / (var (1 - e^{-rT})), with its limit 2 / var as r -> 0
    kk = m / (-math.expm1(-r * T)) if abs(r * T) > 1e-12 else 2.0 / var
    root_u = math.sqrt((n - 1.0) * (n - 1.0) + 4.0 * m)
    root = math.sqrt((n - 1.0) * (n - 1.0) + 4.0 * kk)
    qu = 0.5 * (-(n - 1.0) + w * root_u)
    if qu == 0.0 or qu == 1.0:
        return math.nan  # degenerate seed (r = 0 with a small carry): the caller uses the lattice
    su = K / (1.0 - 1.0 / qu)
    if su == K:
        return math.nan
    if w > 0.0:
        h = -(b_t + 2.0 * sd) * K / (su - K)
        si = K + (su - K) * (1.0 - math.exp(h))
        qq = 0.5 * (-(n - 1.0) + root)
    else:
        h = (b_t - 2.0 * sd) * K / (K - su)
        si = su + (K - su) * math.exp(h)
        qq = 0.5 * (-(n - 1.0) - root)
    # Newton on value matching: w (Si - K) = euro(Si) + w (1 - df_q N(w d1)) Si / Q
    for _ in range(_MAX_NEWTON):
        d1 = (math.log(si * df_q / (df_r * K)) + 0.5 * var) / sd
        nd = norm_cdf(w * d1)
        lhs = w * (si - K)
        rhs = bsm_scalar(si, K, T, r, q, sigma, w) + w * (1.0 - df_q * nd) * si / qq
        if abs(lhs - rhs) / K <= tol:
            break
        if w > 0.0:
            bi = df_q * nd * (1.0 - 1.0 / qq) + (1.0 - df_q * norm_pdf(d1) / sd) / qq
            if bi == 1.0:
                break
            si = (K + rhs - bi * si) / (1.0 - bi)
        else:
            bi = -df_q * nd * (1.0 - 1.0 / qq) - (1.0 + df_q * norm_pdf(d1) / sd) / qq
            if bi == -1.0:
                break
            si = (K - rhs + bi * si) / (1.0 + bi)
        if not si > 0.0:
            return math.nan
    d1 = (math.log(si * df_q / (df_r * K)) + 0.5 * var) / sd
    a = w * (si / qq) * (1.0 - df_q * norm_cdf(w * d1))
    if w * (S - si) >= 0.0:
        return w * (S - K)
    return bsm_scalar(S, K, T, r, q, sigma, w) + a * math.pow(S / si, qq)
