import numpy as np
import pytest
import QuantLib as ql

from optix.quant import bsm_price
from optix.quant.greeks import black76_greeks, black76_price, bsm_greeks
from tests.optix.quant._ql import bsm_process, european


def test_published_values_haug_and_hull():
    # Haug, Complete Guide (2007) 1.1.6: call S=60 K=65 T=0.25 r=0.08 q=0 vol=0.30 -> 2.1334
    assert bsm_greeks(60, 65, 0.25, 0.08, 0.0, 0.30, "c").price == pytest.approx(2.1334, abs=5e-5)
    # Hull, Options Futures and Other Derivatives, Example 15.6: call 4.7594, put 0.8086
    g = bsm_greeks(42, 40, 0.5, 0.10, 0.0, 0.20, ["c", "p"])
    np.testing.assert_allclose(g.price, [4.7594, 0.8086], atol=5e-5)


def _grid(n: int, seed: int) -> list[tuple[float, float, int, float, float, float, str]]:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        S = float(rng.uniform(20, 500))
        K = float(S * np.exp(rng.uniform(-0.8, 0.8)))  # deep ITM to deep OTM
        days = int(rng.choice([1, 2, 7, 30, 91, 365, 1095]))  # near expiry to 3 years
        sigma = float(rng.choice([0.05, 0.2, 0.45, 1.2, 2.5]))  # includes very high vol
        r = float(rng.uniform(-0.01, 0.08))
        q = float(rng.uniform(0.0, 0.06))
        rows.append((S, K, days, r, q, sigma, str(rng.choice(["c", "p"]))))
    return rows


def test_first_order_greeks_match_quantlib_on_random_grid():
    rows = _grid(300, seed=7)
    ref = []
    for S, K, days, r, q, sigma, right in rows:
        opt = european(K, days, right)
        opt.setPricingEngine(ql.AnalyticEuropeanEngine(bsm_process(S, r, q, sigma)))
        ref.append([opt.NPV(), opt.delta(), opt.gamma(), opt.vega(), opt.theta(), opt.rho(),
                    opt.dividendRho()])
    ref = np.array(ref)
    S, K, days, r, q, sigma, right = (np.array(c) for c in zip(*rows, strict=True))
    g = bsm_greeks(S, K, days / 365.0, r, q, sigma, right)
    ours = np.column_stack([g.price, g.delta, g.gamma, g.vega, g.theta, g.rho, g.epsilon])
    # both are closed forms in double precision. Relative agreement 1e-9, with an absolute
    # floor of 1e-13 x spot: far out of the money both sides subtract two products of size
    # ~spot (S e^-qT N(d1) - K e^-rT N(d2)), so absolute rounding of ~1e-16 x spot x the
    # number of operations is all either can promise there
    err = np.abs(ours - ref)
    np.testing.assert_array_less(err, 1e-9 * np.abs(ref) + 1e-13 * S[:, None])


def _fd(f, x, h):
    # five-point central difference: truncation O(h^4), rounding ~eps * |f| / h
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


@pytest.mark.parametrize("right", ["c", "p"])
def test_higher_order_greeks_match_finite_differences(right):
    rng = np.random.default_rng(3)
    n = 200
    S = rng.uniform(50, 150, n)
    K = rng.uniform(60, 140, n)
    T = rng.uniform(0.05, 2.0, n)
    sig = rng.uniform(0.1, 0.8, n)
    r, q = 0.04, 0.015
    g = bsm_greeks(S, K, T, r, q, sig, right, order=3)

    def greek(name, **kw):
        args = {"S": S, "T": T, "sigma": sig} | kw
        return getattr(bsm_greeks(args["S"], K, args["T"], r, q, args["sigma"], right,
                                  order=1), name)

    hs, hv, ht = 1e-4 * S, 1e-4, 1e-5
    checks = {
        "vanna": _fd(lambda v: greek("delta", sigma=v), sig, hv),
        "charm": -_fd(lambda t: greek("delta", T=t), T, ht),
        "vomma": _fd(lambda v: greek("vega", sigma=v), sig, hv),
        "veta": -_fd(lambda t: greek("vega", T=t), T, ht),
        "speed": _fd(lambda s: greek("gamma", S=s), S, hs),
        "zomma": _fd(lambda v: greek("gamma", sigma=v), sig, hv),
        "color": -_fd(lambda t: greek("gamma", T=t), T, ht),
    }
    # the stencil's truncation is ~1e-12 relative here and its rounding eps/h ~ 1e-11; 1e-5
    # of each Greek (or of its largest value on the grid, for values near 0) is far above both
    for name, fd in checks.items():
        ours = getattr(g, name)
        np.testing.assert_allclose(ours, fd, rtol=1e-5, atol=1e-5 * np.max(np.abs(fd)),
                                   err_msg=name)
    # first-order Greeks against differences of the independent numpy pricer
    price = lambda **kw: bsm_price(kw.get("S", S), K, kw.get("T", T), kw.get("r", r), q,  # noqa: E731
                                   kw.get("sigma", sig), right)
    np.testing.assert_allclose(g.delta, _fd(lambda s: price(S=s), S, hs), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g.vega, _fd(lambda v: price(sigma=v), sig, hv), rtol=1e-6,
                               atol=1e-6)
    np.testing.assert_allclose(g.theta, -_fd(lambda t: price(T=t), T, ht), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(g.rho, _fd(lambda x: price(r=x), r, 1e-5), rtol=1e-6, atol=1e-6)


def test_greeks_are_finite_at_the_limits_and_continuous_into_them():
    S, r, q = 100.0, 0.05, 0.02
    K = np.array([50.0, 90.0, 110.0, 200.0, 1e4, 1e-3])
    for right in ("c", "p"):
        for T, sig in ((1e-12, 0.3), (1.0, 1e-12), (0.5, 8.0), (30.0, 0.2)):
            g = bsm_greeks(S, K, T, r, q, sig, right, order=3)
            for name, val in g.as_dict().items():
                assert np.all(np.isfinite(val)), (right, T, sig, name, val)
        # T -> 0 tends to the expired values, sigma -> 0 to the discounted forward intrinsic
        near = bsm_greeks(S, K, 1e-10, r, q, 0.3, right)
        expired = bsm_greeks(S, K, 0.0, r, q, 0.3, right)
        np.testing.assert_allclose(near.price, expired.price, atol=1e-6)
        np.testing.assert_allclose(near.delta, expired.delta, atol=1e-9)
        calm = bsm_greeks(S, K, 0.7, r, q, 1e-9, right)
        flat = bsm_greeks(S, K, 0.7, r, q, 0.0, right)
        np.testing.assert_allclose(calm.price, flat.price, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(calm.theta, flat.theta, rtol=1e-9, atol=1e-9)
    expired = bsm_greeks([90.0, 110.0], 100.0, 0.0, r, q, 0.3, ["c", "p"])
    np.testing.assert_array_equal(expired.price, [0.0, 0.0])
    np.testing.assert_array_equal(expired.delta, [0.0, 0.0])
    itm = bsm_greeks([110.0, 90.0], 100.0, -1.0, r, q, 0.3, ["c", "p"])
    np.testing.assert_array_equal(itm.price, [10.0, 10.0])
    np.testing.assert_array_equal(itm.delta, [1.0, -1.0])


def test_put_call_parity_and_delta_relation():
    S, K, T, r, q, sig = 100.0, np.linspace(40, 250, 50), 0.8, 0.03, 0.01, 0.35
    c = bsm_greeks(S, K, T, r, q, sig, "c", order=2)
    p = bsm_greeks(S, K, T, r, q, sig, "p", order=2)
    np.testing.assert_allclose(c.price - p.price, S * np.exp(-q * T) - K * np.exp(-r * T),
                               atol=1e-12 * S)
    np.testing.assert_allclose(c.delta - p.delta, np.exp(-q * T), atol=1e-14)
    np.testing.assert_allclose(c.gamma, p.gamma, rtol=1e-12)
    np.testing.assert_allclose(c.vega, p.vega, rtol=1e-12)
    assert c.vanna is not None and p.vanna is not None
    np.testing.assert_allclose(c.vanna, p.vanna, rtol=1e-12, atol=1e-14)


def test_black76_matches_quantlib_black_formula_and_rho_is_minus_t_times_price():
    rng = np.random.default_rng(11)
    F = rng.uniform(50, 5000, 100)
    K = F * np.exp(rng.uniform(-0.5, 0.5, 100))
    T = rng.uniform(0.01, 3, 100)
    sig = rng.uniform(0.05, 0.9, 100)
    r = 0.045
    right = np.where(rng.random(100) < 0.5, "c", "p")
    ref = [ql.blackFormula(ql.Option.Call if w == "c" else ql.Option.Put, k, f,
                           s * np.sqrt(t), np.exp(-r * t))
           for f, k, t, s, w in zip(F, K, T, sig, right, strict=True)]
    err = np.abs(black76_price(F, K, T, r, sig, right) - ref)
    np.testing.assert_array_less(err, 1e-11 * np.abs(ref) + 1e-13 * F)
    g = black76_greeks(F, K, T, r, sig, right)
    np.testing.assert_allclose(g.rho, -T * g.price, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(g.epsilon, 0.0)
    fd_delta = (black76_price(F + 1e-4 * F, K, T, r, sig, right)
                - black76_price(F - 1e-4 * F, K, T, r, sig, right)) / (2e-4 * F)
    np.testing.assert_allclose(g.delta, fd_delta, rtol=1e-6, atol=1e-8)


def test_market_units_divide_by_the_documented_factors():
    g = bsm_greeks(100, 105, 0.5, 0.03, 0.0, 0.25, "c", order=3)
    m = g.per_market_units()
    assert float(m.vega) == pytest.approx(float(g.vega) / 100)
    assert float(m.theta) == pytest.approx(float(g.theta) / 365)
    assert float(m.veta) == pytest.approx(float(g.veta) / 36500)
    assert float(m.rho) == pytest.approx(float(g.rho) / 100)
    assert float(m.gamma) == float(g.gamma)


def test_bad_inputs_raise_naming_the_row():
    with pytest.raises(ValueError, match="row 1"):
        bsm_greeks([100.0, -1.0], 100.0, 1.0, 0.0, 0.0, 0.2, "c")
    with pytest.raises(ValueError, match="sigma"):
        bsm_greeks(100.0, 100.0, 1.0, 0.0, 0.0, -0.2, "c")
    with pytest.raises(ValueError, match="right"):
        bsm_greeks(100.0, 100.0, 1.0, 0.0, 0.0, 0.2, "x")
    with pytest.raises(ValueError, match="order"):
        bsm_greeks(100.0, 100.0, 1.0, 0.0, 0.0, 0.2, "c", order=4)


def test_broadcasting_keeps_the_input_shape():
    g = bsm_greeks(np.array([[100.0], [110.0]]), np.array([90.0, 100.0, 110.0]), 0.5, 0.02,
                   0.0, 0.3, "c", order=2)
    assert g.price.shape == (2, 3)
    assert g.vanna is not None and g.vanna.shape == (2, 3)
    assert g.speed is None


def test_fast_normal_cdf_keeps_relative_precision_on_both_tails():
    import math

    from optix.quant._special import norm_cdf_given_pdf

    # reference: libm's erfc (correctly rounded to ~1 ulp; scipy's ndtr is looser in the tail)
    x = np.linspace(-37.0, 37.0, 40_001)
    pdf = np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
    ours = np.array([norm_cdf_given_pdf(a, b) for a, b in zip(x, pdf, strict=True)])
    ref = np.array([0.5 * math.erfc(-a / math.sqrt(2)) for a in x])
    small = ref < 0.5  # the lower tail, where relative precision is what matters
    rel = np.abs(ours - ref)[small] / ref[small]
    assert rel.max() < 3e-14
    assert np.abs(ours - ref).max() < 1e-15


def test_bad_rates_and_prices_inputs_raise_instead_of_returning_a_number():
    with pytest.raises(ValueError, match="r="):
        bsm_greeks(100.0, 100.0, 1.0, np.nan, 0.0, 0.2, "c")
    with pytest.raises(ValueError, match="T="):
        bsm_greeks(100.0, 100.0, np.inf, 0.0, 0.0, 0.2, "c")
    for kwargs, name in (({"T": np.nan}, "T"), ({"sigma": np.nan}, "sigma"),
                         ({"S": -100.0}, "S"), ({"sigma": -0.1}, "sigma"), ({"q": np.inf}, "q")):
        args = {"S": 100.0, "K": 90.0, "T": 1.0, "r": 0.0, "q": 0.0, "sigma": 0.2} | kwargs
        with pytest.raises(ValueError, match=f"^{name} must"):
            bsm_price(args["S"], args["K"], args["T"], args["r"], args["q"], args["sigma"], "c")


def test_vega_and_vanna_take_their_one_sided_limit_at_zero_vol_on_the_forward():
    # S e^-qT == K e^-rT exactly when r == q and S == K
    at = bsm_greeks(100.0, 100.0, 1.0, 0.02, 0.02, 0.0, "c", order=2)
    near = bsm_greeks(100.0, 100.0, 1.0, 0.02, 0.02, 1e-9, "c", order=2)
    assert float(at.vega) == pytest.approx(float(near.vega), rel=1e-8)
    assert at.vanna is not None and near.vanna is not None
    assert float(at.vanna) == pytest.approx(float(near.vanna), rel=1e-6)
    assert np.isinf(at.gamma)
