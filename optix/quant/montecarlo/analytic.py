"""Closed forms the Monte Carlo engine uses as control-variate means (and tests as references).

* :func:`geometric_asian_price`: discretely monitored geometric-average-price option under
  GBM (the discrete Kemna-Vorst formula). With fixings at ``t_j = j T / n``, ``j = 1..n``, the
  log of the geometric average is normal with mean ``ln S + (r - q - sigma^2/2) T (n+1)/(2n)``
  and variance ``sigma^2 T (n+1)(2n+1) / (6 n^2)``, so the price is a Black formula on that
  lognormal, discounted from ``T``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from optix.core.arrays import FloatArray
from optix.quant.bsm import check_inputs, rights_to_sign, settle_expired

__all__ = ["geometric_asian_price"]


def geometric_asian_price(
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
    sigma: npt.ArrayLike,
    right: npt.ArrayLike,
    n_fixings: npt.ArrayLike,
) -> FloatArray:
    """Discrete geometric-average-price Asian option under Black-Scholes-Merton.

    Parameters
    ----------
    S, K : array_like
        Spot and strike, positive.
    T : array_like
        Time to expiry in years; ``T <= 0`` gives the intrinsic value ``(w (S - K))^+``.
    r, q : array_like
        Risk-free rate and dividend yield, continuously compounded decimals.
    sigma : array_like
        Volatility, ``>= 0``; zero gives the discounted intrinsic of the deterministic average.
    right : array_like
        ``'c'``/``'p'`` or +1/-1.
    n_fixings : array_like of int
        Number of equally spaced fixings ``t_j = j T / n``, ``j = 1..n`` (``>= 1``).

    Returns
    -------
    ndarray of float64
        Price per unit of underlying, broadcast over the inputs.

    Raises
    ------
    ValueError
        On non-positive ``S``/``K``, negative ``sigma``, ``n_fixings < 1`` or non-finite input.
    """
    s, k, t, rr, qq, vol, nf = (np.asarray(x, dtype=np.float64)
                                for x in (S, K, T, r, q, sigma, n_fixings))
    w = rights_to_sign(right)
    check_inputs(s=s, k=k, t=t, r=rr, q=qq, sigma=vol)
    if not np.all(np.isfinite(nf)) or np.any(nf < 1.0) or np.any(nf != np.round(nf)):
        raise ValueError("n_fixings must be an integer >= 1")
    t_pos = np.maximum(t, 0.0)
    mean_time = t_pos * (nf + 1.0) / (2.0 * nf)
    var = vol * vol * t_pos * (nf + 1.0) * (2.0 * nf + 1.0) / (6.0 * nf * nf)
    log_f = np.log(s) + (rr - qq) * mean_time - 0.5 * vol * vol * mean_time + 0.5 * var
    sd = np.sqrt(var)
    live = sd > 0.0
    safe_sd = np.where(live, sd, 1.0)
    d1 = (log_f - np.log(k)) / safe_sd + 0.5 * safe_sd
    d2 = d1 - safe_sd
    fwd = np.exp(log_f)
    black = w * (fwd * ndtr(w * d1) - k * ndtr(w * d2))
    undiscounted = np.where(live, black, np.maximum(w * (fwd - k), 0.0))
    price = np.exp(-rr * t_pos) * np.maximum(undiscounted, 0.0)
    return settle_expired(price, s, k, t, w)
