import numpy as np
import pytest
from scipy.stats import norm

from optix.quant import bsm_greeks, bsm_price
from optix.quant.risk import (
    MarketState,
    Portfolio,
    StressScenario,
    historical_var,
    monte_carlo_var,
    parametric_var,
    portfolio_greeks,
    revalue,
    run_scenarios,
    stress_grid,
)


def _book():
    pf = Portfolio(
        underlying=["SPY", "SPY", "AAPL", "AAPL", "SPY"],
        right=["c", "p", "c", "s", "p"],
        strike=[600.0, 580.0, 230.0, 1.0, 560.0],
        expiry=[0.1, 0.25, 0.5, 1.0, 0.05],
        quantity=[10, -5, 20, 300, 15],
        iv=[0.18, 0.22, 0.3, 0.0, 0.25],
    )
    mkt = MarketState(spot=[225.0, 595.0], rate=0.04, dividend_yield=[0.005, 0.012])
    return pf, mkt


def test_portfolio_greeks_are_position_greeks_summed_in_the_documented_units():
    pf, mkt = _book()
    assert pf.underlyings == ("AAPL", "SPY")
    out = portfolio_greeks(pf, mkt)
    spy = [0, 1, 4]
    g = bsm_greeks(595.0, np.array([600.0, 580.0, 560.0]), np.array([0.1, 0.25, 0.05]), 0.04,
                   0.012, np.array([0.18, 0.22, 0.25]), ["c", "p", "p"], order=2)
    size = np.array([10, -5, 15]) * 100.0
    assert out.delta[1] == pytest.approx(np.sum(g.delta * size))
    assert out.vega[1] == pytest.approx(np.sum(g.vega * size) / 100)  # per vol point
    assert out.theta[1] == pytest.approx(np.sum(g.theta * size) / 365)  # per calendar day
    assert out.dollar_gamma[1] == pytest.approx(np.sum(g.gamma * size) * 595.0**2 / 100)
    # AAPL: 20 calls plus 300 shares with delta 1 each
    ga = bsm_greeks(225.0, 230.0, 0.5, 0.04, 0.005, 0.3, "c")
    assert out.delta[0] == pytest.approx(float(ga.delta) * 2000 + 300)
    assert out.value[0] == pytest.approx(float(ga.price) * 2000 + 300 * 225.0)
    assert out.total["vega"] == pytest.approx(out.vega.sum())
    assert list(out.to_frame().index) == ["AAPL", "SPY"]
    del spy


def test_revalue_is_zero_without_a_move_and_equals_repricing_with_one():
    pf, mkt = _book()
    assert revalue(pf, mkt, [[0.0, 0.0]])[0] == pytest.approx(0.0, abs=1e-9)
    pnl = revalue(pf, mkt, [[0.0, -0.03]], [[0.0, 0.05]], 2 / 365)
    s = 595.0 * 0.97
    before = bsm_price(595.0, [600, 580, 560], [0.1, 0.25, 0.05], 0.04, 0.012,
                       [0.18, 0.22, 0.25], ["c", "p", "p"])
    after = bsm_price(s, [600, 580, 560], np.array([0.1, 0.25, 0.05]) - 2 / 365, 0.04, 0.012,
                      np.array([0.18, 0.22, 0.25]) + 0.05, ["c", "p", "p"])
    aapl = (bsm_price(225.0, 230, 0.5 - 2 / 365, 0.04, 0.005, 0.3, "c")
            - bsm_price(225.0, 230, 0.5, 0.04, 0.005, 0.3, "c")) * 2000
    expected = np.sum((after - before) * np.array([10, -5, 15]) * 100) + aapl
    assert pnl[0] == pytest.approx(expected, rel=1e-12)


def test_parametric_delta_normal_is_the_normal_quantile_for_a_linear_book():
    pf = Portfolio(["A", "B"], ["s", "s"], [1, 1], [1, 1], [100, -40], [0, 0])
    mkt = MarketState([50.0, 80.0])
    cov = np.array([[0.02**2, 0.5 * 0.02 * 0.03], [0.5 * 0.02 * 0.03, 0.03**2]])
    d = np.array([100 * 50.0, -40 * 80.0])
    sd = np.sqrt(d @ cov @ d * 10)
    res = parametric_var(pf, mkt, cov, confidence=0.99, horizon_days=10)
    assert res.var == pytest.approx(sd * norm.ppf(0.99), rel=1e-12)
    # normal ES = sd * pdf(z) / alpha
    assert res.es == pytest.approx(sd * norm.pdf(norm.ppf(0.99)) / 0.01, rel=1e-6)


def test_delta_gamma_var_tracks_the_exact_quadratic_pnl_distribution():
    # a covered-call book (long stock, short calls: skew about -0.5); reference: the quantile
    # of the same quadratic form simulated directly
    pf = Portfolio(["X"] * 2, ["s", "c"], [1.0, 100.0], [1.0, 0.1], [5000, -30], [0.0, 0.3])
    mkt = MarketState([100.0], rate=0.0)
    cov = np.array([[0.015**2]])
    res = parametric_var(pf, mkt, cov, confidence=0.99)
    assert res.cf_monotone
    g = portfolio_greeks(pf, mkt)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(4_000_000) * 0.015 * 100.0
    pnl = g.delta[0] * x + 0.5 * g.gamma[0] * x**2 + g.theta[0] * 365 / 252
    exact_var = -np.quantile(pnl, 0.01)
    exact_es = -pnl[pnl <= -exact_var].mean()
    # Cornish-Fisher on the exact cumulants: its error grows with the skew; at this skew the
    # expansion is within 1-2 % (sampling error of the reference is ~0.2 %)
    assert res.var == pytest.approx(exact_var, rel=0.02)
    assert res.es == pytest.approx(exact_es, rel=0.03)
    linear = parametric_var(pf, mkt, cov, confidence=0.99, gamma=False)
    assert res.var > linear.var  # short gamma: the quadratic term adds loss


def test_monte_carlo_var_of_a_stock_matches_the_lognormal_quantile():
    pf = Portfolio(["A"], ["s"], [1.0], [1.0], [1000.0], [0.0])
    mkt = MarketState([40.0])
    vol = 0.02
    res = monte_carlo_var(pf, mkt, [[vol**2]], confidence=0.99, n_scenarios=200_000, seed=5)
    exact = -1000 * 40.0 * np.expm1(vol * norm.ppf(0.01) - 0.5 * vol**2)
    assert res.var_stderr is not None
    assert abs(res.var - exact) < 3 * res.var_stderr
    assert res.es > res.var


def test_historical_var_is_the_empirical_quantile_of_revalued_pnl():
    pf, mkt = _book()
    rng = np.random.default_rng(2)
    rets = rng.normal(0, 0.015, (500, 2))
    res = historical_var(pf, mkt, rets, confidence=0.95)
    # P&L by hand: every position repriced under each day's returns, one trading day later
    idx = np.array([1, 1, 0, 0, 1])
    spot = np.array([225.0, 595.0])[idx]
    div = np.array([0.005, 0.012])[idx]
    strike = np.array([600.0, 580.0, 230.0, 1.0, 560.0])
    expiry = np.array([0.1, 0.25, 0.5, 1.0, 0.05])
    iv = np.array([0.18, 0.22, 0.3, 0.2, 0.25])
    right = np.array(["c", "p", "c", "c", "p"])
    size = np.array([10, -5, 20, 300, 15]) * np.array([100, 100, 100, 1, 100])
    stock = np.arange(5) == 3
    s_new = spot * (1 + rets[:, idx])
    value = np.where(stock, s_new, bsm_price(s_new, strike, expiry - 1 / 252, 0.04, div, iv,
                                             right))
    base = np.where(stock, spot, bsm_price(spot, strike, expiry, 0.04, div, iv, right))
    pnl = (value - base) @ size
    assert res.var == pytest.approx(-np.quantile(pnl, 0.05))
    assert res.es == pytest.approx(-pnl[pnl <= np.quantile(pnl, 0.05)].mean())
    assert res.n_scenarios == 500


def test_stress_grid_and_named_scenarios_reprice_the_book():
    pf, mkt = _book()
    grid = stress_grid(pf, mkt, spot_moves=(-0.1, 0.0, 0.1), vol_points=(-5.0, 0.0, 5.0))
    assert grid.loc[0.0, 0.0] == pytest.approx(0.0, abs=1e-9)
    assert grid.loc[-0.1, 5.0] == pytest.approx(revalue(pf, mkt, -0.1, 0.05)[0])
    out = run_scenarios(pf, mkt, [StressScenario("crash", -0.2, 15.0),
                                  StressScenario("week", days=7)])
    assert out["crash"] == pytest.approx(revalue(pf, mkt, -0.2, 0.15)[0])
    assert out["week"] == pytest.approx(revalue(pf, mkt, 0.0, 0.0, 7 / 365)[0])


def test_bad_inputs_raise_pointed_errors():
    with pytest.raises(ValueError, match="right"):
        Portfolio(["A"], ["x"], [1.0], [1.0], [1.0], [0.2])
    with pytest.raises(ValueError, match="strike"):
        Portfolio(["A"], ["c"], [-1.0], [1.0], [1.0], [0.2])
    with pytest.raises(ValueError, match="quantity"):
        Portfolio(["A", "B"], ["c", "c"], [1.0, 1.0], [1.0, 1.0], [1.0, 2.0, 3.0], [0.2, 0.2])
    pf, mkt = _book()
    with pytest.raises(ValueError, match="spots"):
        portfolio_greeks(pf, MarketState([100.0]))
    with pytest.raises(ValueError, match="confidence"):
        parametric_var(pf, mkt, np.eye(2) * 1e-4, confidence=1.5)
    with pytest.raises(ValueError, match="cov"):
        parametric_var(pf, mkt, np.eye(3) * 1e-4)
    with pytest.raises(ValueError, match="spot_return"):
        revalue(pf, mkt, [[-1.5, 0.0]])
    with pytest.raises(ValueError, match="spot_move"):
        StressScenario("bad", -2.0)


def test_stock_rows_ignore_their_placeholder_strike_and_vol():
    pf = Portfolio(["A", "A"], ["s", "c"], [0.0, 100.0], [1.0, 0.5], [100, -1], [-1.0, 0.2])
    mkt = MarketState([100.0])
    g = portfolio_greeks(pf, mkt)
    call = bsm_greeks(100.0, 100.0, 0.5, 0.0, 0.0, 0.2, "c")
    assert g.delta[0] == pytest.approx(100 - 100 * float(call.delta))
    assert revalue(pf, mkt, [[0.01]])[0] == pytest.approx(
        100 * 1.0 - 100 * float(bsm_price(101.0, 100.0, 0.5, 0.0, 0.0, 0.2, "c")
                                - call.price))


def test_non_finite_vol_shift_or_covariance_is_rejected():
    pf, mkt = _book()
    with pytest.raises(ValueError, match="vol_shift"):
        revalue(pf, mkt, [[0.0, 0.0]], [[np.nan, 0.0]])
    with pytest.raises(ValueError, match="symmetric"):
        monte_carlo_var(pf, mkt, [[1e-4, 9e-5], [0.0, 1e-4]])


def test_delta_gamma_var_with_correlated_underlyings_matches_the_quadratic_form():
    # two underlyings, correlation 0.6, a long-gamma leg and a short-gamma leg: the cross
    # terms of the cumulants (d' S G S d ...) matter here, unlike in a one-name book
    pf = Portfolio(["A", "B", "A"], ["s", "c", "p"], [1.0, 50.0, 95.0], [1.0, 0.25, 0.2],
                   [400, -60, 40], [0.0, 0.35, 0.25])
    mkt = MarketState([100.0, 50.0], rate=0.03)
    vols = np.array([0.02, 0.03])
    cov = np.outer(vols, vols) * np.array([[1.0, 0.6], [0.6, 1.0]])
    res = parametric_var(pf, mkt, cov, confidence=0.99, horizon_days=2)
    g = portfolio_greeks(pf, mkt)
    rng = np.random.default_rng(4)
    x = rng.multivariate_normal(np.zeros(2), cov * 2, size=2_000_000) * mkt.spot
    pnl = x @ g.delta + 0.5 * (x**2) @ g.gamma + g.theta.sum() * 2 * 365 / 252
    exact_var = -np.quantile(pnl, 0.01)
    assert res.var == pytest.approx(exact_var, rel=0.02)
