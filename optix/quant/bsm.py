"""Vectorized Black-Scholes-Merton prices with a continuous dividend yield.

Arguments follow one order and one set of units everywhere in :mod:`optix.quant`:
``S, K, T, r, q, sigma, right`` with ``T`` in years, ``r`` and ``q`` continuously compounded
decimals, ``sigma`` a decimal annual volatility, and ``right`` ``'c'``/``'p'`` (any case, or
``'call'``/``'put'``), +1/-1, or an array of either. All arguments broadcast.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from optix.core.arrays import FloatArray

__all__ = [
    "bsm_price",
    "bsm_price_unchecked",
    "check_inputs",
    "flat_broadcast",
    "rights_to_sign",
    "settle_expired",
]


def rights_to_sign(right: npt.ArrayLike) -> FloatArray:
    """+1.0 for calls and -1.0 for puts from letters, words or +1/-1 codes.

    Raises
    ------
    ValueError
        If any element is neither a call nor a put.
    """
    arr = np.asarray(right)
    if arr.dtype.kind in "iuf":
        sign = arr.astype(np.float64)
        bad = (sign != 1.0) & (sign != -1.0)
    else:
        text = np.char.upper(np.char.strip(arr.astype(str)))
        call = np.isin(text, ("C", "CALL"))
        put = np.isin(text, ("P", "PUT"))
        sign = np.where(call, 1.0, -1.0)
        bad = ~(call | put)
    if np.any(bad):
        raise ValueError(f"right must be 'c'/'p' or +1/-1, got {np.asarray(arr)[bad].ravel()[:3]}")
    return np.asarray(sign, dtype=np.float64)


def flat_broadcast(*args: npt.ArrayLike) -> tuple[list[FloatArray], tuple[int, ...]]:
    """Broadcast float arguments together and flatten them for a compiled kernel.

    Always returns C-contiguous, writable float64 arrays so that a compiled kernel sees one
    type signature (one compilation) whatever mix of scalars and arrays it is given.

    Returns
    -------
    (list of ndarray, tuple)
        The 1-D float64 arrays, all of one length, and the broadcast shape to restore.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in args]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    out = []
    for a in arrays:
        if a.shape == shape and a.flags.c_contiguous and a.flags.writeable:
            out.append(a.reshape(-1))
        elif a.size == 1:
            out.append(np.full(math.prod(shape), a.reshape(-1)[0]))
        else:
            out.append(np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1))
    return out, shape


def check_inputs(**arrays: FloatArray) -> None:
    """Raise ValueError naming the first argument with a value outside its domain.

    Keywords are any of ``s, k, t, r, q, sigma`` (checked in the order given): ``S`` and ``K``
    positive and finite, ``sigma`` ``>= 0`` and finite, the rest finite.
    """
    rules = {"s": ("S", "positive and finite"), "k": ("K", "positive and finite"),
             "t": ("T", "finite (T <= 0 is expired)"), "r": ("r", "finite"),
             "q": ("q", "finite"), "sigma": ("sigma", ">= 0 and finite")}
    for key, arr in arrays.items():
        ok = np.isfinite(arr)
        if key in ("s", "k"):
            ok &= arr > 0
        elif key == "sigma":
            ok &= arr >= 0
        if not np.all(ok):
            name, rule = rules[key]
            raise ValueError(f"{name} must be {rule}, got {np.asarray(arr)[~ok].ravel()[:3]}")


def settle_expired(
    price: npt.ArrayLike, s: FloatArray, k: FloatArray, t: FloatArray, w: FloatArray
) -> FloatArray:
    """``price`` where ``T > 0``, else the exercise value ``max(w (S - K), 0)``."""
    return np.asarray(np.where(t > 0.0, price, np.maximum(w * (s - k), 0.0)), dtype=np.float64)


def bsm_price(
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
    sigma: npt.ArrayLike,
    right: npt.ArrayLike,
) -> FloatArray:
    """European option price under Black-Scholes-Merton.

    Parameters
    ----------
    S, K : array_like
        Spot and strike, positive.
    T : array_like
        Time to expiry in years; ``T <= 0`` gives the intrinsic value.
    r, q : array_like
        Risk-free rate and dividend yield, continuously compounded decimals.
    sigma : array_like
        Volatility, decimal per year, ``>= 0``; ``sigma = 0`` gives the discounted forward
        intrinsic value.
    right : array_like
        ``'c'``/``'p'`` or +1/-1 (see :func:`rights_to_sign`).

    Returns
    -------
    ndarray of float64
        Price per unit of underlying, broadcast over the inputs.

    Raises
    ------
    ValueError
        If a spot or strike is not positive and finite, a volatility is negative, or any
        argument is NaN or infinite; the message names the argument.
    """
    s, k, t, rr, qq, vol = (np.asarray(x, dtype=np.float64) for x in (S, K, T, r, q, sigma))
    w = rights_to_sign(right)
    check_inputs(s=s, k=k, t=t, r=rr, q=qq, sigma=vol)
    t_pos = np.maximum(t, 0.0)
    df_r = np.exp(-rr * t_pos)
    df_q = np.exp(-qq * t_pos)
    sd = vol * np.sqrt(t_pos)
    live = sd > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(s / k) + (rr - qq) * t_pos) / sd + 0.5 * sd
    d2 = d1 - sd
    price = w * (s * df_q * ndtr(w * d1) - k * df_r * ndtr(w * d2))
    forward_intrinsic = np.maximum(w * (s * df_q - k * df_r), 0.0)
    out = np.where(live, price, forward_intrinsic)
    return np.asarray(np.maximum(settle_expired(out, s, k, t, w), 0.0), dtype=np.float64)


def bsm_price_unchecked(
    S: FloatArray, K: FloatArray, T: FloatArray, r: float, q: FloatArray, sigma: FloatArray,
    sign: FloatArray,
) -> FloatArray:
    """:func:`bsm_price` without input checks or limit cases, for hot loops.

    Requires ``T > 0`` and ``sigma > 0`` everywhere, a scalar ``r`` and ``sign`` as +1.0
    (call) / -1.0 (put). About twice as fast as :func:`bsm_price`.
    """
    sd = sigma * np.sqrt(T)
    fwd_s = S * np.exp(-q * T)  # spot and strike, both discounted to today
    pv_k = K * np.exp(-r * T)
    d1 = np.log(fwd_s / pv_k) / sd
    d1 += 0.5 * sd
    d2 = d1 - sd
    price = fwd_s * ndtr(sign * d1)
    price -= pv_k * ndtr(sign * d2)
    price *= sign
    return np.asarray(np.maximum(price, 0.0), dtype=np.float64)
