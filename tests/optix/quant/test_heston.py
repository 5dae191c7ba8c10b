"""Heston pricing and calibration: published values, QuantLib, limits, Jacobian, calibration."""

from dataclasses import replace

import numpy as np
import pytest
import QuantLib as ql

from optix.quant.bsm import bsm_price
from optix.quant.heston import (
    HestonCalibration,
    HestonParams,
    calibrate_heston,
    heston_price,
    initial_guess,
)
from optix.quant.heston.pricing import _evaluate, _prepare
from optix.quant.iv import implied_vol

_TODAY = ql.Date(15, 3, 2024)
_DC = ql.Actual365Fixed()


def _ql_prices(S, r, q, p, days, K, w):
    """QuantLib AnalyticHestonEngine, adaptive Gauss-Lobatto at relative tolerance 1e-12."""
    ql.Settings.instance().evaluationDate = _TODAY
    rts = ql.YieldTermStructureHandle(ql.FlatForward(_TODAY, r, _DC))
    qts = ql.YieldTermStructureHandle(ql.FlatForward(_TODAY, q, _DC))
    process = ql.HestonProcess(rts, qts, ql.QuoteHandle(ql.SimpleQuote(S)),
                               p.v0, p.kappa, p.theta, p.xi, p.rho)
    engine = ql.AnalyticHestonEngine(ql.HestonModel(process), 1e-12, 1_000_000)
    out = []
    for d, k, ww in zip(days, K, w, strict=True):
        payoff = ql.PlainVanillaPayoff(ql.Option.Call if ww > 0 else ql.Option.Put, float(k))
        option = ql.VanillaOption(payoff, ql.EuropeanExercise(_TODAY + int(d)))
        option.setPricingEngine(engine)
        out.append(option.NPV())
    return np.array(out)


# ---------------------------------------------------------------- parameters


def test_params_validate_each_field_by_name():
    good = {"v0": 0.04, "kappa": 1.0, "theta": 0.04, "xi": 0.5, "rho": -0.5}
    for name, bad in [("v0", -1e-9), ("kappa", 0.0), ("theta", -0.1), ("xi", 0.0),
                      ("rho", 1.0), ("rho", -1.0), ("kappa", float("nan")), ("xi", "0.5")]:
        with pytest.raises(ValueError, match=name):
            HestonParams(**{**good, name: bad})


def test_feller_flag_compares_two_kappa_theta_with_xi_squared():
    assert HestonParams(0.04, 2.0, 0.0625, 0.5, -0.7).feller  # 0.25 >= 0.25 (exact in binary)
    assert not HestonParams(0.04, 2.0, 0.0625, 0.51, -0.7).feller


# ---------------------------------------------------------------- published values


def test_lewis_2001_reference_values():
    # Lewis (2001), "A simple option formula for general jump-diffusion...", Heston example.
    p = HestonParams(v0=0.04, kappa=4.0, theta=0.25, xi=1.0, rho=-0.5)
    got = heston_price(100.0, [80.0, 100.0, 120.0], 1.0, 0.01, 0.02, p, "c")
    ref = [26.774758743998854, 16.070154917028834, 9.024913483457836]
    # The published values carry 15+ digits; our quadrature targets 1e-12 of the forward.
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)


def test_fang_oosterlee_cos_paper_value():
    # Fang & Oosterlee (2008), COS method, Heston test (their Table 4): reference 5.785155450.
    # That 10-digit reference is 1.6e-8 above the value that adaptive quadrature and QuantLib
    # (Gauss-Lobatto at 1e-12) both give, 5.78515543437619, hence 2e-8 against the paper and
    # 1e-11 against QuantLib.
    p = HestonParams(v0=0.0175, kappa=1.5768, theta=0.0398, xi=0.5751, rho=-0.5711)
    got = float(heston_price(100.0, 100.0, 1.0, 0.0, 0.0, p, "c"))
    assert abs(got - 5.785155450) < 2e-8
    assert abs(got - _ql_prices(100.0, 0.0, 0.0, p, [365], [100.0], [1.0])[0]) < 1e-11


# ---------------------------------------------------------------- QuantLib on a random grid


def test_matches_quantlib_on_random_grid():
    # Strikes 0.5S..2S, expiries 1 day..5 years, Feller satisfied and violated, rho in
    # [-0.9, 0.5], calls and puts. Tolerance 1e-11 * S: our quadrature, truncation and wing
    # cut-off each target 1e-12 of the discounted forward and QuantLib's adaptive Lobatto runs
    # at relative tolerance 1e-12, so both are good to ~1e-12 * S (observed max 8e-15 * S);
    # the 1e-11 bar still sits ten times inside the 1e-10 * S accuracy contract.
    rng = np.random.default_rng(20240315)
    S = 100.0
    for trial in range(10):
        kappa, theta = rng.uniform(0.3, 6.0), rng.uniform(0.01, 0.3)
        feller_xi = np.sqrt(2 * kappa * theta)
        xi = feller_xi * (rng.uniform(0.2, 0.95) if trial % 2 == 0 else rng.uniform(1.1, 3.0))
        p = HestonParams(rng.uniform(0.005, 0.3), kappa, theta, xi, rng.uniform(-0.9, 0.5))
        assert p.feller == (trial % 2 == 0)
        r, q = rng.uniform(-0.01, 0.06), rng.uniform(0.0, 0.04)
        days = rng.integers(7, 5 * 365, 30)
        days[:3] = [1, 2, 7]
        K = S * np.exp(rng.uniform(np.log(0.5), np.log(2.0), 30))
        w = rng.choice([1.0, -1.0], 30)
        ref = _ql_prices(S, r, q, p, days, K, w)
        got = heston_price(S, K, days / 365.0, r, q, p, w)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-11 * S, err_msg=str(p))


def test_short_dated_deep_wings_match_quantlib_and_are_never_negative():
    # One-day options out to 0.5S / 2S, where most of the prices are below 1e-12: the wing
    # cut-off (moment bounds) must not lose the few that are not, and nothing may go negative.
    S = 100.0
    K = S * np.linspace(0.5, 2.0, 61)
    for p in (HestonParams(0.04, 1.5, 0.04, 0.9, -0.8), HestonParams(0.6, 3.0, 0.3, 2.0, 0.3)):
        for w in (1.0, -1.0):
            got = heston_price(S, K, 1 / 365, 0.03, 0.01, p, w)
            ref = _ql_prices(S, 0.03, 0.01, p, [1] * K.size, K, [w] * K.size)
            assert np.all(got >= 0.0)
            np.testing.assert_allclose(got, ref, rtol=0, atol=1e-11 * S)


# ---------------------------------------------------------------- structure and limits


def test_put_call_parity_holds_to_rounding():
    p = HestonParams(0.09, 2.0, 0.05, 0.8, -0.6)
    K = np.linspace(50.0, 200.0, 31)
    T = np.array([[1 / 365], [0.1], [1.0], [5.0]])
    c = heston_price(100.0, K, T, 0.04, 0.015, p, "c")
    pp = heston_price(100.0, K, T, 0.04, 0.015, p, "p")
    fwd_parity = 100.0 * np.exp(-0.015 * T) - K * np.exp(-0.04 * T)
    np.testing.assert_allclose(c - pp, fwd_parity, rtol=0, atol=1e-12 * 100.0)


def test_vectorized_over_strikes_and_expiries_equals_one_by_one():
    p = HestonParams(0.05, 1.2, 0.06, 0.7, -0.65)
    K = np.array([70.0, 95.0, 100.0, 130.0])
    T = np.array([[0.02], [0.5], [3.0]])
    right = np.array(["p", "c", "c", "c"])
    grid = heston_price(100.0, K, T, 0.01, 0.0, p, right)
    assert grid.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            one = heston_price(100.0, K[j], T[i, 0], 0.01, 0.0, p, right[j])
            assert one.shape == ()
            assert abs(float(one) - grid[i, j]) < 1e-13 * 100.0


def test_expiry_at_or_below_zero_is_intrinsic_and_tiny_expiry_converges_to_it():
    p = HestonParams(0.04, 1.0, 0.04, 0.5, -0.5)
    K = np.array([80.0, 99.0, 100.0, 101.0, 120.0])
    for T in (0.0, -0.5):
        np.testing.assert_array_equal(heston_price(100.0, K, T, 0.05, 0.0, p, "c"),
                                      np.maximum(100.0 - K, 0.0))
        np.testing.assert_array_equal(heston_price(100.0, K, T, 0.05, 0.0, p, "p"),
                                      np.maximum(K - 100.0, 0.0))
    # T = 1e-10 years: time value ~ S sigma sqrt(T/2pi) ~ 8e-5 at the money, 0 elsewhere.
    tiny = heston_price(100.0, K, 1e-10, 0.0, 0.0, p, "c")
    np.testing.assert_allclose(tiny, np.maximum(100.0 - K, 0.0), rtol=0, atol=1e-4)
    assert tiny[2] == pytest.approx(100.0 * 0.2 * np.sqrt(1e-10 / (2 * np.pi)), rel=1e-3)


def test_zero_variance_gives_discounted_forward_intrinsic():
    p = HestonParams(0.0, 1.0, 0.0, 0.5, -0.5)
    K = np.array([80.0, 100.0, 101.0, 120.0])
    got = heston_price(100.0, K, 1.0, 0.03, 0.01, p, "c")
    want = np.maximum(100.0 * np.exp(-0.01) - K * np.exp(-0.03), 0.0)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_small_vol_of_vol_approaches_bsm_with_the_mean_variance():
    # As xi -> 0 the variance is deterministic, v(t) = theta + (v0 - theta) exp(-kappa t), and
    # the price is Black-Scholes with sigma^2 = its average over [0, T]. The error is O(xi^2)
    # for rho = 0 and O(rho xi) otherwise; the stable form keeps this down to xi = 1e-8, where
    # the textbook formula (division by xi^2) has long lost every digit.
    K = np.linspace(60.0, 160.0, 11)
    T = 1.5

    def gap(xi, rho):
        p = HestonParams(0.04, 2.0, 0.09, xi, rho)
        var = p.theta + (p.v0 - p.theta) * -np.expm1(-p.kappa * T) / (p.kappa * T)
        bs = bsm_price(100.0, K, T, 0.03, 0.01, np.sqrt(var), "c")
        return np.abs(heston_price(100.0, K, T, 0.03, 0.01, p, "c") - bs).max()

    assert gap(1e-4, 0.0) < 1e-7
    assert gap(1e-8, 0.0) < 1e-11
    assert gap(1e-6, -0.5) < 1e-5
    assert 9.0 < gap(1e-5, -0.5) / gap(1e-6, -0.5) < 11.0  # linear in xi


def test_near_zero_variance_is_refused_rather_than_integrated_for_minutes():
    # v0 = theta = 1e-12 with strikes 0.5S..2S: the characteristic function is ~1 out to
    # u ~ 1e11, so the Fourier integral would need billions of nodes; the pricer says so.
    p = HestonParams(1e-12, 1.0, 1e-12, 0.5, -0.5)
    with pytest.raises(ValueError, match="decays too slowly"):
        heston_price(100.0, np.linspace(50.0, 200.0, 7), 1.0, 0.0, 0.0, p, "c")


def test_heston_price_rejects_bad_inputs_by_name():
    p = HestonParams(0.04, 1.0, 0.04, 0.5, -0.5)
    with pytest.raises(ValueError, match="S"):
        heston_price(-1.0, 100.0, 1.0, 0.0, 0.0, p, "c")
    with pytest.raises(ValueError, match="K"):
        heston_price(100.0, [100.0, 0.0], 1.0, 0.0, 0.0, p, "c")
    with pytest.raises(ValueError, match="T"):
        heston_price(100.0, 100.0, np.nan, 0.0, 0.0, p, "c")
    with pytest.raises(ValueError, match="right"):
        heston_price(100.0, 100.0, 1.0, 0.0, 0.0, p, "x")
    with pytest.raises(ValueError, match="broadcast"):
        heston_price(100.0, [90.0, 100.0, 110.0], [0.5, 1.0], 0.0, 0.0, p, "c")
    with pytest.raises(ValueError, match="params"):
        heston_price(100.0, 100.0, 1.0, 0.0, 0.0, (0.04, 1.0, 0.04, 0.5, -0.5), "c")  # type: ignore[arg-type]


# ---------------------------------------------------------------- Jacobian


def test_analytic_jacobian_matches_central_differences():
    rng = np.random.default_rng(7)
    K, T = np.meshgrid([70.0, 90.0, 100.0, 110.0, 140.0], [0.03, 0.3, 1.0, 4.0])
    quotes = _prepare(100.0, K, T, 0.02, 0.01, np.where(K > 100.0, "c", "p"))
    names = ("v0", "kappa", "theta", "xi", "rho")
    for _ in range(6):
        p = HestonParams(rng.uniform(0.01, 0.3), rng.uniform(0.3, 6.0), rng.uniform(0.01, 0.3),
                         rng.uniform(0.1, 2.0), rng.uniform(-0.9, 0.6))
        _, jac = _evaluate(quotes, p, want_jac=True)
        for j, name in enumerate(names):
            h = 1e-5 * max(abs(getattr(p, name)), 1e-2)
            up = _evaluate(quotes, replace(p, **{name: getattr(p, name) + h}), False)[0]
            dn = _evaluate(quotes, replace(p, **{name: getattr(p, name) - h}), False)[0]
            fd = (up - dn) / (2 * h)
            # Central differences are good to ~h^2 * f''' + 1e-12/h ~ 1e-7 relative here.
            err = np.abs(jac[:, j] - fd).max() / np.abs(fd).max()
            assert err < 1e-5, (name, p, err)


# ---------------------------------------------------------------- calibration


def _surface():
    K, T = np.meshgrid([80.0, 90.0, 95.0, 100.0, 105.0, 110.0, 120.0],
                       [0.1, 0.25, 0.5, 1.0, 2.0])
    K, T = K.ravel(), T.ravel()
    return K, T, np.where(K < 100.0, "p", "c")


@pytest.mark.parametrize("vega_weighted", [False, True])
def test_calibration_recovers_parameters_from_default_start(vega_weighted):
    K, T, right = _surface()
    true = HestonParams(v0=0.03, kappa=2.5, theta=0.06, xi=0.9, rho=-0.7)
    prices = heston_price(100.0, K, T, 0.02, 0.01, true, right)
    res = calibrate_heston(100.0, K, T, 0.02, 0.01, prices, right, vega_weighted=vega_weighted)
    assert isinstance(res, HestonCalibration)
    assert res.success and res.n_quotes == 35
    # Model-generated prices are fitted to the pricer's own accuracy (1e-12 * S), and the
    # 35 quotes identify all five parameters: they come back to 1e-6 relative.
    np.testing.assert_allclose(res.params.as_tuple(), true.as_tuple(), rtol=1e-6)
    assert res.rmse < 1e-9 and res.max_abs_error < 1e-8


def test_calibration_from_initial_guess_far_away_and_feller_violated():
    K, T, right = _surface()
    true = HestonParams(v0=0.08, kappa=1.0, theta=0.03, xi=1.4, rho=-0.4)
    assert not true.feller
    prices = heston_price(100.0, K, T, 0.0, 0.0, true, right)
    start = HestonParams(0.01, 5.0, 0.2, 0.2, 0.3)
    res = calibrate_heston(100.0, K, T, 0.0, 0.0, prices, right, initial=start)
    np.testing.assert_allclose(res.params.as_tuple(), true.as_tuple(), rtol=1e-6)


def test_initial_guess_reads_level_term_structure_and_skew():
    K, T, right = _surface()
    true = HestonParams(v0=0.02, kappa=2.0, theta=0.08, xi=0.6, rho=-0.75)
    prices = heston_price(100.0, K, T, 0.0, 0.0, true, right)
    iv = implied_vol(prices, 100.0, K, T, 0.0, 0.0, right).vol
    guess = initial_guess(T, np.log(K / 100.0), iv)
    assert 0.5 * true.v0 < guess.v0 < 2.0 * true.v0
    assert 0.5 * true.theta < guess.theta < 2.0 * true.theta
    assert guess.rho < -0.3  # negative skew read as negative correlation


def test_calibration_rejects_bad_inputs_by_name():
    K, T, right = _surface()
    prices = heston_price(100.0, K, T, 0.0, 0.0, HestonParams(0.04, 1, 0.04, 0.5, -0.5), right)
    with pytest.raises(ValueError, match="K"):
        calibrate_heston(100.0, K[:-1], T, 0.0, 0.0, prices, right)
    with pytest.raises(ValueError, match="right"):
        calibrate_heston(100.0, K, T, 0.0, 0.0, prices, right[:3])
    with pytest.raises(ValueError, match="weights"):
        calibrate_heston(100.0, K, T, 0.0, 0.0, prices, right, weights=np.ones(3))
    with pytest.raises(ValueError, match="prices"):
        calibrate_heston(100.0, K, T, 0.0, 0.0, np.where(K == 100.0, 0.0, prices), right)
    with pytest.raises(ValueError, match="prices"):
        calibrate_heston(100.0, K, T, 0.0, 0.0, -prices, right)
    with pytest.raises(ValueError, match="T"):
        calibrate_heston(100.0, K, np.where(K == 100.0, 0.0, T), 0.0, 0.0, prices, right)
    with pytest.raises(ValueError, match="initial"):
        calibrate_heston(100.0, K, T, 0.0, 0.0, prices, right, initial=(0.04, 1, 0.04, 0.5, 0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bounds"):
        lo = HestonParams(0.1, 1.0, 0.1, 0.1, 0.0)
        calibrate_heston(100.0, K, T, 0.0, 0.0, prices, right, bounds=(lo, lo))
