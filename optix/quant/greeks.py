"""Black-Scholes-Merton and Black-76 Greeks to third order, vectorized in one compiled pass.

Units (the same for every function here, and for :class:`Greeks`):

=========  ==========================================  ==========================================
Greek      definition                                  unit
=========  ==========================================  ==========================================
delta      dV/dS                                       per 1 unit of underlying
gamma      d2V/dS2                                     per unit of underlying, squared
vega       dV/dsigma                                   per 1.00 of volatility (divide by 100 for
                                                       a vol point)
theta      -dV/dT, calendar time passing               per year (divide by 365 for a calendar day)
rho        dV/dr                                       per 1.00 of rate (divide by 100 for 1 %)
epsilon    dV/dq, the dividend rho                     per 1.00 of yield
vanna      d2V/dS dsigma                               per unit of underlying per 1.00 of vol
charm      -d(delta)/dT                                per year
vomma      d2V/dsigma2                                 per 1.00 of vol, squared
veta       -d(vega)/dT                                 per 1.00 of vol per year
speed      d3V/dS3                                     per unit of underlying, cubed
zomma      d(gamma)/dsigma                             per unit squared per 1.00 of vol
color      -d(gamma)/dT                                per unit squared per year
=========  ==========================================  ==========================================

Every time Greek is the change as calendar time passes (``-d/dT``), so a long option has
negative theta. The limits exist and are returned at ``T <= 0`` (expired: intrinsic value,
step delta, zero higher Greeks) and at ``sigma = 0`` (discounted forward intrinsic). Exactly at the
money (on the forward) in those limits delta is the midpoint of the step, vega and vanna take
their one-sided limits ``sigma -> 0+`` (for ``T > 0``), gamma, speed and color are ``inf``,
zomma ``-inf``, and charm and veta, which diverge with the carry, are ``nan``; theta at expiry
at the money is ``-inf``. Those are the only non-finite outputs.

Black-76 (options on futures or forwards, ``F`` in place of ``S``) is the same kernel with the
carry set to zero; its ``rho`` is the total derivative ``-T * V`` and its ``epsilon`` is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray
from optix.quant._jit import njit
from optix.quant._special import INV_SQRT_2PI, norm_cdf_given_pdf
from optix.quant.bsm import flat_broadcast, rights_to_sign

__all__ = ["Greeks", "black76_greeks", "black76_price", "bsm_greeks"]

_FIRST = ("price", "delta", "gamma", "vega", "theta", "rho", "epsilon")
_SECOND = ("vanna", "charm", "vomma", "veta")
_THIRD = ("speed", "zomma", "color")


@dataclass(frozen=True)
class Greeks:
    """Price and Greeks, each an array of the broadcast input shape (units: module docstring).

    Second-order fields are ``None`` unless ``order >= 2`` was asked for, third-order fields
    unless ``order == 3``.
    """

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray
    epsilon: FloatArray
    vanna: FloatArray | None = None
    charm: FloatArray | None = None
    vomma: FloatArray | None = None
    veta: FloatArray | None = None
    speed: FloatArray | None = None
    zomma: FloatArray | None = None
    color: FloatArray | None = None

    def as_dict(self) -> dict[str, FloatArray]:
        """The computed fields by name (``None`` fields left out)."""
        out: dict[str, FloatArray] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value
        return out

    def per_market_units(self) -> Greeks:
        """The trader's units: per vol point, per calendar day, per 1 % of rate.

        Returns
        -------
        Greeks
            A copy with ``vega, vanna, zomma`` / 100, ``vomma`` / 100**2, ``theta, charm, color``
            / 365, ``veta`` / (100 * 365), ``rho, epsilon`` / 100.
        """
        scale = {"vega": 100.0, "vanna": 100.0, "zomma": 100.0, "vomma": 1e4,
                 "theta": 365.0, "charm": 365.0, "color": 365.0, "veta": 36500.0,
                 "rho": 100.0, "epsilon": 100.0}
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, div in scale.items():
            if values[name] is not None:
                values[name] = values[name] / div
        return Greeks(**values)


@njit
def _greeks_kernel(
    s_arr: FloatArray, k_arr: FloatArray, t_arr: FloatArray, r_arr: FloatArray,
    q_arr: FloatArray, v_arr: FloatArray, w_arr: FloatArray, futures: bool, order: int,
    out: FloatArray,
) -> int:
    bad = -1
    n = out.shape[1]
    for i in range(n):
        s = s_arr[i]
        k = k_arr[i]
        t = t_arr[i]
        r = r_arr[i]
        q = r if futures else q_arr[i]
        vol = v_arr[i]
        w = w_arr[i]
        if not (s > 0.0 and k > 0.0 and vol >= 0.0 and s < math.inf and k < math.inf
                and vol < math.inf and abs(t) < math.inf and abs(r) < math.inf
                and abs(q) < math.inf):
            if bad < 0:
                bad = i
            out[:, i] = math.nan
            continue
        b = r - q
        if t > 0.0:
            sqrt_t = math.sqrt(t)
            er = math.exp(-r * t)
            eq = math.exp(-q * t)
        else:
            t = 0.0
            sqrt_t = 0.0
            er = 1.0
            eq = 1.0
        sd = vol * sqrt_t
        # fwd_gap > 0: in the money on the forward (the limit as sd -> 0)
        fwd_gap = w * (s * eq - k * er)
        if sd > 0.0:
            d1 = (math.log(s / k) + b * t) / sd + 0.5 * sd
            d2 = d1 - sd
            n1 = INV_SQRT_2PI * math.exp(-0.5 * d1 * d1)
            # phi(d2) = phi(d1) S e^-qT / (K e^-rT): no second exponential
            n2 = n1 * (s * eq) / (k * er) if n1 > 1e-280 else INV_SQRT_2PI * math.exp(
                -0.5 * d2 * d2)
            cdf1 = norm_cdf_given_pdf(w * d1, n1)
            cdf2 = norm_cdf_given_pdf(w * d2, n2)
            price = w * (s * eq * cdf1 - k * er * cdf2)
            if price < 0.0:
                price = 0.0
        else:
            d1 = 0.0
            d2 = 0.0
            n1 = 0.0
            if fwd_gap > 0.0:
                cdf1 = cdf2 = 1.0
            elif fwd_gap < 0.0:
                cdf1 = cdf2 = 0.0
            else:
                cdf1 = cdf2 = 0.5
            price = fwd_gap if fwd_gap > 0.0 else 0.0
        atm_limit = sd <= 0.0 and fwd_gap == 0.0
        dens = n1 > 0.0  # density terms vanish (and must not meet inf) when n1 underflows
        out[0, i] = price
        out[1, i] = w * eq * cdf1
        sdens = s * eq * n1
        out[2, i] = (eq * n1 / (s * sd) if dens else 0.0) if not atm_limit else math.inf
        vega = sdens * sqrt_t
        if atm_limit and t > 0.0:
            vega = s * eq * sqrt_t * INV_SQRT_2PI  # one-sided limit sigma -> 0+ at the forward
        out[3, i] = vega
        decay = -sdens * vol / (2.0 * sqrt_t) if dens else 0.0
        out[4, i] = decay + w * q * s * eq * cdf1 - w * r * k * er * cdf2
        if atm_limit and t == 0.0 and vol > 0.0:
            out[4, i] = -math.inf  # the decay term diverges at expiry, at the money
        rho = w * k * t * er * cdf2
        eps = -w * s * t * eq * cdf1
        if futures:
            out[5, i] = rho + eps
            out[6, i] = 0.0
        else:
            out[5, i] = rho
            out[6, i] = eps
        if order < 2:
            continue
        if atm_limit and t > 0.0:
            # sigma -> 0+ exactly at the forward: vanna and vomma have limits, charm and veta
            # diverge with the carry (no limit: nan), gamma and its kin blow up
            gamma = math.inf
            out[7, i] = eq * INV_SQRT_2PI * sqrt_t / 2.0
            out[8, i] = math.nan
            out[9, i] = 0.0
            out[10, i] = math.nan
        elif dens:
            gamma = eq * n1 / (s * sd)
            dd1 = (2.0 * b * t - d2 * sd) / (2.0 * t * sd)  # d(d1)/dT
            out[7, i] = -eq * n1 * d2 / vol
            out[8, i] = w * q * eq * cdf1 - eq * n1 * dd1
            out[9, i] = vega * d1 * d2 / vol
            out[10, i] = vega * (q + b * d1 / sd - (1.0 + d1 * d2) / (2.0 * t))
        else:
            gamma = 0.0
            out[7, i] = 0.0
            out[8, i] = w * q * eq * cdf1
            out[9, i] = 0.0
            out[10, i] = 0.0
        if order < 3:
            continue
        if atm_limit:
            out[11, i] = math.inf
            out[12, i] = -math.inf if t > 0.0 else 0.0
            out[13, i] = math.inf
        elif dens:
            out[11, i] = -gamma / s * (d1 / sd + 1.0)
            out[12, i] = gamma * (d1 * d2 - 1.0) / vol
            out[13, i] = gamma * (q + b * d1 / sd + (1.0 - d1 * d2) / (2.0 * t))
        else:
            out[11, i] = 0.0
            out[12, i] = 0.0
            out[13, i] = 0.0
    return bad


def _run(
    S: npt.ArrayLike, K: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike, q: npt.ArrayLike,
    sigma: npt.ArrayLike, right: npt.ArrayLike, order: int, futures: bool,
) -> Greeks:
    if order not in (1, 2, 3):
        raise ValueError(f"order must be 1, 2 or 3, got {order!r}")
    flat, shape = flat_broadcast(S, K, T, r, q, sigma, rights_to_sign(right))
    n_out = {1: len(_FIRST), 2: len(_FIRST) + len(_SECOND), 3: 14}[order]
    out = np.empty((n_out, flat[0].size), dtype=np.float64)
    s_, k_, t_, r_, q_, v_, w_ = flat
    bad = _greeks_kernel(s_, k_, t_, r_, q_, v_, w_, futures, order, out)
    if bad >= 0:
        s, k, t, r_bad, q_bad, vol, _ = (a[bad] for a in flat)
        raise ValueError(f"{'F' if futures else 'S'} and K must be positive and finite, sigma "
                         f">= 0 and finite, T, r and q finite; row {bad} has "
                         f"{'F' if futures else 'S'}={s}, K={k}, T={t}, r={r_bad}, q={q_bad}, "
                         f"sigma={vol}")
    names = (_FIRST + _SECOND + _THIRD)[:n_out]
    return Greeks(**{name: out[j].reshape(shape) for j, name in enumerate(names)})


def bsm_greeks(
    S: npt.ArrayLike, K: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike, q: npt.ArrayLike,
    sigma: npt.ArrayLike, right: npt.ArrayLike, *, order: int = 1,
) -> Greeks:
    """Black-Scholes-Merton price and Greeks with a continuous dividend yield.

    Parameters
    ----------
    S, K : array_like
        Spot and strike, positive.
    T : array_like
        Years to expiry; ``T <= 0`` is expired (intrinsic value, step delta).
    r, q : array_like
        Risk-free rate and dividend yield, continuously compounded decimals.
    sigma : array_like
        Volatility, decimal per year, ``>= 0``.
    right : array_like
        ``'c'``/``'p'`` (or words, or +1/-1), scalar or array.
    order : {1, 2, 3}
        1: price, delta, gamma, vega, theta, rho, epsilon; 2 adds vanna, charm, vomma, veta;
        3 adds speed, zomma, color.

    Returns
    -------
    Greeks
        Arrays of the broadcast shape, in the units of the module docstring: vega per 1.00 of
        vol, theta and the other time Greeks per year of calendar time passing, rho per 1.00 of
        rate. :meth:`Greeks.per_market_units` converts to per vol point / per day / per 1 %.

    Raises
    ------
    ValueError
        If a spot or strike is not positive and finite, a volatility is negative or infinite,
        an expiry, rate or yield is not finite, a right is neither call nor put, or ``order``
        is not 1, 2 or 3. The message names the first bad row.
    """
    return _run(S, K, T, r, q, sigma, right, order, futures=False)


def black76_greeks(
    F: npt.ArrayLike, K: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike,
    sigma: npt.ArrayLike, right: npt.ArrayLike, *, order: int = 1,
) -> Greeks:
    """Black-76 price and Greeks for options on a future or forward ``F``.

    Same units and limits as :func:`bsm_greeks`, with ``S`` read as the futures price: delta
    and gamma are with respect to ``F``, ``rho`` is the full rate sensitivity ``-T * V`` (the
    futures price held fixed) and ``epsilon`` is 0.
    """
    return _run(F, K, T, r, r, sigma, right, order, futures=True)


def black76_price(
    F: npt.ArrayLike, K: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike,
    sigma: npt.ArrayLike, right: npt.ArrayLike,
) -> FloatArray:
    """Black-76 price of an option on a future or forward ``F`` (see :func:`black76_greeks`)."""
    return black76_greeks(F, K, T, r, sigma, right).price
