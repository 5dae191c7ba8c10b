"""Build a volatility surface from an option chain: OTM quotes, per-expiry fits, one surface.

Quotes come as arrays in the package's argument order, ``S, K, T, r, q, value, right``, where
``value`` is an implied volatility or a (mid) price. Out-of-the-money quotes are kept (calls at
or above the forward, puts below), each expiry gets a raw-SVI fit (in expiry order, each
butterfly-free and kept above the previous one, so the surface is free of static arbitrage),
and the slices become a :class:`~optix.quant.surface.surface.VolSurface` (or feed one joint
SSVI fit).

Prices are turned into implied volatilities by :func:`optix.quant.implied_vol` (machine
precision, ``nan`` with a reason where a quote has none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray
from optix.quant.bsm import rights_to_sign
from optix.quant.iv import implied_vol
from optix.quant.surface.arbitrage import ArbitrageReport
from optix.quant.surface.ssvi import SsviFit, fit_ssvi
from optix.quant.surface.surface import VolSurface
from optix.quant.surface.svi_fit import SviFit, fit_svi

__all__ = ["ChainFit", "fit_chain", "surface_from_chain"]

_VOL_LO, _VOL_HI = 1e-4, 10.0


def _implied_vol_from_price(
    S: float, K: FloatArray, T: FloatArray, r: float, q: float, price: FloatArray,
    sign: FloatArray,
) -> FloatArray:
    """Black-Scholes-Merton implied volatility of each quote (:func:`optix.quant.implied_vol`).

    ``nan`` where the price has no volatility: non-finite, at or below the discounted
    intrinsic value, at or above the upper bound, or carrying no volatility information.
    """
    return implied_vol(price, S, K, T, r, q, sign).vol


@dataclass(frozen=True)
class ChainFit:
    """Everything :func:`fit_chain` did.

    Attributes
    ----------
    surface : VolSurface
        The fitted surface.
    svi_fits : tuple of SviFit
        One raw-SVI fit per expiry used, in expiry order (SSVI also starts from these).
    ssvi_fit : SsviFit or None
        The joint SSVI fit when ``model="ssvi"``.
    skipped_expiries : tuple of float
        Expiries with too few usable OTM quotes to fit.
    n_quotes : int
        Quotes given.
    n_used : int
        Quotes that entered a fit.
    n_no_iv : int
        OTM quotes dropped because they had no implied volatility (non-positive IV, or a
        price outside the no-arbitrage bounds).
    arbitrage : ArbitrageReport
        Butterfly and calendar check of the fitted slices.
    """

    surface: VolSurface
    svi_fits: tuple[SviFit, ...]
    ssvi_fit: SsviFit | None
    skipped_expiries: tuple[float, ...]
    n_quotes: int
    n_used: int
    n_no_iv: int
    arbitrage: ArbitrageReport


def fit_chain(
    S: float,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    r: float,
    q: float,
    value: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    quote: Literal["iv", "price"] = "iv",
    model: Literal["svi", "ssvi"] = "svi",
    weights: npt.ArrayLike | None = None,
    moneyness_sd: tuple[float, float] | None = None,
    min_quotes: int = 5,
    no_arbitrage: bool = True,
) -> ChainFit:
    """Fit a volatility surface to a chain's out-of-the-money quotes.

    Parameters
    ----------
    S : float
        Spot, positive.
    K : array_like
        Strikes, positive.
    T : array_like
        Expiries in years, positive; quotes with equal ``T`` form one slice.
    r, q : float
        Rate and dividend yield; the forward is ``S exp((r - q) T)``.
    value : array_like
        Implied volatilities (``quote="iv"``) or option prices (``quote="price"``).
    right : array_like
        ``'c'``/``'p'`` or +1/-1 per quote.
    quote : {"iv", "price"}, default "iv"
        What ``value`` holds.
    model : {"svi", "ssvi"}, default "svi"
        One raw-SVI smile per expiry, or a joint SSVI fit (arbitrage-free parameters) whose
        ``theta_t`` are the SVI fits' ATM total variances made nondecreasing.
    weights : array_like, optional
        Least-squares weight per quote; equal by default.
    moneyness_sd : (float, float), optional
        Keep quotes with ``lo <= k / (sigma_atm sqrt(T)) <= hi`` where ``sigma_atm`` is the
        IV of the expiry's quote nearest the forward; all OTM quotes by default.
    min_quotes : int, default 5
        Fewest usable quotes (distinct strikes) for an expiry to be fitted; at least 5.
    no_arbitrage : bool, default True
        Fit the expiries in order, each free of butterfly arbitrage and not below the
        previous one (no calendar arbitrage); see :func:`~.svi_fit.fit_svi`.

    Returns
    -------
    ChainFit

    Raises
    ------
    ValueError
        On bad scalars, mismatched or invalid arrays, an unknown ``quote`` or ``model``, a bad
        ``moneyness_sd`` or ``min_quotes``, or if no expiry has enough quotes.
    """
    if not (math.isfinite(S) and S > 0.0):
        raise ValueError(f"S must be positive and finite, got {S!r}")
    if not (math.isfinite(r) and math.isfinite(q)):
        raise ValueError(f"r and q must be finite, got r={r!r}, q={q!r}")
    if quote not in ("iv", "price"):
        raise ValueError(f"quote must be 'iv' or 'price', got {quote!r}")
    if model not in ("svi", "ssvi"):
        raise ValueError(f"model must be 'svi' or 'ssvi', got {model!r}")
    if min_quotes < 5:
        raise ValueError(f"min_quotes must be >= 5 (SVI has 5 parameters), got {min_quotes}")
    if moneyness_sd is not None and not (len(moneyness_sd) == 2
                                         and moneyness_sd[0] < moneyness_sd[1]):
        raise ValueError(f"moneyness_sd must be (lo, hi) with lo < hi, got {moneyness_sd!r}")
    try:
        kk, tt, val = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64).ravel()
                                            for x in (K, T, value)))
        sign = np.broadcast_to(rights_to_sign(np.asarray(right).ravel()), kk.shape)
        wt = (np.ones(kk.shape) if weights is None
              else np.broadcast_to(np.asarray(weights, dtype=np.float64).ravel(), kk.shape))
    except ValueError as exc:
        if "right must be" in str(exc):
            raise
        raise ValueError("K, T, value, right and weights must have one entry per quote (or "
                         f"be scalars): {exc}") from exc
    if kk.size == 0:
        raise ValueError("the chain is empty")
    if not np.all(np.isfinite(kk) & (kk > 0.0)):
        raise ValueError("K must be positive and finite")
    if not np.all(np.isfinite(tt) & (tt > 0.0)):
        raise ValueError("T must be positive and finite (drop expired contracts first)")
    if not np.all(np.isfinite(wt) & (wt >= 0.0)):
        raise ValueError("weights must be finite and >= 0")
    fwd = S * np.exp((r - q) * tt)
    otm = np.where(sign > 0.0, kk >= fwd, kk < fwd)
    if quote == "iv":
        iv = np.where(np.isfinite(val) & (val > 0.0), val, np.nan)
    else:
        iv = np.full(kk.shape, np.nan)
        iv[otm] = _implied_vol_from_price(S, kk[otm], tt[otm], r, q, val[otm], sign[otm])
    has_iv = np.isfinite(iv)
    logk = np.log(kk / fwd)
    fits: list[SviFit] = []
    skipped: list[float] = []
    used_masks = []
    for t in np.unique(tt):
        sel = (tt == t) & otm & has_iv & (wt > 0.0)
        if moneyness_sd is not None and np.any(sel):
            idx = np.flatnonzero(sel)
            atm = iv[idx[np.argmin(np.abs(logk[idx]))]]
            z = logk / (atm * math.sqrt(t))
            sel &= (z >= moneyness_sd[0]) & (z <= moneyness_sd[1])
        if np.unique(kk[sel]).size < min_quotes:
            skipped.append(float(t))
            continue
        floor = fits[-1].params if (fits and no_arbitrage) else None
        fits.append(fit_svi(logk[sel], iv[sel] ** 2 * t, wt[sel], T=float(t),
                            no_arbitrage=no_arbitrage, floor=floor))
        used_masks.append(sel)
    if not fits:
        raise ValueError(f"no expiry has {min_quotes} usable OTM quotes")
    used = np.logical_or.reduce(used_masks)
    ssvi: SsviFit | None = None
    if model == "ssvi":
        expiries = np.array([f.T for f in fits], dtype=np.float64)
        theta = np.maximum.accumulate([float(f.params.total_variance(0.0)) for f in fits])
        ssvi = fit_ssvi(logk[used], iv[used] ** 2 * tt[used], tt[used], expiries, theta,
                        wt[used])
        surface = VolSurface.from_ssvi_fit(S, r, q, ssvi)
    else:
        surface = VolSurface.from_svi_fits(S, r, q, fits)
    return ChainFit(
        surface=surface, svi_fits=tuple(fits), ssvi_fit=ssvi, skipped_expiries=tuple(skipped),
        n_quotes=int(kk.size), n_used=int(used.sum()), n_no_iv=int((otm & ~has_iv).sum()),
        arbitrage=surface.check_arbitrage())


def surface_from_chain(
    S: float,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    r: float,
    q: float,
    value: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    quote: Literal["iv", "price"] = "iv",
    model: Literal["svi", "ssvi"] = "svi",
    weights: npt.ArrayLike | None = None,
    moneyness_sd: tuple[float, float] | None = None,
    min_quotes: int = 5,
    no_arbitrage: bool = True,
) -> VolSurface:
    """The :class:`VolSurface` of :func:`fit_chain` (same arguments), without the diagnostics.

    Parameters
    ----------
    S, K, T, r, q, value, right
        As for :func:`fit_chain`.
    quote, model, weights, moneyness_sd, min_quotes, no_arbitrage
        As for :func:`fit_chain`.

    Returns
    -------
    VolSurface

    Raises
    ------
    ValueError
        As for :func:`fit_chain`.
    """
    return fit_chain(S, K, T, r, q, value, right, quote=quote, model=model, weights=weights,
                     moneyness_sd=moneyness_sd, min_quotes=min_quotes,
                     no_arbitrage=no_arbitrage).surface
