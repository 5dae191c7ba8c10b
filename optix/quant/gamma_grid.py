"""BSM gamma of many options at many hypothetical spots, in one compiled pass.

:func:`gamma_grid` returns ``Gamma[i, j]``, the Black-Scholes-Merton gamma of option ``j`` if the
underlying were at ``spots[i]``, with each option's strike, expiry, rate, yield and volatility
held (sticky strike) or a volatility per spot and option (``sigma`` of shape ``(m, n)``, e.g.
sticky moneyness). It is what a dealer-gamma profile needs: 60 spots x 10,000 options is
600,000 gammas, and the per-option parts (``ln K``, ``sigma sqrt T``, carry, discount) are worked
out once, so each cell costs one ``exp``.

Gamma is the same for a call and a put. Options with ``T <= 0`` or ``sigma <= 0`` (expired, or
no volatility) have gamma 0 here: a profile cannot use them, and the caller decides whether to
count them (see :mod:`optix.gex`).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray
from optix.quant._jit import njit
from optix.quant._special import INV_SQRT_2PI

__all__ = ["gamma_grid"]


@njit
def _gamma_grid_kernel(spots: FloatArray, log_k: FloatArray, carry: FloatArray,
                       t: FloatArray, disc_q: FloatArray, sigma: FloatArray,
                       out: FloatArray) -> None:
    m, n = out.shape
    per_spot_vol = sigma.shape[0] > 1
    for i in range(m):
        s = spots[i]
        log_s = math.log(s)
        row = i if per_spot_vol else 0
        for j in range(n):
            vol = sigma[row, j]
            tj = t[j]
            if tj <= 0.0 or not vol > 0.0:
                out[i, j] = 0.0
                continue
            vt = vol * math.sqrt(tj)
            d1 = (log_s - log_k[j] + (carry[j] + 0.5 * vol * vol) * tj) / vt
            out[i, j] = disc_q[j] * INV_SQRT_2PI * math.exp(-0.5 * d1 * d1) / (s * vt)


def gamma_grid(spots: npt.ArrayLike, K: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike,
               q: npt.ArrayLike, sigma: npt.ArrayLike) -> FloatArray:
    """Gamma of each option at each hypothetical spot.

    Parameters
    ----------
    spots : array_like, shape (m,)
        Hypothetical underlying prices, positive and finite.
    K, T, r, q : array_like, shape (n,) or scalar
        Strike (positive), years to expiry, rate and dividend yield per option.
    sigma : array_like, shape (n,), (1, n) or (m, n)
        Volatility per option (sticky strike), or per spot and option.

    Returns
    -------
    ndarray, shape (m, n)
        Gamma per unit of underlying squared; 0 where ``T <= 0`` or ``sigma <= 0`` or NaN.

    Raises
    ------
    ValueError
        If a spot or strike is not positive and finite, or the shapes do not fit.
    """
    s = np.ascontiguousarray(spots, dtype=np.float64).reshape(-1)
    k = np.asarray(K, dtype=np.float64).reshape(-1)
    n = max(k.size, np.asarray(T).size, np.asarray(sigma).shape[-1] if np.ndim(sigma) else 1)
    k, t, r_, q_ = (np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=np.float64)
                                                         .reshape(-1) if np.ndim(a) else a, n))
                    for a in (K, T, r, q))
    vol = np.asarray(sigma, dtype=np.float64)
    if vol.ndim < 2:
        vol = np.broadcast_to(vol.reshape(-1) if vol.ndim else vol, n).reshape(1, n)
    if vol.shape[1] != n or vol.shape[0] not in (1, s.size):
        raise ValueError(f"sigma must have shape ({n},), (1, {n}) or ({s.size}, {n}), "
                         f"got {vol.shape}")
    if not (np.all(np.isfinite(s)) and np.all(s > 0)):
        raise ValueError("spots must be positive and finite")
    if not (np.all(np.isfinite(k)) and np.all(k > 0)):
        raise ValueError("strikes must be positive and finite")
    t_ok = np.where(np.isfinite(t), t, 0.0)
    out = np.empty((s.size, n), dtype=np.float64)
    _gamma_grid_kernel(s, np.log(k), r_ - q_, t_ok, np.exp(-q_ * t_ok),
                       np.ascontiguousarray(np.nan_to_num(vol, nan=0.0)), out)
    return out
