"""American options: ours (numba, one core) beside QuantLib 1.44, measured in the same run.

The batch is the accuracy-test domain of tests/optix/quant/test_american.py: S = 100, strike
ratio log-uniform in [0.6, 1.6] (deep in and out of the money), expiry log-uniform from one day
to three years, r and q uniform in [0, 10%], volatility log-uniform in [5%, 80%], calls and puts
half each. QuantLib prices a prefix of the same batch (engine and option built outside the
timing, the first NPV() timed: one Python call per option included).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import QuantLib as ql
from _table import Row, best_of, print_table

from optix.quant.american import QdFpScheme, american_implied_vol, american_price

TODAY = ql.Date(2, 1, 2024)
DC = ql.Actual360()


def _batch(n: int, seed: int = 3):
    rng = np.random.default_rng(seed)
    K = 100.0 * np.exp(rng.uniform(np.log(0.6), np.log(1.6), n))
    days = np.exp(rng.uniform(0.0, np.log(1080.0), n)).astype(int)
    r = rng.uniform(0.0, 0.10, n)
    q = rng.uniform(0.0, 0.10, n)
    sigma = np.exp(rng.uniform(np.log(0.05), np.log(0.8), n))
    right = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    return np.full(n, 100.0), K, days, r, q, sigma, right


def _ql_run(engine: Callable[[Any], Any], batch, m: int, repeat: int = 2):
    """QuantLib's first NPV() over the first ``m`` options: (best us per option, prices)."""
    ql.Settings.instance().evaluationDate = TODAY
    S, K, days, r, q, sigma, right = batch
    best = float("inf")
    prices = np.empty(m)
    for _ in range(repeat):
        options = []
        for i in range(m):
            proc = ql.BlackScholesMertonProcess(
                ql.QuoteHandle(ql.SimpleQuote(float(S[i]))),
                ql.YieldTermStructureHandle(ql.FlatForward(TODAY, float(q[i]), DC)),
                ql.YieldTermStructureHandle(ql.FlatForward(TODAY, float(r[i]), DC)),
                ql.BlackVolTermStructureHandle(
                    ql.BlackConstantVol(TODAY, ql.NullCalendar(), float(sigma[i]), DC)))
            kind = ql.Option.Call if right[i] > 0 else ql.Option.Put
            opt = ql.VanillaOption(ql.PlainVanillaPayoff(kind, float(K[i])),
                                   ql.AmericanExercise(TODAY, TODAY + int(days[i])))
            opt.setPricingEngine(engine(proc))
            options.append(opt)
        t0 = time.perf_counter()
        for i, opt in enumerate(options):
            prices[i] = opt.NPV()
        best = min(best, time.perf_counter() - t0)
    return best / m * 1e6, prices


def _ql_us(engine: Callable[[Any], Any], batch, m: int, repeat: int = 2) -> float:
    return _ql_run(engine, batch, m, repeat)[0]


def rows() -> list[Row]:
    n = 100_000
    batch = _batch(n)
    S, K, days, r, q, sigma, right = batch
    T = days / 360.0
    out: list[Row] = []

    def ours_us(method: str, count: int, **kw: Any) -> float:
        args = (S[:count], K[:count], T[:count], r[:count], q[:count], sigma[:count],
                right[:count])
        american_price(*(a[:8] for a in args), method=method, **kw)  # compile / load cache
        return best_of(lambda: american_price(*args, method=method, **kw), 3) / count * 1e6

    fast_s = ql.QdFpAmericanEngine.fastScheme()
    acc_s = ql.QdFpAmericanEngine.accurateScheme()
    ql_fast, ql_fast_px = _ql_run(lambda p: ql.QdFpAmericanEngine(p, fast_s), batch, 2000)
    ql_acc = _ql_us(lambda p: ql.QdFpAmericanEngine(p, acc_s), batch, 300)
    # accuracy, measured here: against QuantLib's high-precision QD+ on the first 1,000
    # options, and against our converged scheme on the first 20,000
    hp_s = ql.QdFpAmericanEngine.highPrecisionScheme()
    _, ql_hp = _ql_run(lambda p: ql.QdFpAmericanEngine(p, hp_s), batch, 1000, repeat=1)
    k_ref = 20_000
    sl = slice(0, k_ref)
    ref = american_price(S[sl], K[sl], T[sl], r[sl], q[sl], sigma[sl], right[sl],
                         scheme=QdFpScheme.accurate())
    default_px = american_price(S[sl], K[sl], T[sl], r[sl], q[sl], sigma[sl], right[sl])
    fast_px = american_price(S[sl], K[sl], T[sl], r[sl], q[sl], sigma[sl], right[sl],
                             scheme=QdFpScheme.fast())
    err_hp = np.max(np.abs(default_px[:1000] - ql_hp))
    err_def = np.max(np.abs(default_px - ref))
    err_fast = np.abs(fast_px - ref)
    err_qlf = np.max(np.abs(ql_fast_px - ref[:2000]))
    t_default = ours_us("qdfp", n)
    out.append(Row("qdfp default QdFpScheme()", n, t_default, ql_acc, "QdFpAmerican accurate",
                   5.0, f"numba, 1 core; max err {err_def:.1e} (20k, vs converged), "
                        f"{err_hp:.1e} (1k, vs QL high-precision)"))
    out.append(Row("qdfp default vs QL's fast scheme", n, t_default, ql_fast,
                   "QdFpAmerican fast", 5.0, f"QL fast: max err {err_qlf:.1e} (2k)"))
    out.append(Row("qdfp QdFpScheme.fast()", n, ours_us("qdfp", n, scheme=QdFpScheme.fast()),
                   ql_fast, "QdFpAmerican fast", 5.0,
                   f"numba; max err {err_fast.max():.1e}, p99 {np.quantile(err_fast, 0.99):.0e}"))
    ql_baw = _ql_us(ql.BaroneAdesiWhaleyApproximationEngine, batch, 5000)
    out.append(Row("Barone-Adesi-Whaley", n, ours_us("baw", n), ql_baw,
                   "BaroneAdesiWhaley", None, "numba, 1 core"))
    ql_bs = _ql_us(ql.BjerksundStenslandApproximationEngine, batch, 5000)
    out.append(Row("Bjerksund-Stensland 2002", n, ours_us("bs2002", n), ql_bs,
                   "BjerksundStensland (1993)", None, "numba; QL has only the 1993 version"))
    m = 300
    ql_lr = _ql_us(lambda p: ql.BinomialVanillaEngine(p, "lr", 801), batch, 60)
    out.append(Row("Leisen-Reimer lattice, 801 steps", m, ours_us("binomial", m, steps=801),
                   ql_lr, "Binomial LR 801", None, "numba, 1 core"))
    ql_crr = _ql_us(lambda p: ql.BinomialVanillaEngine(p, "crr", 801), batch, 60)
    out.append(Row("CRR lattice, 801 steps", m, ours_us("crr", m, steps=801), ql_crr,
                   "Binomial CRR 801", None, "numba, 1 core"))
    k = 5_000
    prices = american_price(S[:k], K[:k], T[:k], r[:k], q[:k], sigma[:k], right[:k])
    american_implied_vol(prices[:8], S[:8], K[:8], T[:8], r[:8], q[:8], right[:8])
    t_iv = best_of(lambda: american_implied_vol(prices, S[:k], K[:k], T[:k], r[:k], q[:k],
                                                right[:k]), 1) / k * 1e6
    out.append(Row("American implied vol (qdfp, Brent)", k, t_iv, None, "-", None,
                   "numba; a safeguarded root search over qdfp prices"))
    return out


if __name__ == "__main__":
    print_table(rows(), "American options (benchmarks/quant_american.py)")
