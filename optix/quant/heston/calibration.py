"""Heston calibration to European option prices: bounded least squares with an analytic Jacobian.

The residuals are ``w_i (model_i - market_i)``. Their Jacobian comes from the closed-form
derivatives of the characteristic function with respect to ``(v0, kappa, theta, xi, rho)``
(Cui, del Bano Rollin & Germano 2017) pushed through the same quadrature as the prices, so one
evaluation of the characteristic function per expiry and node serves the prices and all five
columns. The optimizer is SciPy's trust-region-reflective ``least_squares`` inside the parameter
box ``bounds``.

With ``vega_weighted=True`` each residual is divided by the Black-Scholes vega at the quote's own
implied volatility, so ``(model - market) / vega`` is the first-order implied-volatility error and
the objective approximates the sum of squared IV errors: wings and short expiries (small vega)
count as much as at-the-money quotes instead of being drowned by them. Vegas are floored at
``1e-4 * S * sqrt(T)`` (the at-the-money vega is ``~0.4 * S * sqrt(T)``), so a far-wing quote
with a vanishing vega weighs at most ~4000 times an at-the-money one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

from optix.core.arrays import FloatArray
from optix.quant.bsm import rights_to_sign
from optix.quant.heston.params import HestonParams
from optix.quant.heston.pricing import _evaluate, _prepare, _Quotes
from optix.quant.iv import implied_vol

__all__ = ["DEFAULT_BOUNDS", "HestonCalibration", "calibrate_heston", "initial_guess"]

DEFAULT_BOUNDS = (
    HestonParams(v0=1e-4, kappa=1e-2, theta=1e-4, xi=1e-2, rho=-0.99),
    HestonParams(v0=4.0, kappa=30.0, theta=4.0, xi=4.0, rho=0.99),
)
"""Default parameter box ``(lower, upper)``: volatilities 1% to 200%, vol of vol up to 4,
``|rho| <= 0.99`` (near +-1 with a large ``xi`` the characteristic function decays so slowly that
the Fourier integral needs tens of thousands of nodes)."""


@dataclass(frozen=True)
class HestonCalibration:
    """Result of :func:`calibrate_heston`.

    Attributes
    ----------
    params : HestonParams
        Calibrated parameters.
    rmse : float
        Root-mean-square price error ``sqrt(mean((model - market)^2))`` (unweighted).
    max_abs_error : float
        Largest absolute price error.
    n_quotes : int
        Number of quotes fitted.
    nfev, njev : int
        Objective and Jacobian evaluations.
    success : bool
        Whether the optimizer met a convergence criterion.
    message : str
        The optimizer's termination message.
    """

    params: HestonParams
    rmse: float
    max_abs_error: float
    n_quotes: int
    nfev: int
    njev: int
    success: bool
    message: str


def _as_quotes(
    S: npt.ArrayLike, K: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike, q: npt.ArrayLike,
    prices: npt.ArrayLike, right: npt.ArrayLike, weights: npt.ArrayLike | None,
) -> tuple[list[FloatArray], FloatArray]:
    """Flatten the quote arrays to the shape of ``prices``; checks name the argument at fault."""
    try:
        p = np.asarray(prices, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("prices must be numeric") from None
    if p.ndim == 0 or p.size == 0:
        raise ValueError(f"prices must be a non-empty array, got shape {p.shape}")
    out = []
    named = (("S", S), ("K", K), ("T", T), ("r", r), ("q", q), ("right", rights_to_sign(right)),
             ("weights", 1.0 if weights is None else weights))
    for name, value in named:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be numeric") from None
        try:
            arr = np.broadcast_to(arr, p.shape)
        except ValueError:
            raise ValueError(
                f"{name} has shape {arr.shape}, which does not match prices {p.shape}") from None
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite")
        out.append(np.ascontiguousarray(arr).ravel())
    s, k, t, _, _, _, w = out
    p = p.ravel()
    if not np.all(np.isfinite(p)) or np.any(p <= 0.0):
        raise ValueError("prices must be finite and > 0")
    for name, arr in (("S", s), ("K", k), ("T", t)):
        if np.any(arr <= 0.0):
            raise ValueError(f"{name} must be > 0 for every quote")
    if np.any(w <= 0.0):
        raise ValueError("weights must be > 0")
    return out, p


def _atm_and_skew(k: FloatArray, iv: FloatArray) -> tuple[float, float]:
    """At-the-money volatility and slope ``d iv / d ln(K/F)`` from one expiry's smile."""
    order = np.argsort(k)
    k, iv = k[order], iv[order]
    atm = float(np.interp(0.0, k, iv))
    near = np.abs(k) <= max(0.25, 2.0 * float(np.min(np.abs(k))))
    kk, vv = k[near], iv[near]
    if kk.size < 2 or np.ptp(kk) == 0.0:
        return atm, 0.0
    return atm, float(np.polyfit(kk, vv, 1)[0])


def _decay(y: FloatArray) -> FloatArray:
    """``(1 - exp(-y)) / y``, the weight of ``v0`` in the mean variance over ``[0, T]``."""
    return np.where(y > 1e-8, -np.expm1(-y) / np.maximum(y, 1e-300), 1.0 - 0.5 * y)


def initial_guess(t: FloatArray, k: FloatArray, iv: FloatArray) -> HestonParams:
    """Starting point for calibration from the implied-volatility smiles.

    Parameters
    ----------
    t, k, iv : ndarray
        Expiry (years), log-moneyness ``ln(K/F)`` and implied volatility of each quote.

    Returns
    -------
    HestonParams
        ``v0``, ``theta`` and ``kappa`` fit the at-the-money variance term structure
        ``theta + (v0 - theta)(1 - exp(-kappa T))/(kappa T)`` (``kappa`` from a small grid, the
        rest by least squares); ``rho * xi`` matches the shortest expiry's at-the-money skew to
        the small-vol-of-vol expansion ``d sigma/dk = rho xi / (2 sigma) * h(kappa T)`` with
        ``h(y) = (1 - (1 - exp(-y))/y)/y`` (Gatheral 2006, ch. 3), and is split as
        ``xi = max(0.3, |rho xi| / 0.7)``.
    """
    t_unique = np.unique(t)
    atm = np.empty(t_unique.size)
    skew = np.empty(t_unique.size)
    for i, tt in enumerate(t_unique):
        sel = t == tt
        atm[i], skew[i] = _atm_and_skew(k[sel], iv[sel])
    w_atm = atm * atm
    best = (math.inf, 1.0, float(w_atm[0]), float(w_atm[-1]))
    for kappa in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0):
        f = _decay(kappa * t_unique)
        design = np.column_stack([f, 1.0 - f])
        coef = np.linalg.lstsq(design, w_atm, rcond=None)[0] if t_unique.size > 1 else \
            np.array([w_atm[0], w_atm[0]])
        v0, theta = (float(np.clip(c, 1e-4, 4.0)) for c in coef)
        err = float(np.sum((design @ np.array([v0, theta]) - w_atm) ** 2))
        if err < best[0] - 1e-14:
            best = (err, kappa, v0, theta)
    _, kappa, v0, theta = best
    y = kappa * float(t_unique[0])
    h = (1.0 - float(_decay(np.array([y]))[0])) / y if y > 1e-6 else 0.5 - y / 6.0
    rho_xi = 2.0 * float(atm[0]) * float(skew[0]) / h
    xi = float(np.clip(abs(rho_xi) / 0.7, 0.3, 3.0))
    rho = float(np.clip(rho_xi / xi, -0.9, 0.9))
    return HestonParams(v0=v0, kappa=kappa, theta=theta, xi=xi, rho=rho)


def _clip_into(params: HestonParams, lower: FloatArray, upper: FloatArray) -> FloatArray:
    x = np.array(params.as_tuple())
    span = upper - lower
    return np.asarray(np.clip(x, lower + 1e-6 * span, upper - 1e-6 * span), dtype=np.float64)


def calibrate_heston(
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
    prices: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    weights: npt.ArrayLike | None = None,
    initial: HestonParams | None = None,
    vega_weighted: bool = False,
    bounds: tuple[HestonParams, HestonParams] = DEFAULT_BOUNDS,
    max_nfev: int = 200,
    tol: float = 1e-10,
) -> HestonCalibration:
    """Fit Heston parameters to European option prices.

    Parameters
    ----------
    S, K, T, r, q : array_like
        Spot, strike, years to expiry (``> 0``), rate and dividend yield of each quote;
        each broadcasts to the shape of ``prices``.
    prices : array_like
        Market prices, ``> 0``; their shape defines the quotes.
    right : array_like
        ``'c'``/``'p'`` or +1/-1 per quote (broadcast).
    weights : array_like, optional
        Positive weight per quote, multiplying its residual (default 1).
    initial : HestonParams, optional
        Starting point (moved just inside ``bounds`` if outside); by default
        :func:`initial_guess` from the quotes' implied volatilities.
    vega_weighted : bool, default False
        Divide each residual by its Black-Scholes vega (floored at ``1e-4 S sqrt(T)``) so the
        objective approximates squared implied-volatility errors (see the module notes).
    bounds : (HestonParams, HestonParams), default DEFAULT_BOUNDS
        Lower and upper parameter box.
    max_nfev : int, default 200
        Most objective evaluations.
    tol : float, default 1e-10
        ``ftol``, ``xtol`` and ``gtol`` of :func:`scipy.optimize.least_squares`.

    Returns
    -------
    HestonCalibration
        Parameters, price errors and optimizer diagnostics.

    Raises
    ------
    ValueError
        If an argument does not broadcast to ``prices``, is not finite, a price, spot, strike,
        expiry or weight is not positive, a price has no implied volatility (below intrinsic
        or above the upper bound), or ``bounds``/``initial``/``max_nfev``/``tol`` are invalid.
    """
    (s, k, t, rr, qq, w, wt), p = _as_quotes(S, K, T, r, q, prices, right, weights)
    lower, upper = bounds
    if not (isinstance(lower, HestonParams) and isinstance(upper, HestonParams)):
        raise ValueError("bounds must be a pair of HestonParams (lower, upper)")
    lo, hi = np.array(lower.as_tuple()), np.array(upper.as_tuple())
    if np.any(lo >= hi):
        raise ValueError(
            f"bounds: every lower value must be below its upper one ({lower}, {upper})")
    if initial is not None and not isinstance(initial, HestonParams):
        raise ValueError(f"initial must be a HestonParams or None, got {type(initial).__name__}")
    if max_nfev < 1:
        raise ValueError(f"max_nfev must be >= 1, got {max_nfev}")
    if not 0.0 < tol < 1.0:
        raise ValueError(f"tol must lie in (0, 1), got {tol}")
    ivr = implied_vol(p, s, k, t, rr, qq, w)
    if not np.all(np.isfinite(ivr.vol)):
        bad = np.flatnonzero(~np.isfinite(ivr.vol))[:3]
        raise ValueError(f"prices at positions {bad.tolist()} have no implied volatility "
                         "(below intrinsic or above the no-arbitrage upper bound)")
    iv = ivr.vol
    fwd = s * np.exp((rr - qq) * t)
    scale = wt.copy()
    if vega_weighted:
        sd = iv * np.sqrt(t)
        d1 = np.log(fwd / k) / sd + 0.5 * sd
        vega = s * np.exp(-qq * t) * np.sqrt(t) * np.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
        scale = scale / np.maximum(vega, 1e-4 * s * np.sqrt(t))
    start = initial if initial is not None else initial_guess(t, np.log(k / fwd), iv)
    quotes: _Quotes = _prepare(s, k, t, rr, qq, w)

    # Prices and Jacobian share one characteristic-function pass (the Jacobian adds ~50% to
    # it), and least_squares asks for the Jacobian at the point it just evaluated whenever it
    # accepts a step, so each evaluation keeps its Jacobian for that request.
    # A trial point where the pricer refuses (variance so small, or rho so close to +-1 with a
    # large xi, that one expiry would need > 262k nodes) gets a residual far above any fit, so
    # the trust region rejects the step and shrinks.
    cache: dict[bytes, FloatArray] = {}
    penalty = 1e3 * scale * (p + s)

    def residuals(x: FloatArray) -> FloatArray:
        try:
            model, jac = _evaluate(quotes, HestonParams(*x), want_jac=True)
        except ValueError:  # at the start point the Jacobian call below re-raises it
            return np.asarray(penalty, dtype=np.float64)
        cache.clear()
        cache[x.tobytes()] = scale[:, None] * jac
        return np.asarray(scale * (model - p), dtype=np.float64)

    def jacobian(x: FloatArray) -> FloatArray:
        jac = cache.get(x.tobytes())
        if jac is None:
            jac = scale[:, None] * _evaluate(quotes, HestonParams(*x), want_jac=True)[1]
        return np.asarray(jac, dtype=np.float64)

    res = least_squares(residuals, _clip_into(start, lo, hi), jac=jacobian, bounds=(lo, hi),
                        method="trf", x_scale="jac", ftol=tol, xtol=tol, gtol=tol,
                        max_nfev=max_nfev)
    best = HestonParams(*(float(v) for v in res.x))
    err = _evaluate(quotes, best, want_jac=False)[0] - p
    return HestonCalibration(
        params=best,
        rmse=float(np.sqrt(np.mean(err * err))),
        max_abs_error=float(np.max(np.abs(err))),
        n_quotes=int(p.size),
        nfev=int(res.nfev),
        njev=int(res.njev) if res.njev is not None else 0,
        success=bool(res.status > 0),
        message=str(res.message),
    )

