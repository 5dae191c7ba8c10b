"""Contracts the Monte Carlo engine prices, and their discounted payoffs on simulated paths.

Every contract is a frozen, validated dataclass with the strike ``K``, expiry ``T`` (years,
positive: at expiry the value is the intrinsic, no simulation needed) and ``right``
(``'c'``/``'p'`` or +1/-1). Path-dependent features are read on the simulation grid
``t_j = j T / steps``:

* :class:`Asian`: average of ``S(t_1), ..., S(t_steps)`` (``steps`` equally spaced fixings,
  the last at expiry; ``S(0)`` is not a fixing), arithmetic or geometric.
* :class:`Barrier`: monitored at ``t_0, ..., t_steps``. With ``continuous=True`` (default) the
  barrier is continuously monitored and the discrete check uses the Broadie-Glasserman-Kou
  (1997) shift: ``S(t_j) e^{+/- beta sigma sqrt(dt)}`` against ``H``, ``beta = -zeta(1/2) /
  sqrt(2 pi) = 0.5826`` (``sigma``: the diffusion volatility; under Heston the local
  ``sqrt(v(t_j))``; jumps are not shifted). The error left is ``o(1/sqrt(steps))``. A
  knock-out rebate is paid at the (discrete) hitting time, a knock-in rebate at expiry if
  never knocked in (QuantLib's convention). ``S(0)`` on the far side of ``H`` counts as hit
  at ``t = 0``.
* :class:`Lookback`: floating strike (``K=None``: call ``S_T - min``, put ``max - S_T``) or
  fixed strike (call ``(max - K)^+``, put ``(K - min)^+``), extremes over ``t_0..t_steps``
  (a new contract: the running extreme starts at ``S(0)``). ``continuous=True`` applies the
  same BGK shift to the discrete extreme (``max e^{beta sigma sqrt(dt)}``).
* :class:`American`: exercisable at every step ``t_1..t_steps`` (Bermudan with ``steps``
  dates, the American limit as ``steps`` grows), priced by Longstaff-Schwartz
  (:mod:`optix.quant.montecarlo.lsm`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray
from optix.quant._jit import njit
from optix.quant.bsm import rights_to_sign

__all__ = [
    "BGK_BETA",
    "FEAT_ARITH",
    "FEAT_EXTREMA",
    "FEAT_GEO",
    "FEAT_HIT",
    "American",
    "Asian",
    "Barrier",
    "European",
    "Lookback",
    "Payoff",
    "N_FEATURES",
    "compute_features",
    "discounted_payoff",
    "features_needed",
]

BGK_BETA = 0.5825971579390106
"""Broadie-Glasserman-Kou constant ``-zeta(1/2) / sqrt(2 pi)``."""

FEAT_ARITH = 1
"""Feature flag: arithmetic average of the fixings (column 1)."""
FEAT_GEO = 2
"""Feature flag: geometric average of the fixings (column 2)."""
FEAT_EXTREMA = 4
"""Feature flag: (corrected) maximum and minimum over ``t_0..t_steps`` (columns 3 and 4)."""
FEAT_HIT = 8
"""Feature flag: index of the first barrier hit, -1 if none (column 5)."""
N_FEATURES = 6
"""Columns of the feature matrix (``S_T`` first)."""
_NO_VAR = np.zeros((1, 1))


def _sign_of(right: str | float) -> float:
    arr = rights_to_sign(right)
    if arr.ndim != 0:
        raise ValueError(f"right must be a single 'c'/'p' or +1/-1, got {right!r}")
    return float(arr)


def _check_contract(K: float, T: float, right: str | float) -> None:
    if not (math.isfinite(K) and K > 0.0):
        raise ValueError(f"K must be positive and finite, got {K}")
    if not (math.isfinite(T) and T > 0.0):
        raise ValueError(f"T must be positive and finite for a simulation, got {T}")
    _sign_of(right)


@dataclass(frozen=True)
class European:
    """European call or put paying ``(w (S_T - K))^+`` at ``T``."""

    K: float
    T: float
    right: str | float
    sign: float = field(init=False, repr=False, compare=False)
    """+1.0 for a call, -1.0 for a put (derived from ``right``)."""

    def __post_init__(self) -> None:
        _check_contract(self.K, self.T, self.right)
        object.__setattr__(self, "sign", _sign_of(self.right))



@dataclass(frozen=True)
class Asian:
    """Average-price Asian option on the ``steps`` fixings ``t_1..t_steps``.

    Parameters
    ----------
    K, T, right
        Strike, expiry in years, ``'c'``/``'p'`` or +1/-1.
    average : {'arithmetic', 'geometric'}
        How the fixings are averaged.
    """

    K: float
    T: float
    right: str | float
    average: Literal["arithmetic", "geometric"] = "arithmetic"
    sign: float = field(init=False, repr=False, compare=False)
    """+1.0 for a call, -1.0 for a put (derived from ``right``)."""

    def __post_init__(self) -> None:
        _check_contract(self.K, self.T, self.right)
        object.__setattr__(self, "sign", _sign_of(self.right))
        if self.average not in ("arithmetic", "geometric"):
            raise ValueError(f"average must be 'arithmetic' or 'geometric', got {self.average!r}")



@dataclass(frozen=True)
class Barrier:
    """Single-barrier knock-in or knock-out European option with an optional rebate.

    Parameters
    ----------
    K, T, right
        Strike, expiry in years, ``'c'``/``'p'`` or +1/-1.
    barrier : float
        Barrier level ``H``, positive.
    kind : {'up-in', 'up-out', 'down-in', 'down-out'}
        Direction and effect of a hit.
    rebate : float
        Cash rebate, ``>= 0``: at the hit for knock-outs, at expiry for unexercised knock-ins.
    continuous : bool
        Continuous monitoring (BGK-corrected) if true, else monitoring at the steps only.
    """

    K: float
    T: float
    right: str | float
    barrier: float
    kind: Literal["up-in", "up-out", "down-in", "down-out"]
    rebate: float = 0.0
    continuous: bool = True
    sign: float = field(init=False, repr=False, compare=False)
    """+1.0 for a call, -1.0 for a put (derived from ``right``)."""

    def __post_init__(self) -> None:
        _check_contract(self.K, self.T, self.right)
        object.__setattr__(self, "sign", _sign_of(self.right))
        if not (math.isfinite(self.barrier) and self.barrier > 0.0):
            raise ValueError(f"barrier must be positive and finite, got {self.barrier}")
        if self.kind not in ("up-in", "up-out", "down-in", "down-out"):
            raise ValueError(f"kind must be up-in, up-out, down-in or down-out, got {self.kind!r}")
        if not (math.isfinite(self.rebate) and self.rebate >= 0.0):
            raise ValueError(f"rebate must be finite and >= 0, got {self.rebate}")



@dataclass(frozen=True)
class Lookback:
    """Lookback option: floating strike when ``K`` is None, else fixed strike ``K``.

    Parameters
    ----------
    K : float or None
        Fixed strike, or None for a floating-strike lookback.
    T, right
        Expiry in years, ``'c'``/``'p'`` or +1/-1.
    continuous : bool
        Continuously monitored extreme (BGK-corrected) if true, else the extreme over the steps.
    """

    K: float | None
    T: float
    right: str | float
    continuous: bool = True
    sign: float = field(init=False, repr=False, compare=False)
    """+1.0 for a call, -1.0 for a put (derived from ``right``)."""

    def __post_init__(self) -> None:
        _check_contract(1.0 if self.K is None else self.K, self.T, self.right)
        object.__setattr__(self, "sign", _sign_of(self.right))



@dataclass(frozen=True)
class American:
    """American (Bermudan on the ``steps`` grid) option priced by Longstaff-Schwartz.

    Parameters
    ----------
    K, T, right
        Strike, expiry in years, ``'c'``/``'p'`` or +1/-1.
    degree : int
        Degree of the polynomial regression basis in moneyness ``S / K`` (1 to 6).
    """

    K: float
    T: float
    right: str | float
    degree: int = 3
    sign: float = field(init=False, repr=False, compare=False)
    """+1.0 for a call, -1.0 for a put (derived from ``right``)."""

    def __post_init__(self) -> None:
        _check_contract(self.K, self.T, self.right)
        object.__setattr__(self, "sign", _sign_of(self.right))
        if not 1 <= self.degree <= 6:
            raise ValueError(f"degree must be between 1 and 6, got {self.degree}")



Payoff = European | Asian | Barrier | Lookback | American
"""Any contract the engine prices."""


@njit
def _features(x: FloatArray, v: FloatArray, local: bool, var_const: float, c: float,
              need: int, log_h: float, up: bool, out: FloatArray) -> None:
    n, m1 = x.shape
    m = m1 - 1
    for i in range(n):
        out[i, 0] = math.exp(x[i, m])
        if need & 1:
            acc = 0.0
            for j in range(1, m1):
                acc += math.exp(x[i, j])
            out[i, 1] = acc / m
        if need & 2:
            acc = 0.0
            for j in range(1, m1):
                acc += x[i, j]
            out[i, 2] = math.exp(acc / m)
        if need & 4:
            hi = -math.inf
            lo = math.inf
            for j in range(m1):
                shift = c * math.sqrt(v[i, j] if local else var_const)
                hi = max(hi, x[i, j] + shift)
                lo = min(lo, x[i, j] - shift)
            out[i, 3] = math.exp(hi)
            out[i, 4] = math.exp(lo)
        if need & 8:
            hit = -1
            if (up and x[i, 0] >= log_h) or (not up and x[i, 0] <= log_h):
                hit = 0
            else:
                for j in range(1, m1):
                    shift = c * math.sqrt(v[i, j] if local else var_const)
                    if (up and x[i, j] + shift >= log_h) or (not up and x[i, j] - shift <= log_h):
                        hit = j
                        break
            out[i, 5] = hit


def compute_features(x: FloatArray, v: FloatArray | None, var_const: float, dt: float,
                     payoff: Payoff, need: int, out: FloatArray) -> None:
    """Fill the feature columns flagged in ``need`` (plus ``S_T`` in column 0) for each path.

    ``v`` is the per-path variance matrix (Heston), or None when the diffusion variance is the
    constant ``var_const``; either feeds the continuity correction.
    """
    continuous = isinstance(payoff, Barrier | Lookback) and payoff.continuous
    c = BGK_BETA * math.sqrt(dt) if continuous else 0.0
    log_h = math.log(payoff.barrier) if isinstance(payoff, Barrier) else 0.0
    up = isinstance(payoff, Barrier) and payoff.kind.startswith("up")
    local = v is not None
    _features(x, v if v is not None else _NO_VAR, local, var_const, c, need, log_h, up, out)


def features_needed(payoff: Payoff) -> int:
    """Feature flags a payoff reads (controls may add :data:`FEAT_GEO`)."""
    if isinstance(payoff, Asian):
        return FEAT_ARITH if payoff.average == "arithmetic" else FEAT_GEO
    if isinstance(payoff, Barrier):
        return FEAT_HIT
    if isinstance(payoff, Lookback):
        return FEAT_EXTREMA
    return 0


def _call_put(w: float, a: npt.NDArray[np.float64], k: float) -> FloatArray:
    return np.maximum(w * (a - k), 0.0)


def discounted_payoff(payoff: Payoff, f: FloatArray, r: float, dt: float) -> FloatArray:
    """Present value at ``t = 0`` of each path's payoff, from its feature row ``f``.

    Not for :class:`American` (whose cash flow depends on the exercise policy).
    """
    w = payoff.sign
    df = math.exp(-r * payoff.T)
    s_t = f[:, 0]
    if isinstance(payoff, European):
        return df * _call_put(w, s_t, payoff.K)
    if isinstance(payoff, Asian):
        avg = f[:, 1] if payoff.average == "arithmetic" else f[:, 2]
        return df * _call_put(w, avg, payoff.K)
    if isinstance(payoff, Barrier):
        vanilla = df * _call_put(w, s_t, payoff.K)
        hit_at = f[:, 5]
        hit = hit_at >= 0.0
        if payoff.kind.endswith("out"):
            rebate = payoff.rebate * np.exp(-r * dt * np.maximum(hit_at, 0.0))
            return np.where(hit, rebate, vanilla)
        return np.where(hit, vanilla, df * payoff.rebate)
    if isinstance(payoff, Lookback):
        hi, lo = f[:, 3], f[:, 4]
        if payoff.K is None:
            return df * (s_t - lo) if w > 0 else df * (hi - s_t)
        return df * (_call_put(w, hi, payoff.K) if w > 0 else _call_put(w, lo, payoff.K))
    raise ValueError(f"discounted_payoff does not price {type(payoff).__name__}")
