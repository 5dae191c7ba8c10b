"""Dealer gamma exposure: by strike and expiry, profile and flip, levels, alerts, heatmaps.

=============================  ===============================================================
module                         what lives there
=============================  ===============================================================
:mod:`optix.gex.config`        every convention (unit, sign, gamma source, time basis, window,
                               0DTE and settled policies, grid, sticky rule, flip rule)
:mod:`optix.gex.exposure`      per-contract gamma, delta, vanna, charm exposure; by strike/expiry
:mod:`optix.gex.profile`       profile over hypothetical spots; zero-gamma crossings and flip
:mod:`optix.gex.levels`        walls, key gamma strike, max pain, pin risk, regime, hedge flow
:mod:`optix.gex.result`        :func:`compute_gex`: the three above on one chain
:mod:`optix.gex.alerts`        flip proximity, concentration, pin risk, regime change,
                               destabilizing dealer position
:mod:`optix.gex.engine`        per-underlying state: ``update(chain, now) -> alerts``, history
:mod:`optix.gex.store`         snapshots and daily aggregates in the database; latest result
                               in the cache (import it explicitly: it loads SQLAlchemy)
:mod:`optix.gex.chart`         a PNG of GEX by strike with the profile and flip (matplotlib)
:mod:`optix.gex.errors`        the error tree
=============================  ===============================================================
"""

from optix.gex.alerts import GexAlert, GexAlertType, gex_alerts
from optix.gex.config import (
    ExpiryWindow,
    FlipRule,
    GammaSource,
    GexAlertConfig,
    GexConfig,
    GexUnit,
    SettledPolicy,
    SignConvention,
    Sticky,
    TimeBasis,
    ZeroDtePolicy,
)
from optix.gex.engine import GexEngine, GexEngineConfig
from optix.gex.errors import GexError, GexInputError
from optix.gex.exposure import DealerInventory, Exposure, prepare
from optix.gex.levels import Levels, PinRisk, levels, max_pain
from optix.gex.profile import Profile, crossings, profile
from optix.gex.result import GexResult, compute_gex

__all__ = [
    "DealerInventory",
    "ExpiryWindow",
    "Exposure",
    "FlipRule",
    "GammaSource",
    "GexAlertConfig",
    "GexAlert",
    "GexAlertType",
    "GexConfig",
    "GexEngine",
    "GexEngineConfig",
    "GexError",
    "GexInputError",
    "GexResult",
    "GexUnit",
    "Levels",
    "PinRisk",
    "Profile",
    "SettledPolicy",
    "SignConvention",
    "Sticky",
    "TimeBasis",
    "ZeroDtePolicy",
    "compute_gex",
    "crossings",
    "gex_alerts",
    "levels",
    "max_pain",
    "prepare",
    "profile",
]
