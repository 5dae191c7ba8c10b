"""What every smile model offers, and the formulas shared by all of them.

Notation of the whole :mod:`optix.quant.surface` package: ``k = ln(K / F_T)`` is the
log-forward-moneyness and ``w = sigma_imp**2 * T`` the total implied variance. A smile is any
object that gives ``w(k)`` and its first two ``k``-derivatives (:class:`Smile`); the arbitrage
checks and the local-volatility formula only need those three numbers.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray

__all__ = ["Smile", "butterfly_g", "risk_neutral_density"]


@runtime_checkable
class Smile(Protocol):
    """One expiry's total-variance smile ``w(k)`` with analytic ``k``-derivatives."""

    def total_variance(self, k: npt.ArrayLike) -> FloatArray:
        """Total implied variance ``w(k)``."""
        ...

    def dw_dk(self, k: npt.ArrayLike) -> FloatArray:
        """First derivative ``dw/dk``."""
        ...

    def d2w_dk2(self, k: npt.ArrayLike) -> FloatArray:
        """Second derivative ``d2w/dk2``."""
        ...


class _SmileFromParts:
    """Mixin: the :class:`Smile` methods and ``g`` from one ``_parts(k) -> (w, w', w'')``.

    Subclasses implement ``_parts``; every public accessor then reads one of its three arrays,
    so a model's formulas live in one place.
    """

    __slots__ = ()

    def _parts(self, k: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        raise NotImplementedError

    def total_variance(self, k: npt.ArrayLike) -> FloatArray:
        """Total implied variance ``w(k)``.

        Parameters
        ----------
        k : array_like
            Log-forward-moneyness ``ln(K/F)``.

        Returns
        -------
        ndarray of float64
        """
        return self._parts(k)[0]

    def dw_dk(self, k: npt.ArrayLike) -> FloatArray:
        """First derivative ``dw/dk``.

        Parameters
        ----------
        k : array_like
            Log-forward-moneyness.

        Returns
        -------
        ndarray of float64
        """
        return self._parts(k)[1]

    def d2w_dk2(self, k: npt.ArrayLike) -> FloatArray:
        """Second derivative ``d2w/dk2``.

        Parameters
        ----------
        k : array_like
            Log-forward-moneyness.

        Returns
        -------
        ndarray of float64
        """
        return self._parts(k)[2]

    def g(self, k: npt.ArrayLike) -> FloatArray:
        """Gatheral-Jacquier ``g(k)`` (eq. 2.1); negative values are butterfly arbitrage.

        Parameters
        ----------
        k : array_like
            Log-forward-moneyness.

        Returns
        -------
        ndarray of float64
            ``nan`` where ``w(k) <= 0`` (possible only at the vertex of a zero-floor smile).
        """
        kk = np.asarray(k, dtype=np.float64)
        return butterfly_g(kk, *self._parts(kk))


def butterfly_g(
    k: npt.ArrayLike, w: npt.ArrayLike, dw: npt.ArrayLike, d2w: npt.ArrayLike
) -> FloatArray:
    """Gatheral-Jacquier's ``g(k)``; a smile is free of butterfly arbitrage iff ``g >= 0``.

    ``g(k) = (1 - k w'/(2w))**2 - w'**2/4 (1/w + 1/4) + w''/2`` (Gatheral & Jacquier 2014,
    eq. 2.1). The risk-neutral density of ``ln(S_T/F_T)`` is ``g`` times a positive factor
    (see :func:`risk_neutral_density`), so ``g`` carries its sign.

    Parameters
    ----------
    k : array_like
        Log-forward-moneyness.
    w, dw, d2w : array_like
        Total variance and its first and second ``k``-derivatives at ``k``; ``w > 0``.

    Returns
    -------
    ndarray of float64
        ``g(k)``, broadcast over the inputs; ``nan`` where ``w <= 0`` (no smile there).
    """
    kk, ww, w1, w2 = (np.asarray(x, dtype=np.float64) for x in (k, w, dw, d2w))
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (1.0 - kk * w1 / (2.0 * ww)) ** 2 - 0.25 * w1 * w1 * (1.0 / ww + 0.25) + 0.5 * w2
    return np.asarray(np.where(ww > 0.0, g, np.nan), dtype=np.float64)


def risk_neutral_density(
    k: npt.ArrayLike, w: npt.ArrayLike, dw: npt.ArrayLike, d2w: npt.ArrayLike
) -> FloatArray:
    """Risk-neutral density of ``x = ln(S_T/F_T)`` at ``x = k`` implied by a smile.

    ``p(k) = g(k) / sqrt(2 pi w) * exp(-d_minus**2 / 2)`` with
    ``d_minus = -k/sqrt(w) - sqrt(w)/2`` (Gatheral & Jacquier 2014, section 2). Negative
    values mark butterfly arbitrage.

    Parameters
    ----------
    k, w, dw, d2w : array_like
        As for :func:`butterfly_g`.

    Returns
    -------
    ndarray of float64
        Density per unit of ``k``; ``nan`` where ``w <= 0``.
    """
    kk, ww = np.asarray(k, dtype=np.float64), np.asarray(w, dtype=np.float64)
    g = butterfly_g(kk, ww, dw, d2w)
    with np.errstate(divide="ignore", invalid="ignore"):
        sw = np.sqrt(ww)
        d_minus = -kk / sw - 0.5 * sw
        p = g / np.sqrt(2.0 * np.pi * ww) * np.exp(-0.5 * d_minus * d_minus)
    return np.asarray(p, dtype=np.float64)
