"""Scalar special functions for compiled kernels (normal density and distribution).

``scipy.special.ndtr`` is the vectorized counterpart outside compiled code. ``norm_cdf`` uses
``erfc`` so the lower tail keeps full relative precision (``Phi(-30)`` is ~4.9e-198, not 0).
"""

from __future__ import annotations

import math

from optix.quant._jit import njit

__all__ = ["INV_SQRT_2PI", "SQRT_2", "norm_cdf", "norm_pdf"]

INV_SQRT_2PI = 0.3989422804014327
SQRT_2 = 1.4142135623730951


@njit
def norm_cdf(x: float) -> float:
    """Standard normal distribution function with full relative precision in the lower tail."""
    return 0.5 * math.erfc(-x / SQRT_2)


@njit
def norm_pdf(x: float) -> float:
    """Standard normal density."""
    return INV_SQRT_2PI * math.exp(-0.5 * x * x)
