"""Underlying price paths: stochastic volatility, a market factor and jumps, in fixed steps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from optix.core.arrays import FloatArray
from optix.data.synthetic.universe import Universe

__all__ = ["PathBlock", "PricePaths", "intraday_shape"]

_TRADING_DAYS = 252.0
_SESSION_SHARE = 0.8
"""Share of a day's variance that accrues in regular hours (the rest is the overnight gap)."""


def intraday_shape(tau: FloatArray) -> FloatArray:
    """Relative intensity over the session (``tau`` in [0, 1]): the U shape of activity.

    Normalised so that its mean over the session is about 1: busy open, quiet lunch,
    busy close.
    """
    return np.asarray(
        (0.55 + 1.6 * np.exp(-tau / 0.06) + 0.9 * np.exp(-(1.0 - tau) / 0.05)) / 0.69,
        dtype=np.float64,
    )


@dataclass(frozen=True, slots=True)
class PathBlock:
    """Prices and volatilities of every symbol at each step of one block.

    Attributes
    ----------
    start_ns : int
        Time of column 0.
    step_ns : int
        Time between columns.
    spot : ndarray, shape (n_symbols, steps + 1)
    vol : ndarray, shape (n_symbols, steps + 1)
        Instantaneous volatility (decimal per year).
    """

    start_ns: int
    step_ns: int
    spot: FloatArray
    vol: FloatArray

    def column(self, ts_ns: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Index of the step in force at each time (clipped to the block)."""
        col = (ts_ns - self.start_ns) // self.step_ns
        return np.clip(col, 0, self.spot.shape[1] - 1)


class PricePaths:
    """Evolves every underlying: log-OU volatility correlated with returns, Merton jumps.

    Parameters
    ----------
    universe : Universe
    rng : numpy.random.Generator
    rate : float
        Risk-free rate (drift).
    kappa, vol_of_vol : float
        Mean reversion speed (per year) and volatility of log-volatility.
    leverage : float
        Correlation of volatility shocks with return shocks (negative: the leverage effect).
    jump_rate, jump_mean, jump_sd : float
        Idiosyncratic jumps per year and their log-size mean and deviation.
    """

    def __init__(
        self,
        universe: Universe,
        rng: np.random.Generator,
        *,
        rate: float = 0.04,
        kappa: float = 6.0,
        vol_of_vol: float = 1.2,
        leverage: float = -0.7,
        jump_rate: float = 4.0,
        jump_mean: float = -0.004,
        jump_sd: float = 0.025,
    ) -> None:
        if not -1 < leverage < 1:
            raise ValueError("leverage must be in (-1, 1)")
        if kappa <= 0 or vol_of_vol < 0 or jump_rate < 0 or jump_sd < 0:
            raise ValueError("kappa must be positive; vol_of_vol, jump_rate, jump_sd >= 0")
        self.universe = universe
        self.rng = rng
        self.rate = rate
        self.kappa = kappa
        self.vol_of_vol = vol_of_vol
        self.leverage = leverage
        self.jump_rate = jump_rate
        self.jump_mean = jump_mean
        self.jump_sd = jump_sd
        self.spot = universe.spot.copy()
        self.log_vol = np.log(universe.vol).copy()
        self._market_corr = np.where(universe.index_like, 0.95, np.clip(
            0.45 * universe.beta, 0.2, 0.8))

    @property
    def vol(self) -> FloatArray:
        """Current instantaneous volatility of each symbol."""
        return np.asarray(np.exp(self.log_vol), dtype=np.float64)

    def gap(self) -> None:
        """Move every price over the close-to-open gap (its share of a day's variance)."""
        dt = (1.0 - _SESSION_SHARE) / _TRADING_DAYS
        self._advance(self.rng.standard_normal((len(self.spot), 1)), dt, 1.0,
                      self.rng.standard_normal(1))

    def block(self, start_ns: int, steps: int, step_s: float, session_seconds: float,
              intensity: FloatArray) -> PathBlock:
        """Simulate ``steps`` steps of ``step_s`` seconds from ``start_ns``.

        ``intensity`` (length ``steps``) scales variance step by step (the intraday U shape
        of volatility).
        """
        n = len(self.spot)
        dt = _SESSION_SHARE * step_s / (_TRADING_DAYS * session_seconds)
        eps = self.rng.standard_normal((n, steps))
        market = self.rng.standard_normal(steps)
        spot, vol = self._advance(eps, dt, intensity, market)
        return PathBlock(start_ns=start_ns, step_ns=int(step_s * 1e9), spot=spot, vol=vol)

    def _advance(self, eps: FloatArray, dt: float, intensity: FloatArray | float,
                 market: FloatArray) -> tuple[FloatArray, FloatArray]:
        n, steps = eps.shape
        c = self._market_corr[:, None]
        ret_shock = c * market[None, :] + np.sqrt(1 - c**2) * eps
        z = self.leverage * ret_shock + np.sqrt(1 - self.leverage**2) * \
            self.rng.standard_normal((n, steps))
        a = np.exp(-self.kappa * dt)
        b = self.vol_of_vol * np.sqrt((1 - a * a) / (2 * self.kappa))
        mean = np.log(self.universe.vol)[:, None]
        dev0 = (self.log_vol - mean[:, 0])[:, None]
        dev, _ = lfilter([b], [1.0, -a], z, axis=1, zi=a * dev0)
        log_vol = mean + dev
        sig = np.exp(log_vol)
        var_dt = dt * np.asarray(intensity)
        jumps = self.rng.random((n, steps)) < self.jump_rate * dt
        jump_size = np.where(jumps, self.rng.normal(self.jump_mean, self.jump_sd, (n, steps)), 0.0)
        q = self.universe.div_yield[:, None]
        incr = (self.rate - q) * dt - 0.5 * sig**2 * var_dt + sig * np.sqrt(var_dt) * ret_shock
        incr += jump_size
        log_path = np.log(self.spot)[:, None] + np.cumsum(incr, axis=1)
        spot = np.concatenate([self.spot[:, None], np.exp(log_path)], axis=1)
        vol = np.concatenate([np.exp(self.log_vol)[:, None], sig], axis=1)
        self.spot = spot[:, -1].copy()
        self.log_vol = log_vol[:, -1].copy()
        return spot, vol
