"""American options: every method against an independent reference.

References: QuantLib 1.44 (same formulas for BAW and the CRR/LR lattices; its high-precision
QD+ fixed-point engine as the converged price; its finite differences with the escrowed
dividend model; its analytic escrowed-dividend European engine), published BS2002 values
(Haug's book, MathWorks' documentation), adaptive quadrature for the bivariate normal, and
model-free identities.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from scipy import integrate
from scipy.special import ndtr

from optix.quant.american import (
    QdFpScheme,
    american_implied_vol,
    american_price,
    european_price_cash_dividends,
)
from optix.quant.american._bvn import bvn_cdf
from optix.quant.american.baw import baw_price
from optix.quant.bsm import bsm_price
from optix.quant.ivstatus import IVStatus

ql = pytest.importorskip("QuantLib")

_TODAY = ql.Date(2, 1, 2024)
_DC = ql.Actual360()  # T = days / 360 exactly


def _process(S: float, r: float, q: float, sigma: float) -> object:
    ql.Settings.instance().evaluationDate = _TODAY
    return ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(S)),
        ql.YieldTermStructureHandle(ql.FlatForward(_TODAY, q, _DC)),
        ql.YieldTermStructureHandle(ql.FlatForward(_TODAY, r, _DC)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(_TODAY, ql.NullCalendar(), sigma, _DC)),
    )


def _ql_price(S, K, days, r, q, sigma, right, engine, american=True, dividends=None):
    proc = _process(S, r, q, sigma)
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if right > 0 else ql.Option.Put, K)
    maturity = _TODAY + int(days)
    exercise = ql.AmericanExercise(_TODAY, maturity) if american else ql.EuropeanExercise(maturity)
    option = ql.VanillaOption(payoff, exercise)
    if dividends is None:
        option.setPricingEngine(engine(proc))
    else:
        schedule = ql.DividendVector([_TODAY + int(d) for d in dividends[0]], list(dividends[1]))
        option.setPricingEngine(engine(proc, schedule))
    return option.NPV()


def _random_grid(seed, n, *, k_range=(0.6, 1.6), max_days=1080, rates=(0.0, 0.10),
                 vols=(0.05, 0.8)):
    """S = 100; log-uniform strike ratio, maturity (1 day up) and vol; uniform r and q."""
    rng = np.random.default_rng(seed)
    K = 100.0 * np.exp(rng.uniform(np.log(k_range[0]), np.log(k_range[1]), n))
    days = np.exp(rng.uniform(0.0, np.log(max_days), n)).astype(int)
    r = rng.uniform(*rates, n)
    q = rng.uniform(*rates, n)
    sigma = np.exp(rng.uniform(np.log(vols[0]), np.log(vols[1]), n))
    right = rng.choice([-1.0, 1.0], n)
    return np.full(n, 100.0), K, days, r, q, sigma, right


# --- bivariate normal ---------------------------------------------------------------------

def test_bvn_matches_adaptive_quadrature_over_all_correlations():
    def reference(a, b, rho):
        s = math.sqrt((1.0 - rho) * (1.0 + rho))

        def f(x):
            return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi) * ndtr((b - rho * x) / s)

        edges = np.linspace(-40.0, a, 60) if a > -40.0 else np.array([-60.0, a])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            return sum(integrate.quad(f, x0, x1, epsabs=1e-17, epsrel=1e-13)[0]
                       for x0, x1 in itertools.pairwise(edges))

    rng = np.random.default_rng(7)
    rhos = np.concatenate([rng.uniform(-0.9, 0.9, 25), rng.uniform(0.925, 0.9999, 10),
                           -rng.uniform(0.925, 0.9999, 10), [0.0, 0.3, -0.75]])
    for rho in rhos:
        a, b = rng.uniform(-5.0, 5.0, 2)
        # Genz's algorithm is accurate to ~1e-15 absolute; quadrature here to ~1e-16
        assert abs(bvn_cdf(a, b, rho) - reference(a, b, rho)) < 2e-14, (a, b, rho)
    assert bvn_cdf(0.3, -0.2, 1.0) == pytest.approx(ndtr(-0.2), abs=1e-15)
    assert bvn_cdf(0.3, -0.2, -1.0) == pytest.approx(max(0.0, ndtr(0.3) - ndtr(0.2)), abs=1e-15)


# --- Barone-Adesi-Whaley ------------------------------------------------------------------

def test_baw_matches_quantlib_on_random_grid():
    S, K, days, r, q, sigma, right = _random_grid(11, 60, rates=(0.001, 0.10))
    T = days / 360.0
    ours = american_price(S, K, T, r, q, sigma, right, method="baw")
    for i in range(S.size):
        ref = _ql_price(S[i], K[i], days[i], r[i], q[i], sigma[i], right[i],
                        ql.BaroneAdesiWhaleyApproximationEngine)
        # with QuantLib's stopping rule (Newton until the value-matching residual is below
        # 1e-6 of K) the iterates are the same arithmetic: equal to rounding
        euro = float(bsm_price(S[i], K[i], T[i], r[i], q[i], sigma[i], right[i]))
        if r[i] > 0.0 and (right[i] < 0.0 or q[i] > 0.0) and ref > euro:
            same_stop = baw_price(S[i], K[i], T[i], r[i], q[i], sigma[i], right[i], 1e-6)
            assert same_stop == pytest.approx(ref, abs=1e-10), i
        # converged (residual 1e-13), we differ from QuantLib by what its early stop leaves:
        # at most ~2e-5 over 200 such options, the median 1e-14
        assert ours[i] == pytest.approx(ref, abs=5e-5), i


# --- Bjerksund-Stensland 2002 -------------------------------------------------------------

def test_bs2002_matches_published_values():
    # Haug, "The Complete Guide to Option Pricing Formulas" (2007), BS2002 table: calls with
    # X = 100, T = 0.5, r = 0.1, b = 0 (q = r), quoted to 4 decimals
    haug = [((90.0, 100.0, 0.15), 0.8099), ((100.0, 100.0, 0.25), 6.7661),
            ((110.0, 100.0, 0.35), 15.5137), ((100.0, 90.0, 0.15), 10.5400),
            ((100.0, 110.0, 0.35), 5.8374)]
    for (S, K, vol), expected in haug:
        got = american_price(S, K, 0.5, 0.1, 0.1, vol, "c", method="bs2002")
        assert float(got) == pytest.approx(expected, abs=5e-5)
    # b = 0 makes the put-call transformation P(S, K) = C(K, S) exact
    put = american_price(90.0, 100.0, 0.5, 0.1, 0.1, 0.15, "p", method="bs2002")
    assert float(put) == pytest.approx(10.5400, abs=5e-5)
    # MathWorks optstockbybjs example: K = 100, r = 8%, q = 4%, vol 20%,
    # 1 Jan -> 1 Apr 2008 (91 days, actual/actual: T = 91/366): call at 90, put at 120
    T = 91.0 / 366.0
    assert float(american_price(90.0, 100.0, T, 0.08, 0.04, 0.2, "c", method="bs2002")) \
        == pytest.approx(0.8420, abs=5e-5)
    assert float(american_price(120.0, 100.0, T, 0.08, 0.04, 0.2, "p", method="bs2002")) \
        == pytest.approx(0.1108, abs=5e-5)


def test_bs2002_is_a_lower_bound_above_quantlibs_1993_version():
    # QuantLib 1.44's BjerksundStensland engine is the 1993 single-boundary version. Both are
    # values of feasible exercise strategies, hence below the American price; the two-step
    # boundary of 2002 improves on the flat one of 1993 on the paper's test cases.
    S, K, days, r, q, sigma, right = _random_grid(12, 40, k_range=(0.8, 1.25), max_days=720,
                                                  rates=(0.01, 0.10), vols=(0.1, 0.5))
    T = days / 360.0
    bs02 = american_price(S, K, T, r, q, sigma, right, method="bs2002")
    exact = american_price(S, K, T, r, q, sigma, right, method="qdfp")
    assert np.all(bs02 <= exact + 1e-4)
    assert np.all(bs02 >= exact - 0.02 * exact - 1e-3)
    better = 0
    for i in range(S.size):
        bs93 = _ql_price(S[i], K[i], days[i], r[i], q[i], sigma[i], right[i],
                         ql.BjerksundStenslandApproximationEngine)
        better += bs02[i] >= bs93 - 1e-10
    assert better >= 0.9 * S.size


# --- lattices -----------------------------------------------------------------------------

def _quantlib_grid_ends_at_maturity(days: int, steps: int) -> bool:
    # QuantLib's BinomialVanillaEngine drops the expiry payoff when TimeGrid(T, n)'s last
    # point rounds below T (American is then priced below European); skip those (T, n).
    T = days / 360.0
    return ql.TimeGrid(T, steps)[steps] == T


@pytest.mark.parametrize(("tree", "method"), [("crr", "crr"), ("lr", "binomial")])
def test_lattice_matches_quantlib_binomial_engine(tree, method):
    rng = np.random.default_rng(13)
    checked = 0
    while checked < 20:
        S, K, days, r, q, sigma, right = (a[0] for a in _random_grid(
            int(rng.integers(1 << 30)), 1, rates=(0.0, 0.10), vols=(0.1, 0.8)))
        steps = 2 * int(rng.integers(50, 200)) + 1
        if not _quantlib_grid_ends_at_maturity(int(days), steps):
            continue
        checked += 1
        ref = _ql_price(S, K, days, r, q, sigma, right,
                        lambda p, n=steps: ql.BinomialVanillaEngine(p, tree, n))
        ours = float(american_price(S, K, days / 360.0, r, q, sigma, right, method=method,
                                    steps=steps))
        # same tree, node prices and backward step; QuantLib derives the drift and variance
        # from its term structures numerically (relative noise ~1e-15 in the probabilities),
        # which a few hundred steps accumulate to a few 1e-10 on prices of order 10-60
        assert ours == pytest.approx(ref, abs=1e-9)


# --- QD+ fixed point ----------------------------------------------------------------------

def test_qdfp_matches_converged_reference_on_random_grid():
    S, K, days, r, q, sigma, right = _random_grid(14, 100, rates=(-0.01, 0.10))
    ours = american_price(S, K, days / 360.0, r, q, sigma, right)
    hp = ql.QdFpAmericanEngine.highPrecisionScheme()
    errors = []
    for i in range(S.size):
        r_put, q_put = (r[i], q[i]) if right[i] < 0 else (q[i], r[i])
        engine = (lambda p: ql.QdFpAmericanEngine(p, hp)) if not (q_put < r_put < 0) else (
            lambda p: ql.FdBlackScholesVanillaEngine(p, 800, 800, 0))
        errors.append(abs(ours[i] - _ql_price(S[i], K[i], days[i], r[i], q[i], sigma[i],
                                              right[i], engine)))
    errors = np.array(errors)
    # the target; on 1,500 options of this domain the default scheme's worst case is 2.2e-5
    # and QuantLib's high-precision scheme is itself good to ~1e-6
    assert errors.max() < 1e-4, errors.max()
    assert np.median(errors) < 1e-6


def test_qdfp_fast_and_accurate_schemes_bracket_the_default():
    S, K, days, r, q, sigma, right = _random_grid(15, 40, rates=(0.0, 0.1))
    T = days / 360.0
    ref = american_price(S, K, T, r, q, sigma, right, scheme=QdFpScheme.accurate())
    default = american_price(S, K, T, r, q, sigma, right)
    fast = american_price(S, K, T, r, q, sigma, right, scheme=QdFpScheme.fast())
    assert np.max(np.abs(default - ref)) < 5e-5
    assert np.max(np.abs(fast - ref)) < 5e-3


def test_double_boundary_negative_rates_match_finite_differences():
    # q < r < 0 for a put: exercise only between two boundaries; routed to the LR lattice
    cases = [(100.0, 105.0, 360, -0.01, -0.03, 0.15, -1.0), (100.0, 95.0, 540, -0.035, -0.005,
                                                                 0.2, 1.0)]
    for S, K, days, r, q, sigma, right in cases:
        ref = _ql_price(S, K, days, r, q, sigma, right,
                        lambda p: ql.FdBlackScholesVanillaEngine(p, 1000, 1000, 0))
        for method in ("qdfp", "baw", "bs2002", "binomial"):
            got = float(american_price(S, K, days / 360.0, r, q, sigma, right, method=method,
                                       steps=1601))
            # lattice (1601 steps) and FD (1000x1000) discretization, each ~1e-4 here
            assert got == pytest.approx(ref, abs=1e-3), method
        euro = float(bsm_price(S, K, days / 360.0, r, q, sigma, right))
        assert got > euro + 1e-3  # the early exercise is worth something here


# --- model-free identities and limits -----------------------------------------------------

_ALL = ("qdfp", "baw", "bs2002", "binomial", "crr")


@pytest.mark.parametrize("method", _ALL)
def test_calls_without_dividend_yield_equal_european(method):
    S, K, days, r, _, sigma, _ = _random_grid(16, 30, rates=(0.0, 0.1))
    T = days / 360.0
    q_call = np.where(np.arange(S.size) % 2 == 0, 0.0, -0.02)  # q <= 0 <= r: never exercised
    got = american_price(S, K, T, r, q_call, sigma, "c", method=method)
    np.testing.assert_allclose(got, bsm_price(S, K, T, r, q_call, sigma, "c"), rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", _ALL)
def test_american_is_at_least_european_and_exercise_value(method):
    S, K, days, r, q, sigma, right = _random_grid(17, 40, rates=(-0.01, 0.1))
    T = days / 360.0
    got = american_price(S, K, T, r, q, sigma, right, method=method, steps=301)
    assert np.all(np.isfinite(got))
    assert np.all(got >= np.maximum(right * (S - K), 0.0))
    euro = bsm_price(S, K, T, r, q, sigma, right)
    slack = 1e-12 if method in ("qdfp", "baw", "bs2002") else 5e-3  # lattice error
    assert np.all(got >= euro - slack)


def test_put_call_symmetry_across_methods():
    # C(S, K, r, q) = P(K, S, q, r): the lattice prices calls and puts on different trees,
    # so this holds to its discretization error; qdfp must agree with both
    S, K, days, r, q, sigma, _ = _random_grid(18, 20, rates=(0.0, 0.1), vols=(0.1, 0.6))
    T = days / 360.0
    call_lr = american_price(S, K, T, r, q, sigma, "c", method="binomial", steps=1601)
    put_lr = american_price(K, S, T, q, r, sigma, "p", method="binomial", steps=1601)
    call_qd = american_price(S, K, T, r, q, sigma, "c")
    np.testing.assert_allclose(call_lr, put_lr, atol=2e-3)
    np.testing.assert_allclose(call_qd, call_lr, atol=2e-3)


@pytest.mark.parametrize("method", _ALL)
def test_expired_and_zero_volatility_limits(method):
    S = np.array([90.0, 110.0, 100.0, 100.0])
    K = np.array([100.0, 100.0, 120.0, 80.0])
    right = np.array([-1.0, 1.0, -1.0, 1.0])
    expired = american_price(S, K, np.array([0.0, -1.0, 0.0, 0.0]), 0.05, 0.02, 0.3, right,
                             method=method)
    np.testing.assert_array_equal(expired, np.maximum(right * (S - K), 0.0))
    # zero vol: best exercise date of the deterministic forward path, by brute force
    r, q, T = 0.08, 0.03, 2.0
    t = np.linspace(0.0, T, 200_001)[:, None]
    brute = np.max(np.maximum(right * (S * np.exp(-q * t) - K * np.exp(-r * t)), 0.0), axis=0)
    got = american_price(S, K, T, r, q, 0.0, right, method=method)
    np.testing.assert_allclose(got, brute, atol=1e-9)
    # and the price is continuous into that limit
    tiny = american_price(S, K, T, r, q, 1e-7, right, method="qdfp")
    np.testing.assert_allclose(tiny, brute, atol=1e-5)


def test_low_volatility_against_the_carry_keeps_its_accuracy():
    # |r - q| sqrt(T) >> sigma: the drift crosses the boundary within a fraction of a standard
    # deviation (qdfp's quadrature would miss by up to 0.4 here; the lattice takes over). Deep
    # in the money, exercising now is optimal (finite differences agree to 1e-13).
    got = american_price([100.0, 100.0], [110.0, 83.29], [5.0, 8.575], [0.05, 0.0103],
                         [0.0, 0.0378], 0.003, [-1.0, 1.0])
    np.testing.assert_allclose(got, [10.0, 16.71], atol=1e-9)


def test_negative_rate_put_without_early_exercise_is_european():
    got = american_price(100.0, [90.0, 110.0], 1.0, -0.01, 0.02, 0.25, "p")
    np.testing.assert_allclose(got, bsm_price(100.0, [90.0, 110.0], 1.0, -0.01, 0.02, 0.25, "p"),
                               atol=1e-13)


def test_prices_broadcast_and_bad_arguments_raise():
    out = american_price(100.0, np.array([[90.0], [110.0]]), np.array([0.5, 1.0]), 0.05, 0.01,
                         0.3, "p")
    assert out.shape == (2, 2)
    assert out[1, 1] > out[1, 0] > out[0, 0]
    with pytest.raises(ValueError, match="S must be"):
        american_price(-1.0, 100.0, 1.0, 0.05, 0.0, 0.2, "p")
    with pytest.raises(ValueError, match="sigma must be"):
        american_price(100.0, 100.0, 1.0, 0.05, 0.0, -0.2, "p")
    with pytest.raises(ValueError, match="K must be"):
        american_price(100.0, np.nan, 1.0, 0.05, 0.0, 0.2, "p")
    with pytest.raises(ValueError, match="method"):
        american_price(100.0, 100.0, 1.0, 0.05, 0.0, 0.2, "p", method="trinomial")
    with pytest.raises(ValueError, match="steps"):
        american_price(100.0, 100.0, 1.0, 0.05, 0.0, 0.2, "p", method="crr", steps=1)
    with pytest.raises(ValueError, match="nodes"):
        QdFpScheme(nodes=1)
    with pytest.raises(ValueError, match="right"):
        american_price(100.0, 100.0, 1.0, 0.05, 0.0, 0.2, "x")


# --- discrete cash dividends --------------------------------------------------------------

_DIV_CASES = [  # S, K, days, r, sigma, right, dividend days, amounts (q = 0)
    (100.0, 100.0, 360, 0.05, 0.25, 1.0, [90, 270], [2.0, 2.0]),
    (100.0, 95.0, 360, 0.05, 0.30, 1.0, [175], [5.0]),
    (100.0, 110.0, 270, 0.04, 0.20, -1.0, [45, 135], [1.5, 1.5]),
    (100.0, 90.0, 180, 0.06, 0.35, 1.0, [179], [3.0]),
    (100.0, 105.0, 540, 0.03, 0.40, -1.0, [100, 280, 460], [1.0, 1.0, 1.0]),
]


def test_european_with_cash_dividends_matches_quantlib_escrowed_engine():
    for S, K, days, r, sigma, right, div_days, amounts in _DIV_CASES:
        divs = (np.array(div_days) / 360.0, np.array(amounts))
        ours = float(european_price_cash_dividends(S, K, days / 360.0, r, 0.0, sigma, right,
                                                   divs))
        ref = _ql_price(S, K, days, r, 0.0, sigma, right, ql.AnalyticDividendEuropeanEngine,
                        american=False, dividends=(div_days, amounts))
        assert ours == pytest.approx(ref, abs=1e-12)


def test_american_with_cash_dividends_matches_escrowed_finite_differences():
    def fd(p, schedule):
        return ql.FdBlackScholesVanillaEngine(
            p, schedule, 800, 800, 0, ql.FdmSchemeDesc.Douglas(), False, -ql.nullDouble(),
            ql.FdBlackScholesVanillaEngine.Escrowed)

    for S, K, days, r, sigma, right, div_days, amounts in _DIV_CASES:
        divs = (np.array(div_days) / 360.0, np.array(amounts))
        ref = _ql_price(S, K, days, r, 0.0, sigma, right, fd, dividends=(div_days, amounts))
        ours = float(american_price(S, K, days / 360.0, r, 0.0, sigma, right, dividends=divs,
                                    steps=1601))
        # FD moves by up to 7e-4 between 400x400 and 1600x1600 grids on these cases; the
        # lattice is first order once a dividend breaks its strike centring (1.8e-3 at 801
        # steps, 5e-4 at 3201 on the day-before-expiry dividend)
        assert ours == pytest.approx(ref, abs=1.5e-3)
        euro = float(european_price_cash_dividends(S, K, days / 360.0, r, 0.0, sigma, right,
                                                   divs))
        assert ours >= euro - 1e-3


def test_dividend_just_before_expiry_makes_a_call_worth_exercising():
    # deep in the money, 3.0 paid one day before expiry: exercising on its eve pays S - K
    # in full, holding loses the dividend, so the American call is worth about S - K
    S, K, T = 100.0, 80.0, 0.5
    divs = ([T - 1.0 / 360.0], [3.0])
    american = float(american_price(S, K, T, 0.05, 0.0, 0.2, "c", dividends=divs))
    european = float(european_price_cash_dividends(S, K, T, 0.05, 0.0, 0.2, "c", divs))
    assert american > european + 1.5
    assert american >= S - K


def test_price_is_nearly_continuous_in_the_ex_date():
    # the ex-date eve exercise inside a time step removes most of the r K dt staircase of a
    # plain lattice: with 201 steps the price moves by ~0.003 per quarter step, the jumps at
    # grid crossings stay below 0.008 (a plain lattice jumps by ~0.015 here)
    S, K, T, n = 100.0, 80.0, 0.5, 201
    dt = T / n
    times = 0.3 + np.linspace(0.0, 3.0 * dt, 13)
    prices = np.array([float(american_price(S, K, T, 0.06, 0.0, 0.25, "c", method="binomial",
                                            steps=n, dividends=([t], [4.0]))) for t in times])
    assert np.all(np.diff(prices) > 0.0)
    assert np.max(np.diff(prices)) < 0.008


def test_dividend_schedule_contract():
    with pytest.raises(ValueError, match="dividends"):
        american_price(100.0, 100.0, 1.0, 0.05, 0.0, 0.2, "c", dividends=([0.5], [1.0, 2.0]))
    with pytest.raises(ValueError, match="dividends"):
        american_price(100.0, 100.0, 1.0, 0.05, 0.0, 0.2, "c", dividends=([0.5], [-1.0]))
    with pytest.raises(ValueError, match="spot"):
        american_price(100.0, 100.0, 1.0, 0.05, 0.0, 0.2, "c", dividends=([0.5], [150.0]))
    # dividends outside [0, T) of an element do not touch it; an empty schedule is none
    plain = american_price(100.0, 100.0, 1.0, 0.05, 0.01, 0.2, "p", method="binomial")
    outside = american_price(100.0, 100.0, 1.0, 0.05, 0.01, 0.2, "p", method="binomial",
                             dividends=([-0.1, 1.0, 2.0], [1.0, 1.0, 1.0]))
    empty = american_price(100.0, 100.0, 1.0, 0.05, 0.01, 0.2, "p", dividends=([], []))
    assert float(outside) == float(plain)
    assert float(empty) == float(american_price(100.0, 100.0, 1.0, 0.05, 0.01, 0.2, "p"))


# --- implied volatility -------------------------------------------------------------------

@pytest.mark.parametrize("method", ["qdfp", "baw", "bs2002"])
def test_implied_vol_round_trip(method):
    S, K, days, r, q, sigma, right = _random_grid(19, 60, k_range=(0.7, 1.4),
                                                  rates=(-0.01, 0.1), vols=(0.08, 0.8))
    T = np.maximum(days, 7) / 360.0
    price = american_price(S, K, T, r, q, sigma, right, method=method)
    vol, status = american_implied_vol(price, S, K, T, r, q, right, method=method)
    # vega not negligible: bumping the vol by 1e-4 moves the price by more than 1e-8 S
    bumped = american_price(S, K, T, r, q, sigma + 1e-4, right, method=method)
    informative = bumped - price > 1e-6
    assert informative.sum() >= 45
    assert np.all(status[informative] == IVStatus.OK)
    np.testing.assert_allclose(vol[informative], sigma[informative], rtol=0, atol=1e-8)


def test_implied_vol_round_trip_on_the_lattice():
    S, K, T, r, q, sigma, right = 100.0, np.array([90.0, 100.0, 115.0]), 0.75, 0.04, 0.02, \
        np.array([0.2, 0.35, 0.5]), np.array([-1.0, 1.0, -1.0])
    price = american_price(S, K, T, r, q, sigma, right, method="crr", steps=200)
    vol, status = american_implied_vol(price, S, K, T, r, q, right, method="crr", steps=200)
    assert np.all(status == IVStatus.OK)
    np.testing.assert_allclose(vol, sigma, atol=1e-8)


def test_implied_vol_reason_codes_and_never_raises():
    S, K, T, r, q = 100.0, 120.0, 0.5, 0.05, 0.0
    exercise = K - S  # deep ITM put: 20.0 is its exercise value
    p_ok = float(american_price(S, K, T, r, q, 0.3, "p"))
    prices = np.array([p_ok, exercise - 0.5, exercise, exercise + 1e-11, K, K + 5.0, np.nan,
                       p_ok, p_ok, p_ok])
    spot = np.array([S] * 7 + [-1.0, S, S])
    expiry = np.array([T] * 8 + [0.0, T])
    rate = np.array([r] * 9 + [np.inf])
    vol, status = american_implied_vol(prices, spot, K, expiry, rate, q, "p")
    expected = [IVStatus.OK, IVStatus.BELOW_INTRINSIC, IVStatus.AT_INTRINSIC,
                IVStatus.VEGA_NEGLIGIBLE, IVStatus.ABOVE_UPPER_BOUND,
                IVStatus.ABOVE_UPPER_BOUND, IVStatus.BAD_INPUT, IVStatus.BAD_INPUT,
                IVStatus.BAD_INPUT, IVStatus.BAD_INPUT]
    assert status.tolist() == [int(e) for e in expected]
    assert vol[0] == pytest.approx(0.3, abs=1e-8)
    assert np.all(np.isnan(vol[1:]))
    # a call is bounded by the spot; below the zero-vol value (the forward intrinsic here)
    _, status_c = american_implied_vol([100.0, 2.0], 100.0, 95.0, 1.0, 0.05, 0.0, "c")
    assert status_c.tolist() == [IVStatus.ABOVE_UPPER_BOUND, IVStatus.BELOW_INTRINSIC]
    with pytest.raises(ValueError, match="method"):
        american_implied_vol(1.0, 100.0, 100.0, 1.0, 0.05, 0.0, "c", method="nope")
