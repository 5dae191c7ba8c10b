"""American put by the fixed-point method of Andersen, Lake and Offengenden (compiled kernel).

L. Andersen, M. Lake and D. Offengenden, "High-performance American option pricing", Journal of
Computational Finance 20 (2016) 39-87; the structure follows QuantLib's ``QdFpAmericanEngine``
(K. Spanderen, 2022). For a put with rate ``r``, yield ``q`` and a single exercise boundary
``B(tau)`` (``tau`` = time to expiry):

1. **Initial boundary** from Li's (2005) QD+ approximation, solved by Halley's method at the
   ``n + 1`` Chebyshev extrema of ``sqrt(tau)`` on ``[0, sqrt(T)]``.
2. **Boundary representation**: ``H(sqrt(tau)) = ln(B(tau) / X)^2`` (``X = K min(1, r/q)``, the
   boundary at expiry) is interpolated by the Chebyshev polynomial through those nodes; ``H``
   is smooth in ``sqrt(tau)`` where ``B`` itself has a ``sqrt(tau ln tau)`` singularity.
3. **Fixed point** ``B = K e^{-(r-q) tau} N(tau, B) / D(tau, B)``: ALO's "FP-B" density form
   (QuantLib's ``FP_A``), which contracts fastest, when ``2 r / sigma^2 < 5``; otherwise the
   distribution form "FP-A" (QuantLib's ``FP_B``), because the density form diverges for large
   rates against the variance. A Jacobi-Newton first step, then plain steps until the last
   one moved the premium, to first order, by less than ``tolerance * K``: converged options
   stop after one or two steps, slow long-dated ones take more.
4. **Price** = European put + early-exercise premium
   ``int_0^T [r K e^{-rt} N(-d_-) - q S e^{-qt} N(-d_+)] dt`` against ``B(T - t)``.

Every integral uses Gauss-Legendre on ``u = tau sin^2(theta)``: both ``sqrt(u)`` (where the
boundary is singular) and ``sqrt(tau - u)`` (where the kernels are) are then analytic in
``theta``, so the quadrature converges spectrally; the plain ``u`` or ``sqrt(u)`` maps converge
only algebraically (QuantLib's 7-point fast scheme errs by 6e-3 on long-dated deep
in-the-money puts, this one by about 3e-5 with 7 points). Interpolation weights at the fixed
quadrature abscissae are precomputed, so the boundary at all quadrature points is one
matrix-vector product.

The per-point work of each pass (interpolation, ``d+``, two exponentials, the normal
distribution from its density) runs as loops over all quadrature points that the compiler
vectorizes: the exponentials use an in-module Cody-Waite/Taylor ``exp`` (relative error below 5e-16)
instead of libm's scalar call, the distribution Hart's rational Mills ratio. Only the QD+ start
and the per-node fixed-point update remain scalar.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.polynomial.legendre import leggauss

from optix.core.arrays import FloatArray
from optix.quant._jit import njit
from optix.quant._special import INV_SQRT_2PI, SQRT_2PI, norm_cdf, norm_cdf_given_pdf

__all__ = ["QdFpScheme", "SchemeTables", "qdfp_put", "scheme_tables"]


@dataclass(frozen=True)
class QdFpScheme:
    """Discretization of the QD+ fixed-point method.

    The defaults (8 nodes, 7 and 24 quadrature points, tolerance 1e-6) keep the price within
    1e-4 of the converged value on the benchmark domain (K/S 0.6-1.6, one day to three years,
    r, q 0-10 %, vol 5-80 %; ``benchmarks/quant_american.py`` prints the measured worst error
    and time per option); :meth:`accurate` converges further, :meth:`fast` trades accuracy
    (~1e-3) for speed.

    Attributes
    ----------
    nodes : int
        Chebyshev polynomial degree ``n`` of the boundary (``n + 1`` nodes, one at expiry).
    fixed_point_order : int
        Gauss-Legendre points per fixed-point integral (per node and iteration).
    price_order : int
        Gauss-Legendre points of the early-exercise premium integral.
    max_iterations : int
        Fixed-point iterations at most (the first is a Jacobi-Newton step).
    tolerance : float
        Stop iterating when the last step moved the premium by less than ``tolerance * K``,
        to first order: ``max |d ln B|`` times the premium's sensitivity to ``ln B``.
    """

    nodes: int = 8
    fixed_point_order: int = 7
    price_order: int = 24
    max_iterations: int = 12
    tolerance: float = 1e-6

    def __post_init__(self) -> None:
        if not 2 <= self.nodes <= 64:
            raise ValueError(f"nodes must be in [2, 64], got {self.nodes}")
        if not 2 <= self.fixed_point_order <= 128:
            raise ValueError(f"fixed_point_order must be in [2, 128], got {self.fixed_point_order}")
        if not 2 <= self.price_order <= 256:
            raise ValueError(f"price_order must be in [2, 256], got {self.price_order}")
        if not 1 <= self.max_iterations <= 100:
            raise ValueError(f"max_iterations must be in [1, 100], got {self.max_iterations}")
        if not (self.tolerance >= 0.0 and math.isfinite(self.tolerance)):
            raise ValueError(f"tolerance must be finite and >= 0, got {self.tolerance}")

    @classmethod
    def fast(cls) -> QdFpScheme:
        """About twice as fast: 1e-3 worst case (long-dated deep options), 8e-5 at p99."""
        return cls(nodes=6, fixed_point_order=5, price_order=16, max_iterations=4,
                   tolerance=1e-5)

    @classmethod
    def accurate(cls) -> QdFpScheme:
        """About 1e-7 from the converged price: a reference, some 20 times slower."""
        return cls(nodes=24, fixed_point_order=24, price_order=64, max_iterations=40,
                   tolerance=1e-11)


def _lagrange_weights(nodes: FloatArray, points: FloatArray) -> FloatArray:
    """Weights ``L[a, j]`` with ``p(points[a]) = sum_j L[a, j] p(nodes[j])`` (barycentric form)."""
    n = nodes.size - 1
    bary = np.array([(-1.0) ** j for j in range(n + 1)])
    bary[0] *= 0.5
    bary[-1] *= 0.5
    out = np.zeros((points.size, nodes.size))
    for a, z in enumerate(points):
        diff = z - nodes
        hit = np.flatnonzero(np.abs(diff) < 1e-14)
        if hit.size:
            out[a, hit[0]] = 1.0
        else:
            t = bary / diff
            out[a] = t / t.sum()
    return out


SchemeTables = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray,
                     FloatArray, FloatArray, FloatArray]
"""The nine constant arrays of a scheme, in the order the kernels take them."""


@functools.lru_cache(maxsize=8)
def scheme_tables(scheme: QdFpScheme) -> SchemeTables:
    """Constant arrays of a scheme: nodes, quadrature rules and interpolation weights.

    Returns ``(tau_frac, sn, cs, wt, lag, snp, csp, wtp, lagp)``: node times as fractions of
    ``T``; sine, cosine and weight of the fixed-point rule in ``theta``; its interpolation
    weights, flattened ``[j, node-1, point]`` (node value ``j`` outermost, so interpolating
    at every point is one vectorizable matrix-vector product); the same for the premium rule
    (``lagp`` is ``[j, point]``).
    """
    n = scheme.nodes
    z = -np.cos(np.pi * np.arange(n + 1) / n)  # Chebyshev extrema, ascending; z = 2 sqrt(tau/T) - 1
    tau_frac = 0.25 * (1.0 + z) ** 2
    x, w = leggauss(scheme.fixed_point_order)
    theta = 0.25 * np.pi * (1.0 + x)
    sn, cs, wt = np.sin(theta), np.cos(theta), 0.25 * np.pi * w
    # boundary at u = tau_i sin^2(theta): z(u) = 2 sqrt(u / T) - 1 = (1 + z_i) sin(theta) - 1
    pts = np.concatenate([(1.0 + z[i]) * sn - 1.0 for i in range(1, n + 1)])
    lag = _lagrange_weights(z, pts).T.ravel()
    xp, wp = leggauss(scheme.price_order)
    thp = 0.25 * np.pi * (1.0 + xp)
    snp, csp, wtp = np.sin(thp), np.cos(thp), 0.25 * np.pi * wp
    # premium at t = T sin^2(theta): the boundary is at tau = T - t = T cos^2, z = 2 cos - 1
    lagp = _lagrange_weights(z, 2.0 * csp - 1.0).T.ravel()
    tau_frac, sn, cs, wt, lag, snp, csp, wtp, lagp = (
        np.ascontiguousarray(a, dtype=np.float64)
        for a in (tau_frac, sn, cs, wt, lag, snp, csp, wtp, lagp))
    for a in (tau_frac, sn, cs, wt, lag, snp, csp, wtp, lagp):
        a.flags.writeable = False  # shared by every call through the cache
    return tau_frac, sn, cs, wt, lag, snp, csp, wtp, lagp


@njit
def _qdplus_boundary(K: float, r: float, q: float, sigma: float, tau: float, X: float,
                     guess: float, log_k: float) -> float:
    """Li's QD+ exercise boundary of a put at time to expiry ``tau`` (Halley's method).

    The boundary equation and its derivatives are QuantLib's ``QdPlusBoundaryEvaluator``,
    rewritten with ``k_r = r / (1 - e^{-r tau})`` so that ``r = 0`` is regular. Only a start
    for the fixed point: Halley stops after an unclipped step below 1e-6 of ``X``; the iterate
    stays inside ``(0, X]``.
    """
    s2 = sigma * sigma
    v = sigma * math.sqrt(tau)
    dr = math.exp(-r * tau)
    dq = math.exp(-q * tau)
    kr = 1.0 / tau if abs(r * tau) < 1e-12 else r / (-math.expm1(-r * tau))
    omega = 2.0 * (r - q) / s2
    root = math.sqrt((omega - 1.0) ** 2 + 8.0 * kr / s2)
    lam = 0.5 * (-(omega - 1.0) - root)
    den = 2.0 * lam + omega - 1.0
    a_r = 2.0 * dr / (s2 * den)  # QuantLib's alpha / r
    beta = a_r * kr + a_r * (2.0 * kr * kr / (s2 * root)) / den - lam
    c = a_r / dr
    log_kd = log_k - (r - q) * tau  # ln(K e^{-r tau} / e^{-q tau})
    x_min = 1e-10 * X
    x = min(max(guess, x_min), X)
    # loop invariants, so that an iteration divides only by x and f'
    inv_v = 1.0 / v
    inv_2tau = 0.5 / tau
    kdr = K * dr
    ratio = dq / kdr
    dq_v = dq * inv_v
    drift = (r - q) * inv_v
    for _ in range(16):
        dp = (math.log(x) - log_kd) * inv_v + 0.5 * v
        dm = dp - v
        phi = INV_SQRT_2PI * math.exp(-0.5 * dp * dp)
        n_dp = norm_cdf_given_pdf(-dp, phi)
        n_dm = norm_cdf_given_pdf(-dm, phi * x * ratio)  # K dr phi(d-) = x dq phi(d+)
        npv = kdr * n_dm - x * dq * n_dp
        theta = r * kdr * n_dm - q * x * dq * n_dp - 0.5 * s2 * x * dq_v * phi
        charm = -dq * (phi * (drift - dm * inv_2tau) + q * n_dp)
        ex_dp = 1.0 - dq * n_dp
        f = ex_dp * x - beta * (K - x - npv) + c * theta
        fp = ex_dp + dq_v * phi + beta * ex_dp + c * charm
        gamma = phi * dq_v / x
        colour = gamma * (q + drift * dp + (1.0 - dp * dm) * inv_2tau)
        fpp = gamma * (1.0 - dp * inv_v) + beta * gamma + c * colour
        if fp == 0.0 or not math.isfinite(f):
            break
        inv_fp = 1.0 / fp
        step = f * inv_fp
        denom = 1.0 - 0.5 * step * fpp * inv_fp
        if denom > 0.5:
            step /= denom
        x_new = x - step
        clipped = False
        if x_new <= x_min:
            x_new = 0.5 * (x + x_min)
            clipped = True
        elif x_new > X:
            x_new = 0.5 * (x + X)
            clipped = True
        done = not clipped and abs(x_new - x) <= 1e-6 * X
        x = x_new
        if done:
            break
    return x


_LN2_HI = 0.6931471803691238
_LN2_LO = 1.9082149292705877e-10
_INV_LN2 = 1.4426950408889634


@njit
def _exp_inplace(x: FloatArray, bits: npt.NDArray[np.int64]) -> None:
    """``x[a] = e^{x[a]}`` with arguments clipped to ``[-708, 708]``, relative error below 5e-16.

    Cody-Waite reduction ``x = k ln 2 + f``, ``|f| <= ln(2) / 2``, degree-12 Taylor polynomial,
    ``2^k`` assembled in ``bits`` (``int64``, at least ``x.size``). Unlike ``math.exp`` (a
    libm call) the loops vectorize, which is what the per-point work of the kernel needs.
    """
    m = x.size
    scale = bits[:m].view(np.float64)
    for a in range(m):
        xa = min(max(x[a], -708.0), 708.0)
        k = math.floor(xa * _INV_LN2 + 0.5)
        f = (xa - k * _LN2_HI) - k * _LN2_LO
        p = 2.08767569878681e-09
        p = p * f + 2.505210838544172e-08
        p = p * f + 2.755731922398589e-07
        p = p * f + 2.7557319223985893e-06
        p = p * f + 2.48015873015873e-05
        p = p * f + 1.984126984126984e-04
        p = p * f + 1.388888888888889e-03
        p = p * f + 8.333333333333333e-03
        p = p * f + 4.1666666666666664e-02
        p = p * f + 0.16666666666666666
        p = p * f + 0.5
        p = p * f + 1.0
        x[a] = p * f + 1.0
        bits[a] = (np.int64(k) + 1023) << 52
    for a in range(m):
        x[a] *= scale[a]


@njit
def _cdf_from_pdf(x: float, pdf: float) -> float:
    """``Phi(x)`` given ``phi(x)``: Hart's Mills-ratio form, branch-free (vectorizes).

    Within 2e-14 of ``Phi`` in absolute terms for every ``x`` (the rational form keeps the
    ``phi(x) / |x|`` asymptote, and ``phi`` is below 1e-11 where Hart's range ends); only the
    integrands use it, where absolute accuracy is what counts.
    """
    xa = abs(x)
    num = ((((((3.52624965998911e-02 * xa + 0.700383064443688) * xa + 6.37396220353165) * xa
             + 33.912866078383) * xa + 112.079291497871) * xa + 221.213596169931) * xa
           + 220.206867912376)
    den = (((((((8.83883476483184e-02 * xa + 1.75566716318264) * xa + 16.064177579207) * xa
              + 86.7807322029461) * xa + 296.564248779674) * xa + 637.333633378831) * xa
            + 793.826512519948) * xa + 440.413735824752)
    lower = pdf * SQRT_2PI * num / den
    return 1.0 - lower if x > 0.0 else lower


@njit
def _sqrt_h(h: float) -> float:
    """``ln(X / B)`` from an interpolated ``H``: ``sqrt``, clipped to ``[0, 700]``."""
    return min(math.sqrt(h), 700.0) if h > 0.0 else 0.0


@njit
def _interpolate(lag: FloatArray, H: FloatArray, out: FloatArray) -> None:
    """``out[a] = sum_j lag[j, a] H[j]`` (``lag`` flattened ``[j, a]``; ``H[0] = 0``).

    The loop over ``a`` is innermost so that it vectorizes without reassociating a sum.
    """
    m = out.size
    for a in range(m):
        out[a] = 0.0
    for j in range(1, H.size):
        h = H[j]
        row = lag[j * m:(j + 1) * m]  # a slice: indices in range(m) need no wraparound
        for a in range(m):
            out[a] += row[a] * h


@njit
def qdfp_put(S: float, K: float, T: float, r: float, q: float, sigma: float,
             max_iterations: int, tolerance: float, tau_frac: FloatArray, sn: FloatArray,
             cs: FloatArray, wt: FloatArray, lag: FloatArray, snp: FloatArray,
             csp: FloatArray, wtp: FloatArray, lagp: FloatArray) -> float:
    """American put, single-boundary regime (``r > 0``, or ``r = 0 > q``); ``T, sigma > 0``.

    The fixed point uses the density form (ALO's FP-B) when ``2 r / sigma^2 < 5`` and the
    distribution form (FP-A) otherwise: the density form contracts about twice as fast but
    diverges when the rate is large against the variance (long-dated low-volatility puts);
    the distribution form is stable there. This is the split QuantLib makes at ``r = q``,
    moved to where the density form actually fails on a 1,500-option grid.
    """
    n = tau_frac.size - 1
    n1 = n + 1
    nl = sn.size
    m = n * nl
    n_p = snp.size
    X = K * r / q if (q > 0.0 and r < q) else K
    density = 2.0 * r < 5.0 * sigma * sigma
    s2 = sigma * sigma
    rq = r - q
    # one scratch block per option: per node, per (node, point) of the fixed-point rule,
    # per point of the premium rule
    nb = 2 * max(m, n_p)
    work = np.empty(7 * n1 + 9 * m + 8 * n_p + nb)
    bits = work[work.size - nb:].view(np.int64)  # scratch of the exponentials
    H = work[0:n1]
    s_cur = work[n1:2 * n1]  # sqrt(H) = ln(X / B) per node
    s_out = work[2 * n1:3 * n1]  # the map's output
    nv = work[3 * n1:4 * n1]  # sigma sqrt(tau)
    nrqt = work[4 * n1:5 * n1]  # (r - q) tau
    ner = work[5 * n1:6 * n1]  # e^{(r - q) tau}
    nsd = work[6 * n1:7 * n1]  # sigma^2 tau
    o = 7 * n1
    vv = work[o:o + m]  # sigma sqrt(tau - u), u = tau sin^2(theta)
    ivv = work[o + m:o + 2 * m]  # its reciprocal
    crq = work[o + 2 * m:o + 3 * m]  # (r - q)(tau - u)
    cd = work[o + 3 * m:o + 4 * m]  # weight of N(d+) in D: w e^{qu} du/dtheta
    cg = work[o + 4 * m:o + 5 * m]  # density: weight of phi(d+); else: of N(d-) in N
    sp = work[o + 5 * m:o + 6 * m]  # the node's ln(X / B), per point
    hu = work[o + 6 * m:o + 7 * m]  # interpolated H, then d+
    ex = work[o + 7 * m:o + 9 * m]  # exponents, then exponentials
    o += 9 * m
    a_r = work[o:o + n_p]  # premium weights r K e^{-rt} dt/dtheta
    a_q = work[o + n_p:o + 2 * n_p]  # ... and q S e^{-qt} dt/dtheta
    vp = work[o + 2 * n_p:o + 3 * n_p]  # sigma sqrt(t)
    ivp = work[o + 3 * n_p:o + 4 * n_p]
    cp = work[o + 4 * n_p:o + 5 * n_p]  # ln(S / X) + (r - q) t
    hp = work[o + 5 * n_p:o + 6 * n_p]  # interpolated H, then d+
    exp_p = work[o + 6 * n_p:o + 8 * n_p]
    H[0] = 0.0
    s_cur[0] = 0.0
    s_out[0] = 0.0
    log_k = math.log(K)
    lb_prev = 0.0
    lb_prev2 = 0.0
    for i in range(1, n1):
        tau = T * tau_frac[i]
        sqt = math.sqrt(tau)
        v = sigma * sqt
        nv[i] = v
        nrqt[i] = rq * tau
        nsd[i] = s2 * tau
        # start Halley from ln B extrapolated linearly in sqrt(tau) through the last two nodes
        guess = lb_prev
        if i >= 2:
            x0 = math.sqrt(tau_frac[i - 2])
            x1 = math.sqrt(tau_frac[i - 1])
            guess = lb_prev + (lb_prev - lb_prev2) * (math.sqrt(tau_frac[i]) - x1) / (x1 - x0)
        b = _qdplus_boundary(K, r, q, sigma, tau, X, X * math.exp(min(guess, 0.0)), log_k)
        lb = math.log(b / X)
        lb_prev2 = lb_prev
        lb_prev = lb
        H[i] = lb * lb
        s_cur[i] = min(abs(lb), 700.0)
        base = (i - 1) * nl
        for k in range(nl):
            c = cs[k]
            p = base + k
            vv[p] = v * c
            ivv[p] = 1.0 / (v * c)
            crq[p] = nrqt[i] * c * c
            u = tau * sn[k] * sn[k]
            ex[p] = q * u
            ex[m + p] = r * u
    _exp_inplace(ex, bits)
    for i in range(1, n1):
        tau = T * tau_frac[i]
        sqt = math.sqrt(tau)
        base = (i - 1) * nl
        for k in range(nl):
            p = base + k
            jac = 2.0 * tau * sn[k] * cs[k]  # du / dtheta
            cd[p] = wt[k] * ex[p] * jac
            if density:
                cg[p] = wt[k] * ex[p] * 2.0 * sqt / sigma * sn[k]
            else:
                cg[p] = wt[k] * ex[m + p] * jac
        ner[i] = math.exp(nrqt[i])
    # The premium moves by at most sens * max|d ln B| when the boundary does (first order):
    # iterate until the last step moved it by less than tolerance * K.
    sqrt_t = math.sqrt(T)
    log_sx = math.log(S / X)
    for k in range(n_p):
        t = T * snp[k] * snp[k]
        exp_p[k] = -r * t
        exp_p[n_p + k] = -q * t
        vp[k] = sigma * sqrt_t * snp[k]
        ivp[k] = 1.0 / vp[k]
        cp[k] = log_sx + rq * t
    _exp_inplace(exp_p, bits)
    for k in range(n_p):
        w_k = wtp[k] * 2.0 * T * snp[k] * csp[k]  # dt / dtheta
        a_r[k] = w_k * r * K * exp_p[k]
        a_q[k] = w_k * q * S * exp_p[n_p + k]
    _premium_points(lagp, H, cp, vp, ivp, hp, exp_p, bits)
    sens = 0.0
    for k in range(n_p):
        sens += (a_r[k] * exp_p[n_p + k] + a_q[k] * exp_p[k]) * ivp[k]
    stop = tolerance * K / max(sens, 1e-300) * SQRT_2PI
    lxk = math.log(X / K)
    for it in range(max_iterations):
        _interpolate(lag, H, hu)
        for i in range(1, n1):
            for p in range((i - 1) * nl, i * nl):
                sp[p] = s_cur[i]
        if density:
            for p in range(m):
                su = _sqrt_h(hu[p])
                dp = (su - sp[p] + crq[p]) * ivv[p] + 0.5 * vv[p]
                hu[p] = dp
                ex[p] = -0.5 * dp * dp
                ex[m + p] = su - 0.5 * dp * dp
            _exp_inplace(ex, bits)
            for p in range(m):
                # e^{ru} phi(d-) = e^{qu} phi(d+) (b / B(u)) e^{(r-q) tau}: N's term is
                # cg phi(d+) e^{ln(X / B(u))}, times r e^{(r-q) tau} b / X below
                pdf = INV_SQRT_2PI * ex[p]
                ex[p] = cd[p] * _cdf_from_pdf(hu[p], pdf) + cg[p] * pdf
                ex[m + p] = cg[p] * INV_SQRT_2PI * ex[m + p]
        else:
            for p in range(m):
                su = _sqrt_h(hu[p])
                dp = (su - sp[p] + crq[p]) * ivv[p] + 0.5 * vv[p]
                dm = dp - vv[p]
                hu[p] = dp
                ex[p] = -0.5 * dp * dp
                ex[m + p] = -0.5 * dm * dm
            _exp_inplace(ex, bits)
            for p in range(m):
                dp = hu[p]
                ex[p] = cd[p] * _cdf_from_pdf(dp, INV_SQRT_2PI * ex[p])
                ex[m + p] = cg[p] * _cdf_from_pdf(dp - vv[p], INV_SQRT_2PI * ex[m + p])
        change = 0.0
        for i in range(1, n1):
            base = (i - 1) * nl
            di = 0.0
            ni = 0.0
            for p in range(base, base + nl):
                di += ex[p]
                ni += ex[m + p]
            si = s_cur[i]
            v = nv[i]
            e_s = math.exp(-si)
            b = X * e_s
            dp0 = (lxk - si + nrqt[i]) / v + 0.5 * v
            dm0 = dp0 - v
            pdp0 = INV_SQRT_2PI * math.exp(-0.5 * dp0 * dp0)
            pdm0 = pdp0 * (b / K) * ner[i]  # K e^{-r tau} phi(d-) = b e^{-q tau} phi(d+)
            if density:
                N = pdm0 / v + r * ni * ner[i] * e_s
                D = pdp0 / v + norm_cdf_given_pdf(dp0, pdp0) + q * di
                d_n = -pdm0 * dm0 / nsd[i] / b
                d_d = (1.0 - dp0 / v) * pdp0 / v / b
            else:
                N = norm_cdf_given_pdf(dm0, pdm0) + r * ni
                D = norm_cdf_given_pdf(dp0, pdp0) + q * di
                d_n = pdm0 / v / b
                d_d = pdp0 / v / b
            b_new = b
            if D > 0.0 and math.isfinite(N):
                alpha = K / ner[i]
                b_new = alpha * N / D
                if it == 0:
                    # Jacobi-Newton: derivative of the non-integral terms (ALO; QuantLib's NDd)
                    slope = alpha * (d_n - d_d * (N / D)) / D - 1.0
                    if slope != 0.0 and math.isfinite(slope):
                        b_new = b - (b_new - b) / slope
            if not (b_new > 0.0 and math.isfinite(b_new)):
                b_new = b
            s_out[i] = abs(math.log(b_new / X))
            move = abs(s_out[i] - si)
            if move > change:
                change = move
        for i in range(1, n1):
            s_cur[i] = min(s_out[i], 700.0)
            H[i] = s_out[i] * s_out[i]
        if change <= stop:
            break
    # early-exercise premium against B(T - t), t = T sin^2(theta)
    _premium_points(lagp, H, cp, vp, ivp, hp, exp_p, bits)
    premium = 0.0
    for k in range(n_p):
        dp = hp[k]
        premium += (a_r[k] * _cdf_from_pdf(vp[k] - dp, INV_SQRT_2PI * exp_p[n_p + k])
                    - a_q[k] * _cdf_from_pdf(-dp, INV_SQRT_2PI * exp_p[k]))
    v = sigma * sqrt_t
    dp = (math.log(S / K) + rq * T) / v + 0.5 * v
    euro = K * math.exp(-r * T) * norm_cdf(v - dp) - S * math.exp(-q * T) * norm_cdf(-dp)
    return max(euro, 0.0) + max(premium, 0.0)


@njit
def _premium_points(lagp: FloatArray, H: FloatArray, cp: FloatArray, vp: FloatArray,
                    ivp: FloatArray, hp: FloatArray, exp_p: FloatArray,
                    bits: npt.NDArray[np.int64]) -> None:
    """``d+`` against ``B(T - t)`` at the premium rule's points, and its densities.

    On return ``hp`` holds ``d+`` and ``exp_p`` holds ``e^{-d+^2 / 2}``, then ``e^{-d-^2 / 2}``.
    """
    n_p = hp.size
    _interpolate(lagp, H, hp)
    for k in range(n_p):
        v = vp[k]
        dp = (cp[k] + _sqrt_h(hp[k])) * ivp[k] + 0.5 * v
        hp[k] = dp
        exp_p[k] = -0.5 * dp * dp
        exp_p[n_p + k] = -0.5 * (dp - v) * (dp - v)
    _exp_inplace(exp_p, bits)
