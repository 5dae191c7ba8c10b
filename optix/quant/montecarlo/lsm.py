"""Longstaff-Schwartz for American/Bermudan options, in two passes so it chunks exactly.

1. **Policy (pilot pass, driver side).** ``n_pilot`` independent pseudo-random paths (their own
   ``SeedSequence`` child, never reused for pricing) are regressed backwards in time as in
   Longstaff & Schwartz (2001): at each step ``t_j``, ``j = steps-1 .. 1``, the discounted
   realised cash flow of the in-the-money paths is regressed on the polynomial basis
   ``1, x, ..., x^degree`` in centred moneyness ``x = S / K - 1`` (under Heston also ``u, u x,
   u^2`` in the centred variance ``u = v / theta - 1``: the continuation value depends on both
   states). The
   coefficients per step, plus the
   decision at ``t = 0`` (exercise now iff the intrinsic beats the pilot's continuation
   value), form a small :class:`ExercisePolicy` that travels in every chunk spec.
2. **Pricing (any chunk, anywhere).** Fresh paths follow the fixed policy: exercise at the first
   ``t_j`` where the option is in the money and the intrinsic exceeds the fitted continuation,
   else at expiry. Each path's discounted cash flow is an i.i.d. sample, so chunks merge exactly
   like a European payoff.

Because the policy is fitted on paths independent of the pricing paths, the estimator is an
unbiased estimate of a *feasible* exercise policy's value, hence biased low against the
Bermudan (and American) price: the in-sample optimism of one-pass LSM is gone. The gap is the
policy's suboptimality (a few tenths of a percent with a cubic basis and ~3e4 pilot paths on
vanilla puts) plus the Bermudan-versus-American gap of exercising only at the ``steps`` dates
(first order in ``T / steps``). The pilot holds ``n_pilot * (steps + 1)`` floats at once, the
only part of a run not bounded by the chunk size (twice that under Heston).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optix.core.arrays import FloatArray
from optix.quant._jit import njit
from optix.quant.montecarlo.models import Heston, Model
from optix.quant.montecarlo.payoffs import American
from optix.quant.montecarlo.streams import PseudoStream

__all__ = ["ExercisePolicy", "fit_policy", "policy_cashflows"]

_PILOT_BATCH = 1 << 18  # normals per pilot batch


@dataclass(frozen=True)
class ExercisePolicy:
    """Exercise rule fitted on pilot paths (plain, small and picklable).

    Attributes
    ----------
    coef : tuple of tuple of float
        Row ``j`` (``0..steps``) holds the continuation-value coefficients for step ``j``:
        the polynomial in ``x = S / K - 1`` (lowest degree first), then, under Heston, those of
        ``u, u x, u^2`` with ``u = v / theta - 1``. Rows without a fit are zeros.
    active : tuple of bool
        Whether step ``j`` has a fit (enough in-the-money pilot paths); no exercise otherwise.
    exercise_now : bool
        Exercise at ``t = 0``: every path then pays the intrinsic, with zero variance.
    n_pilot : int
        Pilot paths used.
    n_poly : int
        Polynomial terms (``degree + 1``); the rest of a row are the variance terms.
    var_scale : float
        ``1 / theta`` under Heston (0.0 for models without a variance state).
    """

    coef: tuple[tuple[float, ...], ...]
    active: tuple[bool, ...]
    exercise_now: bool
    n_pilot: int
    n_poly: int
    var_scale: float


def _simulate_pilot(model: Model, steps: int, dt: float, n: int, entropy: int,
                    spawn_key: tuple[int, ...]) -> tuple[FloatArray, FloatArray | None]:
    stream = PseudoStream(entropy, spawn_key)
    dims = model.factors * steps
    batch = max(1, min(n, _PILOT_BATCH // dims))
    x = np.empty((n, steps + 1))
    z = np.empty((batch, dims))
    v = np.empty((n, steps + 1)) if isinstance(model, Heston) else None
    for start in range(0, n, batch):
        b = min(batch, n - start)
        stream.fill(z[:b])
        model.paths(z[:b], 1.0, dt, x[start:start + b], None if v is None else v[start:start + b])
    return x, v


def _basis(x: FloatArray, u: FloatArray | None, n_poly: int) -> FloatArray:
    """Regression basis in the centred states ``x = S/K - 1`` and ``u = v/theta - 1``."""
    poly = np.vander(x, n_poly, increasing=True)
    if u is None:
        return poly
    return np.column_stack([poly, u, u * x, u * u])


def _least_squares(a: FloatArray, y: FloatArray) -> FloatArray:
    """Least-squares fit by equilibrated normal equations (50x faster than an SVD here).

    The centred basis keeps the scaled Gram matrix well conditioned; past a condition
    number of 1e10 the fit falls back to the SVD solver.
    """
    gram = a.T @ a
    scale = np.sqrt(np.diag(gram))
    if np.all(scale > 0.0):
        scaled = gram / np.outer(scale, scale)
        if np.linalg.cond(scaled) < 1e10:
            return np.asarray(np.linalg.solve(scaled, (a.T @ y) / scale) / scale)
    return np.asarray(np.linalg.lstsq(a, y, rcond=None)[0])


def fit_policy(model: Model, payoff: American, steps: int, n_pilot: int, entropy: int,
               spawn_key: tuple[int, ...]) -> ExercisePolicy:
    """Fit the Longstaff-Schwartz exercise policy on ``n_pilot`` independent pilot paths.

    Parameters
    ----------
    model : GBM, Heston or Merton
        The model to simulate.
    payoff : American
        The contract (strike, expiry, right and basis degree).
    steps : int
        Exercise dates ``t_1..t_steps``.
    n_pilot : int
        Pilot paths (``>= 10 * (degree + 1)``).
    entropy, spawn_key : int, tuple of int
        The pilot's own seed.

    Returns
    -------
    ExercisePolicy
        The fitted rule.
    """
    n_poly = payoff.degree + 1
    var_scale = 1.0 / model.theta if isinstance(model, Heston) else 0.0
    n_terms = n_poly + (3 if var_scale else 0)
    if n_pilot < 10 * n_terms:
        raise ValueError(f"pilot_paths must be >= {10 * n_terms} for degree {payoff.degree}")
    dt = payoff.T / steps
    s, v = _simulate_pilot(model, steps, dt, n_pilot, entropy, spawn_key)
    np.exp(s, out=s)
    w, k = payoff.sign, payoff.K
    growth = math.exp(-model.r * dt)
    cash = np.maximum(w * (s[:, steps] - k), 0.0)  # value at the current step of the cash flow
    coef = np.zeros((steps + 1, n_terms))
    active = np.zeros(steps + 1, dtype=bool)
    for j in range(steps - 1, 0, -1):
        cash *= growth  # discount the realised cash flows back to t_j
        intrinsic = np.maximum(w * (s[:, j] - k), 0.0)
        itm = np.flatnonzero(intrinsic > 0.0)
        if itm.size < 2 * n_terms:
            continue
        u = None if v is None else v[itm, j] * var_scale - 1.0
        basis = _basis(s[itm, j] / k - 1.0, u, n_poly)
        fit = _least_squares(basis, cash[itm])
        coef[j] = fit
        active[j] = True
        exercise = itm[intrinsic[itm] > basis @ fit]
        cash[exercise] = intrinsic[exercise]
    continuation = float(np.mean(cash)) * growth
    exercise_now = max(w * (model.S - k), 0.0) > continuation
    return ExercisePolicy(coef=tuple(tuple(float(c) for c in row) for row in coef),
                          active=tuple(bool(a) for a in active), exercise_now=exercise_now,
                          n_pilot=n_pilot, n_poly=n_poly, var_scale=var_scale)


@njit
def _policy_cashflows(x: FloatArray, v: FloatArray, var_scale: float, k: float, w: float,
                      coef: FloatArray, n_poly: int, active: FloatArray, disc: FloatArray,
                      out: FloatArray) -> None:
    n, m1 = x.shape
    m = m1 - 1
    log_k = math.log(k)
    for i in range(n):
        paid = False
        for j in range(1, m):
            if active[j] == 0.0 or w * (x[i, j] - log_k) <= 0.0:
                continue
            s = math.exp(x[i, j])
            mny = s / k - 1.0
            cont = coef[j, n_poly - 1]
            for d in range(n_poly - 2, -1, -1):
                cont = cont * mny + coef[j, d]
            if var_scale > 0.0:
                u = v[i, j] * var_scale - 1.0
                cont += u * (coef[j, n_poly] + coef[j, n_poly + 1] * mny + coef[j, n_poly + 2] * u)
            intrinsic = w * (s - k)
            if intrinsic > cont:
                out[i] = intrinsic * disc[j]
                paid = True
                break
        if not paid:
            out[i] = max(w * (math.exp(x[i, m]) - k), 0.0) * disc[m]


_NO_VAR = np.zeros((1, 1))


def policy_cashflows(x: FloatArray, v: FloatArray | None, payoff: American, r: float,
                     policy: ExercisePolicy, S: float) -> FloatArray:
    """Discounted cash flow of each path under ``policy`` (the LSM pricing pass).

    ``x`` holds log-price paths, ``v`` the variance paths under Heston (else None).
    """
    n, m1 = x.shape
    if policy.exercise_now:
        return np.full(n, max(payoff.sign * (S - payoff.K), 0.0))
    if policy.var_scale > 0.0 and (v is None or v.shape != x.shape):
        raise ValueError("this policy needs the variance paths v")
    dt = payoff.T / (m1 - 1)
    disc = np.exp(-r * dt * np.arange(m1))
    out = np.empty(n)
    _policy_cashflows(x, _NO_VAR if v is None else v, policy.var_scale, payoff.K, payoff.sign,
                      np.asarray(policy.coef, dtype=np.float64), policy.n_poly,
                      np.asarray(policy.active, dtype=np.float64), disc, out)
    return out
