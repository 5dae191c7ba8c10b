"""A volatility surface from fitted slices: implied and Dupire local volatility, vectorized.

Between the fitted expiries ``T_1 < ... < T_n`` total variance is interpolated linearly in
``T`` at fixed log-forward-moneyness ``k`` (for SSVI: ``theta`` linearly in ``T``, then the
SSVI formula). Both keep a calendar-arbitrage-free set of slices calendar-arbitrage free,
because ``dw/dT`` at fixed ``k`` is a positive multiple of ``w_{i+1}(k) - w_i(k)`` (or of
``theta_{i+1} - theta_i`` times ``dw/dtheta >= 0``). Outside the fitted range, for SVI slices
the first (last) slice is scaled, ``w(k, T) = T/T_1 w_1(k)``, so implied volatility is held
constant in ``T`` at fixed ``k``; for SSVI it is ``theta`` that is scaled the same way and the
SSVI formula applied, so the smile's shape changes with ``theta`` (steeper skew at shorter
expiries) while the at-the-money implied volatility is held constant. ``dw/dT``
comes from the same interpolation (on the interval ``[T_i, T_{i+1})`` holding ``T``, i.e. the
right derivative at a fitted expiry); ``k``-derivatives are analytic.

The forward is ``F(T) = S exp((r - q) T)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray
from optix.quant.surface.arbitrage import ArbitrageReport, check_arbitrage
from optix.quant.surface.localvol import (
    LocalVolArbitrageError,
    LocalVolResult,
    LocalVolStatus,
    dupire_local_variance,
)
from optix.quant.surface.smile import Smile
from optix.quant.surface.ssvi import SsviFit, SsviParams, SsviSlice
from optix.quant.surface.svi import SviParams, svi_total_variance
from optix.quant.surface.svi_fit import SviFit

__all__ = ["VolSurface"]


def _positive(name: str, x: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(arr) & (arr > 0.0)):
        raise ValueError(f"{name} must be positive and finite")
    return arr


class VolSurface:
    """Implied and local volatility from raw-SVI slices or an SSVI surface.

    Parameters
    ----------
    S : float
        Spot, positive.
    r, q : float
        Risk-free rate and dividend yield, continuously compounded decimals.
    expiries : array_like
        Expiries of the slices in years, positive and strictly increasing.
    slices : sequence of SviParams, or SsviParams
        One raw-SVI smile per expiry, or one set of SSVI parameters for all of them.
    theta : array_like, optional
        ATM total variance per expiry; required with SSVI (positive, nondecreasing),
        not allowed with SVI slices.

    Raises
    ------
    ValueError
        On a bad ``S``, ``r``, ``q``, expiries, slice count or ``theta``.
    """

    def __init__(
        self,
        S: float,
        r: float,
        q: float,
        expiries: npt.ArrayLike,
        slices: Sequence[SviParams] | SsviParams,
        theta: npt.ArrayLike | None = None,
    ) -> None:
        if not (math.isfinite(S) and S > 0.0):
            raise ValueError(f"S must be positive and finite, got {S!r}")
        if not (math.isfinite(r) and math.isfinite(q)):
            raise ValueError(f"r and q must be finite, got r={r!r}, q={q!r}")
        exp = np.atleast_1d(np.asarray(expiries, dtype=np.float64)).ravel()
        if exp.size == 0 or not (np.all(np.isfinite(exp) & (exp > 0.0))
                                 and np.all(np.diff(exp) > 0.0)):
            raise ValueError("expiries must be non-empty, positive, finite and strictly "
                             "increasing")
        self._S, self._r, self._q = float(S), float(r), float(q)
        self._expiries = exp
        self._expiries.setflags(write=False)
        self._ssvi: SsviParams | None = None
        self._svi: tuple[SviParams, ...] = ()
        if isinstance(slices, SsviParams):
            if theta is None:
                raise ValueError("theta (ATM total variance per expiry) is required with SSVI")
            th = np.atleast_1d(_positive("theta", theta)).ravel()
            if th.size != exp.size:
                raise ValueError(f"theta must have one entry per expiry: {th.size} != "
                                 f"{exp.size}")
            if np.any(np.diff(th) < 0.0):
                raise ValueError("theta must be nondecreasing in expiry")
            self._ssvi = slices
            self._theta = th
        else:
            if theta is not None:
                raise ValueError("theta is only used with SSVI parameters")
            svi = tuple(slices)
            if len(svi) != exp.size:
                raise ValueError(f"slices must have one SviParams per expiry: {len(svi)} != "
                                 f"{exp.size}")
            if not all(isinstance(p, SviParams) for p in svi):
                raise ValueError("slices must be SviParams (or one SsviParams)")
            self._svi = svi
            self._theta = np.array([float(p.total_variance(0.0)) for p in svi])
            self._par = np.array([[p.a, p.b, p.rho, p.m, p.sig] for p in svi]).T.copy()
        self._theta.setflags(write=False)

    @classmethod
    def from_svi_fits(cls, S: float, r: float, q: float, fits: Sequence[SviFit]) -> VolSurface:
        """Build from per-expiry :func:`~optix.quant.surface.svi.fit_svi` results (with ``T``).

        Parameters
        ----------
        S : float
            Spot.
        r, q : float
            Rate and dividend yield.
        fits : sequence of SviFit
            Fits made with ``T`` given; sorted here by expiry.

        Returns
        -------
        VolSurface

        Raises
        ------
        ValueError
            If a fit has no ``T`` (or as for the constructor).
        """
        if any(f.T is None for f in fits):
            raise ValueError("fits must carry T (call fit_svi with T=...)")
        ordered = sorted(fits, key=lambda f: float(f.T or 0.0))
        return cls(S, r, q, [float(f.T or 0.0) for f in ordered], [f.params for f in ordered])

    @classmethod
    def from_ssvi_fit(cls, S: float, r: float, q: float, fit: SsviFit) -> VolSurface:
        """Build from a :func:`~optix.quant.surface.ssvi.fit_ssvi` result.

        Parameters
        ----------
        S : float
            Spot.
        r, q : float
            Rate and dividend yield.
        fit : SsviFit
            Joint SSVI fit.

        Returns
        -------
        VolSurface
        """
        return cls(S, r, q, fit.expiries, fit.params, fit.theta)

    @property
    def spot(self) -> float:
        """Spot ``S``."""
        return self._S

    @property
    def r(self) -> float:
        """Risk-free rate."""
        return self._r

    @property
    def q(self) -> float:
        """Dividend yield."""
        return self._q

    @property
    def expiries(self) -> FloatArray:
        """Fitted expiries in years (read-only)."""
        return self._expiries

    @property
    def theta(self) -> FloatArray:
        """ATM total variance ``w(0, T_i)`` per fitted expiry (read-only)."""
        return self._theta

    @property
    def model(self) -> Literal["svi", "ssvi"]:
        """``"svi"`` (one raw-SVI smile per expiry) or ``"ssvi"``."""
        return "ssvi" if self._ssvi is not None else "svi"

    @property
    def slices(self) -> tuple[Smile, ...]:
        """The fitted smiles, one per expiry."""
        if self._ssvi is not None:
            return tuple(SsviSlice(self._ssvi, float(t)) for t in self._theta)
        return self._svi

    def forward(self, T: npt.ArrayLike) -> FloatArray:
        """Forward ``S exp((r - q) T)``.

        Parameters
        ----------
        T : array_like
            Time in years.

        Returns
        -------
        ndarray of float64
        """
        return np.asarray(self._S * np.exp((self._r - self._q) * np.asarray(T, np.float64)),
                          dtype=np.float64)

    def log_moneyness(self, K: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
        """``k = ln(K / F(T))``.

        Parameters
        ----------
        K : array_like
            Strike, positive.
        T : array_like
            Time in years.

        Returns
        -------
        ndarray of float64

        Raises
        ------
        ValueError
            If a strike is not positive and finite.
        """
        kk = _positive("K", K)
        return np.asarray(np.log(kk / self.forward(T)), dtype=np.float64)

    def _segments(
        self, t: FloatArray
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray, FloatArray, FloatArray,
               FloatArray]:
        """Slice indices and weights: ``w = c_lo w_lo + c_hi w_hi``, ``dw/dT`` with ``d_*``."""
        exp = self._expiries
        n = exp.size
        j = np.searchsorted(exp, t, side="right")  # exp[j-1] <= t < exp[j]
        inner = (j >= 1) & (j < n)
        lo = np.where(inner, j - 1, np.where(j < 1, 0, n - 1)).astype(np.intp)
        hi = np.where(inner, j, lo).astype(np.intp)
        t_lo, t_hi = exp[lo], exp[hi]
        with np.errstate(divide="ignore", invalid="ignore"):
            span = np.where(inner, t_hi - t_lo, 1.0)
            c_hi = np.where(inner, (t - t_lo) / span, t / t_hi)
            c_lo = np.where(inner, (t_hi - t) / span, 0.0)
            d_hi = np.where(inner, 1.0 / span, 1.0 / t_hi)
            d_lo = np.where(inner, -1.0 / span, 0.0)
        return lo, hi, c_lo, c_hi, d_lo, d_hi

    def _evaluate(
        self, k: FloatArray, t: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``(w, dw/dk, d2w/dk2, dw/dT)`` at broadcast ``k`` and ``T > 0``."""
        k, t = np.broadcast_arrays(k, t)
        lo, hi, c_lo, c_hi, d_lo, d_hi = self._segments(t)
        if self._ssvi is not None:
            th = self._theta
            theta = c_lo * th[lo] + c_hi * th[hi]
            dtheta = d_lo * th[lo] + d_hi * th[hi]
            w, w1, w2, wth = self._ssvi.parts(k, theta)
            return w, w1, w2, wth * dtheta
        par = self._par
        wl, w1l, w2l = svi_total_variance(k, *(p[lo] for p in par))
        wh, w1h, w2h = svi_total_variance(k, *(p[hi] for p in par))
        return (c_lo * wl + c_hi * wh, c_lo * w1l + c_hi * w1h, c_lo * w2l + c_hi * w2h,
                d_lo * wl + d_hi * wh)

    @staticmethod
    def _check_t(T: npt.ArrayLike) -> FloatArray:
        t = np.asarray(T, dtype=np.float64)
        if not np.all(np.isfinite(t) & (t > 0.0)):
            raise ValueError("T must be positive and finite (implied and local volatility "
                             "are not defined at or before T = 0)")
        return t

    def total_variance(self, k: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
        """Total implied variance ``w(k, T)`` at log-forward-moneyness ``k``.

        Parameters
        ----------
        k : array_like
            ``ln(K / F(T))``, finite.
        T : array_like
            Time in years, positive; broadcast with ``k``.

        Returns
        -------
        ndarray of float64

        Raises
        ------
        ValueError
            If ``k`` is not finite or ``T`` is not positive and finite.
        """
        kk = np.asarray(k, dtype=np.float64)
        if not np.all(np.isfinite(kk)):
            raise ValueError("k must be finite")
        return self._evaluate(kk, self._check_t(T))[0]

    def implied_vol(self, K: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
        """Black-Scholes implied volatility ``sqrt(w(ln(K/F(T)), T) / T)``.

        Parameters
        ----------
        K : array_like
            Strike, positive.
        T : array_like
            Time in years, positive; broadcast with ``K``.

        Returns
        -------
        ndarray of float64

        Raises
        ------
        ValueError
            If a strike or a ``T`` is not positive and finite.
        """
        t = self._check_t(T)
        w = self._evaluate(self.log_moneyness(K, t), t)[0]
        return np.asarray(np.sqrt(np.maximum(w, 0.0) / t), dtype=np.float64)

    def local_vol_detail(self, K: npt.ArrayLike, T: npt.ArrayLike) -> LocalVolResult:
        """Dupire local volatility with a :class:`LocalVolStatus` per point.

        Never raises on arbitrage: such points are ``nan`` with their reason code.

        Parameters
        ----------
        K : array_like
            Strike, positive.
        T : array_like
            Time in years, positive; broadcast with ``K``.

        Returns
        -------
        LocalVolResult

        Raises
        ------
        ValueError
            If a strike or a ``T`` is not positive and finite.
        """
        t = self._check_t(T)
        k = self.log_moneyness(K, t)
        k, t = np.broadcast_arrays(k, t)
        w, w1, w2, wt = self._evaluate(k, t)
        var, status = dupire_local_variance(k, w, w1, w2, wt)
        return LocalVolResult(vol=np.sqrt(np.maximum(var, 0.0)), status=status)

    def local_vol(
        self, K: npt.ArrayLike, T: npt.ArrayLike, *, on_arbitrage: Literal["raise", "nan"] = "raise"
    ) -> FloatArray:
        """Dupire local volatility ``sigma_loc(K, T)`` from the fitted surface.

        Parameters
        ----------
        K : array_like
            Strike, positive.
        T : array_like
            Time in years, positive; broadcast with ``K``.
        on_arbitrage : {"raise", "nan"}, default "raise"
            What to do where the surface has arbitrage (non-positive Dupire denominator,
            negative ``dw/dT``) or no variance: raise, or return ``nan`` there (use
            :meth:`local_vol_detail` for the reason codes).

        Returns
        -------
        ndarray of float64

        Raises
        ------
        LocalVolArbitrageError
            With ``on_arbitrage="raise"``, if any point has no local volatility; the message
            gives how many and the first one with its reason.
        ValueError
            If a strike or a ``T`` is not positive and finite, or ``on_arbitrage`` is unknown.
        """
        if on_arbitrage not in ("raise", "nan"):
            raise ValueError(f"on_arbitrage must be 'raise' or 'nan', got {on_arbitrage!r}")
        res = self.local_vol_detail(K, T)
        if on_arbitrage == "raise" and not res.ok:
            bad = np.flatnonzero(res.status.ravel() != LocalVolStatus.OK)
            kk, tt = np.broadcast_arrays(np.asarray(K, np.float64), np.asarray(T, np.float64))
            i = int(bad[0])
            reason = LocalVolStatus(int(res.status.ravel()[i])).name
            raise LocalVolArbitrageError(
                f"no local volatility at {bad.size} of {res.status.size} points; first at "
                f"K={kk.ravel()[i]:.6g}, T={tt.ravel()[i]:.6g}: {reason}")
        return res.vol

    def check_arbitrage(
        self, k: npt.ArrayLike | None = None, *, tol: float = 1e-12
    ) -> ArbitrageReport:
        """Butterfly and calendar checks of the fitted slices (see :mod:`.arbitrage`).

        Parameters
        ----------
        k : array_like, optional
            Log-moneyness grid; +-6 ATM standard deviations of the longest slice by default.
        tol : float, default 1e-12
            Rounding allowance.

        Returns
        -------
        ArbitrageReport
        """
        return check_arbitrage(self.slices, self._expiries, k, tol=tol)
