"""BSM price + Greeks and implied volatility: ours (vectorized, numba) beside QuantLib."""

from __future__ import annotations

import contextlib
import time

import numpy as np
import QuantLib as ql
from _table import Row, best_of, print_table

from optix.quant import bsm_greeks, implied_vol

TODAY = ql.Date(15, 1, 2025)


def _batch(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    S = rng.uniform(50, 150, n)
    K = S * np.exp(rng.uniform(-0.4, 0.4, n))
    days = rng.integers(1, 730, n)
    sig = rng.uniform(0.1, 0.8, n)
    right = np.where(rng.random(n) < 0.5, "c", "p")
    return S, K, days, sig, right


class _QL:
    """One QuantLib market whose quotes are reset per option, as a per-option loop does it."""

    def __init__(self):
        ql.Settings.instance().evaluationDate = TODAY
        dc = ql.Actual365Fixed()
        self.spot = ql.SimpleQuote(100.0)
        self.vol = ql.SimpleQuote(0.2)
        self.proc = ql.BlackScholesMertonProcess(
            ql.QuoteHandle(self.spot),
            ql.YieldTermStructureHandle(ql.FlatForward(TODAY, 0.01, dc)),
            ql.YieldTermStructureHandle(ql.FlatForward(TODAY, 0.03, dc)),
            ql.BlackVolTermStructureHandle(ql.BlackConstantVol(TODAY, ql.NullCalendar(),
                                                               ql.QuoteHandle(self.vol), dc)))
        self.engine = ql.AnalyticEuropeanEngine(self.proc)

    def option(self, s, k, d, sig, w):
        self.spot.setValue(float(s))
        self.vol.setValue(float(sig))
        o = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Call if w == "c" else ql.Option.Put,
                                                   float(k)), ql.EuropeanExercise(TODAY + int(d)))
        o.setPricingEngine(self.engine)
        return o


def rows() -> list[Row]:
    out = []
    n = 1_000_000
    S, K, days, sig, right = _batch(n)
    T = days / 365.0
    w = np.where(right == "c", 1.0, -1.0)
    bsm_greeks(S[:10], K[:10], T[:10], 0.03, 0.01, sig[:10], w[:10])  # compile / load cache
    m = 5_000
    qlm = _QL()

    def ql_greeks():
        for i in range(m):
            o = qlm.option(S[i], K[i], days[i], sig[i], right[i])
            o.NPV(), o.delta(), o.gamma(), o.vega(), o.theta(), o.rho(), o.dividendRho()

    ref = best_of(ql_greeks, 2) / m * 1e6
    for order, target in ((1, 0.1), (2, None), (3, None)):
        t = best_of(lambda o=order: bsm_greeks(S, K, T, 0.03, 0.01, sig, w, order=o)) / n * 1e6
        label = {1: "price + 1st-order Greeks", 2: "+ vanna, charm, vomma, veta",
                 3: "+ speed, zomma, color"}[order]
        out.append(Row(f"BSM {label}", n, t, ref, "QuantLib AnalyticEuropean", target,
                       "numba, 1 core"))
    prices = bsm_greeks(S, K, T, 0.03, 0.01, sig, w).price
    implied_vol(prices[:10], S[:10], K[:10], T[:10], 0.03, 0.01, w[:10])
    t0 = time.perf_counter()
    res = implied_vol(prices, S, K, T, 0.03, 0.01, w)
    t_iv = (time.perf_counter() - t0) / n * 1e6
    informative = bsm_greeks(S, K, T, 0.03, 0.01, sig, w).vega >= 1e-5 * np.maximum(S, K)
    err = np.max(np.abs(res.vol - sig)[informative])
    mq = 2_000

    def ql_iv():
        for i in range(mq):
            o = qlm.option(S[i], K[i], days[i], sig[i], right[i])
            # QuantLib cannot bracket a price with no time value left
            with contextlib.suppress(RuntimeError):
                o.impliedVolatility(float(prices[i]), qlm.proc, 1e-10, 1000, 1e-4, 5.0)

    ref_iv = best_of(ql_iv, 2) / mq * 1e6
    out.append(Row("implied vol (1e-10)", n, t_iv, ref_iv, "QuantLib impliedVolatility", 0.5,
                   f"numba; max |vol err| {err:.1e} where vega >= 1e-5 max(S,K)"))
    return out


if __name__ == "__main__":
    print_table(rows(), "BSM Greeks and implied volatility, per option, one core")
