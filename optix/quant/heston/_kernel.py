"""Compiled kernels of the Heston pricer: characteristic function, moment bounds, quadrature.

Notation. ``X = ln(S_T / F)`` is the log-return to the forward, ``phi(c) = E[exp(c X)]`` its
moment generating function at a complex ``c`` (``c = iz`` for the characteristic function at
``z``). Lewis (2001) prices a call with ``phi`` on the line ``c = 1/2 + iu``::

    C / (DF F) = 1 - exp(-x/2) / pi * int_0^inf Re[exp(iux) phi(1/2 + iu)] / (u^2 + 1/4) du

with ``x = ln(F/K)``. ``phi`` is the "little Heston trap" form of Albrecher et al. (2007),
``log phi = kappa theta A + v0 D``, rewritten so that nothing cancels as ``xi -> 0``: with
``s = c - c^2``, ``beta = kappa - rho xi c``, ``d = sqrt(beta^2 + xi^2 s)`` (``Re d >= 0``),
``P = beta + d``, ``M = beta - d = -xi^2 s / P``, ``g = M / P``, ``B = M / xi^2 = -s / P``,
``e = exp(-dT)``::

    D = B (1 - e) / (1 - g e)
    A = B T - 2 log1p(y) / xi^2,   y = g (1 - e) / (1 - g)

and ``log1p(y) / xi^2 = Y L(y)`` with ``Y = B (1 - e) / (P (1 - g))`` and ``L(y) = log1p(y)/y``.
Of ``beta + d`` and ``beta - d`` the larger is formed directly and the other from their product
``-xi^2 s``. The derivatives of ``log phi`` with respect to ``(v0, kappa, theta, xi, rho)`` are
the closed forms of Cui, del Bano Rollin & Germano (2017) for this representation, written as
the chain rule through ``beta, d, P, g, B, e, Y`` (see :func:`_log_cf`).
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from optix.core.arrays import FloatArray
from optix.quant._jit import njit

__all__ = ["lewis_integrals", "log_cf"]

_SERIES_RADIUS = 1e-3  # |y| below which log1p(y)/y and its companion use their Taylor series
_INF = math.inf


@njit
def _log1p_ratio(y: complex) -> tuple[complex, complex]:
    """``L = log1p(y)/y`` and ``N = (1/(1+y) - L)/y``, accurate for small ``|y|``."""
    if abs(y) < _SERIES_RADIUS:  # Taylor series; the first omitted terms are below 1e-18
        ell = 1.0 + y * (-0.5 + y * (1.0 / 3.0 + y * (-0.25 + y * (0.2 + y * (-1.0 / 6.0)))))
        n_ser = -0.5 + y * (2.0 / 3.0 + y * (-0.75 + y * (0.8 + y * (-5.0 / 6.0 + y * 6.0 / 7.0))))
        return ell, n_ser
    a = y.real
    b = y.imag
    log1p_y = complex(0.5 * math.log1p(a * (2.0 + a) + b * b), math.atan2(b, 1.0 + a))
    inv_y = 1.0 / y
    ell = log1p_y * inv_y
    return ell, (1.0 / (1.0 + y) - ell) * inv_y


@njit
def _expm1c(z: complex) -> complex:
    """``exp(z) - 1`` without cancellation for small ``|z|``."""
    half_sin = math.sin(0.5 * z.imag)
    return complex(math.expm1(z.real) * math.cos(z.imag) - 2.0 * half_sin * half_sin,
                   math.exp(z.real) * math.sin(z.imag))


@njit
def _direction(
    dbeta: complex, dxi: float, T: float, xi: float, s: complex, beta: complex, inv_d: complex,
    plus: bool, P: complex, inv_P: complex, M: complex, B: complex, g: complex, e: complex,
    em: complex, inv_1ge: complex, inv_1g: complex, Y: complex, inv_1y: complex, n_ser: complex,
) -> tuple[complex, complex]:
    """Derivatives ``(dA, dD)`` of :func:`_log_cf`'s ``A`` and ``D`` along ``(dbeta, dxi)``."""
    dd = (beta * dbeta + xi * s * dxi) * inv_d
    if plus:
        dP = dbeta + dd
        dg = -2.0 * (xi * s * dxi * inv_P + g * dP) * inv_P
    else:  # M = beta - d is the large root: differentiate it and get P = -xi^2 s / M
        dm_m = (dbeta - dd) / M
        dP = P * (2.0 * dxi / xi - dm_m)
        dg = 2.0 * g * (dm_m - dxi / xi)
    dB = s * dP * inv_P * inv_P
    dem = e * T * dd  # d(1 - e)
    dnum = dB * em + B * dem  # d(B (1 - e))
    dD = (dnum + B * em * (dg * e - g * dem) * inv_1ge) * inv_1ge
    dY = dnum * inv_P * inv_1g + Y * (dg * inv_1g - dP * inv_P)
    # d(log1p(y)/xi^2) = dY/(1+y) + 2 Y (dxi/xi) (1/(1+y) - L(y)), and 1/(1+y) - L = xi^2 Y N.
    dYL = dY * inv_1y + 2.0 * Y * Y * xi * n_ser * dxi
    return dB * T - 2.0 * dYL, dD


@njit
def _log_cf(
    c: complex, T: float, v0: float, kappa: float, theta: float, xi: float, rho: float,
    want_jac: bool,
) -> tuple[complex, complex, complex, complex, complex, complex]:
    """``log E[exp(c X_T)]`` and, if ``want_jac``, its derivatives by (v0, kappa, theta, xi, rho).

    Derivatives are zero when not wanted.
    """
    s = c - c * c
    xi2 = xi * xi
    beta = kappa - rho * xi * c
    d = cmath.sqrt(beta * beta + xi2 * s)
    bp = beta + d
    bm = beta - d
    plus = abs(bp) >= abs(bm)
    if plus:
        P = bp
        inv_P = 1.0 / P
        M = -xi2 * s * inv_P
    else:
        M = bm
        P = -xi2 * s / M
        inv_P = 1.0 / P
    B = -s * inv_P
    g = M * inv_P
    e = cmath.exp(-d * T)
    em = -_expm1c(-d * T)  # 1 - e
    inv_1ge = 1.0 / (1.0 - g * e)
    inv_1g = 1.0 / (1.0 - g)
    D = B * em * inv_1ge
    Y = B * em * inv_P * inv_1g
    y = xi2 * Y
    ell, n_ser = _log1p_ratio(y)
    A = B * T - 2.0 * Y * ell
    kt = kappa * theta
    lphi = kt * A + v0 * D
    zero = 0j
    if not want_jac:
        return lphi, zero, zero, zero, zero, zero
    inv_d = 1.0 / d
    inv_1y = 1.0 / (1.0 + y)
    # Directional derivatives along kappa (dbeta=1), xi (dbeta=-rho c, dxi=1), rho (dbeta=-xi c).
    da_k, dd_k = _direction(1.0 + 0j, 0.0, T, xi, s, beta, inv_d, plus, P, inv_P, M, B, g, e,
                            em, inv_1ge, inv_1g, Y, inv_1y, n_ser)
    da_x, dd_x = _direction(-rho * c, 1.0, T, xi, s, beta, inv_d, plus, P, inv_P, M, B, g, e,
                            em, inv_1ge, inv_1g, Y, inv_1y, n_ser)
    da_r, dd_r = _direction(-xi * c, 0.0, T, xi, s, beta, inv_d, plus, P, inv_P, M, B, g, e,
                            em, inv_1ge, inv_1g, Y, inv_1y, n_ser)
    j_kappa = kt * da_k + theta * A + v0 * dd_k
    j_theta = kappa * A
    j_xi = kt * da_x + v0 * dd_x
    j_rho = kt * da_r + v0 * dd_r
    return lphi, D, j_kappa, j_theta, j_xi, j_rho


def log_cf(
    c: complex, T: float, v0: float, kappa: float, theta: float, xi: float, rho: float,
) -> complex:
    """``log E[exp(c ln(S_T/F))]`` under Heston (the compiled kernel, for tests and tools)."""
    return complex(_log_cf(complex(c), T, v0, kappa, theta, xi, rho, False)[0])


@njit
def _log_mgf(p: float, T: float, v0: float, kappa: float, theta: float, xi: float,
             rho: float) -> float:
    """``log E[(S_T/F)^p]`` for real ``p``, or NaN unless safely below the moment explosion.

    The moment is finite for every ``T`` when ``d^2 >= 0`` and ``beta > 0``; when ``d^2 < 0`` it
    explodes at ``T* = (2/delta)(pi/2 + atan(beta/delta))`` (Andersen & Piterbarg 2007), and we
    use it only for ``T < T*/2``. The case ``d^2 >= 0, beta <= 0`` (finite explosion time too) is
    skipped.
    """
    beta = kappa - rho * xi * p
    disc = beta * beta - xi * xi * p * (p - 1.0)
    if disc >= 0.0:
        if beta <= 0.0:
            return math.nan
    else:
        delta = math.sqrt(-disc)
        t_star = (2.0 / delta) * (0.5 * math.pi + math.atan(beta / delta))
        if t_star <= 2.0 * T:
            return math.nan
    return _log_cf(complex(p, 0.0), T, v0, kappa, theta, xi, rho, False)[0].real


@njit
def _negligible_range(T: float, v0: float, kappa: float, theta: float, xi: float, rho: float,
                      ln_tol: float) -> tuple[float, float]:
    """Log-moneyness range ``(x_lo, x_hi)`` outside which out-of-the-money prices are negligible.

    Out-of-the-money values are below ``tol`` (in units of ``DF F``) for calls with
    ``x = ln(F/K) < x_lo`` and for puts with ``x > x_hi``.

    Moment (Markov) bounds: ``C/(DF F) <= c_p exp((p-1) x) E[(S_T/F)^p]`` for ``p > 1`` with
    ``c_p = (p-1)^(p-1) / p^p``, and ``P/(DF F) <= c'_m exp(-(1+m) x) E[(S_T/F)^-m]`` for
    ``m > 0`` with ``c'_m = m^m / (m+1)^(m+1)``, minimised over a geometric grid of orders.
    """
    x_lo = -_INF
    q = 0.125
    worse = 0
    while q < 1e15:
        p = 1.0 + q
        lm = _log_mgf(p, T, v0, kappa, theta, xi, rho)
        if not math.isfinite(lm):
            break
        lc = q * math.log1p(-1.0 / p) - math.log(p)
        cut = (ln_tol - lc - lm) / q
        if cut > x_lo:
            x_lo = cut
            worse = 0
        else:
            worse += 1
            if worse >= 4:
                break
        q *= 1.4142135623730951
    x_hi = _INF
    m = 0.125
    worse = 0
    while m < 1e15:
        lm = _log_mgf(-m, T, v0, kappa, theta, xi, rho)
        if not math.isfinite(lm):
            break
        lc = -m * math.log1p(1.0 / m) - math.log1p(m)
        cut = (lc + lm - ln_tol) / (1.0 + m)
        if cut < x_hi:
            x_hi = cut
            worse = 0
        else:
            worse += 1
            if worse >= 4:
                break
        m *= 1.4142135623730951
    return x_lo, x_hi


@njit
def _truncation(T: float, v0: float, kappa: float, theta: float, xi: float, rho: float,
                ln_pref: float, ln_tol: float) -> tuple[float, float]:
    """Upper limit ``U`` of the Lewis integral and the largest phase slope of ``phi`` below it.

    The tail beyond ``U`` is at most ``exp(ln_pref) |phi(U)| / U`` while ``|phi|`` decreases;
    ``U`` is the first point of a geometric grid (ratio 1.25) where this bound and the next
    are below ``tol``. ``|phi| <= 1`` on the Lewis line, so ``U <= exp(ln_pref) / tol`` always.
    """
    u_cap = math.exp(ln_pref - ln_tol)
    u = 0.25
    prev_im = _log_cf(complex(0.5, u), T, v0, kappa, theta, xi, rho, False)[0].imag
    slope = 0.0
    first_ok = -1.0
    while u < u_cap:
        u_next = 1.25 * u
        lp = _log_cf(complex(0.5, u_next), T, v0, kappa, theta, xi, rho, False)[0]
        slope = max(slope, abs(lp.imag - prev_im) / (u_next - u))
        prev_im = lp.imag
        if ln_pref + lp.real - math.log(u_next) < ln_tol:
            if first_ok > 0.0:
                return first_ok, slope
            first_ok = u_next
        else:
            first_ok = -1.0
        u = u_next
    return min(u, u_cap), slope


@njit
def _store_gradient(c_re: FloatArray, c_im: FloatArray, k: int, wphi: complex, j0: complex,
                    j1: complex, j2: complex, j3: complex, j4: complex) -> None:
    """Row ``k``, columns 1-5, of the node weights: ``wphi`` times each log-derivative."""
    t = wphi * j0
    c_re[k, 1], c_im[k, 1] = t.real, t.imag
    t = wphi * j1
    c_re[k, 2], c_im[k, 2] = t.real, t.imag
    t = wphi * j2
    c_re[k, 3], c_im[k, 3] = t.real, t.imag
    t = wphi * j3
    c_re[k, 4], c_im[k, 4] = t.real, t.imag
    t = wphi * j4
    c_re[k, 5], c_im[k, 5] = t.real, t.imag


@njit
def _panel_width(a: float, h0: float, h_max: float) -> float:
    """Width of the panel starting at ``a``: ``h0, h0, 2 h0, 4 h0, ...`` up to ``h_max``."""
    return min(max(h0, a), h_max)


@njit
def lewis_integrals(
    t_unique: FloatArray, start: np.ndarray, x: FloatArray, v0: float, kappa: float,
    theta: float, xi: float, rho: float, gl_x: FloatArray, gl_w: FloatArray, tol: float,
    osc: float, max_panels: int, want_jac: bool, out: FloatArray, jac: FloatArray,
) -> int:
    """Normalised Heston call values ``C / (DF F)`` (and their parameter gradients).

    Options are grouped by expiry: those of ``t_unique[e]`` are ``start[e]:start[e+1]`` of ``x``
    (``ln(F/K)``). Per expiry the characteristic function is evaluated once on a composite
    Gauss-Legendre grid on ``[0, U]`` shared by all strikes. Panel widths are powers of two:
    ``h0, h0, 2 h0, 4 h0, ...`` (geometric away from the pole of ``1/(u^2 + 1/4)`` at ``i/2``)
    up to ``H``, the largest power of two at most ``osc / omega``, ``omega`` being the highest
    frequency of the integrand (largest ``|x|`` plus phase slope of ``phi``); ``h0 = min(1, H)``.
    With power-of-two widths the phase factors ``exp(iux)`` of a strike need only
    ``len(gl_x) + 1`` sine/cosine pairs: later panels follow by squaring (when the width
    doubles, re-evaluated after 8 squarings) and by one complex product per node.

    Options whose out-of-the-money side is provably below ``tol`` get the forward intrinsic
    value and a zero gradient. Results are clipped to the no-arbitrage band
    ``[max(0, 1 - K/F), 1]``. ``jac`` is ``(n, 5)``, columns (v0, kappa, theta, xi, rho).

    Returns the total number of quadrature nodes used, or ``-(e + 1)`` if expiry ``e`` would need
    more than ``max_panels`` panels (a variance far too small for the strikes' moneyness range;
    the outputs are then incomplete). ``v0 = theta = 0`` is exact: the forward intrinsic value.
    """
    ln_tol = math.log(tol)
    n_gl = gl_x.shape[0]
    n_nodes_total = 0
    n_cols = 6 if want_jac else 1
    phase = np.empty(n_gl, dtype=np.complex128)
    acc = np.empty(n_cols)
    for ex in range(t_unique.shape[0]):
        T = t_unique[ex]
        i0 = start[ex]
        i1 = start[ex + 1]
        if v0 == 0.0 and theta == 0.0:  # variance stays 0: S_T = F
            x_lo = x_hi = _INF
        else:
            x_lo, x_hi = _negligible_range(T, v0, kappa, theta, xi, rho, ln_tol)
        n_act = 0
        x_min = _INF
        x_abs = 0.0
        for i in range(i0, i1):
            xi_ = x[i]
            if xi_ < x_lo or xi_ > x_hi:
                out[i] = max(0.0, -math.expm1(-xi_))
                if want_jac:
                    for k in range(5):
                        jac[i, k] = 0.0
            else:
                n_act += 1
                x_min = min(x_min, xi_)
                x_abs = max(x_abs, abs(xi_))
        if n_act == 0:
            continue
        ln_pref = -0.5 * x_min - math.log(math.pi)
        u_max, slope = _truncation(T, v0, kappa, theta, xi, rho, ln_pref, ln_tol)
        omega = x_abs + slope
        # omega can underflow (a subnormal rho): then osc / omega is inf, whose floor is no int
        ratio = osc / omega if omega > 0.0 else math.inf
        h_max = 2.0 ** math.floor(math.log2(ratio)) if ratio < 2.0 ** 60 else 2.0 ** 60
        h0 = min(1.0, h_max)
        n_pan = 0
        a = 0.0
        while a < u_max:
            a += _panel_width(a, h0, h_max)
            n_pan += 1
            if n_pan > max_panels:
                return -(ex + 1)
        n_nodes = n_pan * n_gl
        n_nodes_total += n_nodes
        c_re = np.empty((n_nodes, n_cols))
        c_im = np.empty((n_nodes, n_cols))
        a = 0.0
        k = 0
        for _ in range(n_pan):
            width = _panel_width(a, h0, h_max)
            for j in range(n_gl):
                u = a + width * gl_x[j]
                lp, j0, j1, j2, j3, j4 = _log_cf(complex(0.5, u), T, v0, kappa, theta, xi, rho,
                                                 want_jac)
                wphi = (width * gl_w[j] / (u * u + 0.25)) * cmath.exp(lp)
                c_re[k, 0] = wphi.real
                c_im[k, 0] = wphi.imag
                if want_jac:
                    _store_gradient(c_re, c_im, k, wphi, j0, j1, j2, j3, j4)
                k += 1
            a += width
        for i in range(i0, i1):
            xi_ = x[i]
            if xi_ < x_lo or xi_ > x_hi:
                continue
            for m in range(n_cols):
                acc[m] = 0.0
            width = h0
            for j in range(n_gl):
                phase[j] = cmath.exp(complex(0.0, width * gl_x[j] * xi_))
            step = cmath.exp(complex(0.0, width * xi_))  # exp(i width x)
            offset = 1.0 + 0j  # exp(i a x)
            squarings = 0
            a = 0.0
            k = 0
            for _ in range(n_pan):
                new_width = _panel_width(a, h0, h_max)
                if new_width != width:  # doubled
                    width = new_width
                    squarings += 1
                    if squarings == 8:
                        squarings = 0
                        for j in range(n_gl):
                            phase[j] = cmath.exp(complex(0.0, width * gl_x[j] * xi_))
                        step = cmath.exp(complex(0.0, width * xi_))
                    else:
                        for j in range(n_gl):
                            phase[j] = phase[j] * phase[j]
                        step = step * step
                for j in range(n_gl):
                    ph = offset * phase[j]
                    pr = ph.real
                    pi = ph.imag
                    for m in range(n_cols):
                        acc[m] += pr * c_re[k, m] - pi * c_im[k, m]
                    k += 1
                offset = offset * step
                a += width
            pref = math.exp(-0.5 * xi_) / math.pi
            lower = max(0.0, -math.expm1(-xi_))
            val = 1.0 - pref * acc[0]
            clipped = val <= lower or val >= 1.0
            out[i] = min(max(val, lower), 1.0)
            if want_jac:
                for m in range(5):
                    jac[i, m] = 0.0 if clipped else -pref * acc[m + 1]
    return n_nodes_total
