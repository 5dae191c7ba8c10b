"""SSVI surfaces (Gatheral & Jacquier 2014) with the power-law ``phi`` and a joint calibration.

``w(k, theta) = theta/2 (1 + rho phi k + sqrt((phi k + rho)**2 + 1 - rho**2))`` with
``phi(theta) = eta / (theta**gamma (1 + theta)**(1 - gamma))``, where ``theta_t`` is the ATM
total variance of expiry ``t``. A slice is free of butterfly arbitrage if
``theta phi (1 + |rho|) < 4`` and ``theta phi**2 (1 + |rho|) <= 4`` (GJ Theorem 4.2); the surface
is free of calendar arbitrage if ``theta_t`` is nondecreasing and
``0 <= d(theta phi)/dtheta <= (1 + sqrt(1 - rho**2)) / rho**2 * phi`` (GJ Theorem 4.1). With
``gamma <= 1/2`` and ``eta (1 + |rho|) <= 2`` all of these hold for every ``theta``
(GJ Remark 4.4): :func:`fit_ssvi` enforces that by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

from optix.core.arrays import FloatArray
from optix.quant.surface.smile import _SmileFromParts

__all__ = ["SsviConditions", "SsviFit", "SsviParams", "SsviSlice", "fit_ssvi"]

_RHO_BOUND = 0.999


def _theta_array(theta: npt.ArrayLike) -> FloatArray:
    th = np.asarray(theta, dtype=np.float64)
    if not np.all(np.isfinite(th) & (th > 0.0)):
        raise ValueError("theta (ATM total variance) must be positive and finite")
    return th


@dataclass(frozen=True)
class SsviConditions:
    """The SSVI no-arbitrage conditions evaluated at given ATM total variances.

    Attributes
    ----------
    theta : tuple of float
        ATM total variances, in expiry order.
    butterfly_1 : tuple of float
        ``theta phi (1 + |rho|)``; needs ``< 4``.
    butterfly_2 : tuple of float
        ``theta phi**2 (1 + |rho|)``; needs ``<= 4``.
    calendar_slope : tuple of float
        ``d(theta phi)/dtheta``; needs ``>= 0`` and ``<= calendar_bound``.
    calendar_bound : tuple of float
        ``(1 + sqrt(1 - rho**2)) / rho**2 * phi`` (``inf`` when ``rho = 0``).
    theta_nondecreasing : bool
        Whether ``theta`` never decreases from one expiry to the next.
    """

    theta: tuple[float, ...]
    butterfly_1: tuple[float, ...]
    butterfly_2: tuple[float, ...]
    calendar_slope: tuple[float, ...]
    calendar_bound: tuple[float, ...]
    theta_nondecreasing: bool

    @property
    def butterfly_free(self) -> bool:
        """Both butterfly conditions hold at every ``theta``."""
        return all(b1 < 4.0 for b1 in self.butterfly_1) and all(
            b2 <= 4.0 for b2 in self.butterfly_2)

    @property
    def calendar_free(self) -> bool:
        """``theta`` is nondecreasing and the slope condition holds at every ``theta``."""
        return self.theta_nondecreasing and all(
            0.0 <= s <= b for s, b in zip(self.calendar_slope, self.calendar_bound, strict=True))

    @property
    def arbitrage_free(self) -> bool:
        """Butterfly- and calendar-free."""
        return self.butterfly_free and self.calendar_free


@dataclass(frozen=True)
class SsviParams:
    """SSVI parameters with the power-law ``phi(theta) = eta theta**-gamma (1+theta)**(gamma-1)``.

    Parameters
    ----------
    rho : float
        Correlation-like skew, ``|rho| < 1``.
    eta : float
        Curvature level, ``eta > 0``.
    gamma : float
        Power-law exponent, ``0 <= gamma <= 1``.

    Raises
    ------
    ValueError
        If a parameter is not finite or is out of range.
    """

    rho: float
    eta: float
    gamma: float

    def __post_init__(self) -> None:
        for name in ("rho", "eta", "gamma"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"SsviParams.{name} must be finite, got {value!r}")
            object.__setattr__(self, name, float(value))
        if not abs(self.rho) < 1.0:
            raise ValueError(f"SsviParams.rho must satisfy |rho| < 1, got {self.rho}")
        if not self.eta > 0.0:
            raise ValueError(f"SsviParams.eta must be > 0, got {self.eta}")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"SsviParams.gamma must be in [0, 1], got {self.gamma}")

    @property
    def sufficient_no_arbitrage(self) -> bool:
        """``gamma <= 1/2`` and ``eta (1 + |rho|) <= 2``: no static arbitrage for any ``theta``."""
        return self.gamma <= 0.5 and self.eta * (1.0 + abs(self.rho)) <= 2.0

    def phi(self, theta: npt.ArrayLike) -> FloatArray:
        """Power-law ``phi(theta)``.

        Parameters
        ----------
        theta : array_like
            ATM total variance, positive.

        Returns
        -------
        ndarray of float64
        """
        th = _theta_array(theta)
        return np.asarray(self.eta * th ** -self.gamma * (1.0 + th) ** (self.gamma - 1.0),
                          dtype=np.float64)

    def parts(
        self, k: npt.ArrayLike, theta: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Total variance and its derivatives ``dw/dk``, ``d2w/dk2`` and ``dw/dtheta``.

        Parameters
        ----------
        k : array_like
            Log-forward-moneyness.
        theta : array_like
            ATM total variance, positive; broadcast with ``k``.

        Returns
        -------
        (w, dw_dk, d2w_dk2, dw_dtheta) : tuple of ndarray of float64
        """
        th = _theta_array(theta)
        kk = np.asarray(k, dtype=np.float64)
        rho = self.rho
        phi = self.phi(th)
        p = phi * kk + rho
        root = np.sqrt(p * p + 1.0 - rho * rho)
        w = 0.5 * th * (1.0 + rho * phi * kk + root)
        w1 = 0.5 * th * phi * (rho + p / root)
        w2 = 0.5 * th * phi * phi * (1.0 - rho * rho) / (root * root * root)
        dlogphi = -self.gamma / th - (1.0 - self.gamma) / (1.0 + th)
        wt = w / th + 0.5 * th * kk * phi * dlogphi * (rho + p / root)
        return w, w1, w2, wt

    def total_variance(self, k: npt.ArrayLike, theta: npt.ArrayLike) -> FloatArray:
        """Total implied variance ``w(k, theta)``.

        Parameters
        ----------
        k : array_like
            Log-forward-moneyness.
        theta : array_like
            ATM total variance, positive.

        Returns
        -------
        ndarray of float64
        """
        return self.parts(k, theta)[0]

    def slice(self, theta: float) -> SsviSlice:
        """The smile at one ATM total variance (a :class:`~.smile.Smile`).

        Parameters
        ----------
        theta : float
            ATM total variance, positive.

        Returns
        -------
        SsviSlice
        """
        return SsviSlice(self, theta)

    def conditions(self, theta: npt.ArrayLike) -> SsviConditions:
        """Evaluate the no-butterfly and no-calendar conditions at ``theta`` (expiry order).

        Parameters
        ----------
        theta : array_like
            ATM total variances of consecutive expiries, positive.

        Returns
        -------
        SsviConditions
        """
        th = np.atleast_1d(_theta_array(theta)).ravel()
        phi = self.phi(th)
        one_rho = 1.0 + abs(self.rho)
        slope = phi * (1.0 - self.gamma) / (1.0 + th)
        rho2 = self.rho * self.rho
        with np.errstate(divide="ignore"):
            bound = (np.full_like(th, np.inf) if rho2 == 0.0
                     else (1.0 + math.sqrt(1.0 - rho2)) / rho2 * phi)
        return SsviConditions(
            theta=tuple(float(x) for x in th),
            butterfly_1=tuple(float(x) for x in th * phi * one_rho),
            butterfly_2=tuple(float(x) for x in th * phi * phi * one_rho),
            calendar_slope=tuple(float(x) for x in slope),
            calendar_bound=tuple(float(x) for x in bound),
            theta_nondecreasing=bool(np.all(np.diff(th) >= 0.0)),
        )


@dataclass(frozen=True)
class SsviSlice(_SmileFromParts):
    """One expiry of an SSVI surface: the parameters at a fixed ATM total variance ``theta``.

    Parameters
    ----------
    params : SsviParams
        Surface parameters.
    theta : float
        ATM total variance of the expiry, positive.

    Raises
    ------
    ValueError
        If ``theta`` is not positive and finite.
    """

    params: SsviParams
    theta: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.theta) and self.theta > 0.0):
            raise ValueError(f"SsviSlice.theta must be positive and finite, got {self.theta!r}")
        object.__setattr__(self, "theta", float(self.theta))

    def _parts(self, k: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        w, w1, w2, _ = self.params.parts(k, self.theta)
        return w, w1, w2


@dataclass(frozen=True)
class SsviFit:
    """Result of :func:`fit_ssvi`.

    Attributes
    ----------
    params : SsviParams
        Calibrated ``(rho, eta, gamma)``.
    expiries : tuple of float
        Expiries in years, increasing.
    theta : tuple of float
        ATM total variance per expiry (as given).
    rmse_iv : float
        Weighted root-mean-square implied-volatility residual.
    rmse : float
        Weighted root-mean-square total-variance residual.
    n_points : int
        Quotes fitted.
    conditions : SsviConditions
        No-arbitrage conditions at ``theta``.
    enforced : bool
        Whether the calibration was restricted to ``gamma <= 1/2``, ``eta (1+|rho|) <= 2``.
    """

    params: SsviParams
    expiries: tuple[float, ...]
    theta: tuple[float, ...]
    rmse_iv: float
    rmse: float
    n_points: int
    conditions: SsviConditions
    enforced: bool


def _match_expiries(t: FloatArray, expiries: FloatArray) -> npt.NDArray[np.intp]:
    idx = np.clip(np.searchsorted(expiries, t), 0, expiries.size - 1)
    left = np.clip(idx - 1, 0, expiries.size - 1)
    idx = np.where(np.abs(expiries[left] - t) < np.abs(expiries[idx] - t), left, idx)
    if not np.all(np.abs(expiries[idx] - t) <= 1e-9 * np.maximum(expiries[idx], 1.0)):
        raise ValueError("every T must be one of expiries")
    return np.asarray(idx, dtype=np.intp)


def fit_ssvi(
    k: npt.ArrayLike,
    w: npt.ArrayLike,
    T: npt.ArrayLike,
    expiries: npt.ArrayLike,
    theta: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    enforce_no_arbitrage: bool = True,
) -> SsviFit:
    """Calibrate ``(rho, eta, gamma)`` jointly across expiries given the ATM total variances.

    Minimizes the weighted squared implied-volatility residuals ``sqrt(w_model/T) -
    sqrt(w/T)`` with bounded least squares from several starts. With
    ``enforce_no_arbitrage`` (default) the search is restricted to ``gamma <= 1/2`` and
    ``eta (1 + |rho|) <= 2`` (parametrized as ``eta = 2 s / (1 + |rho|)``, ``0 < s <= 1``),
    which makes the surface free of static arbitrage for every ``theta`` (GJ Remark 4.4);
    otherwise ``0 <= gamma <= 1``, ``eta > 0`` and the conditions are only reported.

    Parameters
    ----------
    k : array_like
        Log-forward-moneyness of the quotes.
    w : array_like
        Total implied variance of the quotes, positive.
    T : array_like
        Expiry of each quote in years; every value must be one of ``expiries``.
    expiries : array_like
        Distinct expiries in years, strictly increasing, positive.
    theta : array_like
        ATM total variance per expiry, positive and nondecreasing.
    weights : array_like, optional
        Non-negative least-squares weights; equal by default.
    enforce_no_arbitrage : bool, default True
        Restrict the parameters to the sufficient no-arbitrage region.

    Returns
    -------
    SsviFit

    Raises
    ------
    ValueError
        On mismatched lengths, bad values, decreasing ``theta``, a ``T`` not in
        ``expiries``, or fewer than 3 quotes.
    """
    kk = np.asarray(k, dtype=np.float64).ravel()
    ww = np.asarray(w, dtype=np.float64).ravel()
    if kk.shape != ww.shape:
        raise ValueError(f"k and w must have the same length, got {kk.size} and {ww.size}")
    try:
        tt = np.broadcast_to(np.asarray(T, dtype=np.float64).ravel(), kk.shape)
        wt = (np.ones_like(kk) if weights is None
              else np.broadcast_to(np.asarray(weights, dtype=np.float64).ravel(),
                                   kk.shape).copy())
    except ValueError as exc:
        raise ValueError(f"T and weights must have one entry per quote ({kk.size}) or be "
                         "scalars") from exc
    if kk.size < 3:
        raise ValueError(f"fit_ssvi needs at least 3 quotes (3 parameters), got {kk.size}")
    if not np.all(np.isfinite(kk)):
        raise ValueError("k must be finite")
    if not np.all(np.isfinite(ww) & (ww > 0.0)):
        raise ValueError("w (total implied variance) must be positive and finite")
    exp = np.atleast_1d(np.asarray(expiries, dtype=np.float64)).ravel()
    th = np.atleast_1d(_theta_array(theta)).ravel()
    if exp.shape != th.shape:
        raise ValueError(f"expiries and theta must have the same length, got {exp.size} and "
                         f"{th.size}")
    if not (np.all(np.isfinite(exp) & (exp > 0.0)) and np.all(np.diff(exp) > 0.0)):
        raise ValueError("expiries must be positive, finite and strictly increasing")
    if np.any(np.diff(th) < 0.0):
        raise ValueError("theta must be nondecreasing in expiry (else calendar arbitrage at "
                         "the money)")
    idx = _match_expiries(tt, exp)
    if not np.all(np.isfinite(wt) & (wt >= 0.0)) or not np.any(wt > 0.0):
        raise ValueError("weights must be finite, >= 0 and not all zero")
    th_pt = th[idx]
    t_pt = exp[idx]
    iv_mkt = np.sqrt(ww / t_pt)
    sw = np.sqrt(wt)

    def to_params(x: FloatArray) -> SsviParams:
        rho = float(x[0])
        if enforce_no_arbitrage:
            return SsviParams(rho=rho, eta=2.0 * float(x[1]) / (1.0 + abs(rho)),
                              gamma=float(x[2]))
        return SsviParams(rho=rho, eta=float(x[1]), gamma=float(x[2]))

    def residuals(x: FloatArray) -> FloatArray:
        model = to_params(x).total_variance(kk, th_pt)
        return np.asarray(sw * (np.sqrt(model / t_pt) - iv_mkt), dtype=np.float64)

    if enforce_no_arbitrage:
        lo, hi = [-_RHO_BOUND, 1e-8, 0.0], [_RHO_BOUND, 1.0, 0.5]
        starts = [(r0, s0, g0) for r0 in (-0.7, -0.3, 0.0) for s0 in (0.3, 0.9)
                  for g0 in (0.2, 0.45)]
    else:
        lo, hi = [-_RHO_BOUND, 1e-8, 0.0], [_RHO_BOUND, 1e4, 1.0]
        starts = [(r0, e0, g0) for r0 in (-0.7, -0.3, 0.0) for e0 in (0.5, 2.0)
                  for g0 in (0.3, 0.7)]
    best = None
    for x0 in starts:
        res = least_squares(residuals, np.asarray(x0), bounds=(lo, hi), method="trf",
                            x_scale="jac", xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=400)
        if best is None or res.cost < best.cost:
            best = res
    assert best is not None
    params = to_params(np.asarray(best.x))
    model = params.total_variance(kk, th_pt)
    iv_res = np.sqrt(model / t_pt) - iv_mkt
    w_res = model - ww
    return SsviFit(
        params=params,
        expiries=tuple(float(x) for x in exp),
        theta=tuple(float(x) for x in th),
        rmse_iv=math.sqrt(float(np.sum(wt * iv_res * iv_res) / np.sum(wt))),
        rmse=math.sqrt(float(np.sum(wt * w_res * w_res) / np.sum(wt))),
        n_points=int(kk.size),
        conditions=params.conditions(th),
        enforced=enforce_no_arbitrage,
    )
