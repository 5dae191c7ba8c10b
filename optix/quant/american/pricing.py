"""Vectorized American option prices: one entry point over the compiled methods.

Every element goes through :func:`price_one`, which applies the model-free rules first and only
then the chosen method:

* ``T <= 0``: the exercise value ``max(w (S - K), 0)``;
* ``sigma sqrt(T) < 1e-10``: the zero-volatility value, the best exercise date of the
  deterministic forward path (:func:`~optix.quant.american._common.deterministic_value`);
* no early exercise (a put with ``r <= 0`` and ``r <= q``; a call with ``q <= 0`` and
  ``q <= r``, by the symmetry ``C(S, K, r, q) = P(K, S, q, r)``): the European price;
* the double-boundary regime of negative rates (a put with ``q < r < 0``, a call with
  ``r < q < 0``), which none of the analytic methods covers: the Leisen-Reimer lattice;
* for ``"qdfp"``, volatility so low against the carry that ``|r - q| sqrt(T) > 6 sigma``
  (e.g. 1% volatility, 5% carry, 5 years): the early-exercise premium integrand is then nearly
  a step in time and its quadrature loses 1e-3; the Leisen-Reimer lattice with at least 1601
  steps prices it instead;
* otherwise the method, floored at the exercise value (and, for the BAW and BS2002
  approximations, at the European price: their boundary can be too low).

With discrete cash dividends every method prices on the escrowed-dividend lattice
(:mod:`optix.quant.american.binomial`): ``method="crr"`` on the CRR tree, any other method on
the Leisen-Reimer tree, as the analytic methods have no discrete-dividend form.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray
from optix.quant._jit import njit
from optix.quant.american._common import (
    REGIME_DOUBLE,
    REGIME_EUROPEAN,
    bsm_scalar,
    deterministic_value,
    deterministic_value_dividends,
    put_regime,
)
from optix.quant.american.baw import baw_price
from optix.quant.american.binomial import TREE_CRR, TREE_LR, lattice_price
from optix.quant.american.bs2002 import bs2002_price
from optix.quant.american.dividends import escrowed_spot, validate_dividends
from optix.quant.american.qdfp import QdFpScheme, qdfp_put, scheme_tables
from optix.quant.bsm import check_inputs, rights_to_sign

__all__ = [
    "DRIFT_OVER_VOL_MAX",
    "METHODS",
    "american_price",
    "broadcast_inputs",
    "price_one",
    "validate_options",
]

METHODS: dict[str, int] = {"qdfp": 0, "baw": 1, "bs2002": 2, "binomial": 3, "crr": 4}
"""Method names and their codes in the compiled kernels."""

_QDFP, _BAW, _BS2002, _LR, _CRR = 0, 1, 2, 3, 4
_DEFAULT_STEPS = 801
_FINE_STEPS = 1601
_SIGMA_SQRT_T_MIN = 1e-10
DRIFT_OVER_VOL_MAX = 6.0
"""qdfp prices on the lattice where ``|r - q| sqrt(T) > DRIFT_OVER_VOL_MAX * sigma``."""


@njit
def price_one(method: int, S: float, K: float, T: float, r: float, q: float, sigma: float,
              w: float, steps: int, div_t: FloatArray, div_a: FloatArray, max_iterations: int,
              tolerance: float, tau_frac: FloatArray, sn: FloatArray, cs: FloatArray,
              wt: FloatArray, lag: FloatArray, snp: FloatArray, csp: FloatArray,
              wtp: FloatArray, lagp: FloatArray) -> float:
    """American price of one option (``w`` = +1 call, -1 put) by ``method``; see the module."""
    exercise = max(w * (S - K), 0.0)
    if T <= 0.0:
        return exercise
    tree = TREE_CRR if method == _CRR else TREE_LR
    no_vol = sigma * math.sqrt(T) < _SIGMA_SQRT_T_MIN
    for k in range(div_t.size):
        if 0.0 <= div_t[k] < T and div_a[k] > 0.0:
            if no_vol:
                return deterministic_value_dividends(S, K, T, r, q, w, div_t, div_a)
            return max(lattice_price(S, K, T, r, q, sigma, w, steps, tree, div_t, div_a),
                       exercise)
    if no_vol:
        return deterministic_value(S, K, T, r, q, w)
    # the put of the symmetry C(S, K, r, q) = P(K, S, q, r)
    if w > 0.0:
        s_p, k_p, r_p, q_p = K, S, q, r
    else:
        s_p, k_p, r_p, q_p = S, K, r, q
    regime = put_regime(r_p, q_p)
    if regime == REGIME_EUROPEAN:
        return bsm_scalar(S, K, T, r, q, sigma, w)
    value = math.nan
    if regime != REGIME_DOUBLE:
        if method == _QDFP:
            if abs(r_p - q_p) * math.sqrt(T) > DRIFT_OVER_VOL_MAX * sigma:
                # the drift crosses the boundary within a fraction of a standard deviation:
                # the premium integrand is nearly a step in time, beyond the quadrature
                value = lattice_price(S, K, T, r, q, sigma, w, max(steps, _FINE_STEPS),
                                      TREE_LR, div_t, div_a)
            else:
                value = qdfp_put(s_p, k_p, T, r_p, q_p, sigma, max_iterations, tolerance,
                                 tau_frac, sn, cs, wt, lag, snp, csp, wtp, lagp)
        elif method in (_BAW, _BS2002):
            if method == _BS2002:
                value = bs2002_price(S, K, T, r, q, sigma, w)
            elif r >= 0.0:
                value = baw_price(S, K, T, r, q, sigma, w)
            # the approximations can put the boundary below the spot where holding is worth
            # more: floor them at the European price (never exercising early is feasible)
            if math.isfinite(value):
                value = max(value, bsm_scalar(S, K, T, r, q, sigma, w))
        elif method in (_CRR, _LR):
            value = lattice_price(S, K, T, r, q, sigma, w, steps, tree, div_t, div_a)
    if not math.isfinite(value):
        # double boundary, or an approximation undefined for these (negative-rate) inputs
        value = lattice_price(S, K, T, r, q, sigma, w, steps, tree, div_t, div_a)
    return max(value, exercise)


@njit
def _price_batch(method: int, S: FloatArray, K: FloatArray, T: FloatArray, r: FloatArray,
                 q: FloatArray, sigma: FloatArray, w: FloatArray, steps: int,
                 div_t: FloatArray, div_a: FloatArray, max_iterations: int, tolerance: float,
                 tau_frac: FloatArray, sn: FloatArray, cs: FloatArray, wt: FloatArray,
                 lag: FloatArray, snp: FloatArray, csp: FloatArray, wtp: FloatArray,
                 lagp: FloatArray) -> FloatArray:
    out = np.empty(S.size)
    for i in range(S.size):
        out[i] = price_one(method, S[i], K[i], T[i], r[i], q[i], sigma[i], w[i], steps, div_t,
                           div_a, max_iterations, tolerance, tau_frac, sn, cs, wt, lag, snp,
                           csp, wtp, lagp)
    return out


def broadcast_inputs(
    right: npt.ArrayLike, *values: npt.ArrayLike
) -> tuple[tuple[int, ...], list[FloatArray]]:
    """Broadcast ``values`` and ``right`` to one shape; return it and flat float64 copies.

    The list holds the values in order, then ``right`` as +1.0/-1.0
    (see :func:`~optix.quant.bsm.rights_to_sign`).
    """
    w = rights_to_sign(right)
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in values), w)
    shape = arrays[0].shape
    return shape, [np.ascontiguousarray(a, dtype=np.float64).ravel() for a in arrays]


def validate_options(
    method: str, steps: int | None, scheme: QdFpScheme | None
) -> tuple[int, QdFpScheme]:
    """Check ``method``, ``steps`` and ``scheme``; return the steps and scheme with defaults.

    Raises
    ------
    ValueError
        For an unknown ``method``, ``steps`` not an integer in [2, 100000], or a ``scheme``
        that is not a :class:`~optix.quant.american.qdfp.QdFpScheme`.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if steps is None:
        steps = _DEFAULT_STEPS
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or not (
            2 <= steps <= 100_000):
        raise ValueError(f"steps must be an integer in [2, 100000], got {steps!r}")
    if scheme is None:
        scheme = QdFpScheme()
    elif not isinstance(scheme, QdFpScheme):
        raise ValueError(f"scheme must be a QdFpScheme, got {type(scheme).__name__}")
    return int(steps), scheme


def american_price(
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
    sigma: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    method: str = "qdfp",
    dividends: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    steps: int | None = None,
    scheme: QdFpScheme | None = None,
) -> FloatArray:
    """American option prices under Black-Scholes-Merton, vectorized over broadcast inputs.

    Parameters
    ----------
    S, K : array_like
        Spot and strike, positive and finite.
    T : array_like
        Time to expiry in years; ``T <= 0`` gives the exercise value.
    r, q : array_like
        Risk-free rate and continuous dividend yield (decimals, either sign).
    sigma : array_like
        Volatility, ``>= 0``; ``sigma sqrt(T) < 1e-10`` gives the zero-volatility value.
    right : array_like
        ``'c'``/``'p'`` or +1/-1 (see :func:`~optix.quant.bsm.rights_to_sign`).
    method : {"qdfp", "baw", "bs2002", "binomial", "crr"}
        ``"qdfp"``: Andersen-Lake-Offengenden fixed point from the QD+ boundary, about 3e-5
        from a converged reference over a wide grid (:mod:`~optix.quant.american.qdfp`).
        ``"baw"``: Barone-Adesi-Whaley (1987). ``"bs2002"``: Bjerksund-Stensland (2002).
        ``"binomial"``: Leisen-Reimer lattice. ``"crr"``: Cox-Ross-Rubinstein lattice as in
        QuantLib. The approximations are accurate to cents, not to 1e-4.
    dividends : (times, amounts) or None
        Discrete cash dividends shared by the batch, priced on the escrowed-dividend lattice
        whatever the method (``"crr"`` keeps the CRR tree, every other method uses
        Leisen-Reimer); see :mod:`~optix.quant.american.dividends` for the shape contract.
    steps : int or None
        Lattice steps (default 801; Leisen-Reimer rounds up to odd), also used where an
        analytic method falls back to the lattice (negative-rate double boundary).
    scheme : QdFpScheme or None
        Discretization of ``"qdfp"`` (default ``QdFpScheme()``).

    Returns
    -------
    ndarray of float64
        Prices, shape of the broadcast inputs.

    Raises
    ------
    ValueError
        If an argument is outside its domain (named in the message), the method is unknown,
        or the dividends are malformed or worth the spot.
    """
    steps, scheme = validate_options(method, steps, scheme)
    div_t, div_a = validate_dividends(dividends)
    shape, (s, k, t, rr, qq, vol, w) = broadcast_inputs(right, S, K, T, r, q, sigma)
    check_inputs(s=s, k=k, t=t, r=rr, q=qq, sigma=vol)
    if div_t.size:
        escrowed_spot(s, t, rr, div_t, div_a)  # raises if the dividends are worth the spot
    out = _price_batch(METHODS[method], s, k, t, rr, qq, vol, w, steps, div_t, div_a,
                       scheme.max_iterations, scheme.tolerance, *scheme_tables(scheme))
    return out.reshape(shape)
