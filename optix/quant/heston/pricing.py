"""Heston European prices by the Lewis (2001) single integral, vectorized over strikes and expiries.

For each distinct expiry the characteristic function (the "little Heston trap" form of
Albrecher et al. 2007) is evaluated once on a composite Gauss-Legendre grid shared by every
strike of that expiry; each strike is then one weighted sum over that grid. The grid adapts to
the expiry (see :func:`optix.quant.heston._kernel.lewis_integrals`):

* the upper limit ``U`` comes from the decay of ``|phi|`` on the Lewis line (tail below ``tol``);
* panel widths grow geometrically away from the pole of ``1/(u^2 + 1/4)`` and are capped by the
  highest oscillation frequency (largest ``|ln(F/K)|`` plus the phase slope of ``phi``);
* strikes whose out-of-the-money price is provably below ``tol`` (Markov bounds from the moments
  ``E[S_T^p]``, used only below their explosion time, Andersen & Piterbarg 2007) are
  set to the forward intrinsic value, which keeps short-dated deep wings exact and cheap.

Truncation, quadrature and wing cut-off each target ``TOL = 1e-12`` of the discounted forward.
Against QuantLib's adaptive integration (1 day to 5 years, strikes 0.5 to 2 times spot, Feller
satisfied or not, rho from -0.9 to 0.5) the largest difference seen is ~1e-14 of spot, and
against the same integral on a four-times finer grid ~2e-13 of spot. The cost is about one
characteristic-function evaluation per node (typically 150 to 700 nodes per expiry, thousands
when ``|rho| -> 1`` with a large ``xi`` and a small variance) plus a few complex products per
node and strike. Calls come from the integral and puts from put-call parity;
every price is clipped into the no-arbitrage band, so none is negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from optix.core.arrays import FloatArray, Int64Array
from optix.quant.bsm import check_inputs, rights_to_sign
from optix.quant.heston._kernel import lewis_integrals
from optix.quant.heston.params import HestonParams

__all__ = ["heston_price"]

TOL = 1e-12
"""Target error of the quadrature, truncation and wing cut-off, in units of ``DF * F``."""
_GL_ORDER = 16
_MAX_PANELS = 1 << 14  # 262k nodes for one expiry: a near-zero variance or |rho| ~ 1, xi >> 1
_OSC = 24.0  # most radians of integrand phase per 16-node panel (at 32 digits start to go)


@lru_cache(maxsize=4)
def _gauss_legendre(order: int) -> tuple[FloatArray, FloatArray]:
    """Gauss-Legendre nodes and weights on ``[0, 1]``."""
    x, w = np.polynomial.legendre.leggauss(order)
    return np.ascontiguousarray(0.5 * (x + 1.0)), np.ascontiguousarray(0.5 * w)


@dataclass(frozen=True)
class _Quotes:
    """Parameter-free layout of a batch of options (reused across calibration iterations)."""

    shape: tuple[int, ...]
    live: Int64Array  # flat positions of the T > 0 options, in expiry-sorted order
    t_unique: FloatArray
    start: Int64Array
    x: FloatArray  # ln(F/K), expiry-sorted
    scale: FloatArray  # DF * F, expiry-sorted
    put_shift: FloatArray  # 1 - K/F for puts, 0 for calls (normalised parity shift)
    dead_value: FloatArray  # intrinsic value of every option (used where T <= 0), flat


def _finite(name: str, value: npt.ArrayLike) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (got NaN or inf)")
    return arr


def _prepare(
    S: npt.ArrayLike, K: npt.ArrayLike, T: npt.ArrayLike, r: npt.ArrayLike, q: npt.ArrayLike,
    right: npt.ArrayLike,
) -> _Quotes:
    """Validate, broadcast and group options by expiry."""
    s, k, t, rr, qq = (_finite(n, v) for n, v in zip("SKTrq", (S, K, T, r, q), strict=True))
    check_inputs(s=s, k=k)
    w = rights_to_sign(right)
    try:
        s, k, t, rr, qq, w = np.broadcast_arrays(s, k, t, rr, qq, w)
    except ValueError:
        raise ValueError(
            "S, K, T, r, q and right must broadcast together; got shapes "
            f"{[np.shape(a) for a in (s, k, t, rr, qq, w)]}"
        ) from None
    shape = s.shape
    s, k, t, rr, qq, w = (np.ravel(a) for a in (s, k, t, rr, qq, w))
    dead_value = np.maximum(w * (s - k), 0.0)
    live_mask = t > 0.0
    live = np.flatnonzero(live_mask)
    live = live[np.argsort(t[live], kind="stable")]
    tl = t[live]
    t_unique, first = np.unique(tl, return_index=True)
    start = np.append(first, tl.size).astype(np.int64)
    fwd = s[live] * np.exp((rr[live] - qq[live]) * tl)
    x = np.log(fwd / k[live])
    scale = fwd * np.exp(-rr[live] * tl)
    put_shift = np.where(w[live] > 0.0, 0.0, -np.expm1(-x))
    return _Quotes(shape, live.astype(np.int64), t_unique, start, x, scale, put_shift, dead_value)


def _evaluate(
    quotes: _Quotes, params: HestonParams, want_jac: bool, tol: float = TOL,
    gl_order: int = _GL_ORDER, osc: float = _OSC,
) -> tuple[FloatArray, FloatArray]:
    """Flat prices and, if ``want_jac``, their ``(n, 5)`` Jacobian (v0, kappa, theta, xi, rho)."""
    n_live = quotes.live.size
    norm = np.empty(n_live)
    jac_norm = np.zeros((n_live, 5) if want_jac else (0, 5))
    gl_x, gl_w = _gauss_legendre(gl_order)
    if n_live:
        status = lewis_integrals(quotes.t_unique, quotes.start, quotes.x, params.v0,
                                 params.kappa, params.theta, params.xi, params.rho, gl_x, gl_w,
                                 tol, osc, _MAX_PANELS, want_jac, norm, jac_norm)
        if status < 0:
            t_bad = quotes.t_unique[-status - 1]
            raise ValueError(
                f"params: the characteristic function decays too slowly to price "
                f"T={t_bad:.6g} at these strikes (v0={params.v0:.3g}, theta={params.theta:.3g}, "
                f"xi={params.xi:.3g}, rho={params.rho:.3g}: a tiny variance, or |rho| near 1 "
                f"with a large xi); the Fourier integral would need more than "
                f"{_MAX_PANELS * gl_order} nodes")
    prices = quotes.dead_value.copy()
    # The kernel clips to the no-arbitrage band; the max() only absorbs a last-bit difference
    # between its expm1 and numpy's in the parity shift.
    prices[quotes.live] = quotes.scale * np.maximum(norm - quotes.put_shift, 0.0)
    jac = np.zeros((prices.size, 5) if want_jac else (0, 5))
    if want_jac:
        jac[quotes.live] = quotes.scale[:, None] * jac_norm
    return prices, jac


def heston_price(
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
    params: HestonParams,
    right: npt.ArrayLike,
) -> FloatArray:
    """European option prices under the Heston model.

    Parameters
    ----------
    S, K : array_like
        Spot and strike, positive.
    T : array_like
        Time to expiry in years; ``T <= 0`` gives the intrinsic value ``max(w (S - K), 0)``.
    r, q : array_like
        Risk-free rate and dividend yield, continuously compounded decimals.
    params : HestonParams
        Model parameters.
    right : array_like
        ``'c'``/``'p'`` or +1/-1 (see :func:`optix.quant.bsm.rights_to_sign`).

    Returns
    -------
    ndarray of float64
        Prices broadcast over ``S, K, T, r, q, right``. The characteristic function is
        evaluated once per distinct ``T``; the absolute error is ``~1e-12 * S`` or better.

    Raises
    ------
    ValueError
        If an input is not finite, ``S`` or ``K`` is not positive, a right is unknown, the
        shapes do not broadcast, ``params`` is not a :class:`HestonParams`, or the parameters
        make the characteristic function decay so slowly (a near-zero variance, or
        ``|rho| -> 1`` with a large ``xi`` and a tiny variance) that one expiry would need more
        than 262,144 quadrature nodes.
    """
    if not isinstance(params, HestonParams):
        raise ValueError(f"params must be a HestonParams, got {type(params).__name__}")
    quotes = _prepare(S, K, T, r, q, right)
    prices, _ = _evaluate(quotes, params, want_jac=False)
    return prices.reshape(quotes.shape)
