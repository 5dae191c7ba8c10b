"""Volatility surfaces: raw SVI and SSVI smiles, static-arbitrage checks, Dupire local vol.

Notation: ``k = ln(K/F_T)`` log-forward-moneyness, ``w = sigma_imp**2 T`` total implied
variance.

- :mod:`.smile`: the :class:`Smile` protocol, Gatheral-Jacquier ``g(k)`` and the density.
- :mod:`.svi`: raw SVI per expiry (Gatheral 2004).
- :mod:`.svi_fit`: its quasi-explicit calibration, free of butterfly (and calendar) arbitrage.
- :mod:`.ssvi`: SSVI across expiries (Gatheral & Jacquier 2014), power-law ``phi``.
- :mod:`.arbitrage`: butterfly and calendar checks for any smiles, with locations.
- :mod:`.localvol`: Dupire's formula in total variance, with reason codes.
- :mod:`.surface`: :class:`VolSurface`, implied and local volatility in ``(K, T)``.
- :mod:`.chain`: a surface straight from an option chain's quotes.
"""

from optix.quant.surface.arbitrage import (
    ArbitrageReport,
    ButterflyViolation,
    CalendarViolation,
    check_arbitrage,
    check_butterfly,
    check_calendar,
    default_k_grid,
)
from optix.quant.surface.chain import ChainFit, fit_chain, surface_from_chain
from optix.quant.surface.localvol import (
    LocalVolArbitrageError,
    LocalVolResult,
    LocalVolStatus,
    dupire_local_variance,
)
from optix.quant.surface.smile import Smile, butterfly_g, risk_neutral_density
from optix.quant.surface.ssvi import SsviConditions, SsviFit, SsviParams, SsviSlice, fit_ssvi
from optix.quant.surface.surface import VolSurface
from optix.quant.surface.svi import SviParams, svi_total_variance
from optix.quant.surface.svi_fit import SviFit, fit_svi

__all__ = [
    "ArbitrageReport",
    "ButterflyViolation",
    "CalendarViolation",
    "ChainFit",
    "LocalVolArbitrageError",
    "LocalVolResult",
    "LocalVolStatus",
    "Smile",
    "SsviConditions",
    "SsviFit",
    "SsviParams",
    "SsviSlice",
    "SviFit",
    "SviParams",
    "VolSurface",
    "butterfly_g",
    "check_arbitrage",
    "check_butterfly",
    "check_calendar",
    "default_k_grid",
    "dupire_local_variance",
    "fit_chain",
    "fit_ssvi",
    "fit_svi",
    "risk_neutral_density",
    "surface_from_chain",
    "svi_total_variance",
]
