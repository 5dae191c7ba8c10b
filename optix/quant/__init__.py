"""Pricing engine: prices, Greeks, implied vol, American, Monte Carlo, Heston, surfaces, risk.

Everything is array-in / array-out with numpy broadcasting, arguments in the order and units
``S, K, T, r, q, sigma, right`` (``T`` in years, ``r`` and ``q`` continuously compounded
decimals, ``sigma`` a decimal, ``right`` ``'c'``/``'p'`` or an array of them).

=============================  ==========================================================
module                         what lives there
=============================  ==========================================================
:mod:`optix.quant.bsm`         European Black-Scholes-Merton price (numpy)
:mod:`optix.quant.greeks`      BSM and Black-76 price and Greeks to third order (units table)
:mod:`optix.quant.gamma_grid`  BSM gamma of many options at many hypothetical spots (profiles)
:mod:`optix.quant.iv`          implied volatility to machine precision, with reason codes
:mod:`optix.quant.american`    QD+ fixed point, BAW, BS2002, lattices, cash dividends, IV
:mod:`optix.quant.heston`      Heston semi-analytic prices and calibration
:mod:`optix.quant.merton`      Merton jump-diffusion closed form
:mod:`optix.quant.montecarlo`  chunked Monte Carlo: GBM, Heston QE, Merton; exotic payoffs
:mod:`optix.quant.surface`     SVI / SSVI surfaces, arbitrage checks, Dupire local vol
:mod:`optix.quant.risk`        portfolio Greeks, VaR / ES, stress scenarios
=============================  ==========================================================
"""

from optix.quant.american import (
    QdFpScheme,
    american_implied_vol,
    american_price,
    european_price_cash_dividends,
)
from optix.quant.bsm import bsm_price, rights_to_sign
from optix.quant.gamma_grid import gamma_grid
from optix.quant.greeks import Greeks, black76_greeks, black76_price, bsm_greeks
from optix.quant.heston import HestonCalibration, HestonParams, calibrate_heston, heston_price
from optix.quant.iv import IVResult, black76_implied_vol, implied_vol
from optix.quant.ivstatus import IVStatus
from optix.quant.merton import merton_price
from optix.quant.montecarlo import MCConfig, MCResult, merge, plan, price_mc, run_chunk
from optix.quant.risk import (
    MarketState,
    Portfolio,
    historical_var,
    monte_carlo_var,
    parametric_var,
    portfolio_greeks,
    run_scenarios,
    stress_grid,
)
from optix.quant.surface import VolSurface, fit_ssvi, fit_svi, surface_from_chain

__all__ = [
    "Greeks",
    "HestonCalibration",
    "HestonParams",
    "IVResult",
    "IVStatus",
    "MCConfig",
    "MCResult",
    "MarketState",
    "Portfolio",
    "QdFpScheme",
    "VolSurface",
    "american_implied_vol",
    "american_price",
    "black76_greeks",
    "black76_implied_vol",
    "black76_price",
    "bsm_greeks",
    "bsm_price",
    "calibrate_heston",
    "european_price_cash_dividends",
    "fit_ssvi",
    "fit_svi",
    "gamma_grid",
    "heston_price",
    "historical_var",
    "implied_vol",
    "merge",
    "merton_price",
    "monte_carlo_var",
    "parametric_var",
    "plan",
    "portfolio_greeks",
    "price_mc",
    "rights_to_sign",
    "run_chunk",
    "run_scenarios",
    "stress_grid",
    "surface_from_chain",
]
