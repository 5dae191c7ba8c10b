"""Monte Carlo engine (optix.quant.montecarlo) against closed forms and QuantLib.

Every run is seeded, so each check is deterministic. A Monte Carlo price is accepted within
3 standard errors of an exact reference (a two-sided 99.73% band for a normal estimate; for
randomized QMC, whose standard error has R - 1 degrees of freedom, the Student-t quantile of
the same level, 3.65 SE at R = 16). Where
the scheme has a discretization bias the band is widened by a stated bound for it:

* BGK continuity correction (barriers, lookbacks): the correction removes the leading
  ``O(sqrt(dt))`` monitoring error ``L``; we allow the remainder up to ``0.1 L`` (measured: 1 to
  6 percent of ``L`` at 250 steps), where ``L`` is computed from QuantLib's continuous formula
  at the shifted barrier (or from the lookback's expected extreme).
* Heston QE with martingale correction at ``dt = 1/32``: 0.01 on a spot of 100 (Andersen 2008
  reports QE-M biases of this order or below at ``dt = 1/32`` for harder parameters).
* Longstaff-Schwartz: the estimator is low-biased by construction (fixed policy from independent
  pilot paths), so the upper side is 3 SE only; the lower side allows 1% of the price for the
  policy's suboptimality plus the Bermudan-vs-American gap (measured ~0.3%).
"""

from __future__ import annotations

import math
import pickle
import random
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import QuantLib as ql
from scipy.special import ndtri
from scipy.stats import t as student_t

from optix.quant.bsm import bsm_price
from optix.quant.merton import merton_price
from optix.quant.montecarlo import (
    GBM,
    American,
    Asian,
    Barrier,
    European,
    Heston,
    Lookback,
    MCConfig,
    Merton,
    geometric_asian_price,
    merge,
    plan,
    price_mc,
    run_chunk,
)
from optix.quant.montecarlo.payoffs import BGK_BETA
from optix.quant.montecarlo.streams import inverse_normal

TODAY = ql.Date(15, 1, 2024)
DC = ql.Actual365Fixed()


# --- QuantLib helpers (flat curves, Actual/365F, T an integer number of days) ---------------

def _expiry(T: float) -> ql.Date:
    days = round(T * 365)
    assert abs(days - T * 365) < 1e-9, "choose T as whole days so QuantLib sees the same T"
    return TODAY + days


def _curve(rate: float) -> ql.YieldTermStructureHandle:
    return ql.YieldTermStructureHandle(ql.FlatForward(TODAY, rate, DC))


def _bsm_process(S, r, q, sigma):
    ql.Settings.instance().evaluationDate = TODAY
    vol = ql.BlackVolTermStructureHandle(ql.BlackConstantVol(TODAY, ql.NullCalendar(), sigma, DC))
    return ql.BlackScholesMertonProcess(ql.QuoteHandle(ql.SimpleQuote(S)), _curve(q), _curve(r),
                                        vol)


def _ql_type(right: str):
    return ql.Option.Call if right == "c" else ql.Option.Put


_QL_BARRIER = {"up-in": ql.Barrier.UpIn, "up-out": ql.Barrier.UpOut,
               "down-in": ql.Barrier.DownIn, "down-out": ql.Barrier.DownOut}


def _ql_barrier(S, K, T, r, q, sigma, right, H, kind, rebate):
    opt = ql.BarrierOption(_QL_BARRIER[kind], H, rebate,
                           ql.PlainVanillaPayoff(_ql_type(right), K),
                           ql.EuropeanExercise(_expiry(T)))
    opt.setPricingEngine(ql.AnalyticBarrierEngine(_bsm_process(S, r, q, sigma)))
    return opt.NPV()


def _within(res, ref, bias=0.0):
    # 3 SE is the two-sided 99.73% band of a normal estimate. An RQMC standard error comes from
    # R independent scrambles (R - 1 degrees of freedom), so the same 99.73% level is the
    # Student-t quantile: 3.65 SE for R = 16.
    k = 3.0 if res.replicates == 1 else float(student_t.ppf(0.99865, res.replicates - 1))
    return abs(res.price - ref) <= k * res.stderr + bias


# --- European ------------------------------------------------------------------------------

def _random_grid(seed: int, n: int):
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        S = float(rng.uniform(50, 150))
        T = [7 / 365, 0.1, 1.0, 2.5][i % 4]
        sigma = float(rng.choice([0.08, 0.25, 0.6, 1.0]))
        K = float(S * math.exp(rng.uniform(-1.5, 1.5) * sigma * math.sqrt(T)))
        cases.append((S, K, T, float(rng.uniform(-0.01, 0.08)), float(rng.uniform(0, 0.05)),
                      sigma, "c" if rng.random() < 0.5 else "p"))
    return cases


@pytest.mark.parametrize("method", ["pseudo", "sobol"])
def test_european_gbm_matches_bsm_on_random_grid(method):
    # ITM/OTM up to 1.5 sd, near expiry (7 days) to 2.5 years, vols 8%-100%. Sobol uses 4 steps
    # so the Brownian bridge is exercised; GBM's exact log step has no discretization bias.
    for i, (S, K, T, r, q, sigma, right) in enumerate(_random_grid(20240615, 8)):
        cfg = (MCConfig(n_paths=1 << 14, n_steps=1, seed=i) if method == "pseudo" else
               MCConfig(n_paths=16 << 10, n_steps=4, method="sobol", seed=i))
        res = price_mc(GBM(S, r, q, sigma), European(K, T, right), cfg)
        ref = float(bsm_price(S, K, T, r, q, sigma, right))
        assert res.stderr > 0.0 and res.n_paths == cfg.n_paths
        assert _within(res, ref), (S, K, T, r, q, sigma, right, res.price, res.stderr, ref)


def test_variance_reduction_lowers_stderr_on_same_budget():
    model, call = GBM(100.0, 0.05, 0.01, 0.25), European(100.0, 1.0, "c")
    ref = float(bsm_price(100.0, 100.0, 1.0, 0.05, 0.01, 0.25, "c"))
    base = {"n_paths": 1 << 15, "n_steps": 1, "seed": 3}
    plain = price_mc(model, call, MCConfig(**base, control=None))
    anti = price_mc(model, call, MCConfig(**base, control=None, antithetic=True))
    cv = price_mc(model, call, MCConfig(**base, control="terminal"))
    both = price_mc(model, call, MCConfig(**base, control="terminal", antithetic=True))
    for res in (plain, anti, cv, both):
        assert _within(res, ref)
    # Antithetics on an ATM call: corr(f(Z), f(-Z)) ~ -0.5 -> stderr ~0.7x; the terminal control
    # (corr ~0.9 with an ATM call) -> ~0.45x; thresholds leave room for sampling noise.
    assert anti.stderr < 0.8 * plain.stderr
    assert cv.stderr < 0.6 * plain.stderr
    assert both.stderr < cv.stderr
    assert cv.beta[0] > 0.0 and plain.beta == ()
    # Arithmetic Asian with the geometric Asian control: correlation > 0.99 -> > 5x lower stderr.
    asian = Asian(100.0, 1.0, "c")
    a_plain = price_mc(model, asian, MCConfig(n_paths=1 << 13, n_steps=12, seed=4, control=None))
    a_cv = price_mc(model, asian, MCConfig(n_paths=1 << 13, n_steps=12, seed=4))
    assert a_cv.controls == ("geometric",)
    assert a_cv.stderr < 0.2 * a_plain.stderr
    assert abs(a_cv.price - a_plain.price) <= 3 * a_plain.stderr


# --- Asian ---------------------------------------------------------------------------------

def test_geometric_asian_closed_form_matches_quantlib():
    proc_cache = {}
    rng = np.random.default_rng(7)
    for _ in range(8):
        n, spacing = int(rng.integers(1, 25)), int(rng.choice([1, 7, 30]))
        T = n * spacing / 365
        S, sigma = 100.0, float(rng.uniform(0.05, 0.9))
        K = float(S * math.exp(rng.uniform(-0.3, 0.3)))
        r, q = float(rng.uniform(-0.01, 0.08)), float(rng.uniform(0, 0.05))
        right = "c" if rng.random() < 0.5 else "p"
        proc = proc_cache.setdefault((r, q, sigma), _bsm_process(S, r, q, sigma))
        dates = [TODAY + spacing * j for j in range(1, n + 1)]
        opt = ql.DiscreteAveragingAsianOption(ql.Average.Geometric, dates,
                                              ql.PlainVanillaPayoff(_ql_type(right), K),
                                              ql.EuropeanExercise(dates[-1]))
        opt.setPricingEngine(ql.AnalyticDiscreteGeometricAveragePriceAsianEngine(proc))
        ours = float(geometric_asian_price(S, K, T, r, q, sigma, right, n))
        assert ours == pytest.approx(opt.NPV(), rel=1e-9, abs=1e-11)


@pytest.mark.parametrize("method", ["pseudo", "sobol"])
def test_geometric_asian_mc_matches_discrete_closed_form(method):
    S, r, q, sigma, T, n = 100.0, 0.04, 0.02, 0.35, 1.0, 12
    model = GBM(S, r, q, sigma)
    for K, right in ((90.0, "c"), (110.0, "p")):
        cfg = (MCConfig(n_paths=1 << 14, n_steps=n, seed=5) if method == "pseudo" else
               MCConfig(n_paths=16 << 10, n_steps=n, method="sobol", seed=5))
        res = price_mc(model, Asian(K, T, right, "geometric"), cfg)
        assert _within(res, float(geometric_asian_price(S, K, T, r, q, sigma, right, n)))


def test_arithmetic_asian_matches_quantlib_monte_carlo():
    S, r, q, sigma, n, spacing = 100.0, 0.05, 0.01, 0.3, 12, 30
    T = n * spacing / 365
    proc = _bsm_process(S, r, q, sigma)
    dates = [TODAY + spacing * j for j in range(1, n + 1)]
    for K, right in ((95.0, "c"), (105.0, "p")):
        opt = ql.DiscreteAveragingAsianOption(ql.Average.Arithmetic, dates,
                                              ql.PlainVanillaPayoff(_ql_type(right), K),
                                              ql.EuropeanExercise(dates[-1]))
        opt.setPricingEngine(ql.MCDiscreteArithmeticAPEngine(
            proc, "pseudorandom", requiredSamples=20000, seed=42, controlVariate=True))
        ref, ref_se = opt.NPV(), opt.errorEstimate()
        res = price_mc(GBM(S, r, q, sigma), Asian(K, T, right),
                       MCConfig(n_paths=1 << 14, n_steps=n, seed=6))
        # Two independent estimates: 3 standard errors of their difference.
        assert abs(res.price - ref) <= 3 * math.hypot(res.stderr, ref_se)


# --- barriers and lookbacks (BGK continuity correction) ------------------------------------

BARRIER_CASES = [  # kind, H, right, rebate
    ("down-out", 85.0, "c", 0.0),
    ("down-in", 85.0, "p", 0.0),
    ("up-out", 130.0, "p", 2.0),
    ("up-in", 125.0, "c", 1.0),
    ("down-out", 90.0, "p", 3.0),
    ("up-out", 140.0, "c", 0.0),
]


def test_barrier_with_bgk_correction_matches_quantlib_continuous():
    S, K, T, r, q, sigma, steps = 100.0, 100.0, 1.0, 0.05, 0.02, 0.25, 250
    model = GBM(S, r, q, sigma)
    shift = math.exp(BGK_BETA * sigma * math.sqrt(T / steps))
    for kind, H, right, rebate in BARRIER_CASES:
        ref = _ql_barrier(S, K, T, r, q, sigma, right, H, kind, rebate)
        # Leading monitoring error L: continuous price at the barrier shifted away from spot.
        far = H * shift if kind.startswith("up") else H / shift
        lead = abs(_ql_barrier(S, K, T, r, q, sigma, right, far, kind, rebate) - ref)
        res = price_mc(model, Barrier(K, T, right, H, kind, rebate),
                       MCConfig(n_paths=1 << 14, n_steps=steps, seed=8))
        assert _within(res, ref, bias=0.1 * lead), (kind, H, right, res.price, res.stderr, ref)
        assert res.controls == ("european",)
    # Heston with a vanishing vol of variance is GBM: the correction then uses the local
    # sqrt(v(t_j)) = sigma along each path.
    kind, H, right, rebate = BARRIER_CASES[0]
    ref = _ql_barrier(S, K, T, r, q, sigma, right, H, kind, rebate)
    lead = abs(_ql_barrier(S, K, T, r, q, sigma, right, H / shift, kind, rebate) - ref)
    flat = Heston(S, r, q, sigma**2, 1.0, sigma**2, 1e-4, 0.0)
    res = price_mc(flat, Barrier(K, T, right, H, kind, rebate),
                   MCConfig(n_paths=1 << 14, n_steps=steps, seed=8))
    assert _within(res, ref, bias=0.1 * lead), (res.price, res.stderr, ref)


def test_discrete_barrier_matches_quantlib_at_bgk_shifted_barrier():
    # BGK in its original direction: monitoring at the steps only (continuous=False) prices like
    # a continuous barrier shifted away from spot by exp(beta sigma sqrt(dt)).
    S, K, T, r, q, sigma, steps = 100.0, 100.0, 1.0, 0.05, 0.02, 0.25, 50
    shift = math.exp(BGK_BETA * sigma * math.sqrt(T / steps))
    for kind, H, right, rebate in BARRIER_CASES[:2]:
        far = H * shift if kind.startswith("up") else H / shift
        ref = _ql_barrier(S, K, T, r, q, sigma, right, far, kind, 0.0)
        farther = far * shift if kind.startswith("up") else far / shift
        lead = abs(_ql_barrier(S, K, T, r, q, sigma, right, farther, kind, 0.0) - ref)
        res = price_mc(GBM(S, r, q, sigma), Barrier(K, T, right, H, kind, continuous=False),
                       MCConfig(n_paths=1 << 14, n_steps=steps, seed=9))
        assert _within(res, ref, bias=0.1 * lead), (kind, res.price, res.stderr, ref)
        assert rebate == 0.0


@pytest.mark.parametrize("right", ["c", "p"])
def test_floating_lookback_matches_quantlib_with_correction(right):
    S, T, r, q, sigma, steps = 100.0, 1.0, 0.05, 0.02, 0.3, 250
    opt = ql.ContinuousFloatingLookbackOption(S, ql.FloatingTypePayoff(_ql_type(right)),
                                              ql.EuropeanExercise(_expiry(T)))
    opt.setPricingEngine(ql.AnalyticContinuousFloatingLookbackEngine(
        _bsm_process(S, r, q, sigma)))
    ref = opt.NPV()
    res = price_mc(GBM(S, r, q, sigma), Lookback(None, T, right),
                   MCConfig(n_paths=1 << 14, n_steps=steps, seed=10))
    # Leading error L of the discrete extreme: (1 - e^{-c}) times the PV of the expected
    # minimum (call) or (e^{c} - 1) times the PV of the expected maximum (put).
    c = BGK_BETA * sigma * math.sqrt(T / steps)
    fwd = S * math.exp(-q * T)
    lead = (1 - math.exp(-c)) * (fwd - ref) if right == "c" else (math.exp(c) - 1) * (ref + fwd)
    assert _within(res, ref, bias=0.1 * lead), (res.price, res.stderr, ref, lead)
    # Without the correction the discrete extreme misses the leading term by far.
    raw = price_mc(GBM(S, r, q, sigma), Lookback(None, T, right, continuous=False),
                   MCConfig(n_paths=1 << 14, n_steps=steps, seed=10))
    assert ref - raw.price > 0.5 * lead


def test_fixed_lookback_matches_quantlib_with_correction():
    S, K, T, r, q, sigma, steps = 100.0, 105.0, 1.0, 0.05, 0.0, 0.3, 250
    proc = _bsm_process(S, r, q, sigma)
    c = BGK_BETA * sigma * math.sqrt(T / steps)
    for right in ("c", "p"):
        opt = ql.ContinuousFixedLookbackOption(S, ql.PlainVanillaPayoff(_ql_type(right), K),
                                               ql.EuropeanExercise(_expiry(T)))
        opt.setPricingEngine(ql.AnalyticContinuousFixedLookbackEngine(proc))
        ref = opt.NPV()
        res = price_mc(GBM(S, r, q, sigma), Lookback(K, T, right),
                       MCConfig(n_paths=1 << 14, n_steps=steps, seed=11))
        # Leading term: the extreme moves by a factor e^{+-c}; bounded by c times (price + K).
        assert _within(res, ref, bias=0.1 * c * (ref + K)), (right, res.price, res.stderr, ref)


# --- Heston QE -----------------------------------------------------------------------------

def _ql_heston(S, K, T, r, q, v0, kappa, theta, xi, rho, right):
    ql.Settings.instance().evaluationDate = TODAY
    proc = ql.HestonProcess(_curve(r), _curve(q), ql.QuoteHandle(ql.SimpleQuote(S)), v0, kappa,
                            theta, xi, rho)
    opt = ql.VanillaOption(ql.PlainVanillaPayoff(_ql_type(right), K),
                           ql.EuropeanExercise(_expiry(T)))
    opt.setPricingEngine(ql.AnalyticHestonEngine(ql.HestonModel(proc)))
    return opt.NPV()


@pytest.mark.parametrize(("params", "method"), [
    ((0.04, 2.0, 0.04, 0.5, -0.7), "pseudo"),
    ((0.09, 1.0, 0.06, 1.0, -0.9), "pseudo"),  # Feller badly violated: QE's exponential branch
    ((0.02, 0.5, 0.04, 0.8, -0.3), "sobol"),
])
def test_heston_qe_matches_quantlib_analytic(params, method):
    S, T, r, q = 100.0, 1.0, 0.03, 0.01
    model = Heston(S, r, q, *params)
    for K, right in ((85.0, "p"), (110.0, "c")):
        ref = _ql_heston(S, K, T, r, q, *params, right)
        cfg = (MCConfig(n_paths=1 << 15, n_steps=32, seed=12) if method == "pseudo" else
               MCConfig(n_paths=16 << 11, n_steps=32, method="sobol", seed=12))
        res = price_mc(model, European(K, T, right), cfg)
        assert _within(res, ref, bias=0.01), (params, K, right, res.price, res.stderr, ref)


# --- Merton --------------------------------------------------------------------------------

def test_merton_closed_form_matches_quantlib():
    # The QuantLib Python build has no JumpDiffusionEngine; Bates with a vanishing volatility of
    # variance (xi = 1e-5, v0 = theta = sigma^2) is Merton up to O(xi^2) ~ 1e-10 in price.
    ql.Settings.instance().evaluationDate = TODAY
    rng = np.random.default_rng(13)
    for _ in range(6):
        S, sigma = 100.0, float(rng.uniform(0.1, 0.5))
        T = float(rng.choice([30, 182, 365, 730])) / 365
        K = float(S * math.exp(rng.uniform(-0.5, 0.5)))
        r, q = float(rng.uniform(0, 0.06)), float(rng.uniform(0, 0.04))
        lam, mu_j, sigma_j = float(rng.uniform(0.1, 3)), float(rng.uniform(-0.3, 0.1)), float(
            rng.uniform(0.05, 0.4))
        right = "c" if rng.random() < 0.5 else "p"
        proc = ql.BatesProcess(_curve(r), _curve(q), ql.QuoteHandle(ql.SimpleQuote(S)),
                               sigma**2, 1.0, sigma**2, 1e-5, 0.0, lam, mu_j, sigma_j)
        opt = ql.VanillaOption(ql.PlainVanillaPayoff(_ql_type(right), K),
                               ql.EuropeanExercise(_expiry(T)))
        opt.setPricingEngine(ql.BatesEngine(ql.BatesModel(proc), 192))
        ours = float(merton_price(S, K, T, r, q, sigma, right, lam, mu_j, sigma_j))
        assert ours == pytest.approx(opt.NPV(), abs=1e-7)


def test_merton_price_limits_and_broadcasting():
    S, K, T, r, q, sigma = 100.0, np.array([80.0, 100.0, 120.0]), 0.5, 0.03, 0.01, 0.2
    no_jumps = merton_price(S, K, T, r, q, sigma, "c", 0.0, -0.1, 0.2)
    np.testing.assert_allclose(no_jumps, bsm_price(S, K, T, r, q, sigma, "c"), rtol=1e-13)
    expired = merton_price(S, K, 0.0, r, q, sigma, ["c", "p", "p"], 1.0, -0.1, 0.2)
    np.testing.assert_array_equal(expired, [20.0, 0.0, 20.0])
    # No diffusion and no jump dispersion: still finite (a sum of discounted forward intrinsics).
    det = merton_price(S, K, T, r, q, 0.0, "p", 1.0, -0.1, 0.0)
    assert np.all(np.isfinite(det)) and det.shape == (3,)
    assert merton_price(S, K[:, None], [0.25, 1.0], r, q, sigma, "p", 0.5, 0.0, 0.1).shape == (3, 2)


@pytest.mark.parametrize(("steps", "method"), [(1, "pseudo"), (12, "pseudo"), (12, "sobol")])
def test_merton_mc_matches_closed_form(steps, method):
    S, T, r, q, sigma, lam, mu_j, sigma_j = 100.0, 1.0, 0.03, 0.01, 0.2, 1.0, -0.1, 0.15
    model = Merton(S, r, q, sigma, lam, mu_j, sigma_j)
    for K, right in ((80.0, "p"), (115.0, "c")):
        cfg = (MCConfig(n_paths=1 << 14, n_steps=steps, seed=14) if method == "pseudo" else
               MCConfig(n_paths=16 << 10, n_steps=steps, method="sobol", seed=14))
        res = price_mc(model, European(K, T, right), cfg)
        ref = float(merton_price(S, K, T, r, q, sigma, right, lam, mu_j, sigma_j))
        assert _within(res, ref), (K, right, res.price, res.stderr, ref)


# --- American by Longstaff-Schwartz --------------------------------------------------------

def _ql_fd(S, K, T, r, q, sigma, right, exercise):
    # 400 x 400 Crank-Nicolson: within 1e-3 of 1600 x 1600 on the LS case (4.4855 vs 4.4864).
    opt = ql.VanillaOption(ql.PlainVanillaPayoff(_ql_type(right), K), exercise)
    opt.setPricingEngine(ql.FdBlackScholesVanillaEngine(_bsm_process(S, r, q, sigma), 400, 400))
    return opt.NPV()


@pytest.mark.parametrize("case", [
    (36.0, 40.0, 1.0, 0.06, 0.0, 0.2, "p"),   # Longstaff-Schwartz (2001), table 1, first row
    (100.0, 100.0, 1.0, 0.05, 0.0, 0.3, "p"),
    (100.0, 95.0, 1.0, 0.02, 0.07, 0.25, "c"),  # call on a high-dividend stock: early exercise
])
def test_lsm_american_is_low_biased_against_finite_differences(case):
    S, K, T, r, q, sigma, right = case
    steps = 73  # exercise every 5 days, so QuantLib's Bermudan dates are whole days
    american = _ql_fd(S, K, T, r, q, sigma, right, ql.AmericanExercise(TODAY, _expiry(T)))
    bermudan = _ql_fd(S, K, T, r, q, sigma, right,
                      ql.BermudanExercise([TODAY + 5 * j for j in range(1, steps + 1)]))
    res = price_mc(GBM(S, r, q, sigma), American(K, T, right),
                   MCConfig(n_paths=1 << 15, n_steps=steps, seed=15, antithetic=True,
                            pilot_paths=1 << 14))
    assert res.n_pilot == 1 << 14 and res.controls == ("european",)
    # A fixed policy cannot beat the optimal Bermudan one: the upper side is noise only.
    assert res.price <= bermudan + 3 * res.stderr
    assert res.price >= american - 3 * res.stderr - 0.01 * american
    # Early exercise is worth something.
    assert res.price > float(bsm_price(S, K, T, r, q, sigma, right))


def test_lsm_american_put_under_heston_against_finite_differences():
    # The Heston policy regresses on moneyness and the scaled variance. QuantLib's ADI finite
    # differences on a 100 x 200 x 100 grid is within ~0.005 of its 200 x 400 x 100 value (5.7926).
    S, K, T, r, q, params = 100.0, 100.0, 1.0, 0.05, 0.0, (0.04, 2.0, 0.04, 0.5, -0.7)
    ql.Settings.instance().evaluationDate = TODAY
    proc = ql.HestonProcess(_curve(r), _curve(q), ql.QuoteHandle(ql.SimpleQuote(S)), *params)
    opt = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Put, K),
                           ql.AmericanExercise(TODAY, _expiry(T)))
    opt.setPricingEngine(ql.FdHestonVanillaEngine(ql.HestonModel(proc), 100, 200, 100))
    ref = opt.NPV()
    res = price_mc(Heston(S, r, q, *params), American(K, T, "p"),
                   MCConfig(n_paths=1 << 15, n_steps=73, seed=24, antithetic=True,
                            pilot_paths=1 << 14))
    # Low-biased: noise (3 SE) and the FD grid error above; below, the policy loss of a
    # two-state polynomial basis plus the Bermudan gap (measured 0.5% to 1.6%), allowed 2%.
    assert res.price <= ref + 3 * res.stderr + 0.005
    assert res.price >= ref - 3 * res.stderr - 0.02 * ref
    assert res.price > _ql_heston(S, K, T, r, q, *params, "p") + 3 * res.stderr


def test_lsm_exercises_now_when_deep_in_the_money():
    res = price_mc(GBM(80.0, 0.1, 0.0, 0.2), American(100.0, 1.0, "p"),
                   MCConfig(n_paths=1 << 10, n_steps=10, seed=16, pilot_paths=1 << 12))
    assert res.price == 20.0 and res.stderr == 0.0


# --- chunking ------------------------------------------------------------------------------

@pytest.mark.parametrize(("model", "payoff", "cfg"), [
    (GBM(100, 0.05, 0.01, 0.2), European(100, 0.5, "c"),
     MCConfig(n_paths=5 * 4096 + 123, n_steps=3, seed=17, chunk_size=4096)),
    (Heston(100, 0.03, 0.0, 0.04, 1.5, 0.04, 0.6, -0.6), Barrier(95, 1.0, "p", 80, "down-out"),
     MCConfig(n_paths=4 * 2048, n_steps=8, method="sobol", replicates=4, chunk_size=512,
              antithetic=True, seed=18)),
    (Merton(100, 0.03, 0.0, 0.2, 0.5, -0.1, 0.1), American(100, 1.0, "p"),
     MCConfig(n_paths=3000, n_steps=10, chunk_size=1024, seed=19, pilot_paths=2000)),
])
def test_chunk_merge_equals_single_run_bit_for_bit(model, payoff, cfg):
    single = price_mc(model, payoff, cfg)
    specs = [pickle.loads(pickle.dumps(s)) for s in plan(model, payoff, cfg)]  # ship anywhere
    assert len(specs) > 1
    random.Random(0).shuffle(specs)
    with ThreadPoolExecutor(2) as pool:
        stats = [pickle.loads(pickle.dumps(s)) for s in pool.map(run_chunk, specs)]
    random.Random(1).shuffle(stats)
    farmed = merge(stats)
    assert farmed == single  # every field, price and stderr included, exactly
    assert farmed.price == single.price and farmed.stderr == single.stderr
    with pytest.raises(ValueError, match="exactly once"):
        merge(stats[1:])
    with pytest.raises(ValueError, match="exactly once"):
        merge([*stats, stats[0]])
    other = run_chunk(plan(model, payoff, MCConfig(**{**cfg.__dict__, "seed": 99}))[0])
    with pytest.raises(ValueError, match="different runs"):
        merge([*stats[1:], other])


def test_pseudo_chunks_draw_from_spawned_seed_sequences():
    # Chunk i simulates from Generator(PCG64(SeedSequence(seed).spawn(n_chunks)[i])): rebuild
    # one chunk with plain numpy (exact GBM log step) and compare its sample mean.
    S, K, T, r, q, sigma, seed = 100.0, 95.0, 0.5, 0.03, 0.01, 0.3, 31
    cfg = MCConfig(n_paths=3 * 1000, n_steps=1, seed=seed, chunk_size=1000, control=None)
    specs = plan(GBM(S, r, q, sigma), European(K, T, "p"), cfg)
    children = np.random.SeedSequence(seed).spawn(len(specs))
    for spec in (specs[0], specs[2]):
        z = np.random.Generator(np.random.PCG64(children[spec.chunk_id])).standard_normal(1000)
        s_t = S * np.exp((r - q - 0.5 * sigma**2) * T + sigma * math.sqrt(T) * z)
        expected = math.exp(-r * T) * np.maximum(K - s_t, 0.0).mean()
        assert run_chunk(spec).mean[0] == pytest.approx(expected, rel=1e-12)


def test_sobol_blocks_via_fast_forward_reproduce_the_whole_scramble():
    # The same scrambled points cut into 2^8- or 2^12-point blocks (fast_forward) give the same
    # estimate up to summation order; a different seed (scramble) does not.
    model, payoff = GBM(100, 0.05, 0.0, 0.3), Asian(100, 1.0, "c")
    base = {"n_paths": 4 << 12, "n_steps": 16, "method": "sobol", "replicates": 4, "seed": 20}
    coarse = price_mc(model, payoff, MCConfig(**base, chunk_size=1 << 12))
    fine = price_mc(model, payoff, MCConfig(**base, chunk_size=1 << 8))
    assert fine.n_chunks == 16 * coarse.n_chunks
    assert fine.price == pytest.approx(coarse.price, rel=1e-12)
    assert fine.stderr == pytest.approx(coarse.stderr, rel=1e-9)
    other = price_mc(model, payoff, MCConfig(**{**base, "seed": 21}, chunk_size=1 << 12))
    assert other.price != pytest.approx(coarse.price, rel=1e-9)


def test_ten_million_paths_run_in_memory_bounded_by_the_chunk():
    chunk = 1 << 16
    model, payoff = GBM(100, 0.05, 0.02, 0.2), European(100, 1.0, "c")
    price_mc(model, payoff, MCConfig(n_paths=chunk, n_steps=1, seed=0))  # compile first
    tracemalloc.start()
    try:
        res = price_mc(model, payoff, MCConfig(n_paths=10_000_000, n_steps=1, seed=21,
                                               chunk_size=chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One chunk's worth of float64 is 512 KiB; the terminal values of all paths would be 80 MB.
    assert peak < 64 * chunk * 8
    assert res.n_paths == 10_000_000 and res.n_chunks == 153
    assert _within(res, float(bsm_price(100, 100, 1.0, 0.05, 0.02, 0.2, "c")))


# --- parity, limits, inputs ----------------------------------------------------------------

@pytest.mark.parametrize("model", [
    GBM(100, 0.04, 0.02, 0.3),
    Heston(100, 0.04, 0.02, 0.06, 1.0, 0.05, 0.9, -0.8),  # martingale correction matters here
    Merton(100, 0.04, 0.02, 0.2, 2.0, -0.15, 0.2),
])
def test_put_call_parity_holds_by_mc_within_stderr(model):
    K, T = 105.0, 1.0
    cfg = MCConfig(n_paths=1 << 14, n_steps=8, seed=22, control=None)
    call = price_mc(model, European(K, T, "c"), cfg)
    put = price_mc(model, European(K, T, "p"), cfg)
    # Same paths, so C - P is the discounted mean of S_T - K: its standard error is that of a
    # near-zero-strike call on the same paths.
    fwd = price_mc(model, European(1e-9, T, "c"), cfg)
    parity = model.S * math.exp(-model.q * T) - K * math.exp(-model.r * T)
    assert abs(call.price - put.price - parity) <= 3 * fwd.stderr
    # With the terminal control, parity holds to rounding (beta_C - beta_P = 1).
    cv = MCConfig(n_paths=1 << 12, n_steps=8, seed=23, control="terminal")
    diff = price_mc(model, European(K, T, "c"), cv).price - price_mc(
        model, European(K, T, "p"), cv).price
    assert diff == pytest.approx(parity, abs=1e-9)


def test_degenerate_limits_give_exact_values_without_nan():
    det = GBM(100.0, 0.05, 0.01, 0.0)  # sigma = 0: deterministic paths
    fwd_intrinsic = max(100 * math.exp(-0.01) - 90 * math.exp(-0.05), 0.0)
    res = price_mc(det, European(90.0, 1.0, "c"), MCConfig(n_paths=1000, n_steps=4, seed=1))
    # Identical samples: the standard error is rounding noise and the singular control is dropped.
    assert res.stderr < 1e-12 and res.beta == (0.0,)
    assert res.price == pytest.approx(fwd_intrinsic, rel=1e-12)
    asian = price_mc(det, Asian(90.0, 1.0, "c"), MCConfig(n_paths=1000, n_steps=4, seed=1))
    avg = sum(100.0 * math.exp(0.04 * j / 4) for j in range(1, 5)) / 4
    assert asian.stderr < 1e-12
    assert asian.price == pytest.approx(math.exp(-0.05) * (avg - 90.0), rel=1e-12)
    otm = price_mc(GBM(100.0, 0.05, 0.0, 0.1), European(400.0, 0.05, "c"),
                   MCConfig(n_paths=4096, n_steps=1, seed=2))
    assert otm.price == 0.0 and otm.stderr == 0.0
    knocked = price_mc(GBM(100.0, 0.05, 0.0, 0.2), Barrier(100.0, 1.0, "c", 100.0, "down-out",
                                                            rebate=1.5),
                       MCConfig(n_paths=512, n_steps=4, seed=3, control=None))
    assert knocked.price == 1.5 and knocked.stderr == 0.0  # S(0) on the barrier: rebate now
    near = price_mc(GBM(100.0, 0.05, 0.0, 0.2), European(100.0, 1e-4, "p"),
                    MCConfig(n_paths=1 << 14, n_steps=1, seed=4))
    assert _within(near, float(bsm_price(100.0, 100.0, 1e-4, 0.05, 0.0, 0.2, "p")))


def test_inverse_normal_matches_scipy_including_tails():
    p = np.concatenate([np.geomspace(1e-300, 0.02, 400), np.linspace(0.02, 0.98, 400),
                        1 - np.geomspace(1e-16, 0.02, 400)])
    ours = np.array([inverse_normal(float(x)) for x in p])
    np.testing.assert_allclose(ours, ndtri(p), rtol=2e-15, atol=1e-15)


@pytest.mark.parametrize("build", [
    lambda: GBM(-1.0, 0.05, 0.0, 0.2),
    lambda: GBM(100.0, 0.05, 0.0, -0.2),
    lambda: GBM(100.0, float("nan"), 0.0, 0.2),
    lambda: Heston(100.0, 0.05, 0.0, 0.04, 1.0, 0.04, 0.0, -0.5),
    lambda: Heston(100.0, 0.05, 0.0, 0.04, 1.0, 0.04, 0.5, -1.5),
    lambda: Merton(100.0, 0.05, 0.0, 0.2, -1.0, 0.0, 0.1),
    lambda: European(100.0, 0.0, "c"),
    lambda: European(-5.0, 1.0, "c"),
    lambda: European(100.0, 1.0, "x"),
    lambda: Asian(100.0, 1.0, "c", "harmonic"),
    lambda: Barrier(100.0, 1.0, "c", 90.0, "sideways"),
    lambda: Barrier(100.0, 1.0, "c", 90.0, "down-out", rebate=-1.0),
    lambda: American(100.0, 1.0, "p", degree=0),
    lambda: MCConfig(n_paths=0, n_steps=1),
    lambda: MCConfig(n_paths=100, n_steps=1, method="halton"),
    lambda: MCConfig(n_paths=101, n_steps=1, antithetic=True),
    lambda: MCConfig(n_paths=1000, n_steps=1, method="sobol"),  # not replicates x 2^k
    lambda: MCConfig(n_paths=1 << 10, n_steps=1, method="sobol", replicates=1),
    lambda: plan(GBM(100, 0.05, 0, 0.2), European(100, 1.0, "c"),
                 MCConfig(n_paths=100, n_steps=1, control="european")),
    lambda: plan(Heston(100, 0.05, 0, 0.04, 1, 0.04, 0.5, -0.5),
                 Barrier(100, 1, "c", 80, "down-out"),
                 MCConfig(n_paths=100, n_steps=1, control="geometric")),
    lambda: plan(GBM(100, 0.05, 0, 0.2), European(100, 1.0, "c"),
                 MCConfig(n_paths=1 << 14, n_steps=30000, method="sobol")),
    lambda: plan(Merton(100, 0.05, 0, 0.2, 200.0, 0.0, 0.1), European(100, 1.0, "c"),
                 MCConfig(n_paths=100, n_steps=2)),  # 100 expected jumps per step
    lambda: MCConfig(n_paths=100, n_steps=1, seed=1.5),
    lambda: merton_price(100, 100, 1, 0.05, 0, 0.2, "c", -1.0, 0.0, 0.1),
    lambda: geometric_asian_price(100, 100, 1, 0.05, 0, 0.2, "c", 0),
    lambda: merge([]),
])
def test_invalid_inputs_raise_value_error(build):
    with pytest.raises(ValueError):
        build()


def test_knock_in_plus_knock_out_is_the_vanilla_on_the_same_paths():
    from optix.quant.montecarlo import GBM, Barrier, European, MCConfig, price_mc

    model = GBM(S=100.0, r=0.03, q=0.01, sigma=0.3)
    cfg = MCConfig(n_paths=2**14, n_steps=32, seed=11, control=None)
    for kind_in, kind_out, level in (("up-in", "up-out", 120.0), ("down-in", "down-out", 85.0)):
        knock_in = price_mc(model, Barrier(100.0, 1.0, "c", level, kind_in), cfg)
        knock_out = price_mc(model, Barrier(100.0, 1.0, "c", level, kind_out), cfg)
        vanilla = price_mc(model, European(100.0, 1.0, "c"), cfg)
        assert knock_in.price + knock_out.price == pytest.approx(vanilla.price, rel=1e-12)
