"""QuantLib set-up shared by the quant tests: a flat Black-Scholes-Merton market."""

from __future__ import annotations

import QuantLib as ql

TODAY = ql.Date(15, 1, 2025)
DC = ql.Actual365Fixed()


def bsm_process(S: float, r: float, q: float, sigma: float) -> ql.BlackScholesMertonProcess:
    ql.Settings.instance().evaluationDate = TODAY
    return ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(S)),
        ql.YieldTermStructureHandle(ql.FlatForward(TODAY, q, DC)),
        ql.YieldTermStructureHandle(ql.FlatForward(TODAY, r, DC)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(TODAY, ql.NullCalendar(), sigma, DC)))


def european(K: float, days: int, right: str) -> ql.VanillaOption:
    kind = ql.Option.Call if right == "c" else ql.Option.Put
    return ql.VanillaOption(ql.PlainVanillaPayoff(kind, K),
                            ql.EuropeanExercise(TODAY + days))
