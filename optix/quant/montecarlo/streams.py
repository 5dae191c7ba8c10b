"""Normal streams for the Monte Carlo engine: pseudo-random (PCG64) and scrambled Sobol.

Every model consumes a matrix of standard normals ``Z`` of shape ``(paths, factors * steps)``,
factor-major: column ``f * steps + j`` drives factor ``f`` over time step ``j``. A stream
fills that matrix batch by batch, so a chunk never holds more than one batch of draws.

* :class:`PseudoStream` draws from ``numpy.random.Generator(PCG64(seed_sequence))`` inside a
  compiled kernel (numba's Generator support reproduces numpy's ziggurat stream exactly).
* :class:`SobolStream` draws scrambled Sobol points (``scipy.stats.qmc.Sobol``, LMS + digital
  shift, 30 bits), maps them to normals with Wichura's AS241 inverse (relative error ~1e-16) and
  builds the Brownian factors by Brownian-bridge construction, so the first Sobol coordinates
  carry the large-scale moves of the path (``W(T)``, then ``W(T/2)``, ...). Coordinates are
  assigned bridge level first across the bridged factors, then the non-bridged factors step by
  step. A stream may start at any point of its scramble (``fast_forward``), which is how a chunk
  holds a contiguous block of one scramble.
"""

from __future__ import annotations

import math

import numpy as np

from optix.core.arrays import FloatArray, Int64Array
from optix.quant._jit import njit

__all__ = [
    "SOBOL_MAX_DIM",
    "BridgePlan",
    "PseudoStream",
    "SobolStream",
    "inverse_normal",
    "seed_sequence",
]

SOBOL_MAX_DIM = 21201
"""Largest Sobol dimension scipy supports (factors times steps must not exceed it)."""

_SOBOL_BITS = 30
_HALF_CELL = 0.5 / 2.0**_SOBOL_BITS  # centre of the 2^-30 cell: keeps u strictly inside (0, 1)


def seed_sequence(entropy: int, spawn_key: tuple[int, ...]) -> np.random.SeedSequence:
    """Rebuild a spawned ``SeedSequence`` from its plain parts (entropy and spawn key)."""
    return np.random.SeedSequence(entropy, spawn_key=spawn_key)


@njit
def inverse_normal(p: float) -> float:
    """Standard normal quantile (Wichura 1988, AS241 PPND16; relative error about 1e-16).

    ``p <= 0`` gives ``-inf`` and ``p >= 1`` gives ``+inf``.
    """
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                    + 67265.770927008700853) * r + 45921.953931549871457) * r
                  + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
        den = (((((((5226.495278852854561 * r + 28729.085735721942674) * r
                    + 39307.89580009271061) * r + 21213.794301586595867) * r
                  + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
        return q * num / den
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
        den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                    + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
                  + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
        den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
                  + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
    val = num / den
    return -val if q < 0.0 else val


@njit
def _fill_normals(rng: np.random.Generator, z: FloatArray) -> None:
    flat = z.reshape(-1)
    for i in range(flat.size):
        flat[i] = rng.standard_normal()


class BridgePlan:
    """Brownian-bridge construction order on the unit grid ``0, 1, ..., steps``.

    Construction step ``k`` sets ``W[point[k]] = wl[k] W[left[k]] + wr[k] W[right[k]] +
    sd[k] z_k`` with ``W[0] = 0``: first ``W[steps]``, then midpoints level by level.
    Differences of consecutive points are then independent standard normals.
    """

    def __init__(self, steps: int) -> None:
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        point = [steps]
        left = [0]
        right = [0]
        wl = [0.0]
        wr = [0.0]
        sd = [math.sqrt(steps)]
        queue = [(0, steps)]
        while queue:
            nxt: list[tuple[int, int]] = []
            for lo, hi in queue:
                if hi - lo < 2:
                    continue
                mid = (lo + hi) // 2
                point.append(mid)
                left.append(lo)
                right.append(hi)
                wl.append((hi - mid) / (hi - lo))
                wr.append((mid - lo) / (hi - lo))
                sd.append(math.sqrt((mid - lo) * (hi - mid) / (hi - lo)))
                nxt += [(lo, mid), (mid, hi)]
            queue = nxt
        self.point: Int64Array = np.asarray(point, dtype=np.int64)
        self.left: Int64Array = np.asarray(left, dtype=np.int64)
        self.right: Int64Array = np.asarray(right, dtype=np.int64)
        self.wl: FloatArray = np.asarray(wl, dtype=np.float64)
        self.wr: FloatArray = np.asarray(wr, dtype=np.float64)
        self.sd: FloatArray = np.asarray(sd, dtype=np.float64)


@njit
def _sobol_to_normals(
    u: FloatArray, coord: Int64Array, n_bridged: int, point: Int64Array, left: Int64Array,
    right: Int64Array, wl: FloatArray, wr: FloatArray, sd: FloatArray, offset: float,
    out: FloatArray,
) -> None:
    n = u.shape[0]
    factors, steps = coord.shape
    w = np.empty(steps + 1)
    for i in range(n):
        for f in range(factors):
            base = f * steps
            if f < n_bridged:
                w[0] = 0.0
                for k in range(steps):
                    z = inverse_normal(u[i, coord[f, k]] + offset)
                    w[point[k]] = wl[k] * w[left[k]] + wr[k] * w[right[k]] + sd[k] * z
                for j in range(steps):
                    out[i, base + j] = w[j + 1] - w[j]
            else:
                for j in range(steps):
                    out[i, base + j] = inverse_normal(u[i, coord[f, j]] + offset)


class PseudoStream:
    """Pseudo-random normals from ``Generator(PCG64(SeedSequence(entropy, spawn_key)))``."""

    def __init__(self, entropy: int, spawn_key: tuple[int, ...]) -> None:
        self._rng = np.random.Generator(np.random.PCG64(seed_sequence(entropy, spawn_key)))

    def fill(self, z: FloatArray) -> None:
        """Overwrite ``z`` (C-contiguous float64) with independent standard normals."""
        _fill_normals(self._rng, z)


class SobolStream:
    """Scrambled Sobol normals with Brownian-bridge factors, from point ``start`` on.

    Parameters
    ----------
    factors, steps : int
        The normals matrix has ``factors * steps`` columns (the Sobol dimension).
    n_bridged : int
        The first ``n_bridged`` factors are Brownian motions built by the bridge; the others
        take one Sobol coordinate per step directly.
    entropy, spawn_key : int, tuple of int
        Seed of the scramble; chunks of one replicate share it.
    start : int
        Index of the first point of this stream within the scramble.
    """

    def __init__(self, factors: int, steps: int, n_bridged: int, entropy: int,
                 spawn_key: tuple[int, ...], start: int) -> None:
        dim = factors * steps
        if dim > SOBOL_MAX_DIM:
            raise ValueError(f"Sobol dimension factors*steps={dim} exceeds {SOBOL_MAX_DIM}")
        from scipy.stats import qmc  # lazily: scipy.stats costs ~1 s to import

        rng = np.random.default_rng(seed_sequence(entropy, spawn_key))
        self._engine = qmc.Sobol(dim, scramble=True, bits=_SOBOL_BITS, rng=rng)
        if start:
            self._engine.fast_forward(start)
        coord = np.empty((factors, steps), dtype=np.int64)
        for f in range(n_bridged):
            coord[f] = np.arange(steps) * n_bridged + f
        rest = factors - n_bridged
        for f in range(n_bridged, factors):
            coord[f] = n_bridged * steps + np.arange(steps) * rest + (f - n_bridged)
        self._coord = coord
        self._n_bridged = n_bridged
        self._bridge = BridgePlan(steps)

    def fill(self, z: FloatArray) -> None:
        """Overwrite ``z`` (rows: the next points, a power of two at a time) with normals."""
        u = self._engine.random(z.shape[0])
        b = self._bridge
        _sobol_to_normals(u, self._coord, self._n_bridged, b.point, b.left, b.right, b.wl,
                          b.wr, b.sd, _HALF_CELL, z)
