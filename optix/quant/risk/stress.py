"""Stress scenarios: spot up/down by x %, implied vol up/down by y points, and both at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optix.quant.risk.portfolio import MarketState, Portfolio, revalue

__all__ = ["StressScenario", "run_scenarios", "stress_grid"]


@dataclass(frozen=True)
class StressScenario:
    """A named market move applied to every underlying.

    Parameters
    ----------
    name : str
        Label, e.g. ``"crash"``.
    spot_move : float
        Relative spot move (``-0.2`` is -20 %), > -1.
    vol_points : float
        Absolute implied-vol change in vol points (``10`` is +0.10).
    days : float
        Calendar days that pass first.
    """

    name: str
    spot_move: float = 0.0
    vol_points: float = 0.0
    days: float = 0.0

    def __post_init__(self) -> None:
        if not self.spot_move > -1.0:
            raise ValueError(f"spot_move must be > -1, got {self.spot_move}")
        if self.days < 0:
            raise ValueError(f"days must be >= 0, got {self.days}")


DEFAULT_SCENARIOS = (
    StressScenario("spot -20%, vol +15", -0.20, 15.0),
    StressScenario("spot -10%, vol +8", -0.10, 8.0),
    StressScenario("spot -5%, vol +4", -0.05, 4.0),
    StressScenario("spot +5%, vol -2", 0.05, -2.0),
    StressScenario("spot +10%, vol -4", 0.10, -4.0),
    StressScenario("vol +10", 0.0, 10.0),
    StressScenario("vol -5", 0.0, -5.0),
    StressScenario("1 week passes", 0.0, 0.0, 7.0),
)


def run_scenarios(
    portfolio: Portfolio, market: MarketState,
    scenarios: Sequence[StressScenario] = DEFAULT_SCENARIOS,
) -> pd.Series:
    """P&L of each named scenario (full revaluation), indexed by name."""
    out = {}
    for sc in scenarios:
        out[sc.name] = float(revalue(portfolio, market, sc.spot_move, sc.vol_points / 100.0,
                                     sc.days / 365.0)[0])
    return pd.Series(out, name="pnl")


def stress_grid(
    portfolio: Portfolio, market: MarketState,
    spot_moves: Sequence[float] = (-0.2, -0.1, -0.05, -0.02, 0.0, 0.02, 0.05, 0.1, 0.2),
    vol_points: Sequence[float] = (-10.0, -5.0, 0.0, 5.0, 10.0),
) -> pd.DataFrame:
    """P&L over a grid: rows are relative spot moves, columns vol-point changes."""
    spots = np.asarray(spot_moves, dtype=np.float64)
    vols = np.asarray(vol_points, dtype=np.float64)
    if np.any(spots <= -1.0):
        raise ValueError("spot_moves must be > -1")
    s_grid, v_grid = np.meshgrid(spots, vols, indexing="ij")
    pnl = revalue(portfolio, market, s_grid.reshape(-1, 1), v_grid.reshape(-1, 1) / 100.0)
    return pd.DataFrame(pnl.reshape(s_grid.shape),
                        index=pd.Index(spots, name="spot_move"),
                        columns=pd.Index(vols, name="vol_points"))
