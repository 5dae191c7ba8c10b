"""Risk-neutral models and their path kernels: GBM, Heston (Andersen QE), Merton jumps.

Each model is a frozen, validated dataclass. :meth:`paths` turns a matrix of standard normals
(one row per path, ``factors * steps`` columns, factor-major; see
:mod:`optix.quant.montecarlo.streams`) into log-price paths ``x[:, 0..steps]`` on the equal grid
``t_j = j T / steps``. ``sign = -1`` negates every normal (the antithetic path), which for the
uniform-driven parts of Heston and Merton is the reflection ``u -> 1 - u``.

* :class:`GBM`: exact log step, ``x += (r - q - sigma^2/2) dt + sigma sqrt(dt) z``.
* :class:`Heston`: Andersen (2008) quadratic-exponential variance step (``psi_c = 1.5``), the
  central (``gamma1 = gamma2 = 1/2``) log step and the martingale correction of his section
  4.2, so ``E[S(t+dt) | S(t)] = S(t) e^{(r-q) dt}`` holds exactly in the scheme (when the
  moment-generating function of the step exists, ``A < 1/(2a)`` resp. ``A < beta``; otherwise
  that step falls back to the uncorrected drift, which happens only for extreme parameters and
  coarse steps). Factor 0 drives the variance, factor 1 the log price.
* :class:`Merton`: exact, with the compensated drift ``r - q - lam kbar``. Per step, factor 0
  is the diffusion, factor 1 gives the Poisson jump count by inversion (``N = 0`` unless
  ``z > Phi^{-1}(e^{-lam dt})``), factor 2 the sum of the ``N`` normal log jumps, which is
  ``N(N mu_j, N sigma_j^2)`` exactly. The inversion needs ``lam dt <= 50`` (checked by the
  engine's plan: use more steps for more jumps per step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from optix.core.arrays import FloatArray
from optix.quant._jit import njit
from optix.quant._special import norm_cdf
from optix.quant.montecarlo.streams import inverse_normal

__all__ = ["GBM", "Heston", "Merton", "Model"]


def _check_finite(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0.0:
            raise ValueError(f"{name} must be positive, got {value}")


def _check_nonnegative(**values: float) -> None:
    for name, value in values.items():
        if not value >= 0.0:
            raise ValueError(f"{name} must be >= 0, got {value}")


@njit
def _gbm_paths(z: FloatArray, sign: float, x0: float, drift: float, sd: float,
               x: FloatArray) -> None:
    n, m1 = x.shape
    vol = sign * sd
    for i in range(n):
        xx = x0
        x[i, 0] = xx
        for j in range(m1 - 1):
            xx += drift + vol * z[i, j]
            x[i, j + 1] = xx


@njit
def _heston_paths(z: FloatArray, sign: float, x0: float, v0: float, kappa: float,
                  theta: float, xi: float, rho: float, mu_dt: float, dt: float,
                  x: FloatArray, v: FloatArray) -> None:
    n, m1 = x.shape
    m = m1 - 1
    e = math.exp(-kappa * dt)
    one_e = -math.expm1(-kappa * dt)  # 1 - e without cancellation for small kappa dt
    c1 = xi * xi * e * one_e / kappa
    c2 = theta * xi * xi * one_e * one_e / (2.0 * kappa)
    k1 = 0.5 * dt * (kappa * rho / xi - 0.5) - rho / xi
    k2 = 0.5 * dt * (kappa * rho / xi - 0.5) + rho / xi
    k3 = 0.5 * dt * (1.0 - rho * rho)
    k4 = k3
    big_a = k2 + 0.5 * k4
    k0_plain = -rho * kappa * theta * dt / xi
    for i in range(n):
        xx = x0
        vv = v0
        x[i, 0] = xx
        v[i, 0] = vv
        for j in range(m):
            zv = sign * z[i, j]
            zx = sign * z[i, m + j]
            mean = theta + (vv - theta) * e
            psi = (vv * c1 + c2) / (mean * mean)
            k0 = k0_plain
            if psi <= 1.5:
                inv = 2.0 / psi
                b2 = inv - 1.0 + math.sqrt(inv) * math.sqrt(inv - 1.0)
                a = mean / (1.0 + b2)
                b = math.sqrt(b2)
                vn = a * (b + zv) * (b + zv)
                if big_a * a < 0.5:
                    k0 = (-big_a * b2 * a / (1.0 - 2.0 * big_a * a)
                          + 0.5 * math.log(1.0 - 2.0 * big_a * a) - (k1 + 0.5 * k3) * vv)
            else:
                p = (psi - 1.0) / (psi + 1.0)
                beta = (1.0 - p) / mean
                # U = Phi(z); 1 - U = Phi(-z) keeps the upper tail exact
                vn = 0.0 if norm_cdf(zv) <= p else math.log((1.0 - p) / norm_cdf(-zv)) / beta
                if big_a < beta:
                    k0 = (-math.log(p + beta * (1.0 - p) / (beta - big_a))
                          - (k1 + 0.5 * k3) * vv)
            xx += mu_dt + k0 + k1 * vv + k2 * vn + math.sqrt(k3 * vv + k4 * vn) * zx
            vv = vn
            x[i, j + 1] = xx
            v[i, j + 1] = vv


@njit
def _merton_paths(z: FloatArray, sign: float, x0: float, drift: float, sd: float,
                  lam_dt: float, mu_j: float, sigma_j: float, x: FloatArray) -> None:
    n, m1 = x.shape
    m = m1 - 1
    p0 = math.exp(-lam_dt)
    tail0 = -math.expm1(-lam_dt)  # P(N >= 1), exact for small lam dt
    z0 = -inverse_normal(tail0)  # N >= 1 iff z > z0 (+inf when lam = 0)
    k_max = int(lam_dt + 20.0 * math.sqrt(lam_dt) + 30.0)  # tail beyond: far below 1e-20
    for i in range(n):
        xx = x0
        x[i, 0] = xx
        for j in range(m):
            xx += drift + sign * sd * z[i, j]
            zn = sign * z[i, m + j]
            if zn > z0:
                u = norm_cdf(zn)
                k = 1
                p = p0 * lam_dt
                cdf = p0 + p
                while u > cdf and k < k_max:
                    k += 1
                    p *= lam_dt / k
                    cdf += p
                xx += k * mu_j + math.sqrt(k) * sigma_j * sign * z[i, 2 * m + j]
            x[i, j + 1] = xx


@dataclass(frozen=True)
class GBM:
    """Geometric Brownian motion (Black-Scholes-Merton) with continuous ``r`` and ``q``.

    Parameters
    ----------
    S : float
        Spot, positive.
    r, q : float
        Risk-free rate and dividend yield, continuously compounded decimals.
    sigma : float
        Volatility, decimal per year, ``>= 0`` (0 gives deterministic paths).
    """

    S: float
    r: float
    q: float
    sigma: float

    factors: ClassVar[int] = 1
    bridged: ClassVar[int] = 1

    def __post_init__(self) -> None:
        _check_finite(S=self.S, r=self.r, q=self.q, sigma=self.sigma)
        _check_positive(S=self.S)
        _check_nonnegative(sigma=self.sigma)

    def diffusion_vol(self) -> float:
        """Volatility of the continuous part (for the barrier continuity correction)."""
        return self.sigma

    def paths(self, z: FloatArray, sign: float, dt: float, x: FloatArray,
              v: FloatArray | None) -> None:
        """Fill log-price paths ``x`` (rows, ``steps + 1``) from normals ``z``; ``v`` unused."""
        drift = (self.r - self.q - 0.5 * self.sigma * self.sigma) * dt
        _gbm_paths(z, sign, math.log(self.S), drift, self.sigma * math.sqrt(dt), x)


@dataclass(frozen=True)
class Heston:
    """Heston stochastic volatility, simulated with Andersen's QE scheme.

    Parameters
    ----------
    S : float
        Spot, positive.
    r, q : float
        Risk-free rate and dividend yield, continuously compounded decimals.
    v0, theta : float
        Initial variance (``>= 0``) and long-run variance (``> 0``).
    kappa : float
        Mean-reversion speed, positive.
    xi : float
        Volatility of variance, positive (use :class:`GBM` for a deterministic variance).
    rho : float
        Correlation of the spot and variance shocks, in ``[-1, 1]``.
    """

    S: float
    r: float
    q: float
    v0: float
    kappa: float
    theta: float
    xi: float
    rho: float

    factors: ClassVar[int] = 2
    bridged: ClassVar[int] = 2

    def __post_init__(self) -> None:
        _check_finite(S=self.S, r=self.r, q=self.q, v0=self.v0, kappa=self.kappa,
                      theta=self.theta, xi=self.xi, rho=self.rho)
        _check_positive(S=self.S, kappa=self.kappa, theta=self.theta, xi=self.xi)
        _check_nonnegative(v0=self.v0)
        if not -1.0 <= self.rho <= 1.0:
            raise ValueError(f"rho must be in [-1, 1], got {self.rho}")

    def diffusion_vol(self) -> float:
        """Initial volatility ``sqrt(v0)``; paths carry the local variance per step."""
        return math.sqrt(self.v0)

    def paths(self, z: FloatArray, sign: float, dt: float, x: FloatArray,
              v: FloatArray | None) -> None:
        """Fill log-price ``x`` and variance ``v`` paths (rows, ``steps + 1``) from ``z``."""
        if v is None or v.shape != x.shape:
            raise ValueError("Heston paths need a variance buffer v shaped like x")
        _heston_paths(z, sign, math.log(self.S), self.v0, self.kappa, self.theta, self.xi,
                      self.rho, (self.r - self.q) * dt, dt, x, v)


@dataclass(frozen=True)
class Merton:
    """Merton (1976) jump-diffusion with lognormal jumps, compensated to the forward.

    Parameters
    ----------
    S : float
        Spot, positive.
    r, q : float
        Risk-free rate and dividend yield, continuously compounded decimals.
    sigma : float
        Diffusion volatility, ``>= 0``.
    lam : float
        Jump intensity per year, ``>= 0``.
    mu_j, sigma_j : float
        Mean and standard deviation (``>= 0``) of the log jump size.
    """

    S: float
    r: float
    q: float
    sigma: float
    lam: float
    mu_j: float
    sigma_j: float

    factors: ClassVar[int] = 3
    bridged: ClassVar[int] = 1

    def __post_init__(self) -> None:
        _check_finite(S=self.S, r=self.r, q=self.q, sigma=self.sigma, lam=self.lam,
                      mu_j=self.mu_j, sigma_j=self.sigma_j)
        _check_positive(S=self.S)
        _check_nonnegative(sigma=self.sigma, lam=self.lam, sigma_j=self.sigma_j)

    def diffusion_vol(self) -> float:
        """Volatility of the continuous part (jumps are not continuity-corrected)."""
        return self.sigma

    def paths(self, z: FloatArray, sign: float, dt: float, x: FloatArray,
              v: FloatArray | None) -> None:
        """Fill log-price paths ``x`` (rows, ``steps + 1``) from normals ``z``; ``v`` unused."""
        kbar = math.expm1(self.mu_j + 0.5 * self.sigma_j * self.sigma_j)
        drift = (self.r - self.q - self.lam * kbar - 0.5 * self.sigma * self.sigma) * dt
        _merton_paths(z, sign, math.log(self.S), drift, self.sigma * math.sqrt(dt),
                      self.lam * dt, self.mu_j, self.sigma_j, x)


Model = GBM | Heston | Merton
"""Any model the engine simulates."""
