"""Heston model parameters: one validated, immutable record."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

__all__ = ["HestonParams"]


@dataclass(frozen=True)
class HestonParams:
    """Parameters of the Heston (1993) stochastic-volatility model.

    Under the pricing measure ``dS/S = (r - q) dt + sqrt(v) dW1`` and
    ``dv = kappa (theta - v) dt + xi sqrt(v) dW2`` with ``d<W1, W2> = rho dt``.

    Parameters
    ----------
    v0 : float
        Initial variance (the square of the instantaneous volatility), ``>= 0``.
    kappa : float
        Mean-reversion speed of the variance, per year, ``> 0``.
    theta : float
        Long-run variance, ``>= 0``.
    xi : float
        Volatility of variance ("vol of vol"), ``> 0``.
    rho : float
        Correlation of spot and variance shocks, ``-1 < rho < 1``.

    Raises
    ------
    ValueError
        If a parameter is not finite or outside its range; the message names it.
    """

    v0: float
    kappa: float
    theta: float
    xi: float
    rho: float

    def __post_init__(self) -> None:
        for name in ("v0", "kappa", "theta", "xi", "rho"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"{name} must be a real number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
            object.__setattr__(self, name, float(value))
        if self.v0 < 0.0:
            raise ValueError(f"v0 must be >= 0, got {self.v0!r}")
        if self.kappa <= 0.0:
            raise ValueError(f"kappa must be > 0, got {self.kappa!r}")
        if self.theta < 0.0:
            raise ValueError(f"theta must be >= 0, got {self.theta!r}")
        if self.xi <= 0.0:
            raise ValueError(f"xi must be > 0, got {self.xi!r}")
        if not -1.0 < self.rho < 1.0:
            raise ValueError(f"rho must lie strictly between -1 and 1, got {self.rho!r}")

    @property
    def feller(self) -> bool:
        """Whether the Feller condition ``2 kappa theta >= xi**2`` holds (variance stays > 0)."""
        return 2.0 * self.kappa * self.theta >= self.xi * self.xi

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        """The parameters in the order ``(v0, kappa, theta, xi, rho)`` (the Jacobian's columns)."""
        return (self.v0, self.kappa, self.theta, self.xi, self.rho)
