"""Heston: grid pricing and 35-quote calibration, ours (numba) beside QuantLib in the same run."""

from __future__ import annotations

import numpy as np
import QuantLib as ql
from _table import Row, best_of, print_table

from optix.quant.heston import HestonParams, calibrate_heston, heston_price, initial_guess
from optix.quant.iv import implied_vol

TODAY = ql.Date(15, 1, 2025)
DC = ql.Actual365Fixed()
S, R, Q = 100.0, 0.03, 0.01
TRUE = HestonParams(v0=0.04, kappa=1.8, theta=0.06, xi=0.8, rho=-0.7)


class _QLMarket:
    """Flat curves and a Heston model whose parameters are set per run."""

    def __init__(self, p: HestonParams):
        ql.Settings.instance().evaluationDate = TODAY
        self.rts = ql.YieldTermStructureHandle(ql.FlatForward(TODAY, R, DC))
        self.qts = ql.YieldTermStructureHandle(ql.FlatForward(TODAY, Q, DC))
        self.spot = ql.QuoteHandle(ql.SimpleQuote(S))
        self.model = ql.HestonModel(ql.HestonProcess(self.rts, self.qts, self.spot, p.v0,
                                                     p.kappa, p.theta, p.xi, p.rho))

    def options(self, days, K, w):
        out = []
        for d, k, ww in zip(days, K, w, strict=True):
            payoff = ql.PlainVanillaPayoff(ql.Option.Call if ww > 0 else ql.Option.Put, float(k))
            out.append(ql.VanillaOption(payoff, ql.EuropeanExercise(TODAY + int(d))))
        return out


def _grid():
    days = np.unique(np.geomspace(7, 3 * 365, 20).round().astype(int))
    K = S * np.linspace(0.6, 1.6, 50)
    dd, kk = np.meshgrid(days, K, indexing="ij")
    w = np.where(kk < S, -1.0, 1.0)  # out-of-the-money side, as quoted
    return dd.ravel(), kk.ravel(), w.ravel()


def _pricing_rows() -> list[Row]:
    days, K, w = _grid()
    T = days / 365.0
    n = K.size
    heston_price(S, K, T, R, Q, TRUE, w)  # compile / load the numba cache
    ours = best_of(lambda: heston_price(S, K, T, R, Q, TRUE, w), 20) / n * 1e6
    got = heston_price(S, K, T, R, Q, TRUE, w)
    market = _QLMarket(TRUE)
    rows = []
    for label, engine, sample in (
        ("Laguerre 144", ql.AnalyticHestonEngine(market.model), n),  # QuantLib's default
        ("Lobatto 1e-12", ql.AnalyticHestonEngine(market.model, 1e-12, 100_000), 250),
    ):
        idx = np.arange(0, n, n // sample)[:sample]
        opts = market.options(days[idx], K[idx], w[idx])

        def run(opts=opts, engine=engine):
            for o in opts:
                o.setPricingEngine(engine)  # resets the cached result, so NPV recomputes
                o.NPV()

        ref = best_of(run, 3) / len(opts) * 1e6
        ql_px = np.array([o.NPV() for o in opts])
        err = np.max(np.abs(ql_px - got[idx]))
        rows.append(Row(f"price {len(np.unique(days))} expiries x 50 strikes", n, ours, ref,
                        f"QL Analytic {label}", 10.0,
                        f"numba; max |ours - QL| {err:.1e} at S=100"))
    return rows


def _calibration_rows() -> list[Row]:
    days = np.array([36, 91, 182, 365, 730])
    strikes = S * np.array([0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2])
    dd, kk = np.meshgrid(days, strikes, indexing="ij")
    days_q, K = dd.ravel(), kk.ravel()
    T = days_q / 365.0
    w = np.where(K < S, -1.0, 1.0)
    prices = heston_price(S, K, T, R, Q, TRUE, w)
    res = calibrate_heston(S, K, T, R, Q, prices, w)  # also compiles / loads the numba cache
    ours = best_of(lambda: calibrate_heston(S, K, T, R, Q, prices, w), 10) * 1e6
    ours_err = np.max(np.abs(np.array(res.params.as_tuple()) / np.array(TRUE.as_tuple()) - 1))

    iv = implied_vol(prices, S, K, T, R, Q, w).vol
    fwd = S * np.exp((R - Q) * T)
    start = initial_guess(T, np.log(K / fwd), iv)  # QuantLib starts where we start

    def ql_calibrate():
        market = _QLMarket(start)
        engine = ql.AnalyticHestonEngine(market.model)
        helpers = []
        for d, k, vol in zip(days_q, K, iv, strict=True):
            h = ql.HestonModelHelper(ql.Period(int(d), ql.Days), ql.NullCalendar(), S, float(k),
                                     ql.QuoteHandle(ql.SimpleQuote(float(vol))), market.rts,
                                     market.qts, ql.BlackCalibrationHelper.PriceError)
            h.setPricingEngine(engine)
            helpers.append(h)
        market.model.calibrate(helpers, ql.LevenbergMarquardt(1e-8, 1e-8, 1e-8),
                               ql.EndCriteria(500, 50, 1e-10, 1e-10, 1e-10))
        return market.model.params()

    ref = best_of(ql_calibrate, 3) * 1e6
    theta, kappa, xi, rho, v0 = ql_calibrate()
    ql_err = np.max(np.abs(np.array([v0, kappa, theta, xi, rho]) / np.array(TRUE.as_tuple()) - 1))
    return [Row("calibrate 35 quotes (5x7) from initial_guess", 35, ours, ref,
                "QL HestonModelHelper + LM", 50_000.0,
                f"per calibration, same start; numba; nfev {res.nfev}; max param rel err ours "
                f"{ours_err:.0e}, QL {ql_err:.0e}")]


def rows() -> list[Row]:
    return _pricing_rows() + _calibration_rows()


if __name__ == "__main__":
    print_table(rows(), "Heston pricing (per option) and calibration (per calibration), one core")
