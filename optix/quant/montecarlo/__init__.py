"""Monte Carlo engine: GBM, Heston (QE) and Merton paths; exotic payoffs; LSM; chunked runs.

A run is a plan of independent chunks, each returning mergeable sufficient statistics::

    from optix.quant.montecarlo import GBM, European, MCConfig, plan, run_chunk, merge
    specs = plan(GBM(S=100, r=0.05, q=0.0, sigma=0.2), European(K=100, T=1.0, right="c"),
                 MCConfig(n_paths=1_000_000, n_steps=1, seed=7))
    result = merge(map(run_chunk, specs))       # == price_mc(model, payoff, config)

``result.price``, ``result.stderr`` and ``result.n_paths`` come with every result. Chunks can
run anywhere (threads, processes, Ray tasks) and merge to the single run bit for bit.
"""

from optix.quant.montecarlo.analytic import geometric_asian_price
from optix.quant.montecarlo.engine import CONTROLS, ChunkSpec, MCConfig, plan, price_mc, run_chunk
from optix.quant.montecarlo.lsm import ExercisePolicy
from optix.quant.montecarlo.models import GBM, Heston, Merton, Model
from optix.quant.montecarlo.payoffs import American, Asian, Barrier, European, Lookback, Payoff
from optix.quant.montecarlo.stats import ChunkStats, MCResult, RunInfo, merge

__all__ = [
    "CONTROLS",
    "GBM",
    "American",
    "Asian",
    "Barrier",
    "ChunkSpec",
    "ChunkStats",
    "European",
    "ExercisePolicy",
    "Heston",
    "Lookback",
    "MCConfig",
    "MCResult",
    "Merton",
    "Model",
    "Payoff",
    "RunInfo",
    "geometric_asian_price",
    "merge",
    "plan",
    "price_mc",
    "run_chunk",
]
