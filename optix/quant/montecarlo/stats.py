"""Mergeable chunk statistics and the estimator built from them.

A chunk reports, for its i.i.d. samples ``y = (payoff, control_1, ..., control_p)`` (discounted;
with antithetics one sample is the average of a path and its mirror), the count, the mean
vector and the centred cross-product matrix ``sum (y - mean)(y - mean)^T``. These are the
sufficient statistics of the sums of payoff, payoff^2, controls, controls^2 and cross products,
kept centred so that no variance is a difference of two large sums. Chunks combine with the
pairwise update of Chan, Golub & LeVeque (1979), in chunk order, so a merge is deterministic
whatever the order the chunks arrive in.

:func:`merge` then estimates the control-variate coefficients ``beta = S_cc^{-1} S_cy`` from
the merged statistics (never per chunk, so chunking does not change the estimator):

* pseudo-random: ``price = mean_y - beta . (mean_c - mu_c)`` with the residual variance
  ``(S_yy - beta . S_cy) / (n - 1 - p)``;
* randomized QMC: the same adjustment per independent scramble (replicate), and the standard
  error is the spread of the ``R`` replicate estimates, ``std / sqrt(R)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from optix.core.arrays import FloatArray
from optix.quant._jit import njit

__all__ = ["ChunkStats", "MCResult", "Moments", "RunInfo", "combine", "merge", "moments"]

Moments = tuple[int, FloatArray, FloatArray]
"""Count, mean vector and centred cross-product matrix of a set of sample rows."""


@dataclass(frozen=True)
class RunInfo:
    """What every chunk of one run shares (and the merge needs).

    Attributes
    ----------
    run_key : str
        Digest of the model, contract, configuration and seed; chunks of different runs
        refuse to merge.
    method : str
        ``'pseudo'`` or ``'sobol'``.
    n_paths, n_steps : int
        Paths (antithetic mirrors included) and time steps of the whole run.
    antithetic : bool
        Whether samples are antithetic pair averages.
    controls : tuple of str
        Control variates, in sample-column order after the payoff.
    control_means : tuple of float
        Their exact expectations.
    n_chunks : int
        Chunks in the plan.
    replicates : int
        Independent Sobol scrambles (1 for pseudo-random runs).
    seed : int
        Root entropy of the run's ``SeedSequence``.
    n_pilot : int
        Longstaff-Schwartz pilot paths (0 unless American).
    """

    run_key: str
    method: str
    n_paths: int
    n_steps: int
    antithetic: bool
    controls: tuple[str, ...]
    control_means: tuple[float, ...]
    n_chunks: int
    replicates: int
    seed: int
    n_pilot: int


@dataclass(frozen=True)
class ChunkStats:
    """Sufficient statistics of one chunk (plain and picklable).

    Attributes
    ----------
    info : RunInfo
        The run the chunk belongs to.
    chunk_id, replicate : int
        Position in the plan and the scramble it belongs to (0 for pseudo-random).
    count : int
        Samples (antithetic pairs count once).
    mean : tuple of float
        Mean of each sample column (payoff, then controls).
    comoment : tuple of float
        Row-major ``k x k`` centred cross products.
    """

    info: RunInfo
    chunk_id: int
    replicate: int
    count: int
    mean: tuple[float, ...]
    comoment: tuple[float, ...]


@dataclass(frozen=True)
class MCResult:
    """A Monte Carlo price with its standard error and how it was obtained.

    Attributes
    ----------
    price : float
        Estimated present value.
    stderr : float
        Standard error of ``price`` (sampling error only; scheme bias is not included).
    n_paths : int
        Simulated pricing paths, antithetic mirrors included (pilot paths excluded).
    n_steps : int
        Time steps per path.
    method : str
        ``'pseudo'`` or ``'sobol'``.
    antithetic : bool
        Whether antithetic variates were used.
    controls : tuple of str
        Control variates applied.
    beta : tuple of float
        Their estimated optimal coefficients (from the merged statistics).
    replicates : int
        Independent scrambles behind the RQMC standard error (1 for pseudo-random).
    n_chunks : int
        Chunks merged.
    n_pilot : int
        Longstaff-Schwartz pilot paths (0 unless American).
    seed : int
        Root entropy; with the same model, contract and configuration it reproduces the run.
    """

    price: float
    stderr: float
    n_paths: int
    n_steps: int
    method: str
    antithetic: bool
    controls: tuple[str, ...]
    beta: tuple[float, ...]
    replicates: int
    n_chunks: int
    n_pilot: int
    seed: int


@njit
def _moments(y: FloatArray, mean: FloatArray, co: FloatArray) -> None:
    n, k = y.shape
    for a in range(k):
        acc = 0.0
        for i in range(n):
            acc += y[i, a]
        mean[a] = acc / n
    for a in range(k):
        for b in range(a, k):
            acc = 0.0
            for i in range(n):
                acc += (y[i, a] - mean[a]) * (y[i, b] - mean[b])
            co[a, b] = acc
            co[b, a] = acc


def moments(y: FloatArray) -> Moments:
    """Count, mean and centred cross products of the sample rows ``y`` (two passes)."""
    k = y.shape[1]
    mean = np.empty(k)
    co = np.empty((k, k))
    _moments(np.ascontiguousarray(y), mean, co)
    return y.shape[0], mean, co


def combine(a: Moments, b: Moments) -> Moments:
    """Moments of the union of two disjoint sample sets (Chan, Golub & LeVeque)."""
    na, ma, ca = a
    nb, mb, cb = b
    n = na + nb
    delta = mb - ma
    mean = ma + delta * (nb / n)
    co = ca + cb + np.outer(delta, delta) * (na * nb / n)
    return n, mean, co


def _usable(co: FloatArray, mean: FloatArray, mu: FloatArray, n: int) -> FloatArray:
    """Mask of controls with a variance distinguishable from rounding (else beta = 0)."""
    var = np.diag(co)[1:] / max(n - 1, 1)
    scale = np.maximum(np.abs(mu), np.abs(mean[1:]))
    return np.asarray(var > (1e-12 * scale) ** 2, dtype=np.float64)


def merge(stats: Iterable[ChunkStats]) -> MCResult:
    """Combine chunk statistics into the run's estimate.

    The order of ``stats`` does not matter (they are merged in chunk order), so chunks run in
    any process, on any machine, reproduce the single run bit for bit.

    Raises
    ------
    ValueError
        If ``stats`` is empty, mixes runs, or misses or repeats a chunk of the plan.
    """
    items = sorted(stats, key=lambda s: s.chunk_id)
    if not items:
        raise ValueError("stats is empty: nothing to merge")
    info = items[0].info
    if any(s.info != info for s in items):
        raise ValueError("stats come from different runs (RunInfo differs)")
    ids = [s.chunk_id for s in items]
    if ids != list(range(info.n_chunks)):
        raise ValueError(f"stats must hold each of the plan's {info.n_chunks} chunks exactly "
                         f"once, got ids {ids[:8]}{'...' if len(ids) > 8 else ''}")
    k = 1 + len(info.controls)
    groups: list[Moments] = []
    current = -1
    for s in items:
        part = (s.count, np.asarray(s.mean), np.asarray(s.comoment).reshape(k, k))
        if s.replicate != current:
            groups.append(part)
            current = s.replicate
        else:
            groups[-1] = combine(groups[-1], part)
    pooled = groups[0]
    for g in groups[1:]:
        pooled = combine(pooled, g)
    n, mean, co = pooled
    mu = np.asarray(info.control_means, dtype=np.float64)
    beta = np.zeros(k - 1)
    if k > 1:
        use = _usable(co, mean, mu, n)
        s_cc = co[1:, 1:] * np.outer(use, use)
        s_cy = co[1:, 0] * use
        beta = np.linalg.lstsq(s_cc, s_cy, rcond=1e-12)[0] * use
    if info.method == "pseudo":
        price = float(mean[0] - beta @ (mean[1:] - mu))
        resid = max(float(co[0, 0] - beta @ co[1:, 0]), 0.0)
        dof = n - 1 - int(np.count_nonzero(beta))
        stderr = math.sqrt(resid / dof / n) if dof > 0 else math.inf
    else:
        theta = np.array([g[1][0] - beta @ (g[1][1:] - mu) for g in groups])
        price = float(np.mean(theta))
        stderr = float(np.std(theta, ddof=1) / math.sqrt(theta.size))
    return MCResult(price=price, stderr=stderr, n_paths=info.n_paths, n_steps=info.n_steps,
                    method=info.method, antithetic=info.antithetic, controls=info.controls,
                    beta=tuple(float(b) for b in beta), replicates=info.replicates,
                    n_chunks=info.n_chunks, n_pilot=info.n_pilot, seed=info.seed)
