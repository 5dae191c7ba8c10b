"""Bjerksund and Stensland (2002) two-step flat-boundary approximation (compiled scalar kernel).

P. Bjerksund and G. Stensland, "Closed form valuation of American options", discussion paper,
NHH (2002); formulas as in E. G. Haug, "The Complete Guide to Option Pricing Formulas", 2nd ed.
(2007), section 3.3.2. The call is valued exactly for the strategy "exercise when the spot
first reaches ``I1`` before ``t1 = (sqrt(5) - 1) T / 2`` or ``I2`` after it", so the value is a
lower bound of the American price; the bivariate terms use :func:`bvn_cdf` (Genz, 2004).
Puts come from the put-call transformation ``P(S, K, T, r, b) = C(K, S, T, r - b, -b)``.

Note: QuantLib's ``BjerksundStenslandApproximationEngine`` (1.44) implements the 1993
single-boundary version, whose prices are slightly lower.
"""

from __future__ import annotations

import math

from optix.quant._jit import njit
from optix.quant._special import norm_cdf
from optix.quant.american._bvn import bvn_cdf
from optix.quant.american._common import bsm_scalar

__all__ = ["bs2002_call", "bs2002_price"]


@njit
def _phi(S: float, T: float, gamma: float, H: float, barrier: float, r: float, b: float,
         v2: float) -> float:
    """Haug's ``phi(S, T, gamma, H, I)`` (``I`` = ``barrier``): a knock-out claim on ``S^gamma``."""
    sd = math.sqrt(v2 * T)
    lam = (-r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v2) * T
    d = -(math.log(S / H) + (b + (gamma - 0.5) * v2) * T) / sd
    kappa = 2.0 * b / v2 + (2.0 * gamma - 1.0)
    ratio = barrier / S
    return math.exp(lam) * math.pow(S, gamma) * (
        norm_cdf(d) - math.pow(ratio, kappa) * norm_cdf(d - 2.0 * math.log(ratio) / sd)
    )


@njit
def _psi(S: float, T: float, gamma: float, H: float, I2: float, I1: float, t1: float,
         r: float, b: float, v2: float) -> float:
    """Haug's ``psi``: the same claim with barrier ``I1`` up to ``t1`` and ``I2`` after."""
    s1 = math.sqrt(v2 * t1)
    s2 = math.sqrt(v2 * T)
    mu = b + (gamma - 0.5) * v2
    e1 = (math.log(S / I1) + mu * t1) / s1
    e2 = (math.log(I2 * I2 / (S * I1)) + mu * t1) / s1
    e3 = (math.log(S / I1) - mu * t1) / s1
    e4 = (math.log(I2 * I2 / (S * I1)) - mu * t1) / s1
    f1 = (math.log(S / H) + mu * T) / s2
    f2 = (math.log(I2 * I2 / (S * H)) + mu * T) / s2
    f3 = (math.log(I1 * I1 / (S * H)) + mu * T) / s2
    f4 = (math.log(S * I1 * I1 / (H * I2 * I2)) + mu * T) / s2
    rho = math.sqrt(t1 / T)
    lam = -r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v2
    kappa = 2.0 * b / v2 + (2.0 * gamma - 1.0)
    return math.exp(lam * T) * math.pow(S, gamma) * (
        bvn_cdf(-e1, -f1, rho)
        - math.pow(I2 / S, kappa) * bvn_cdf(-e2, -f2, rho)
        - math.pow(I1 / S, kappa) * bvn_cdf(-e3, -f3, -rho)
        + math.pow(I1 / I2, kappa) * bvn_cdf(-e4, -f4, -rho)
    )


@njit
def bs2002_call(S: float, K: float, T: float, r: float, b: float, sigma: float) -> float:
    """BS2002 American call with cost of carry ``b = r - q``; ``T, sigma > 0``, ``0 < r``.

    Returns ``nan`` when the approximation's boundary is undefined (``beta <= 1``), which the
    caller turns into a lattice price. ``b >= r`` (no dividend yield) gives the European price.
    """
    q = r - b
    if b >= r:
        return bsm_scalar(S, K, T, r, q, sigma, 1.0)
    v2 = sigma * sigma
    disc = (b / v2 - 0.5) ** 2 + 2.0 * r / v2
    if disc <= 0.0:
        return math.nan
    beta = (0.5 - b / v2) + math.sqrt(disc)
    if beta <= 1.0:
        return math.nan
    b_inf = beta / (beta - 1.0) * K
    b0 = max(K, r / (r - b) * K)
    if not b_inf > b0:
        return math.nan
    t1 = 0.5 * (math.sqrt(5.0) - 1.0) * T
    scale = K * K / ((b_inf - b0) * b0)
    h1 = -(b * t1 + 2.0 * sigma * math.sqrt(t1)) * scale
    h2 = -(b * T + 2.0 * sigma * math.sqrt(T)) * scale
    i1 = b0 + (b_inf - b0) * (1.0 - math.exp(h1))
    i2 = b0 + (b_inf - b0) * (1.0 - math.exp(h2))
    if i2 <= S:
        return S - K
    alpha1 = (i1 - K) * math.pow(i1, -beta)
    alpha2 = (i2 - K) * math.pow(i2, -beta)
    return (
        alpha2 * math.pow(S, beta)
        - alpha2 * _phi(S, t1, beta, i2, i2, r, b, v2)
        + _phi(S, t1, 1.0, i2, i2, r, b, v2)
        - _phi(S, t1, 1.0, i1, i2, r, b, v2)
        - K * _phi(S, t1, 0.0, i2, i2, r, b, v2)
        + K * _phi(S, t1, 0.0, i1, i2, r, b, v2)
        + alpha1 * _phi(S, t1, beta, i1, i2, r, b, v2)
        - alpha1 * _psi(S, T, beta, i1, i2, i1, t1, r, b, v2)
        + _psi(S, T, 1.0, i1, i2, i1, t1, r, b, v2)
        - _psi(S, T, 1.0, K, i2, i1, t1, r, b, v2)
        - K * _psi(S, T, 0.0, i1, i2, i1, t1, r, b, v2)
        + K * _psi(S, T, 0.0, K, i2, i1, t1, r, b, v2)
    )


@njit
def bs2002_price(S: float, K: float, T: float, r: float, q: float, sigma: float,
                 w: float) -> float:
    """BS2002 price of an American call (``w = 1``) or put (``w = -1``); ``nan`` if undefined."""
    if w > 0.0:
        return bs2002_call(S, K, T, r, r - q, sigma)
    # P(S, K, T, r, b) = C(K, S, T, r - b, -b) with b = r - q: rate q, carry q - r
    return bs2002_call(K, S, T, q, q - r, sigma)
