"""Raw SVI smiles (Gatheral 2004): parameters, derivatives and risk-neutral density.

``w(k) = a + b (rho (k - m) + sqrt((k - m)**2 + sig**2))`` in total implied variance ``w`` and
log-forward-moneyness ``k``. The calibration is in :mod:`.svi_fit`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray
from optix.quant.surface.smile import _SmileFromParts, risk_neutral_density

__all__ = ["SviParams", "svi_total_variance"]


def svi_total_variance(
    k: npt.ArrayLike,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    rho: npt.ArrayLike,
    m: npt.ArrayLike,
    sig: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Raw SVI total variance and its first two ``k``-derivatives, all arguments broadcast.

    No validation (see :class:`SviParams` for that): this is the vectorized kernel the surface
    evaluates with per-point parameter arrays.

    Parameters
    ----------
    k : array_like
        Log-forward-moneyness.
    a, b, rho, m, sig : array_like
        Raw SVI parameters (scalars, or arrays broadcast with ``k``).

    Returns
    -------
    (w, dw_dk, d2w_dk2) : tuple of ndarray of float64
    """
    x = np.asarray(k, dtype=np.float64) - np.asarray(m, dtype=np.float64)
    bb = np.asarray(b, dtype=np.float64)
    s = np.asarray(sig, dtype=np.float64)
    rr = np.asarray(rho, dtype=np.float64)
    root = np.sqrt(x * x + s * s)
    w = np.asarray(a, dtype=np.float64) + bb * (rr * x + root)
    w1 = bb * (rr + x / root)
    w2 = bb * s * s / (root * root * root)
    return w, w1, w2


@dataclass(frozen=True)
class SviParams(_SmileFromParts):
    """Raw SVI parameters of one expiry's smile in total variance.

    Parameters
    ----------
    a : float
        Level.
    b : float
        Wing slope, ``b >= 0``.
    rho : float
        Skew (rotation), ``|rho| < 1``.
    m : float
        Horizontal shift (log-moneyness of the vertex).
    sig : float
        ATM curvature scale, ``sig > 0``.

    Raises
    ------
    ValueError
        If a parameter is not finite or breaks its bound, or if the minimum total variance
        ``a + b sig sqrt(1 - rho**2)`` is negative.

    Notes
    -----
    ``dw/dk = b (rho + (k - m)/sqrt((k - m)**2 + sig**2))`` and
    ``d2w/dk2 = b sig**2 / ((k - m)**2 + sig**2)**1.5``.
    """

    a: float
    b: float
    rho: float
    m: float
    sig: float

    def __post_init__(self) -> None:
        for name in ("a", "b", "rho", "m", "sig"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"SviParams.{name} must be finite, got {value!r}")
            object.__setattr__(self, name, float(value))
        if self.b < 0.0:
            raise ValueError(f"SviParams.b must be >= 0, got {self.b}")
        if not abs(self.rho) < 1.0:
            raise ValueError(f"SviParams.rho must satisfy |rho| < 1, got {self.rho}")
        if not self.sig > 0.0:
            raise ValueError(f"SviParams.sig must be > 0, got {self.sig}")
        if self.min_total_variance < 0.0:
            raise ValueError("SviParams.a too low: minimum total variance a + b sig sqrt(1 - "
                             f"rho^2) = {self.min_total_variance:.6g} < 0")

    @property
    def min_total_variance(self) -> float:
        """Smallest total variance over all ``k``: ``a + b sig sqrt(1 - rho**2)``."""
        return self.a + self.b * self.sig * math.sqrt(1.0 - self.rho * self.rho)

    @property
    def lee_slope(self) -> float:
        """Largest wing slope ``b (1 + |rho|)``; Lee's moment formula needs it ``<= 2``.

        (4 is the Rogers-Tehranchi bound on the slope of total variance in ``k``; the fits
        enforce Lee's 2, under which ``g(k)`` tends to ``1/4 - slope**2/16 >= 0``.)
        """
        return self.b * (1.0 + abs(self.rho))

    def _parts(self, k: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        return svi_total_variance(k, self.a, self.b, self.rho, self.m, self.sig)

    def implied_vol(self, k: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
        """Black implied volatility ``sqrt(w(k)/T)``.

        Parameters
        ----------
        k : array_like
            Log-forward-moneyness.
        T : array_like
            Expiry in years the smile belongs to, ``T > 0``.

        Returns
        -------
        ndarray of float64

        Raises
        ------
        ValueError
            If any ``T`` is not positive and finite.
        """
        t = np.asarray(T, dtype=np.float64)
        if not np.all(np.isfinite(t) & (t > 0.0)):
            raise ValueError("T must be positive and finite for an implied volatility")
        return np.asarray(np.sqrt(np.maximum(self.total_variance(k), 0.0) / t), dtype=np.float64)

    def density(self, k: npt.ArrayLike) -> FloatArray:
        """Risk-neutral density of ``ln(S_T/F_T)`` at ``k`` (negative under butterfly arbitrage).

        Parameters
        ----------
        k : array_like
            Log-forward-moneyness.

        Returns
        -------
        ndarray of float64
        """
        kk = np.asarray(k, dtype=np.float64)
        return risk_neutral_density(kk, *self._parts(kk))
