"""Walker's alias method: draw from a fixed discrete distribution in O(1) per sample."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray, Int64Array

__all__ = ["AliasSampler", "CategoricalTable"]


class AliasSampler:
    """Samples indices ``0..n-1`` with probability proportional to ``weights``.

    Two uniform draws and two gathers per sample, whatever ``n`` is (a searchsorted over a
    cumulative table costs a cache-missing binary search instead).

    Parameters
    ----------
    weights : array_like
        Non-negative, finite, not all zero.
    """

    def __init__(self, weights: npt.ArrayLike) -> None:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or w.size == 0:
            raise ValueError("weights must be a non-empty 1-d array")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        n = w.size
        scaled = w * (n / w.sum())
        prob = np.ones(n)
        alias = np.arange(n, dtype=np.int64)
        small = np.flatnonzero(scaled < 1.0)
        large = np.flatnonzero(scaled >= 1.0)
        # Vose's pairing, a whole round of (small, large) pairs at a time.
        while small.size and large.size:
            k = min(small.size, large.size)
            s, g = small[:k], large[:k]
            prob[s] = scaled[s]
            alias[s] = g
            scaled[g] -= 1.0 - scaled[s]
            now_small = scaled[g] < 1.0
            small = np.concatenate([small[k:], g[now_small]])
            large = np.concatenate([g[~now_small], large[k:]])
        self.prob: FloatArray = prob
        self.alias: Int64Array = alias
        self.n = n

    def sample(self, rng: np.random.Generator, size: int) -> Int64Array:
        """``size`` indices drawn with replacement."""
        u = rng.random(size) * self.n
        j = u.astype(np.int64)
        np.minimum(j, self.n - 1, out=j)
        frac = u - j
        return np.where(frac < self.prob[j], j, self.alias[j])


class CategoricalTable:
    """Draws one of a few categories by a single table lookup.

    The probabilities are quantized to ``1 / resolution`` (4096 by default: venue shares and
    print placements need no more), which turns a draw into ``table[int(u * resolution)]``.

    Parameters
    ----------
    values : array_like
        The category values to return.
    weights : array_like
        Relative frequencies, one per value.
    """

    def __init__(self, values: npt.ArrayLike, weights: npt.ArrayLike,
                 resolution: int = 4096) -> None:
        vals = np.asarray(values)
        w = np.asarray(weights, dtype=np.float64)
        if vals.shape != w.shape or w.ndim != 1 or w.size == 0 or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("values and weights must be equal-length, weights >= 0, sum > 0")
        edges = np.cumsum(w / w.sum())
        cells = (np.arange(resolution) + 0.5) / resolution
        self.table = vals[np.minimum(np.searchsorted(edges, cells), w.size - 1)]
        self.resolution = resolution

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws."""
        return self.table[(rng.random(size) * self.resolution).astype(np.int64)]
