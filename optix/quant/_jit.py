"""Typed front for numba's ``njit`` so compiled kernels keep their signatures under mypy.

Every compiled kernel in :mod:`optix.quant` goes through :func:`njit`: one place sets the
options we rely on (``cache=True`` so a machine compiles a kernel once, ``nogil=True`` so Ray
threads and Serve replicas can run kernels concurrently, and strict IEEE semantics: ``fastmath``
stays off because the implied-volatility and American solvers need exact ``inf``/``nan``
handling and correctly rounded ``exp``/``log``; ``error_model='numpy'`` so a division by zero
gives ``inf``/``nan`` as numpy does instead of raising ``ZeroDivisionError`` from inside a
kernel, where an underflowed input such as a subnormal spot would otherwise surface as a
Python exception no caller expects).

numba's on-disk cache is keyed by each source file's timestamp, so a kernel that calls a kernel
of another module would keep a stale compiled copy after that other module changes. The cache
therefore lives in a directory named by a hash of the whole ``optix.quant`` source
(``$XDG_CACHE_HOME/optix/numba/<hash>``, else ``~/.cache/...``): any edit starts a fresh cache.
An explicit ``NUMBA_CACHE_DIR`` in the environment wins.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import numba

__all__ = ["cache_dir", "njit"]

F = TypeVar("F", bound=Callable[..., Any])


def cache_dir() -> Path:
    """The numba cache directory for this exact ``optix.quant`` source tree."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "optix" / "numba" / digest.hexdigest()[:16]


if not os.environ.get("NUMBA_CACHE_DIR"):
    setattr(numba.config, "CACHE_DIR", str(cache_dir()))  # noqa: B010 (untyped module attribute)


def njit(func: F) -> F:
    """Compile ``func`` in nopython mode with the project's options, keeping its type."""
    return cast(F, numba.njit(cache=True, nogil=True, error_model="numpy")(func))
