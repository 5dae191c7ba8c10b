import numpy as np
import pytest
import QuantLib as ql

from optix.quant import bsm_greeks
from optix.quant.iv import black76_implied_vol, implied_vol
from optix.quant.ivstatus import IVStatus
from tests.optix.quant._ql import bsm_process, european


def _random_market(n, seed):
    rng = np.random.default_rng(seed)
    S = 100.0
    K = S * np.exp(rng.uniform(-2.0, 2.0, n))  # 13 % to 740 % of spot
    T = np.exp(rng.uniform(np.log(1 / 365), np.log(5.0), n))  # one day to five years
    sig = rng.uniform(0.02, 2.0, n)
    right = np.where(rng.random(n) < 0.5, "c", "p")
    return S, K, T, 0.03, 0.01, sig, right


def test_round_trip_is_machine_precise_wherever_vega_is_not_negligible():
    S, K, T, r, q, sig, right = _random_market(200_000, seed=1)
    g = bsm_greeks(S, K, T, r, q, sig, right)
    res = implied_vol(g.price, S, K, T, r, q, right)
    # The input price itself carries rounding of ~eps * max(S, K) (the pricing formula
    # subtracts terms of that size), which moves the implied vol by eps * max(S, K) / vega.
    # Where vega >= 1e-5 * max(S, K) that is <= 2.2e-11, so 1e-10 leaves margin for the
    # solver and nothing for a wrong root.
    informative = g.vega >= 1e-5 * np.maximum(S, K)
    assert informative.sum() > 100_000
    assert np.all(res.status[informative] == IVStatus.OK)
    assert np.max(np.abs(res.vol - sig)[informative]) <= 1e-10
    # elsewhere: either a converged vol or an explicit reason, never a silent wrong number
    ok = res.status == IVStatus.OK
    reprice = bsm_greeks(S, K, T, r, q, np.where(ok, res.vol, 0.2), right).price
    np.testing.assert_allclose(reprice[ok], g.price[ok], rtol=1e-12, atol=1e-13 * S)
    assert set(np.unique(res.status[~ok])) <= {IVStatus.AT_INTRINSIC, IVStatus.VEGA_NEGLIGIBLE}


def test_round_trip_of_quantlib_prices_near_expiry_and_deep_out_of_the_money():
    cases = []
    for days in (1, 3, 30, 365):
        for K in (60.0, 95.0, 100.0, 104.0, 160.0):
            for sigma in (0.08, 0.35, 1.5):
                for right in ("c", "p"):
                    cases.append((K, days, sigma, right))
    S, r, q = 100.0, 0.045, 0.02
    prices, vegas = [], []
    for K, days, sigma, right in cases:
        opt = european(K, days, right)
        opt.setPricingEngine(ql.AnalyticEuropeanEngine(bsm_process(S, r, q, sigma)))
        prices.append(opt.NPV())
        vegas.append(opt.vega())
    K, days, sigma, right = (np.array(c) for c in zip(*cases, strict=True))
    res = implied_vol(np.array(prices), S, K, days / 365.0, r, q, right)
    informative = np.array(vegas) >= 1e-5 * np.maximum(S, K)
    assert np.all(res.status[informative] == IVStatus.OK)
    np.testing.assert_allclose(res.vol[informative], sigma[informative], rtol=0, atol=1e-10)


def test_agrees_with_quantlib_implied_volatility():
    S, r, q = 250.0, 0.04, 0.0
    rows = [(230.0, 30, 0.25, "p"), (250.0, 7, 0.6, "c"), (300.0, 180, 0.4, "c"),
            (150.0, 400, 0.9, "p"), (251.0, 1, 0.15, "c")]
    for K, days, sigma, right in rows:
        proc = bsm_process(S, r, q, 0.3)
        opt = european(K, days, right)
        opt.setPricingEngine(ql.AnalyticEuropeanEngine(bsm_process(S, r, q, sigma)))
        price = opt.NPV()
        ref = opt.impliedVolatility(price, proc, 1e-14, 1000, 1e-4, 5.0)
        ours = implied_vol(price, S, K, days / 365.0, r, q, right)
        assert ours.status == IVStatus.OK
        # QuantLib's Brent stops at its accuracy argument in price; 1e-9 in vol is its level
        assert float(ours.vol) == pytest.approx(ref, abs=1e-9)
        assert float(ours.vol) == pytest.approx(sigma, abs=1e-12)


def test_prices_outside_the_no_arbitrage_bounds_give_nan_and_a_reason():
    S, K, T, r, q = 100.0, 100.0, 0.5, 0.05, 0.0
    df = np.exp(-r * T)
    fwd = S * np.exp(r * T)
    price = np.array([
        df * (fwd - K) - 0.5,  # call below discounted intrinsic
        df * fwd + 0.1,  # call above the discounted forward (= spot)
        df * (fwd - K),  # call exactly at intrinsic
        5.0,  # a good price in the middle of the batch
        np.nan,  # not a price
        5.0,  # good price, bad spot
        5.0,  # good price, expired
        K * df + 1.0,  # put above the discounted strike
        -1.0,  # negative put price
    ])
    spot = np.array([S, S, S, S, S, -1.0, S, S, S])
    T_ = np.array([T, T, T, T, T, T, 0.0, T, T])
    right = ["c", "c", "c", "c", "c", "c", "c", "p", "p"]
    res = implied_vol(price, spot, K, T_, r, q, right)
    assert list(res.status) == [IVStatus.BELOW_INTRINSIC, IVStatus.ABOVE_UPPER_BOUND,
                                IVStatus.AT_INTRINSIC, IVStatus.OK, IVStatus.BAD_INPUT,
                                IVStatus.BAD_INPUT, IVStatus.BAD_INPUT,
                                IVStatus.ABOVE_UPPER_BOUND, IVStatus.BELOW_INTRINSIC]
    assert np.isnan(res.vol[[0, 1, 2, 4, 5, 6, 7, 8]]).all()
    assert float(bsm_greeks(S, K, T, r, q, res.vol[3], "c").price) == pytest.approx(5.0,
                                                                                   rel=1e-14)


def test_deep_in_the_money_price_with_no_time_value_left_is_flagged_not_guessed():
    # a one-day 50-strike call on 100 at 20 % vol has no time value in double precision
    g = bsm_greeks(100.0, 50.0, 1 / 365, 0.0, 0.0, 0.2, "c")
    res = implied_vol(g.price, 100.0, 50.0, 1 / 365, 0.0, 0.0, "c")
    assert res.status in (IVStatus.AT_INTRINSIC, IVStatus.VEGA_NEGLIGIBLE)
    assert np.isnan(res.vol)


def test_black76_round_trip():
    F = np.array([4500.0, 4500.0, 80.0, 80.0])
    K = np.array([4300.0, 4800.0, 70.0, 95.0])
    T, r, sig = 0.3, 0.05, np.array([0.18, 0.22, 0.45, 0.5])
    right = np.array(["p", "c", "c", "p"])
    from optix.quant.greeks import black76_price

    res = black76_implied_vol(black76_price(F, K, T, r, sig, right), F, K, T, r, right)
    assert np.all(res.status == IVStatus.OK)
    np.testing.assert_allclose(res.vol, sig, atol=1e-12)


def test_unknown_right_is_the_only_error_raised():
    with pytest.raises(ValueError, match="right"):
        implied_vol(1.0, 100.0, 100.0, 1.0, 0.0, 0.0, "z")
