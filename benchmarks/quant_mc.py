"""Monte Carlo engine throughput per path-step, beside QuantLib's MC engines in the same run.

Run from the repository root: ``.venv/bin/python benchmarks/quant_mc.py``. One core; both
sides simulate with pseudo-random (or Sobol) normals, no control variates, and the time is
divided by paths x steps. QuantLib gets a smaller budget (it is slower) - the per-path-step
figure is what compares. Target from the issue: 20 ns per GBM path-step (50 M/s).
"""

from __future__ import annotations

import QuantLib as ql
from _table import Row, best_of, print_table

from optix.quant.montecarlo import GBM, American, European, Heston, MCConfig, price_mc

TODAY = ql.Date(15, 1, 2024)
DC = ql.Actual365Fixed()
S, K, T, R, Q, SIGMA = 100.0, 100.0, 1.0, 0.05, 0.02, 0.2
HESTON = (0.04, 1.5, 0.04, 0.5, -0.7)  # v0, kappa, theta, xi, rho
NOTE = "numba kernels, 1 core"


def _curve(rate: float) -> ql.YieldTermStructureHandle:
    return ql.YieldTermStructureHandle(ql.FlatForward(TODAY, rate, DC))


def _ql_option(right: int, exercise: ql.Exercise) -> ql.VanillaOption:
    ql.Settings.instance().evaluationDate = TODAY
    return ql.VanillaOption(ql.PlainVanillaPayoff(right, K), exercise)


def _bsm() -> ql.BlackScholesMertonProcess:
    vol = ql.BlackVolTermStructureHandle(ql.BlackConstantVol(TODAY, ql.NullCalendar(), SIGMA, DC))
    return ql.BlackScholesMertonProcess(ql.QuoteHandle(ql.SimpleQuote(S)), _curve(Q), _curve(R),
                                        vol)


def _ql_per_step(option: ql.VanillaOption, engine: ql.PricingEngine, path_steps: int) -> float:
    def run() -> None:
        option.setPricingEngine(engine)  # a fresh calculation each call
        option.NPV()
    return best_of(run, repeat=2) / path_steps * 1e6


def _ours_per_step(model: object, payoff: object, cfg: MCConfig, path_steps: int) -> float:
    price_mc(model, payoff, MCConfig(n_paths=256, n_steps=cfg.n_steps, method=cfg.method,
                                     control=None, seed=0))  # compile / load kernels
    return best_of(lambda: price_mc(model, payoff, cfg), repeat=3) / path_steps * 1e6


def _gbm_rows() -> list[Row]:
    steps, n, n_ql = 100, 1_000_000, 20_000
    expiry = TODAY + 365
    call = _ql_option(ql.Option.Call, ql.EuropeanExercise(expiry))
    rows = []
    cases = (("pseudo", "pseudorandom", n), ("sobol", "lowdiscrepancy", 1 << 20))
    for method, ql_rng, paths in cases:
        cfg = MCConfig(n_paths=paths, n_steps=steps, method=method, control=None, seed=1)
        ours = _ours_per_step(GBM(S, R, Q, SIGMA), European(K, T, "c"), cfg, paths * steps)
        engine = ql.MCEuropeanEngine(_bsm(), ql_rng, timeSteps=steps, requiredSamples=n_ql,
                                     brownianBridge=method == "sobol", seed=1)
        ref = _ql_per_step(call, engine, n_ql * steps)
        label = "PCG64" if method == "pseudo" else "scrambled Sobol + Brownian bridge"
        ref_name = "MCEuropeanEngine " + ("pseudo" if method == "pseudo" else "LD+bridge")
        rows.append(Row(f"GBM European {method}, {steps} steps", paths * steps, ours, ref,
                        ref_name, 0.02 if method == "pseudo" else None, f"{NOTE}; {label}"))
    return rows


def _heston_row() -> Row:
    steps, n, n_ql = 100, 1 << 18, 10_000
    model = Heston(S, R, Q, *HESTON)
    cfg = MCConfig(n_paths=n, n_steps=steps, control=None, seed=2)
    ours = _ours_per_step(model, European(K, T, "c"), cfg, n * steps)
    proc = ql.HestonProcess(_curve(R), _curve(Q), ql.QuoteHandle(ql.SimpleQuote(S)), *HESTON)
    engine = ql.MCEuropeanHestonEngine(proc, "pseudorandom", timeSteps=steps,
                                       requiredSamples=n_ql, seed=2)
    ref = _ql_per_step(_ql_option(ql.Option.Call, ql.EuropeanExercise(TODAY + 365)), engine,
                       n_ql * steps)
    return Row(f"Heston QE (martingale corr.), {steps} steps", n * steps, ours, ref,
               "MCEuropeanHestonEngine QE-M", None, NOTE)


def _lsm_row() -> Row:
    steps, n, pilot, n_ql, calib = 50, 1 << 17, 1 << 15, 20_000, 5_000
    cfg = MCConfig(n_paths=n, n_steps=steps, control=None, seed=3, pilot_paths=pilot)
    ours = _ours_per_step(GBM(S, R, Q, SIGMA), American(K, T, "p"), cfg, (n + pilot) * steps)
    engine = ql.MCAmericanEngine(_bsm(), "pseudorandom", timeSteps=steps, requiredSamples=n_ql,
                                 seed=3, polynomOrder=3, nCalibrationSamples=calib)
    option = _ql_option(ql.Option.Put, ql.AmericanExercise(TODAY, TODAY + 365))
    ref = _ql_per_step(option, engine, (n_ql + calib) * steps)
    return Row(f"LSM American put, {steps} dates, cubic", (n + pilot) * steps, ours, ref,
               "MCAmericanEngine", None, f"{NOTE}; pilot + pricing path-steps")


def rows() -> list[Row]:
    """Measured rows: GBM (pseudo and Sobol), Heston QE and LSM, ours beside QuantLib."""
    return [*_gbm_rows(), _heston_row(), _lsm_row()]


if __name__ == "__main__":
    print_table(rows(), "Monte Carlo engine: time per path-step (1 core)")
