"""Calibration of raw SVI to one expiry, free of butterfly (and optionally calendar) arbitrage.

Stage 1 is the quasi-explicit method of De Marco & Martini (Zeliade 2009): for fixed
``(m, sig)`` the other three parameters solve a convex constrained linear least-squares
problem exactly (compiled, :mod:`._svi_kernels`), and a bounded Nelder-Mead in
``(m, ln sig)`` started from the best points of a grid finds ``(m, sig)``. The constraints are
``b >= 0``, ``|rho| <= 1``, a non-negative minimum variance and Lee's moment bound on the wing
slopes ``b (1 + |rho|) <= 2`` (Lee 2004: ``lim sup w(k)/|k| <= 2`` for any arbitrage-free
smile), under which ``g(k) -> 1/4 - (b (1 + |rho|))**2/16 >= 0`` in the wings.

Stage 2 runs only if the stage-1 smile has butterfly arbitrage (``g(k) < 0``) or dips under a
calendar floor on a check grid (data range widened by 3 spans, plus ``m + sig sinh(u)``
out to 200 ``sig``): the same search over ``(m, sig)`` with a penalty on the inner solution's
violations (squared shortfalls of ``g`` below a small margin and of ``w`` below the floor)
added to the objective, its weight raised until they are gone. The inner fit stays the exact
least-squares one, so the result is the best-fitting stage-1 smile without arbitrage; on the
SPY chain in the tests this costs under 0.1 vol point of RMSE where the unconstrained fit's
wing turned up just beyond the data. Only if that fails (the data themselves break the
constraints, e.g. quotes well below the previous expiry, so every exact inner fit does too)
a penalized least squares over all five parameters takes over, started from the stage-2
result and from just above the floor when that is raw SVI. Whatever remains is reported in
:class:`SviFit` (``butterfly_free``, ``floor_ok``), never hidden; the check is repeated on a
grid 6.6 times finer, and a dip between the coarse points is penalized on the fine grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

from optix.core.arrays import FloatArray
from optix.quant.surface._svi_kernels import RHO_LIMIT, svi_inner, svi_search
from optix.quant.surface.smile import Smile, butterfly_g
from optix.quant.surface.svi import SviParams, svi_total_variance

__all__ = ["SviFit", "fit_svi"]

_G_MARGIN = 1e-4  # stage 2 aims at g >= this, so rounding cannot leave g < 0
_FLOOR_MARGIN = 1e-3  # ... and at w >= floor + this * (RMS data variance)


@dataclass(frozen=True)
class SviFit:
    """Result of :func:`fit_svi`.

    Attributes
    ----------
    params : SviParams
        Calibrated parameters.
    rmse : float
        Weighted root-mean-square total-variance residual.
    rmse_iv : float or None
        Weighted root-mean-square implied-volatility residual, when ``T`` was given.
    max_abs_error : float
        Largest absolute total-variance residual.
    n_points : int
        Number of quotes fitted.
    T : float or None
        Expiry in years, when given.
    min_g : float
        Smallest Gatheral-Jacquier ``g(k)`` on a fine check grid (negative: butterfly
        arbitrage).
    butterfly_free : bool
        ``min_g >= 0``.
    floor_ok : bool
        The smile stays at or above the calendar floor on the check grid (True without one).
    penalized : bool
        Whether stage 2 (arbitrage penalties) was needed.
    """

    params: SviParams
    rmse: float
    rmse_iv: float | None
    max_abs_error: float
    n_points: int
    T: float | None
    min_g: float
    butterfly_free: bool
    floor_ok: bool
    penalized: bool


def _check_fit_inputs(
    k: npt.ArrayLike, w: npt.ArrayLike, weights: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    kk = np.asarray(k, dtype=np.float64).ravel()
    ww = np.asarray(w, dtype=np.float64).ravel()
    if kk.shape != ww.shape:
        raise ValueError(f"k and w must have the same length, got {kk.size} and {ww.size}")
    if not np.all(np.isfinite(kk)):
        raise ValueError("k must be finite")
    if not np.all(np.isfinite(ww) & (ww > 0.0)):
        raise ValueError("w (total implied variance) must be positive and finite")
    if weights is None:
        wt = np.ones_like(kk)
    else:
        try:
            wt = np.broadcast_to(np.asarray(weights, dtype=np.float64), kk.shape).copy()
        except ValueError as exc:
            raise ValueError(f"weights must have one entry per quote ({kk.size}) or be a "
                             "scalar") from exc
        if not np.all(np.isfinite(wt) & (wt >= 0.0)) or not np.any(wt > 0.0):
            raise ValueError("weights must be finite, >= 0 and not all zero")
    n_distinct = np.unique(kk[wt > 0.0]).size
    if n_distinct < 5:
        raise ValueError("fit_svi needs at least 5 distinct k with positive weight "
                         f"(5 parameters), got {n_distinct}")
    return kk, ww, wt


def _check_grid(kk: FloatArray, m: float, sig: float, n: int) -> FloatArray:
    """Data range widened by 3 spans (uniform) plus ``m + sig sinh(u)`` out to 200 ``sig``."""
    kmin, kmax = float(kk.min()), float(kk.max())
    span = kmax - kmin
    u = np.linspace(-math.asinh(200.0), math.asinh(200.0), n)
    return np.unique(np.concatenate((np.linspace(kmin - 3.0 * span, kmax + 3.0 * span, n),
                                     m + sig * np.sinh(u), kk)))


def _stage1(
    kk: FloatArray, ww: FloatArray, wt: FloatArray, grid: FloatArray | None = None,
    floor_w: FloatArray | None = None, mu: float = 0.0,
) -> SviParams:
    """Quasi-explicit fit: exact inner solve, compiled grid + Nelder-Mead over ``(m, ln sig)``.

    With ``mu > 0`` the outer objective adds ``mu`` times the inner solution's squared
    arbitrage shortfalls on ``grid`` (butterfly, and calendar against ``floor_w``), steering
    ``(m, sig)`` to where the inner least-squares smile is free of arbitrage.
    """
    kmin, kmax = float(kk.min()), float(kk.max())
    span = kmax - kmin
    sig_lo, sig_hi = max(1e-4 * span, 1e-6), 10.0 * span + 1.0
    w_ref = math.sqrt(float(np.sum(wt * ww * ww) / np.sum(wt)))
    empty = np.empty(0)
    m, ls, _ = svi_search(
        kk, ww, wt, empty if grid is None else grid, empty if floor_w is None else floor_w,
        _FLOOR_MARGIN * w_ref, _G_MARGIN, mu, np.linspace(kmin, kmax, 9),
        np.log(np.geomspace(max(1e-3 * span, sig_lo), 2.0 * span, 7)),
        np.array([kmin - span, kmax + span, math.log(sig_lo), math.log(sig_hi)]),
        np.array([0.05 * span, 0.3]), 3)
    sig = math.exp(ls)
    _, a, c, rho = svi_inner(kk, ww, wt, m, sig)
    rho = min(max(rho, -RHO_LIMIT), RHO_LIMIT)
    b = c / sig
    return SviParams(a=max(a, -b * sig * math.sqrt(1.0 - rho * rho)), b=b, rho=rho, m=m, sig=sig)


def _violations(p: SviParams, grid: FloatArray, floor_w: FloatArray | None,
                floor_tol: float) -> tuple[float, bool]:
    g = p.g(grid)
    min_g = float(np.min(np.where(np.isfinite(g), g, -np.inf)))
    floor_ok = floor_w is None or bool(np.all(p.total_variance(grid) >= floor_w - floor_tol))
    return min_g, floor_ok


def _polish(kk: FloatArray, ww: FloatArray, wt: FloatArray, p0: SviParams, grid: FloatArray,
            floor_w: FloatArray | None, mu: float) -> SviParams:
    """Penalized least squares over all five parameters, in box coordinates.

    The coordinates are ``(vmin, s, rho, m, ln sig)`` with ``b = 2 s / (1 + |rho|)`` and
    ``a = vmin - b sig sqrt(1 - rho**2)``, so every constraint of :class:`SviParams` and
    Lee's bound is a box; the arbitrage shortfalls enter as residuals weighted by ``mu``.
    """
    kmin, kmax = float(kk.min()), float(kk.max())
    span = kmax - kmin
    w_ref = math.sqrt(float(np.sum(wt * ww * ww) / np.sum(wt)))
    sw = np.sqrt(wt / np.sum(wt)) / w_ref
    margin = _FLOOR_MARGIN * w_ref
    lo = np.array([0.0, 0.0, -RHO_LIMIT, kmin - 3.0 * span, math.log(max(1e-4 * span, 1e-6))])
    hi = np.array([10.0 * float(ww.max()), 1.0, RHO_LIMIT, kmax + 3.0 * span,
                   math.log(10.0 * span + 1.0)])
    x0 = np.clip([p0.min_total_variance, p0.lee_slope / 2.0, p0.rho, p0.m, math.log(p0.sig)],
                 lo, hi)

    def unpack(x: FloatArray) -> tuple[float, float, float, float, float]:
        vmin, s, rho, m, lsig = (float(v) for v in x)
        sig = math.exp(lsig)
        b = 2.0 * s / (1.0 + abs(rho))
        return vmin - b * sig * math.sqrt(1.0 - rho * rho), b, rho, m, sig

    def residuals(x: FloatArray) -> FloatArray:
        par = unpack(x)
        w, _, _ = svi_total_variance(kk, *par)
        wg, w1, w2 = svi_total_variance(grid, *par)
        g = np.nan_to_num(butterfly_g(grid, wg, w1, w2), nan=-1.0)
        parts = [sw * (w - ww), mu * np.maximum(_G_MARGIN - g, 0.0)]
        if floor_w is not None:
            parts.append(mu * np.maximum(floor_w + margin - wg, 0.0) / w_ref)
        return np.concatenate(parts)

    res = least_squares(residuals, x0, bounds=(lo, hi), method="trf", x_scale="jac",
                        xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=300)
    a, b, rho, m, sig = unpack(np.asarray(res.x))
    return SviParams(a=max(a, -b * sig * math.sqrt(1.0 - rho * rho)), b=b, rho=rho, m=m, sig=sig)


def _remove_arbitrage(kk: FloatArray, ww: FloatArray, wt: FloatArray, grid: FloatArray,
                      floor_w: FloatArray | None, floor_tol: float,
                      floor: Smile | None) -> SviParams:
    """Stage 2: the penalized quasi-explicit search, then a penalized 5-parameter fit if needed.

    The penalty weight of the search is raised until the smile passes the grid check. If it
    never does (the data themselves break the constraints, e.g. they cross the floor, so every
    exact inner fit does too), the 5-parameter problem is solved from the search's result
    and, when the floor is itself raw SVI, from just above the floor (arbitrage-free to start
    with); the best-fitting result that passes is kept. Otherwise the search's last result is
    returned and the caller reports what remains.
    """
    best: SviParams | None = None
    for mu in (1e2, 1e4, 1e6):
        best = _stage1(kk, ww, wt, grid, floor_w, mu)
        min_g, floor_ok = _violations(best, grid, floor_w, floor_tol)
        if min_g >= 0.0 and floor_ok:
            return best
    assert best is not None
    starts = [best]
    if isinstance(floor, SviParams):
        lift = 2.0 * _FLOOR_MARGIN * math.sqrt(float(np.sum(wt * ww * ww) / np.sum(wt)))
        starts.append(SviParams(a=floor.a + lift, b=floor.b, rho=floor.rho, m=floor.m,
                                sig=floor.sig))
    passed: list[tuple[float, SviParams]] = []
    for p0 in starts:
        for mu in (1e2, 1e4):
            p1 = _polish(kk, ww, wt, p0, grid, floor_w, mu)
            min_g, floor_ok = _violations(p1, grid, floor_w, floor_tol)
            if min_g >= 0.0 and floor_ok:
                passed.append((float(np.sum(wt * (p1.total_variance(kk) - ww) ** 2)), p1))
                break
    return min(passed, key=lambda item: item[0])[1] if passed else best


def _rank(p: SviParams, kk: FloatArray, ww: FloatArray, wt: FloatArray, floor: Smile | None,
          floor_tol: float) -> tuple[bool, float]:
    """Sort key of candidate fits: arbitrage-free first (on a grid of their own), then RMSE."""
    grid = _check_grid(kk, p.m, p.sig, 801)
    min_g, floor_ok = _violations(p, grid, None if floor is None else floor.total_variance(grid),
                                  floor_tol)
    resid = p.total_variance(kk) - ww
    return (not (min_g >= 0.0 and floor_ok), float(np.sum(wt * resid * resid)))


def fit_svi(
    k: npt.ArrayLike,
    w: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    T: float | None = None,
    no_arbitrage: bool = True,
    floor: Smile | None = None,
) -> SviFit:
    """Calibrate raw SVI to one expiry's total variances by weighted least squares.

    See the module docstring for the two stages. A fit at ``|rho| = 1`` is reported with
    ``|rho| = 1 - 1e-9`` (``SviParams`` needs ``|rho| < 1``; the smile moves by
    ``~1e-9 b |k - m|``).

    Parameters
    ----------
    k : array_like
        Log-forward-moneyness of the quotes.
    w : array_like
        Total implied variance ``iv**2 * T`` of the quotes, positive.
    weights : array_like, optional
        Non-negative least-squares weights (e.g. vega or inverse spread); equal by default.
    T : float, optional
        Expiry in years; when given the fit also reports its implied-volatility RMSE.
    no_arbitrage : bool, default True
        Remove butterfly arbitrage (and dips under ``floor``) by the penalized stage 2;
        with False the stage-1 least-squares fit is returned as is (and still diagnosed).
    floor : Smile, optional
        The previous expiry's smile: the fit must not go below it anywhere on the check grid
        (calendar arbitrage). Enforced only with ``no_arbitrage``.

    Returns
    -------
    SviFit

    Raises
    ------
    ValueError
        On mismatched lengths, non-finite or non-positive data, bad weights, a bad ``T``, or
        fewer than 5 distinct ``k``.
    """
    kk, ww, wt = _check_fit_inputs(k, w, weights)
    if T is not None and not (math.isfinite(T) and T > 0.0):
        raise ValueError(f"T must be positive and finite, got {T!r}")
    params = _stage1(kk, ww, wt)
    w_ref = math.sqrt(float(np.sum(wt * ww * ww) / np.sum(wt)))
    floor_tol = 1e-12 * w_ref
    grid = _check_grid(kk, params.m, params.sig, 121)
    floor_w = None if floor is None else floor.total_variance(grid)
    min_g, floor_ok = _violations(params, grid, floor_w, floor_tol)
    penalized = no_arbitrage and not (min_g >= 0.0 and floor_ok)
    if penalized:
        params = _remove_arbitrage(kk, ww, wt, grid, floor_w, floor_tol, floor)
    fine = _check_grid(kk, params.m, params.sig, 801)
    fine_floor = None if floor is None else floor.total_variance(fine)
    min_g, floor_ok = _violations(params, fine, fine_floor, floor_tol)
    if no_arbitrage and not (min_g >= 0.0 and floor_ok):
        # A dip between the points of the coarse grid: penalize on the fine one instead. The
        # new smile may have moved (m, sig) far away, so each candidate is judged on a fine
        # grid built from its own parameters as well, and the better one is kept.
        penalized = True
        retry = _remove_arbitrage(kk, ww, wt, fine, fine_floor, floor_tol, floor)
        params = min((params, retry), key=lambda p: _rank(p, kk, ww, wt, floor, floor_tol))
    # the final verdict on both fine grids and 8001 points around the final smile; butterfly
    # also on log-spaced points out to |k - m| = 1e4, for wings that turn negative far from
    # any data (the calendar floor is not judged out there: strikes e^-1000 F mean nothing)
    final = np.union1d(fine, _check_grid(kk, params.m, params.sig, 8001))
    min_g, floor_ok = _violations(params, final,
                                  None if floor is None else floor.total_variance(final),
                                  floor_tol)
    far = np.geomspace(1e-4, 1e4, 2001)
    min_g = min(min_g, float(np.nanmin(params.g(np.concatenate((params.m - far,
                                                                   params.m + far))))))
    resid = params.total_variance(kk) - ww
    rmse = math.sqrt(float(np.sum(wt * resid * resid) / np.sum(wt)))
    rmse_iv = None
    if T is not None:
        iv_res = params.implied_vol(kk, T) - np.sqrt(ww / T)
        rmse_iv = math.sqrt(float(np.sum(wt * iv_res * iv_res) / np.sum(wt)))
    return SviFit(params=params, rmse=rmse, rmse_iv=rmse_iv,
                  max_abs_error=float(np.max(np.abs(resid[wt > 0.0]))), n_points=int(kk.size),
                  T=None if T is None else float(T), min_g=min_g, butterfly_free=min_g >= 0.0,
                  floor_ok=floor_ok, penalized=penalized)
