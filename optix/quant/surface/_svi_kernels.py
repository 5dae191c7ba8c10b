"""Compiled core of the quasi-explicit SVI calibration (Zeliade 2009).

For fixed ``(m, sig)`` put ``y = (k - m)/sig``, ``z = sqrt(y**2 + 1)``. Raw SVI is then linear:
``w = a + u (z + y)/2 + v (z - y)/2`` with ``u = b sig (1 + rho)`` and ``v = b sig (1 - rho)``.
The constraints are ``0 <= u, v <= 2 sig`` (``b (1 + |rho|) <= 2``, Lee's moment bound) and a
non-negative minimum variance ``a + sqrt(u v) >= 0`` (``a + b sig sqrt(1 - rho**2) >= 0``).
That is a convex problem in ``(a, u, v)``: :func:`svi_inner` solves it exactly, first over the
box (every active set of the two bounded variables, best feasible one) and, if the box optimum
breaks the variance constraint, on that constraint's surface ``a = -sqrt(u v)``, where the
model is ``c (rho y + z - sqrt(1 - rho**2))`` with ``c = b sig``: linear in ``c`` for fixed
``rho``, a 1-D search in ``rho`` (grid, then golden section).

:func:`svi_search` is the outer search over ``(m, ln sig)`` (grid, then Nelder-Mead) on
:func:`svi_objective`, the inner fit's error plus an optional arbitrage penalty, all compiled so
a slice calibrates in about a millisecond.
"""

from __future__ import annotations

import math

import numpy as np

from optix.core.arrays import FloatArray
from optix.quant._jit import njit

__all__ = ["RHO_LIMIT", "svi_inner", "svi_objective", "svi_search"]

RHO_LIMIT = 1.0 - 1e-9
"""Largest ``|rho|`` reported: ``SviParams`` needs ``|rho| < 1``."""
_RHO_MAX = 0.999999
_GOLDEN = 0.6180339887498949


@njit
def _boundary_fit(
    k: FloatArray, w: FloatArray, wt: FloatArray, m: float, sig: float, rho: float
) -> tuple[float, float]:
    """Best ``c`` for fixed ``rho`` on ``a = -c sqrt(1 - rho**2)`` and its weighted SSE."""
    root = math.sqrt(1.0 - rho * rho)
    sgw = 0.0
    sgg = 0.0
    for i in range(k.shape[0]):
        y = (k[i] - m) / sig
        g = rho * y + math.sqrt(y * y + 1.0) - root
        sgw += wt[i] * g * w[i]
        sgg += wt[i] * g * g
    c = sgw / sgg if sgg > 0.0 else 0.0
    c = min(max(c, 0.0), 2.0 * sig / (1.0 + abs(rho)))
    sse = 0.0
    for i in range(k.shape[0]):
        y = (k[i] - m) / sig
        r = c * (rho * y + math.sqrt(y * y + 1.0) - root) - w[i]
        sse += wt[i] * r * r
    return sse, c


@njit
def svi_inner(
    k: FloatArray, w: FloatArray, wt: FloatArray, m: float, sig: float
) -> tuple[float, float, float, float]:
    """Exact constrained least squares of ``(a, c = b sig, rho)`` for fixed ``(m, sig)``.

    Returns
    -------
    (sse, a, c, rho)
        Weighted sum of squared total-variance residuals and the optimal linear parameters.
    """
    n = k.shape[0]
    f1 = np.empty(n)
    f2 = np.empty(n)
    gm = np.zeros((3, 3))
    hv = np.zeros(3)
    for i in range(n):
        y = (k[i] - m) / sig
        z = math.sqrt(y * y + 1.0)
        f1[i] = 0.5 * (z + y)
        f2[i] = 0.5 * (z - y)
        row0, row1, row2 = 1.0, f1[i], f2[i]
        gm[0, 0] += wt[i]
        gm[0, 1] += wt[i] * row1
        gm[0, 2] += wt[i] * row2
        gm[1, 1] += wt[i] * row1 * row1
        gm[1, 2] += wt[i] * row1 * row2
        gm[2, 2] += wt[i] * row2 * row2
        hv[0] += wt[i] * row0 * w[i]
        hv[1] += wt[i] * row1 * w[i]
        hv[2] += wt[i] * row2 * w[i]
    gm[1, 0] = gm[0, 1]
    gm[2, 0] = gm[0, 2]
    gm[2, 1] = gm[1, 2]
    ub = 2.0 * sig
    best = np.inf
    ba = 0.0
    bu = 0.0
    bv = 0.0
    amat = np.empty((3, 3))
    rhs = np.empty(3)
    fixed_val = np.empty(3)
    free = np.ones(3, dtype=np.bool_)
    nd = gm.shape[0]  # 3, read at run time so the compiler does not unroll the loops
    for cu in range(nd):  # 0: u free, 1: u = 0, 2: u = 2 sig
        for cv in range(nd):
            free[1] = cu == 0
            free[2] = cv == 0
            fixed_val[0] = 0.0
            fixed_val[1] = 0.0 if cu == 1 else ub
            fixed_val[2] = 0.0 if cv == 1 else ub
            for r in range(nd):
                if free[r]:
                    rhs[r] = hv[r]
                    for c in range(nd):
                        if free[c]:
                            amat[r, c] = gm[r, c]
                        else:
                            amat[r, c] = 0.0
                            rhs[r] -= gm[r, c] * fixed_val[c]
                else:
                    for c in range(nd):
                        amat[r, c] = 0.0
                    amat[r, r] = 1.0
                    rhs[r] = fixed_val[r]
            # Gaussian elimination with partial pivoting on the 3x3 system.
            singular = False
            for p in range(nd):
                piv = p
                for r in range(p + 1, nd):
                    if abs(amat[r, p]) > abs(amat[piv, p]):
                        piv = r
                if abs(amat[piv, p]) <= 1e-300:
                    singular = True
                    break
                if piv != p:
                    for c in range(nd):
                        amat[p, c], amat[piv, c] = amat[piv, c], amat[p, c]
                    rhs[p], rhs[piv] = rhs[piv], rhs[p]
                for r in range(p + 1, nd):
                    f = amat[r, p] / amat[p, p]
                    for c in range(p, nd):
                        amat[r, c] -= f * amat[p, c]
                    rhs[r] -= f * rhs[p]
            if singular:
                continue
            x2 = rhs[2] / amat[2, 2]
            x1 = (rhs[1] - amat[1, 2] * x2) / amat[1, 1]
            x0 = (rhs[0] - amat[0, 1] * x1 - amat[0, 2] * x2) / amat[0, 0]
            tol = 1e-12 * ub
            if x1 < -tol or x1 > ub + tol or x2 < -tol or x2 > ub + tol:
                continue
            x1 = min(max(x1, 0.0), ub)
            x2 = min(max(x2, 0.0), ub)
            # SSE up to the constant sum(wt w^2), from the normal equations: x'Gx - 2h'x.
            q = (gm[0, 0] * x0 * x0 + gm[1, 1] * x1 * x1 + gm[2, 2] * x2 * x2
                 + 2.0 * (gm[0, 1] * x0 * x1 + gm[0, 2] * x0 * x2 + gm[1, 2] * x1 * x2)
                 - 2.0 * (hv[0] * x0 + hv[1] * x1 + hv[2] * x2))
            if q < best:
                best, ba, bu, bv = q, x0, x1, x2
    best = 0.0  # the exact SSE of the chosen candidate, without cancellation
    for i in range(n):
        res = ba + bu * f1[i] + bv * f2[i] - w[i]
        best += wt[i] * res * res
    if ba + math.sqrt(bu * bv) >= 0.0 and bu + bv > 0.0:
        return best, ba, 0.5 * (bu + bv), (bu - bv) / (bu + bv)
    if ba >= 0.0:  # u = v = 0: a flat smile
        return best, ba, 0.0, 0.0
    # The optimum lies on a = -sqrt(u v): search rho on a grid, then golden section.
    ngrid = 41
    best = np.inf
    brho = 0.0
    bc = 0.0
    step = 2.0 * _RHO_MAX / (ngrid - 1)
    for j in range(ngrid):
        rho = -_RHO_MAX + j * step
        sse, cval = _boundary_fit(k, w, wt, m, sig, rho)
        if sse < best:
            best, brho, bc = sse, rho, cval
    lo = max(brho - step, -_RHO_MAX)
    hi = min(brho + step, _RHO_MAX)
    x1 = hi - _GOLDEN * (hi - lo)
    x2 = lo + _GOLDEN * (hi - lo)
    s1, c1 = _boundary_fit(k, w, wt, m, sig, x1)
    s2, c2 = _boundary_fit(k, w, wt, m, sig, x2)
    for _ in range(60):
        if s1 < s2:
            hi, x2, s2, c2 = x2, x1, s1, c1
            x1 = hi - _GOLDEN * (hi - lo)
            s1, c1 = _boundary_fit(k, w, wt, m, sig, x1)
        else:
            lo, x1, s1, c1 = x1, x2, s2, c2
            x2 = lo + _GOLDEN * (hi - lo)
            s2, c2 = _boundary_fit(k, w, wt, m, sig, x2)
    if s1 < best:
        best, brho, bc = s1, x1, c1
    if s2 < best:
        best, brho, bc = s2, x2, c2
    return best, -bc * math.sqrt(1.0 - brho * brho), bc, brho


@njit
def svi_objective(
    k: FloatArray, w: FloatArray, wt: FloatArray, m: float, sig: float, scale: float,
    grid: FloatArray, floor_w: FloatArray, floor_margin: float, w_ref: float, g_margin: float,
    mu: float,
) -> float:
    """Outer objective at ``(m, sig)``: the exact inner fit's SSE over ``scale``, plus penalty.

    With ``mu > 0``, ``mu`` times the inner smile's squared arbitrage shortfalls on ``grid``
    is added. The shortfalls are ``max(g_margin - g(k_j), 0)`` (butterfly) and, when
    ``floor_w`` is not empty, ``max(floor_w_j + floor_margin - w(k_j), 0) / w_ref``
    (calendar).
    """
    sse, a, c, rho = svi_inner(k, w, wt, m, sig)
    f = sse / scale
    if mu <= 0.0:
        return f
    rho = min(max(rho, -RHO_LIMIT), RHO_LIMIT)
    b = c / sig
    a = max(a, -b * sig * math.sqrt(1.0 - rho * rho))
    use_floor = floor_w.shape[0] == grid.shape[0]
    pen = 0.0
    for j in range(grid.shape[0]):
        x = grid[j] - m
        root = math.sqrt(x * x + sig * sig)
        wj = a + b * (rho * x + root)
        if wj > 0.0:
            w1 = b * (rho + x / root)
            w2 = b * sig * sig / (root * root * root)
            t = 1.0 - grid[j] * w1 / (2.0 * wj)
            g = t * t - 0.25 * w1 * w1 * (1.0 / wj + 0.25) + 0.5 * w2
        else:
            g = -1.0
        short = g_margin - g
        if short > 0.0:
            pen += short * short
        if use_floor:
            under = (floor_w[j] + floor_margin - wj) / w_ref
            if under > 0.0:
                pen += under * under
    return f + mu * pen


@njit
def svi_search(
    k: FloatArray, w: FloatArray, wt: FloatArray, grid: FloatArray, floor_w: FloatArray,
    floor_margin: float, g_margin: float, mu: float, m_starts: FloatArray,
    ls_starts: FloatArray, bounds: FloatArray, steps: FloatArray, n_starts: int,
) -> tuple[float, float, float]:
    """Minimize :func:`svi_objective` over ``(m, ln sig)``.

    Every ``(m_starts[i], ls_starts[j])`` pair is evaluated; bounded Nelder-Mead (reflection 1,
    expansion 2, contraction 1/2, shrink 1/2; proposals clipped to ``bounds`` =
    ``[m_lo, m_hi, ls_lo, ls_hi]``) runs from the ``n_starts`` best, with initial steps
    ``steps``, until the simplex is within 1e-10 in both coordinates and 1e-16 in value
    (or 4000 iterations). Returns ``(m, ln sig, objective)`` of the best end point.
    """
    scale = 0.0
    for i in range(k.shape[0]):
        scale += wt[i] * w[i] * w[i]
    w_ref = math.sqrt(scale / np.sum(wt))
    nm, ns = m_starts.shape[0], ls_starts.shape[0]
    fs = np.empty(nm * ns)
    for i in range(nm):
        for j in range(ns):
            fs[i * ns + j] = svi_objective(k, w, wt, m_starts[i], math.exp(ls_starts[j]), scale,
                                           grid, floor_w, floor_margin, w_ref, g_margin, mu)
    order = np.empty(nm * ns, dtype=np.int64)
    for i in range(nm * ns):  # rank by value (insertion sort; the grid is small)
        j = i
        while j > 0 and fs[order[j - 1]] > fs[i]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i
    best_f, best_m, best_ls = np.inf, 0.0, 0.0
    xs = np.empty((3, 2))
    fv = np.empty(3)
    for s in range(min(n_starts, nm * ns)):
        i0 = order[s]
        xs[0, 0], xs[0, 1] = m_starts[i0 // ns], ls_starts[i0 % ns]
        xs[1, 0], xs[1, 1] = xs[0, 0] + steps[0], xs[0, 1]
        xs[2, 0], xs[2, 1] = xs[0, 0], xs[0, 1] + steps[1]
        for v in range(3):
            xs[v, 0] = min(max(xs[v, 0], bounds[0]), bounds[1])
            xs[v, 1] = min(max(xs[v, 1], bounds[2]), bounds[3])
            fv[v] = svi_objective(k, w, wt, xs[v, 0], math.exp(xs[v, 1]), scale, grid, floor_w,
                                  floor_margin, w_ref, g_margin, mu)
        for _ in range(4000):
            for v in (1, 2):  # insertion sort of three vertices by value
                u = v
                while u > 0 and fv[u] < fv[u - 1]:
                    fv[u], fv[u - 1] = fv[u - 1], fv[u]
                    for d in range(2):
                        xs[u, d], xs[u - 1, d] = xs[u - 1, d], xs[u, d]
                    u -= 1
            size = max(abs(xs[1, 0] - xs[0, 0]), abs(xs[2, 0] - xs[0, 0]),
                       abs(xs[1, 1] - xs[0, 1]), abs(xs[2, 1] - xs[0, 1]))
            if size <= 1e-10 and fv[2] - fv[0] <= 1e-16:
                break
            c0 = 0.5 * (xs[0, 0] + xs[1, 0])
            c1 = 0.5 * (xs[0, 1] + xs[1, 1])
            d0, d1 = c0 - xs[2, 0], c1 - xs[2, 1]
            xr0 = min(max(c0 + d0, bounds[0]), bounds[1])
            xr1 = min(max(c1 + d1, bounds[2]), bounds[3])
            fr = svi_objective(k, w, wt, xr0, math.exp(xr1), scale, grid, floor_w,
                               floor_margin, w_ref, g_margin, mu)
            shrink = False
            if fr < fv[0]:  # expand
                xe0 = min(max(c0 + 2.0 * d0, bounds[0]), bounds[1])
                xe1 = min(max(c1 + 2.0 * d1, bounds[2]), bounds[3])
                fe = svi_objective(k, w, wt, xe0, math.exp(xe1), scale, grid, floor_w,
                                   floor_margin, w_ref, g_margin, mu)
                if fe < fr:
                    xr0, xr1, fr = xe0, xe1, fe
            elif fr >= fv[1]:  # contract, outside if the reflection helped at all
                coef = 0.5 if fr < fv[2] else -0.5
                xc0 = min(max(c0 + coef * d0, bounds[0]), bounds[1])
                xc1 = min(max(c1 + coef * d1, bounds[2]), bounds[3])
                fc = svi_objective(k, w, wt, xc0, math.exp(xc1), scale, grid, floor_w,
                                   floor_margin, w_ref, g_margin, mu)
                if fc < min(fr, fv[2]):
                    xr0, xr1, fr = xc0, xc1, fc
                else:
                    shrink = True
            if shrink:  # towards the best vertex
                for v in (1, 2):
                    xs[v, 0] = xs[0, 0] + 0.5 * (xs[v, 0] - xs[0, 0])
                    xs[v, 1] = xs[0, 1] + 0.5 * (xs[v, 1] - xs[0, 1])
                    fv[v] = svi_objective(k, w, wt, xs[v, 0], math.exp(xs[v, 1]), scale, grid,
                                          floor_w, floor_margin, w_ref, g_margin, mu)
            else:
                xs[2, 0], xs[2, 1], fv[2] = xr0, xr1, fr
        if fv[0] < best_f:
            best_f, best_m, best_ls = fv[0], xs[0, 0], xs[0, 1]
    return best_m, best_ls, best_f
