"""Scalar building blocks shared by the American pricers (compiled).

Every American method reduces a call to a put by the put-call symmetry
``C(S, K, r, q) = P(K, S, q, r)`` (McDonald and Schroder, 1998), so the exercise regimes are
stated once, for the put with rate ``r`` and yield ``q``:

* ``r <= 0`` and ``r <= q``: early exercise is never optimal, the price is European;
* ``q < r < 0``: two exercise boundaries (Battauz, de Donno and Sbuelz, 2015); the analytic
  methods do not cover it and the lattice prices it;
* otherwise one boundary, starting at ``K min(1, r/q)`` (``K`` when ``q <= 0``) at expiry.
"""

from __future__ import annotations

import math

import numpy as np

from optix.quant._jit import njit
from optix.quant._special import norm_cdf

__all__ = [
    "REGIME_DOUBLE",
    "REGIME_EUROPEAN",
    "REGIME_SINGLE",
    "bsm_scalar",
    "deterministic_value",
    "deterministic_value_dividends",
    "put_regime",
]

REGIME_EUROPEAN = 0
REGIME_SINGLE = 1
REGIME_DOUBLE = 2


@njit
def bsm_scalar(S: float, K: float, T: float, r: float, q: float, sigma: float, w: float) -> float:
    """European price, ``w`` = +1 call / -1 put; ``T > 0`` and ``sigma > 0`` required."""
    sd = sigma * math.sqrt(T)
    fs = S * math.exp(-q * T)
    pk = K * math.exp(-r * T)
    d1 = math.log(fs / pk) / sd + 0.5 * sd
    value = w * (fs * norm_cdf(w * d1) - pk * norm_cdf(w * (d1 - sd)))
    return max(value, 0.0)


@njit
def put_regime(r: float, q: float) -> int:
    """Exercise regime of a put with rate ``r`` and yield ``q`` (see the module docstring)."""
    if r <= 0.0 and r <= q:
        return REGIME_EUROPEAN
    if q < r < 0.0:
        return REGIME_DOUBLE
    return REGIME_SINGLE


@njit
def deterministic_value(S: float, K: float, T: float, r: float, q: float, w: float) -> float:
    """American value at zero volatility: the best exercise date of a deterministic path.

    The discounted exercise value ``w (S e^{-qt} - K e^{-rt})`` is maximized over ``t`` in
    ``[0, T]``: at an end or at its one stationary point ``t* = ln(qS / (rK)) / (q - r)``.
    This is also the lower bound of the American price over all volatilities.
    """
    best = max(w * (S - K), 0.0)
    best = max(best, w * (S * math.exp(-q * T) - K * math.exp(-r * T)))
    if r != q and r * q > 0.0:
        ratio = (q * S) / (r * K)
        if ratio > 0.0:
            t_star = math.log(ratio) / (q - r)
            if 0.0 < t_star < T:
                best = max(best, w * (S * math.exp(-q * t_star) - K * math.exp(-r * t_star)))
    return best


@njit
def deterministic_value_dividends(S: float, K: float, T: float, r: float, q: float, w: float,
                                  div_t: np.ndarray, div_a: np.ndarray) -> float:
    """Zero-volatility American value with escrowed cash dividends (``0 <= t_i < T`` count).

    Exercising at ``t`` is worth ``w (S* e^{-qt} + sum_{t <= t_i < T} D_i e^{-r t_i}
    - K e^{-rt})`` today (``S*`` the escrowed spot): the best date is ``0``, an ex-date (cum
    dividend), ``T``, or the stationary point of the dividend-free case.
    """
    pv_all = 0.0
    for k in range(div_t.size):
        if 0.0 <= div_t[k] < T:
            pv_all += div_a[k] * math.exp(-r * div_t[k])
    s_star = S - pv_all
    best = 0.0
    n_cand = div_t.size + 3
    for c in range(n_cand):
        if c < div_t.size:
            t = div_t[c]
            if not 0.0 <= t < T:
                continue
        elif c == div_t.size:
            t = 0.0
        elif c == div_t.size + 1:
            t = T
        else:
            if r == q or r * q <= 0.0:
                continue
            t = math.log((q * s_star) / (r * K)) / (q - r) if (q * s_star) / (r * K) > 0.0 else -1.0
            if not 0.0 < t < T:
                continue
        pv_rem = 0.0
        for k in range(div_t.size):
            if t <= div_t[k] < T:
                pv_rem += div_a[k] * math.exp(-r * div_t[k])
        best = max(best, w * (s_star * math.exp(-q * t) + pv_rem - K * math.exp(-r * t)))
    return best
