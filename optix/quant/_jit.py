"""Typed front for numba's ``njit`` so compiled kernels keep their signatures under mypy.

Every compiled kernel in :mod:`optix.quant` goes through :func:`njit`: one place sets the
options we rely on (``cache=True`` so a process compiles a kernel once per machine,
``nogil=True`` so Ray threads and Serve replicas can run kernels concurrently, and strict IEEE
semantics: ``fastmath`` stays off because the implied-volatility and American solvers need
exact ``inf``/``nan`` handling and correctly rounded ``exp``/``log``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

__all__ = ["njit"]

F = TypeVar("F", bound=Callable[..., Any])


def njit(func: F) -> F:
    """Compile ``func`` in nopython mode with the project's options, keeping its type."""
    return cast(F, numba.njit(cache=True, nogil=True)(func))
