"""Portfolio risk: aggregated Greeks, VaR / expected shortfall and stress scenarios."""

from optix.quant.risk.portfolio import (
    MarketState,
    Portfolio,
    PortfolioGreeks,
    portfolio_greeks,
    revalue,
)
from optix.quant.risk.stress import DEFAULT_SCENARIOS, StressScenario, run_scenarios, stress_grid
from optix.quant.risk.var import (
    VaRResult,
    empirical_var,
    historical_var,
    monte_carlo_var,
    parametric_var,
)

__all__ = [
    "DEFAULT_SCENARIOS",
    "MarketState",
    "Portfolio",
    "PortfolioGreeks",
    "StressScenario",
    "VaRResult",
    "empirical_var",
    "historical_var",
    "monte_carlo_var",
    "parametric_var",
    "portfolio_greeks",
    "revalue",
    "run_scenarios",
    "stress_grid",
]
