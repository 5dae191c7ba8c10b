"""Merton (1976) jump-diffusion European prices: the Poisson-weighted Black-Scholes series.

The log price follows ``d ln S = (r - q - lam * kbar - sigma^2 / 2) dt + sigma dW + J dN`` with
``N`` a Poisson process of intensity ``lam`` per year and log jump sizes ``J ~ N(mu_j,
sigma_j^2)``; ``kbar = exp(mu_j + sigma_j^2 / 2) - 1`` compensates the jumps so the discounted
forward is a martingale. Conditional on ``n`` jumps by ``T`` the terminal price is lognormal with
forward ``S exp((r - q - lam kbar) T + n (mu_j + sigma_j^2 / 2))`` and total variance
``sigma^2 T + n sigma_j^2``, hence

    price = sum_n  Poisson(n; lam T) * e^{-rT} Black(F_n, K, sigma^2 T + n sigma_j^2).

The series is summed until the Poisson tail beyond the last term is below 1e-17 (at most
``lam T + 12 sqrt(lam T) + 30`` terms, where the tail is far below that), with the weights in
log space so large ``lam T`` neither overflows nor underflows.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln, ndtr

from optix.core.arrays import FloatArray
from optix.quant.bsm import check_inputs, rights_to_sign, settle_expired

__all__ = ["merton_price"]

_MAX_LAMBDA_T = 1.0e4


def merton_price(
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
    sigma: npt.ArrayLike,
    right: npt.ArrayLike,
    lam: npt.ArrayLike,
    mu_j: npt.ArrayLike,
    sigma_j: npt.ArrayLike,
) -> FloatArray:
    """European option price under Merton's jump-diffusion (closed-form series).

    Parameters
    ----------
    S, K : array_like
        Spot and strike, positive.
    T : array_like
        Time to expiry in years; ``T <= 0`` gives the intrinsic value.
    r, q : array_like
        Risk-free rate and dividend yield, continuously compounded decimals.
    sigma : array_like
        Diffusion volatility, decimal per year, ``>= 0``.
    right : array_like
        ``'c'``/``'p'`` or +1/-1 (see :func:`optix.quant.bsm.rights_to_sign`).
    lam : array_like
        Jump intensity per year, ``>= 0`` (``lam * T`` at most 1e4).
    mu_j, sigma_j : array_like
        Mean and standard deviation (``>= 0``) of the log jump size.

    Returns
    -------
    ndarray of float64
        Price per unit of underlying, broadcast over the inputs. With ``lam = 0`` it is the
        Black-Scholes-Merton price; with zero total variance the discounted forward intrinsic.

    Raises
    ------
    ValueError
        On non-finite inputs, non-positive ``S`` or ``K``, negative ``sigma``, ``lam`` or
        ``sigma_j``, ``lam * T > 1e4``, or an unknown ``right``.
    """
    arrays = [np.asarray(x, dtype=np.float64) for x in (S, K, T, r, q, sigma, lam, mu_j, sigma_j)]
    w = rights_to_sign(right)
    s, k, t, rr, qq, vol, lm, mj, sj, w = np.broadcast_arrays(*arrays, w)
    check_inputs(s=s, k=k, t=t, r=rr, q=qq, sigma=vol)
    for name, arr in (("lam", lm), ("mu_j", mj), ("sigma_j", sj)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite")
    for name, arr in (("lam", lm), ("sigma_j", sj)):
        if np.any(arr < 0.0):
            raise ValueError(f"{name} must be >= 0")
    t_pos = np.maximum(t, 0.0)
    lam_t = lm * t_pos
    if np.any(lam_t > _MAX_LAMBDA_T):
        raise ValueError(f"lam * T must be <= {_MAX_LAMBDA_T:g} for the series")

    kbar = np.expm1(mj + 0.5 * sj * sj)
    log_fwd0 = np.log(s) + (rr - qq - lm * kbar) * t_pos
    jump_drift = mj + 0.5 * sj * sj
    df = np.exp(-rr * t_pos)
    log_k = np.log(k)
    lam_t_max = float(np.max(lam_t, initial=0.0))
    n_max = math.ceil(lam_t_max + 12.0 * math.sqrt(lam_t_max) + 30.0)
    with np.errstate(divide="ignore"):
        log_lam_t = np.log(lam_t)
    total = np.zeros(s.shape)
    for n in range(n_max + 1):
        if n == 0:
            weight = np.exp(-lam_t)
        else:
            weight = np.where(lam_t > 0.0, np.exp(n * log_lam_t - lam_t - gammaln(n + 1.0)), 0.0)
        var = vol * vol * t_pos + n * sj * sj
        total += weight * _black_undiscounted(log_fwd0 + n * jump_drift, log_k, var, w)
        ratio = lam_t / (n + 1.0)
        if np.all(ratio < 0.5) and np.all(weight * ratio / (1.0 - ratio) <= 1e-17):
            break  # the Poisson tail beyond n is below 1e-17 everywhere
    price = df * total
    return settle_expired(np.maximum(price, 0.0), s, k, t, w)


def _black_undiscounted(log_f: FloatArray, log_k: FloatArray, var: FloatArray,
                        w: FloatArray) -> FloatArray:
    """Undiscounted Black price ``E[(w (F e^{X} - K))^+]`` with total log variance ``var``."""
    sd = np.sqrt(var)
    live = sd > 0.0
    safe_sd = np.where(live, sd, 1.0)
    d1 = (log_f - log_k) / safe_sd + 0.5 * safe_sd
    d2 = d1 - safe_sd
    f = np.exp(log_f)
    k = np.exp(log_k)
    price = w * (f * ndtr(w * d1) - k * ndtr(w * d2))
    return np.asarray(np.where(live, price, np.maximum(w * (f - k), 0.0)), dtype=np.float64)
