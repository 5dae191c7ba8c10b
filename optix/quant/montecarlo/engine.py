"""Chunk plan, chunk runner and the single-run entry point of the Monte Carlo engine.

A run is ``merge(map(run_chunk, plan(model, payoff, config)))`` and :func:`price_mc` is exactly
that, so chunks farmed out anywhere (threads, processes, Ray tasks) and merged give the single
run's result bit for bit. Specs and stats are frozen dataclasses of plain values (the only
arrays, the LSM coefficients, are tuples), small and picklable.

Streams. The root ``SeedSequence(seed)`` is split with ``spawn``: pseudo-random chunk ``i`` draws
from child ``i`` (PCG64), so chunks are independent and none depends on how many others run.
For Sobol, child ``r`` seeds the scramble of replicate ``r``; a replicate of ``P`` points
(``P`` a power of two) is cut into contiguous, power-of-two-aligned blocks of ``min(P,
chunk_size)`` points, each chunk reaching its block with ``Sobol.fast_forward`` - so every
chunk is a (t, m, s)-net of its own, and one chunk is one whole scramble when ``P <=
chunk_size``. The next child after the streams seeds the Longstaff-Schwartz pilot.

Memory. A chunk holds one batch of normals and paths (about 2^18 numbers each, in per-thread
buffers reused across chunks) and folds each batch into its running statistics, so memory
does not grow with ``chunk_size`` or ``n_paths``; only the LSM pilot (``pilot_paths x
(n_steps + 1)`` floats, once per run) is larger.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from optix.core.arrays import FloatArray
from optix.quant.bsm import bsm_price
from optix.quant.merton import merton_price
from optix.quant.montecarlo.analytic import geometric_asian_price
from optix.quant.montecarlo.lsm import ExercisePolicy, fit_policy, policy_cashflows
from optix.quant.montecarlo.models import GBM, Heston, Merton, Model
from optix.quant.montecarlo.payoffs import (
    FEAT_GEO,
    N_FEATURES,
    American,
    Asian,
    Barrier,
    European,
    Lookback,
    Payoff,
    compute_features,
    discounted_payoff,
    features_needed,
)
from optix.quant.montecarlo.stats import (
    ChunkStats,
    MCResult,
    Moments,
    RunInfo,
    combine,
    merge,
    moments,
)
from optix.quant.montecarlo.streams import SOBOL_MAX_DIM, PseudoStream, SobolStream

__all__ = ["CONTROLS", "ChunkSpec", "MCConfig", "plan", "price_mc", "run_chunk"]

CONTROLS = ("terminal", "european", "geometric")
"""Control variates: discounted ``S_T`` (mean ``S e^{-qT}``, every model); the discounted
European payoff of the same strike and right (GBM: Black-Scholes, Merton: the series); the
discounted discrete geometric Asian payoff (GBM: :func:`geometric_asian_price`)."""

_BATCH_NUMBERS = 1 << 18  # normals + path values per batch (~2 MiB per buffer)
_BATCH_PATHS = 1 << 12  # keeps per-batch numpy temporaries small (heap, not fresh mmaps)


class _Workspace(threading.local):
    """Per-thread scratch buffers reused across batches and chunks (a few MiB at most).

    Fresh multi-megabyte arrays per chunk would cost a page fault per 4 KiB on first touch,
    which for short paths dominates the simulation itself.
    """

    def __init__(self) -> None:
        self.buffers: dict[str, FloatArray] = {}

    def get(self, name: str, rows: int, cols: int) -> FloatArray:
        buf = self.buffers.get(name)
        if buf is None or buf.size < rows * cols:
            buf = np.empty(rows * cols)
            self.buffers[name] = buf
        return buf[: rows * cols].reshape(rows, cols)


_WORKSPACE = _Workspace()
_MAX_SOBOL_POINTS = 1 << 30
_MAX_JUMPS_PER_STEP = 50.0  # Merton's Poisson inversion starts from e^{-lam dt}


@dataclass(frozen=True)
class MCConfig:
    """How to simulate.

    Parameters
    ----------
    n_paths : int
        Pricing paths, antithetic mirrors included. For Sobol, ``n_paths / replicates`` (halved
        with antithetics) must be a power of two.
    n_steps : int
        Equal time steps (also the Asian fixings, barrier checks and exercise dates).
    method : {'pseudo', 'sobol'}
        PCG64 pseudo-random normals, or scrambled Sobol with Brownian-bridge construction.
    antithetic : bool
        Pair every path with its mirror (all normals negated); ``n_paths`` must be even.
    control : str, tuple of str or None
        Control variates from :data:`CONTROLS`, ``'auto'`` (the best available: the
        geometric Asian for arithmetic Asians under GBM, the European for barriers and
        Americans under GBM/Merton, else ``'terminal'``), or None for none.
    seed : int or None
        Root seed; None draws fresh entropy (recorded in the result).
    chunk_size : int
        Paths per chunk (a power of two for Sobol; even with antithetics).
    replicates : int
        Independent Sobol scrambles (``>= 2``) behind the RQMC standard error.
    pilot_paths : int
        Longstaff-Schwartz pilot paths for the exercise policy (American only).
    """

    n_paths: int
    n_steps: int
    method: Literal["pseudo", "sobol"] = "pseudo"
    antithetic: bool = False
    control: str | tuple[str, ...] | None = "auto"
    seed: int | None = None
    chunk_size: int = 1 << 16
    replicates: int = 16
    pilot_paths: int = 1 << 15

    def __post_init__(self) -> None:
        for name in ("n_paths", "n_steps", "chunk_size", "replicates", "pilot_paths"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.method not in ("pseudo", "sobol"):
            raise ValueError(f"method must be 'pseudo' or 'sobol', got {self.method!r}")
        if self.seed is not None and (isinstance(self.seed, bool)
                                      or not isinstance(self.seed, int | np.integer)
                                      or self.seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {self.seed!r}")
        if self.antithetic and (self.n_paths % 2 or self.chunk_size % 2):
            raise ValueError("n_paths and chunk_size must be even with antithetic=True")
        if self.method == "sobol":
            self._check_sobol()

    def _check_sobol(self) -> None:
        if self.replicates < 2:
            raise ValueError("replicates must be >= 2 for a Sobol standard error")
        if self.chunk_size & (self.chunk_size - 1):
            raise ValueError(f"chunk_size must be a power of two for Sobol, got {self.chunk_size}")
        pair = 2 if self.antithetic else 1
        points, rest = divmod(self.n_paths, self.replicates * pair)
        if rest or points & (points - 1) or points > _MAX_SOBOL_POINTS:
            raise ValueError(
                f"n_paths must be replicates x {'2 x ' if pair == 2 else ''}2^k (k <= 30) for "
                f"Sobol, got n_paths={self.n_paths}, replicates={self.replicates}")


@dataclass(frozen=True)
class ChunkSpec:
    """One independent unit of work: everything :func:`run_chunk` needs, plain and picklable.

    Attributes
    ----------
    info : RunInfo
        What the run's chunks share.
    model, payoff
        The model and contract.
    chunk_id, replicate : int
        Position in the plan; the Sobol scramble (0 for pseudo-random).
    start : int
        First Sobol point of the block within its scramble (0 for pseudo-random).
    n_paths : int
        Paths of this chunk, antithetic mirrors included.
    spawn_key : tuple of int
        ``SeedSequence(info.seed, spawn_key=...)`` seeds the chunk's stream.
    policy : ExercisePolicy or None
        The Longstaff-Schwartz exercise rule (American only).
    """

    info: RunInfo
    model: Model
    payoff: Payoff
    chunk_id: int
    replicate: int
    start: int
    n_paths: int
    spawn_key: tuple[int, ...]
    policy: ExercisePolicy | None = None


def _resolve_controls(model: Model, payoff: Payoff,
                      control: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if control is None or control == "none":
        return ()
    if control == "auto":
        if isinstance(payoff, Asian) and payoff.average == "arithmetic" and isinstance(model, GBM):
            return ("geometric",)
        if isinstance(payoff, Barrier | American) and not isinstance(model, Heston):
            return ("european",)
        return ("terminal",)
    names = (control,) if isinstance(control, str) else tuple(control)
    if len(set(names)) != len(names) or any(c not in CONTROLS for c in names):
        raise ValueError(f"control must be 'auto', None or distinct names from {CONTROLS}, "
                         f"got {control!r}")
    strike_free = isinstance(payoff, Lookback) and payoff.K is None
    if "european" in names and (isinstance(model, Heston) or isinstance(payoff, European)
                                or strike_free):
        raise ValueError("control 'european' needs GBM or Merton, a strike, and a payoff "
                         "other than the European itself")
    if "geometric" in names:
        same = isinstance(payoff, Asian) and payoff.average == "geometric"
        if not isinstance(model, GBM) or same or strike_free:
            raise ValueError("control 'geometric' needs GBM, a strike, and a payoff other than "
                             "the geometric Asian itself")
    return names


def _control_mean(name: str, model: Model, payoff: Payoff, steps: int) -> float:
    T = payoff.T
    if name == "terminal":
        return model.S * math.exp(-model.q * T)
    K = payoff.K
    if K is None:  # excluded by _resolve_controls
        raise ValueError(f"control {name!r} needs a strike")
    w = payoff.sign
    if name == "geometric" and isinstance(model, GBM):
        return float(geometric_asian_price(model.S, K, T, model.r, model.q, model.sigma, w,
                                           steps))
    if isinstance(model, GBM):
        return float(bsm_price(model.S, K, T, model.r, model.q, model.sigma, w))
    if isinstance(model, Merton):
        return float(merton_price(model.S, K, T, model.r, model.q, model.sigma, w, model.lam,
                                  model.mu_j, model.sigma_j))
    raise ValueError(f"control {name!r} has no closed form under {type(model).__name__}")


def _run_key(model: Model, payoff: Payoff, config: MCConfig, entropy: int) -> str:
    text = repr((model, payoff, config, entropy)).encode()
    return hashlib.sha256(text).hexdigest()[:20]


def plan(model: Model, payoff: Payoff, config: MCConfig) -> tuple[ChunkSpec, ...]:
    """Split a run into independent chunks (fitting the LSM policy first for Americans).

    Parameters
    ----------
    model : GBM, Heston or Merton
        What to simulate.
    payoff : European, Asian, Barrier, Lookback or American
        What to price.
    config : MCConfig
        How to simulate.

    Returns
    -------
    tuple of ChunkSpec
        In chunk order; run each with :func:`run_chunk` and :func:`merge` the stats.

    Raises
    ------
    ValueError
        On an unknown model or contract, an unavailable control, a Sobol dimension above
        21201, more than 50 expected Merton jumps per step, or too few paths for the number
        of controls.
    """
    if not isinstance(model, GBM | Heston | Merton):
        raise ValueError(f"model must be GBM, Heston or Merton, got {type(model).__name__}")
    if not isinstance(payoff, European | Asian | Barrier | Lookback | American):
        raise ValueError(f"payoff must be a contract from montecarlo.payoffs, "
                         f"got {type(payoff).__name__}")
    steps = config.n_steps
    if config.method == "sobol" and model.factors * steps > SOBOL_MAX_DIM:
        raise ValueError(f"n_steps={steps} gives Sobol dimension {model.factors * steps} > "
                         f"{SOBOL_MAX_DIM} for {type(model).__name__}")
    if isinstance(model, Merton) and model.lam * payoff.T / steps > _MAX_JUMPS_PER_STEP:
        raise ValueError(f"lam * T / n_steps = {model.lam * payoff.T / steps:g} expected jumps "
                         f"per step exceeds {_MAX_JUMPS_PER_STEP:g}: use more steps")
    controls = _resolve_controls(model, payoff, config.control)
    pair = 2 if config.antithetic else 1
    if config.n_paths // pair < len(controls) + 2:
        raise ValueError(f"n_paths={config.n_paths} is too few samples for "
                         f"{len(controls)} control(s)")
    means = tuple(_control_mean(c, model, payoff, steps) for c in controls)
    entropy = int(np.random.SeedSequence(config.seed).entropy)  # type: ignore[arg-type]
    layout: list[tuple[int, int, int, tuple[int, ...]]] = []  # replicate, start, paths, key
    if config.method == "pseudo":
        for i, first in enumerate(range(0, config.n_paths, config.chunk_size)):
            layout.append((0, 0, min(config.chunk_size, config.n_paths - first), (i,)))
        replicates, n_streams = 1, len(layout)
    else:
        points = config.n_paths // (config.replicates * pair)
        block = min(points, config.chunk_size // pair)
        for rep in range(config.replicates):
            for start in range(0, points, block):
                layout.append((rep, start, block * pair, (rep,)))
        replicates, n_streams = config.replicates, config.replicates
    policy = None
    if isinstance(payoff, American):
        policy = fit_policy(model, payoff, steps, config.pilot_paths, entropy, (n_streams,))
    info = RunInfo(run_key=_run_key(model, payoff, config, entropy), method=config.method,
                   n_paths=config.n_paths, n_steps=steps, antithetic=config.antithetic,
                   controls=controls, control_means=means, n_chunks=len(layout),
                   replicates=replicates, seed=entropy,
                   n_pilot=config.pilot_paths if policy is not None else 0)
    return tuple(ChunkSpec(info=info, model=model, payoff=payoff, chunk_id=i, replicate=rep,
                           start=start, n_paths=paths, spawn_key=key, policy=policy)
                 for i, (rep, start, paths, key) in enumerate(layout))


def _samples(spec: ChunkSpec, z: FloatArray, sign: float, x: FloatArray, v: FloatArray | None,
             f: FloatArray) -> FloatArray:
    """Discounted payoff and control columns for the paths driven by ``z`` (one batch)."""
    model, payoff, info = spec.model, spec.payoff, spec.info
    dt = payoff.T / info.n_steps
    model.paths(z, sign, dt, x, v)
    need = features_needed(payoff) | (FEAT_GEO if "geometric" in info.controls else 0)
    compute_features(x, v, model.diffusion_vol() ** 2, dt, payoff, need, f)
    out = np.empty((z.shape[0], 1 + len(info.controls)))
    if isinstance(payoff, American):
        if spec.policy is None:
            raise ValueError("an American chunk needs the exercise policy from plan()")
        out[:, 0] = policy_cashflows(x, v, payoff, model.r, spec.policy, model.S)
    else:
        out[:, 0] = discounted_payoff(payoff, f, model.r, dt)
    df = math.exp(-model.r * payoff.T)
    for col, name in enumerate(info.controls, start=1):
        if name == "terminal":
            out[:, col] = df * f[:, 0]
        else:
            under = f[:, 0] if name == "european" else f[:, 2]
            out[:, col] = df * np.maximum(payoff.sign * (under - (payoff.K or 0.0)), 0.0)
    return out


def run_chunk(spec: ChunkSpec) -> ChunkStats:
    """Simulate one chunk and return its mergeable statistics.

    Deterministic: the same spec gives the same stats in any process. Memory is one batch of
    normals and paths (about 2^18 numbers each), whatever the chunk or run size: batch
    statistics are combined as the batches go.
    """
    info, model = spec.info, spec.model
    steps = info.n_steps
    pair = 2 if info.antithetic else 1
    count = spec.n_paths // pair
    dims = model.factors * steps
    per_path = dims + (steps + 1) * (2 if isinstance(model, Heston) else 1)
    batch = max(1, min(_BATCH_PATHS, _BATCH_NUMBERS // per_path))
    stream: PseudoStream | SobolStream
    if info.method == "pseudo":
        stream = PseudoStream(info.seed, spec.spawn_key)
    else:
        batch = 1 << (batch.bit_length() - 1)  # Sobol draws powers of two
        stream = SobolStream(model.factors, steps, model.bridged, info.seed, spec.spawn_key,
                             spec.start)
    batch = min(batch, count)
    ws = _WORKSPACE
    z = ws.get("z", batch, dims)
    x = ws.get("x", batch, steps + 1)
    v = ws.get("v", batch, steps + 1) if isinstance(model, Heston) else None
    f = ws.get("f", batch, N_FEATURES)
    acc: Moments | None = None
    for first in range(0, count, batch):
        b = min(batch, count - first)
        zb, xb, fb = z[:b], x[:b], f[:b]
        vb = None if v is None else v[:b]
        stream.fill(zb)
        rows = _samples(spec, zb, 1.0, xb, vb, fb)
        if info.antithetic:
            rows += _samples(spec, zb, -1.0, xb, vb, fb)
            rows *= 0.5
        part = moments(rows)
        acc = part if acc is None else combine(acc, part)
    if acc is None:
        raise ValueError("a chunk needs at least one path")
    return ChunkStats(info=info, chunk_id=spec.chunk_id, replicate=spec.replicate, count=count,
                      mean=tuple(float(m) for m in acc[1]),
                      comoment=tuple(float(c) for c in acc[2].ravel()))


def price_mc(model: Model, payoff: Payoff, config: MCConfig,
             mapper: Callable[[Callable[[ChunkSpec], ChunkStats], Iterable[ChunkSpec]],
                              Iterable[ChunkStats]] = map) -> MCResult:
    """Price ``payoff`` under ``model`` by Monte Carlo: ``merge(mapper(run_chunk, plan(...)))``.

    Parameters
    ----------
    model : GBM, Heston or Merton
        What to simulate.
    payoff : European, Asian, Barrier, Lookback or American
        What to price.
    config : MCConfig
        Paths, steps, stream, variance reduction, seed and chunking.
    mapper : callable, optional
        How chunks run: the built-in ``map`` (default, one core), ``Executor.map`` of a thread
        or process pool, or any map-like; the result does not depend on it.

    Returns
    -------
    MCResult
        Price, standard error, path count and how they were obtained.
    """
    return merge(mapper(run_chunk, plan(model, payoff, config)))
