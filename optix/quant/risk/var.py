"""Value at risk and expected shortfall: historical, parametric delta-gamma, Monte Carlo.

Conventions: VaR and ES are reported as positive losses in currency at confidence ``c`` over a
horizon of ``horizon_days`` trading days (252 a year; time decay over the horizon shortens
expiries by ``horizon_days / 252`` years). Returns are simple relative spot moves per
underlying.

* **Historical**: full revaluation of the portfolio under each row of observed returns (scaled
  by ``sqrt(horizon_days)`` from one-day returns, a documented approximation).
* **Parametric (delta-gamma)**: the P&L ``dV = d'x + 1/2 x'Gx`` with ``x ~ N(0, S)`` of dollar
  moves has exact cumulants (``k1 = tr(GS)/2``, ``k2 = d'Sd + tr((GS)^2)/2``, ``k3 = tr((GS)^3)
  + 3 d'SGSd``, ``k4 = 3 tr((GS)^4) + 12 d'SGSGSd``); the quantile comes from the
  Cornish-Fisher expansion on them and ES from integrating that quantile over the tail (in
  closed form: the expansion is a cubic in a standard normal). With no
  gamma it is the exact delta-normal result. The expansion is reliable for moderate skew; the
  result flags ``cf_monotone = False`` where the expansion stops being a valid quantile
  function, and Monte Carlo is then the method to trust.
* **Monte Carlo**: correlated normal (or Student-t) returns, full revaluation, empirical VaR and
  ES with the standard error of the VaR from the order-statistic density.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

from optix.core.arrays import FloatArray
from optix.quant.risk.portfolio import MarketState, Portfolio, portfolio_greeks, revalue

__all__ = ["VaRResult", "empirical_var", "historical_var", "monte_carlo_var",
           "parametric_var"]

TRADING_DAYS = 252.0


@dataclass(frozen=True)
class VaRResult:
    """A risk figure: VaR and ES as positive losses in currency.

    Attributes
    ----------
    var, es : float
        Value at risk and expected shortfall at ``confidence``.
    confidence : float
        E.g. 0.99.
    horizon_days : float
        Trading days.
    method : str
        ``historical``, ``delta-normal``, ``delta-gamma`` or ``monte-carlo``.
    n_scenarios : int
        Scenarios behind an empirical figure (0 for parametric).
    var_stderr : float | None
        Standard error of an empirical VaR (Monte Carlo only).
    cf_monotone : bool
        Parametric only: whether the Cornish-Fisher quantile is increasing over the tail.
    """

    var: float
    es: float
    confidence: float
    horizon_days: float
    method: str
    n_scenarios: int = 0
    var_stderr: float | None = None
    cf_monotone: bool = True


def _check_confidence(confidence: float, horizon_days: float) -> None:
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0.5, 1), got {confidence}")
    if not horizon_days > 0 or not math.isfinite(horizon_days):
        raise ValueError(f"horizon_days must be positive, got {horizon_days}")


def empirical_var(pnl: npt.ArrayLike, confidence: float) -> tuple[float, float]:
    """VaR and ES of a sample of P&L (losses negative), as positive numbers.

    VaR is the loss at the ``1 - confidence`` empirical quantile (linear interpolation); ES is
    the mean loss of the scenarios at or beyond that quantile.
    """
    x = np.asarray(pnl, dtype=np.float64).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("pnl must be a non-empty finite sample")
    q = float(np.quantile(x, 1.0 - confidence))
    tail = x[x <= q]
    return -q, -float(tail.mean())


def historical_var(
    portfolio: Portfolio, market: MarketState, returns: npt.ArrayLike, *,
    vol_changes: npt.ArrayLike | None = None, confidence: float = 0.99,
    horizon_days: float = 1.0,
) -> VaRResult:
    """Historical-simulation VaR and ES by full revaluation.

    Parameters
    ----------
    portfolio, market
        Positions and today's market.
    returns : array_like, shape (n_days, n_underlyings)
        Observed one-day relative spot returns, columns in ``portfolio.underlyings`` order.
    vol_changes : array_like, optional
        Observed one-day changes of implied volatility (absolute), same shape; default none.
    confidence, horizon_days
        As in :class:`VaRResult`; returns and vol changes are scaled by ``sqrt(horizon_days)``.
    """
    _check_confidence(confidence, horizon_days)
    ret = np.atleast_2d(np.asarray(returns, dtype=np.float64))
    if ret.shape[0] < 20:
        raise ValueError(f"returns needs at least 20 observations, got {ret.shape[0]}")
    scale = math.sqrt(horizon_days)
    dv = 0.0 if vol_changes is None else np.asarray(vol_changes, dtype=np.float64) * scale
    pnl = revalue(portfolio, market, ret * scale, dv, horizon_days / TRADING_DAYS)
    var, es = empirical_var(pnl, confidence)
    return VaRResult(var, es, confidence, horizon_days, "historical", n_scenarios=pnl.size)


def _check_cov(sigma: FloatArray) -> None:
    """Raise unless ``sigma`` is finite, symmetric and positive semi-definite (relative tol)."""
    if not np.all(np.isfinite(sigma)):
        raise ValueError("cov must be finite")
    scale = float(np.max(np.abs(sigma))) or 1.0
    if np.max(np.abs(sigma - sigma.T)) > 1e-10 * scale:
        raise ValueError("cov must be symmetric")
    if float(np.min(np.linalg.eigvalsh(sigma))) < -1e-10 * scale:
        raise ValueError("cov must be positive semi-definite")


def _dollar_moments(
    portfolio: Portfolio, market: MarketState, cov: FloatArray, horizon_days: float,
) -> tuple[float, float, float, float]:
    greeks = portfolio_greeks(portfolio, market)
    spot = np.asarray(market.spot)
    d = greeks.delta * spot  # P&L per unit relative move
    g = np.diag(greeks.gamma * spot**2)  # gamma in relative-move units (no cross gammas)
    sigma = cov * horizon_days
    gs = g @ sigma
    gs2 = gs @ gs
    sd = sigma @ d
    k1 = 0.5 * float(np.trace(gs))
    k2 = float(d @ sd) + 0.5 * float(np.trace(gs2))
    k3 = float(np.trace(gs2 @ gs)) + 3.0 * float(sd @ g @ sd)
    k4 = 3.0 * float(np.trace(gs2 @ gs2)) + 12.0 * float(sd @ g @ sigma @ g @ sd)
    # theta over the horizon is a deterministic drift of the P&L
    k1 += float(np.sum(greeks.theta)) * horizon_days * 365.0 / TRADING_DAYS
    return k1, k2, k3, k4


def _cornish_fisher(z: FloatArray, skew: float, exkurt: float) -> FloatArray:
    return np.asarray(z + (z**2 - 1) * skew / 6 + (z**3 - 3 * z) * exkurt / 24
                      - (2 * z**3 - 5 * z) * skew**2 / 36, dtype=np.float64)


def _cornish_fisher_tail_mean(z: float, alpha: float, skew: float, exkurt: float) -> float:
    """E[cf(Z) | Z <= z] in closed form: the expansion is a cubic in a standard normal Z."""
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    m0 = alpha  # integrals of z^k phi(z) over (-inf, z]
    m1 = -pdf
    m2 = alpha - z * pdf
    m3 = -(z * z + 2.0) * pdf
    c3 = exkurt / 24 - skew**2 / 18  # coefficients of the cubic cf(z) = c0 + c1 z + c2 z^2 + c3 z^3
    c2 = skew / 6
    c1 = 1.0 - exkurt / 8 + 5 * skew**2 / 36
    c0 = -skew / 6
    return (c0 * m0 + c1 * m1 + c2 * m2 + c3 * m3) / alpha


def parametric_var(
    portfolio: Portfolio, market: MarketState, cov: npt.ArrayLike, *,
    confidence: float = 0.99, horizon_days: float = 1.0, gamma: bool = True,
) -> VaRResult:
    """Parametric VaR and ES: delta-normal, or delta-gamma with Cornish-Fisher (module doc).

    Parameters
    ----------
    cov : array_like, shape (n_underlyings, n_underlyings)
        Covariance of one-day relative returns.
    gamma : bool
        Include the gamma term (delta-gamma); ``False`` gives delta-normal.
    """
    _check_confidence(confidence, horizon_days)
    market.check(portfolio)
    n = len(portfolio.underlyings)
    sigma = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    if sigma.shape != (n, n):
        raise ValueError(f"cov must be ({n}, {n}) for underlyings {portfolio.underlyings[:5]}"
                         f", got {sigma.shape}")
    _check_cov(sigma)
    k1, k2, k3, k4 = _dollar_moments(portfolio, market, sigma, horizon_days)
    if not gamma:
        greeks = portfolio_greeks(portfolio, market)
        d = greeks.delta * np.asarray(market.spot)
        k1 = float(np.sum(greeks.theta)) * horizon_days * 365.0 / TRADING_DAYS
        k2 = float(d @ (sigma * horizon_days) @ d)
        k3 = k4 = 0.0
    sd = math.sqrt(max(k2, 0.0))
    skew = k3 / sd**3 if sd > 0 else 0.0
    exkurt = k4 / sd**4 if sd > 0 else 0.0
    alpha = 1.0 - confidence
    z = float(ndtri(alpha))
    q_alpha = k1 + sd * float(_cornish_fisher(np.array(z), skew, exkurt))
    es = -(k1 + sd * _cornish_fisher_tail_mean(z, alpha, skew, exkurt))
    grid = _cornish_fisher(ndtri(np.linspace(1e-6, 0.5, 400)), skew, exkurt)
    monotone = bool(np.all(np.diff(grid) > 0))
    method = "delta-gamma" if gamma else "delta-normal"
    return VaRResult(-q_alpha, es, confidence, horizon_days, method, cf_monotone=monotone)


def monte_carlo_var(
    portfolio: Portfolio, market: MarketState, cov: npt.ArrayLike, *,
    confidence: float = 0.99, horizon_days: float = 1.0, n_scenarios: int = 10_000,
    seed: int | None = None, vol_of_iv: float = 0.0, student_t_dof: float | None = None,
) -> VaRResult:
    """Monte Carlo VaR and ES by full revaluation.

    Parameters
    ----------
    cov : array_like, shape (n_underlyings, n_underlyings)
        Covariance of one-day log returns (scaled by ``horizon_days``).
    n_scenarios : int
        Simulated scenarios (at least 1,000).
    seed : int, optional
        Seed of the numpy Generator, for a reproducible figure.
    vol_of_iv : float
        Standard deviation of one-day absolute implied-vol changes, applied per underlying and
        independent of spot (0: implied vols fixed).
    student_t_dof : float, optional
        Degrees of freedom (> 2) for multivariate Student-t log returns with the same
        covariance; ``None`` is normal. The drift correction ``-diag/2`` is the normal one, so
        under Student-t the simple returns have a mean slightly off zero (of order the
        variance times the excess kurtosis).
    """
    _check_confidence(confidence, horizon_days)
    market.check(portfolio)
    if n_scenarios < 1000:
        raise ValueError(f"n_scenarios must be >= 1000, got {n_scenarios}")
    if student_t_dof is not None and not student_t_dof > 2:
        raise ValueError(f"student_t_dof must be > 2, got {student_t_dof}")
    n = len(portfolio.underlyings)
    sigma = np.atleast_2d(np.asarray(cov, dtype=np.float64)) * horizon_days
    if sigma.shape != (n, n):
        raise ValueError(f"cov must be ({n}, {n}), got {sigma.shape}")
    _check_cov(sigma)
    rng = np.random.default_rng(seed)
    evals, evecs = np.linalg.eigh(sigma)
    root = evecs * np.sqrt(np.maximum(evals, 0.0))
    z = rng.standard_normal((n_scenarios, n)) @ root.T
    if student_t_dof is not None:
        w = rng.chisquare(student_t_dof, size=(n_scenarios, 1)) / student_t_dof
        z = z / np.sqrt(w) * math.sqrt((student_t_dof - 2) / student_t_dof)
    ret = np.expm1(z - 0.5 * np.diag(sigma))
    dv = rng.standard_normal((n_scenarios, n)) * vol_of_iv * math.sqrt(horizon_days)
    pnl = revalue(portfolio, market, ret, dv, horizon_days / TRADING_DAYS)
    var, es = empirical_var(pnl, confidence)
    # standard error of the sample quantile: sqrt(a(1-a)/n) / f(q), f from a kernel estimate
    alpha = 1.0 - confidence
    bw = 1.06 * float(np.std(pnl)) * n_scenarios ** (-0.2)
    dens = float(np.mean(np.exp(-0.5 * ((pnl + var) / bw) ** 2))) / (bw * math.sqrt(2 * math.pi))
    stderr = math.sqrt(alpha * (1 - alpha) / n_scenarios) / dens if dens > 0 else math.inf
    return VaRResult(var, es, confidence, horizon_days, "monte-carlo", n_scenarios=n_scenarios,
                     var_stderr=stderr)
