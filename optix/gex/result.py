"""One GEX computation: exposure, profile and levels of a chain, with its conventions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optix.core.chains import ChainSnapshot
from optix.core.jsonsafe import json_safe
from optix.gex.config import GexConfig
from optix.gex.exposure import DealerInventory, Exposure, prepare
from optix.gex.levels import Levels, levels
from optix.gex.profile import Profile, profile

__all__ = ["GexResult", "compute_gex"]


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True, slots=True, eq=False)
class GexResult:
    """Everything the engine says about one chain snapshot.

    Attributes
    ----------
    exposure : Exposure
        Per-contract exposure (``by_strike()``, ``by_expiry()``, ``totals()``).
    profile : Profile
        Profile over hypothetical spots and the flip.
    levels : Levels
        Walls, key gamma strike, max pain, pin risk, regime, hedge flow.
    """

    exposure: Exposure
    profile: Profile
    levels: Levels

    @property
    def underlying(self) -> str:
        """Underlying ticker."""
        return self.exposure.underlying

    @property
    def spot(self) -> float:
        """Spot of the snapshot."""
        return self.exposure.spot

    @property
    def as_of_ns(self) -> int:
        """Snapshot time, epoch ns."""
        return self.exposure.as_of_ns

    @property
    def config(self) -> GexConfig:
        """The conventions used."""
        return self.exposure.config

    @property
    def flip(self) -> float | None:
        """The zero-gamma flip (None when the profile keeps one sign)."""
        return self.profile.flip

    @property
    def nearest_max_pain(self) -> float | None:
        """Max pain of the nearest counted expiry."""
        mp = self.levels.max_pain
        return mp[min(mp)] if mp else None

    def summary(self) -> dict[str, Any]:
        """The headline numbers, JSON-ready (what ``optix gex`` prints)."""
        tot = self.exposure.totals()
        s = self.spot
        flip = self.flip
        return {
            "underlying": self.underlying, "as_of_ns": self.as_of_ns, "spot": s,
            "unit": self.config.unit.value, "sign_convention": self.config.sign.value,
            **tot, "profile_at_spot": self.profile.at_spot,
            "profile_at_spot_exact": self.profile.at_spot_exact, "flip": _num(flip),
            "flip_rule": self.profile.flip_rule.value,
            "crossings": [float(c) for c in self.profile.crossings],
            "flip_distance_pct": None if flip is None else (flip / s - 1.0) * 100.0,
            "max_pain_nearest": self.nearest_max_pain, **self.levels.as_dict(),
            "contracts": len(self.exposure), "skipped": dict(self.exposure.skipped),
            "params": self.config.as_params(),
        }

    def by_strike(self) -> pd.DataFrame:
        """Exposure per strike (see :meth:`Exposure.by_strike`)."""
        return self.exposure.by_strike()

    def as_dict(self, heatmaps: bool = False) -> dict[str, Any]:
        """Strict JSON: the summary, exposure by strike as columns and the profile.

        Parameters
        ----------
        heatmaps : bool
            Also the strike x expiry table (``heatmap_strike_expiry``: ``strikes``,
            ``expiries``, ``net_gex`` rows) and the strike x hypothetical-spot table
            (``heatmap_strike_spot``: ``spots``, ``strikes``, ``gex`` rows).

        Returns
        -------
        dict
            NaN and infinities are ``None``.
        """
        by = self.by_strike()
        out: dict[str, Any] = {
            "summary": self.summary(),
            "by_strike": {c: by[c].to_numpy().tolist() for c in by.columns},
            "profile": {"levels": self.profile.levels.tolist(),
                        "total": self.profile.total.tolist()},
        }
        if heatmaps:
            se = self.heatmap_strike_expiry()
            ss = self.heatmap_strike_spot()
            out["heatmap_strike_expiry"] = {"strikes": se.index.tolist(),
                                            "expiries": list(se.columns),
                                            "net_gex": se.to_numpy().tolist()}
            out["heatmap_strike_spot"] = {"spots": ss.index.tolist(),
                                          "strikes": ss.columns.tolist(),
                                          "gex": ss.to_numpy().tolist()}
        safe: dict[str, Any] = json_safe(out)
        return safe

    def heatmap_strike_expiry(self) -> pd.DataFrame:
        """Net GEX as a strike (rows) x expiry (columns) table, 0 where no contract."""
        cells = self.exposure.by_strike_expiry()
        table = cells.pivot_table(index="strike", columns="expiry", values="net_gex",
                                  aggfunc="sum", fill_value=0.0)
        table.columns = [str(np.datetime64(c, "D")) for c in table.columns]
        return table

    def heatmap_strike_spot(self) -> pd.DataFrame:
        """GEX of each strike (columns) at each hypothetical spot (rows)."""
        p = self.profile
        return pd.DataFrame(p.by_strike, index=pd.Index(p.levels, name="spot"),
                            columns=pd.Index(p.strikes, name="strike"))


def compute_gex(chain: ChainSnapshot, config: GexConfig | None = None,
                inventory: DealerInventory | None = None) -> GexResult:
    """Exposure, profile and levels of one chain snapshot.

    Parameters
    ----------
    chain : ChainSnapshot
        A validated snapshot with open interest (and vendor gamma or implied vol).
    config : GexConfig, optional
        Conventions (default: the classic public recipe; see :class:`GexConfig`).
    inventory : DealerInventory, optional
        Dealer inventory for the ``flow_inventory`` convention.

    Returns
    -------
    GexResult

    Raises
    ------
    GexInputError
        If the chain gives no usable gamma (the message counts why).
    """
    exp = prepare(chain, config, inventory)
    return GexResult(exposure=exp, profile=profile(exp), levels=levels(exp))
