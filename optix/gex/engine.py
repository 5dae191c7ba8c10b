"""Per-underlying GEX state: ``update(chains, now) -> alerts``, history, snapshot and restore.

The engine keeps, for each underlying it has seen, the latest :class:`~optix.gex.GexResult`,
the regime of its last snapshot (for ``regime_change``), which alert conditions are active, and
a bounded history of snapshots (time, spot, totals, flip, regime and net GEX per strike near
spot) for the strike x time heatmap.

Alerts are edge-triggered: a condition (an alert type and what it is about: a strike, an
expiry) alerts when it starts to hold, not again while it keeps holding, and again after it has
cleared. ``regime_change`` is an edge by nature. Replaying the same snapshots gives the same
alerts with the same ids.

State is JSON (:meth:`GexEngine.snapshot`): the history, last regimes and active conditions;
the latest full results are not kept (the next chain recomputes them).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optix.core.chains import ChainSnapshot
from optix.gex.alerts import GexAlert, gex_alerts
from optix.gex.config import GexConfig
from optix.gex.errors import GexInputError
from optix.gex.exposure import DealerInventory
from optix.gex.result import GexResult, compute_gex

__all__ = ["GexEngine", "GexEngineConfig"]

_VERSION = 1


@dataclass(frozen=True, slots=True)
class GexEngineConfig:
    """The engine's conventions and memory bounds.

    Attributes
    ----------
    gex : GexConfig
        Conventions of every computation.
    history : int
        Snapshots kept per underlying (390: a session at one a minute).
    history_range : float
        Strikes kept per history row: within this fraction of spot (0.10).
    """

    gex: GexConfig = field(default_factory=GexConfig)
    history: int = 390
    history_range: float = 0.10

    def __post_init__(self) -> None:
        if self.history < 1:
            raise ValueError(f"history must be at least 1, got {self.history}")
        if not 0 < self.history_range <= 1:
            raise ValueError(f"history_range must be in (0, 1], got {self.history_range}")


@dataclass(slots=True)
class _State:
    regime: str | None = None
    active: set[str] | None = None
    history: deque[dict[str, Any]] | None = None
    latest: GexResult | None = None
    chain: ChainSnapshot | None = None


class GexEngine:
    """GEX state for many underlyings (see the module docstring).

    Parameters
    ----------
    config : GexEngineConfig, optional
        Defaults to :class:`GexEngineConfig()`.
    """

    def __init__(self, config: GexEngineConfig | None = None) -> None:
        self.config = config or GexEngineConfig()
        self._state: dict[str, _State] = {}
        self.errors: dict[str, str] = {}
        """Per underlying, why its last chain gave no result (cleared by a good one)."""

    def _of(self, underlying: str) -> _State:
        st = self._state.get(underlying)
        if st is None:
            st = self._state[underlying] = _State(
                active=set(), history=deque(maxlen=self.config.history))
        return st

    @property
    def underlyings(self) -> list[str]:
        """Underlyings with state, sorted."""
        return sorted(self._state)

    def update(self, chains: ChainSnapshot | Iterable[ChainSnapshot], now_ns: int,
               inventory: dict[str, DealerInventory] | None = None) -> list[GexAlert]:
        """Compute each chain's GEX, record it, and return the alerts that started.

        Parameters
        ----------
        chains : ChainSnapshot or iterable of them
            New snapshots (validated), any underlyings, in time order per underlying.
        now_ns : int
            Current time (unused by the rules, which use each snapshot's own time; kept for
            the common engine interface).
        inventory : dict, optional
            Dealer inventory per underlying, for the ``flow_inventory`` convention.

        Returns
        -------
        list of GexAlert
            A chain the engine cannot use raises no alert; its reason is in :attr:`errors`.
        """
        del now_ns
        batch = [chains] if isinstance(chains, ChainSnapshot) else list(chains)
        out: list[GexAlert] = []
        for chain in batch:
            inv = (inventory or {}).get(chain.underlying)
            try:
                res = compute_gex(chain, self.config.gex, inv)
            except GexInputError as exc:
                self.errors[chain.underlying] = str(exc)
                continue
            self.errors.pop(chain.underlying, None)
            out += self._record(res)
            self._of(chain.underlying).chain = chain
        return out

    def _record(self, res: GexResult) -> list[GexAlert]:
        st = self._of(res.underlying)
        assert st.active is not None and st.history is not None
        alerts = gex_alerts(res, st.regime)
        now_active = {a.episode for a in alerts}
        fresh = [a for a in alerts
                 if a.type.value == "regime_change" or a.episode not in st.active]
        st.active = now_active
        st.regime = res.levels.regime
        st.latest = res
        st.history.append(self._history_row(res))
        return fresh

    def _history_row(self, res: GexResult) -> dict[str, Any]:
        by = res.by_strike()
        near = np.abs(by["strike"].to_numpy() - res.spot) <= self.config.history_range * res.spot
        tot = res.exposure.totals()
        return {"as_of_ns": res.as_of_ns, "spot": res.spot, "total_gex": tot["total_gex"],
                "call_gex": tot["call_gex"], "put_gex": tot["put_gex"], "flip": res.flip,
                "regime": res.levels.regime,
                "strikes": by["strike"].to_numpy()[near].tolist(),
                "net_gex": by["net_gex"].to_numpy()[near].tolist()}

    # ------------------------------------------------------------------ queries
    def latest(self, underlying: str) -> GexResult | None:
        """The latest result of ``underlying`` (None before its first chain or after restore)."""
        st = self._state.get(underlying)
        return None if st is None else st.latest

    def latest_chain(self, underlying: str) -> ChainSnapshot | None:
        """The chain of :meth:`latest` (to recompute it under other conventions)."""
        st = self._state.get(underlying)
        return None if st is None else st.chain

    def history(self, underlying: str) -> pd.DataFrame:
        """Snapshots over time: ``as_of_ns, spot, total_gex, call_gex, put_gex, flip, regime``."""
        st = self._state.get(underlying)
        rows = list(st.history) if st is not None and st.history is not None else []
        cols = ["as_of_ns", "spot", "total_gex", "call_gex", "put_gex", "flip", "regime"]
        return pd.DataFrame([{c: r[c] for c in cols} for r in rows], columns=cols)

    def history_heatmap(self, underlying: str) -> pd.DataFrame:
        """Net GEX per strike (columns) at each snapshot time (rows, epoch ns); 0 where absent."""
        st = self._state.get(underlying)
        rows = list(st.history) if st is not None and st.history is not None else []
        if not rows:
            return pd.DataFrame()
        series = {r["as_of_ns"]: pd.Series(r["net_gex"], index=r["strikes"], dtype=float)
                  for r in rows}
        table = pd.DataFrame(series).T.sort_index(axis=1).fillna(0.0)
        table.index.name = "as_of_ns"
        table.columns.name = "strike"
        return table

    # ------------------------------------------------------------------ state
    def snapshot(self) -> dict[str, Any]:
        """JSON-serializable state (history, last regimes, active alert conditions)."""
        return {"version": _VERSION, "underlyings": {
            u: {"regime": st.regime, "active": sorted(st.active or ()),
                "history": list(st.history or ())}
            for u, st in sorted(self._state.items())}}

    @classmethod
    def restore(cls, state: dict[str, Any], config: GexEngineConfig | None = None
                ) -> GexEngine:
        """An engine continuing from :meth:`snapshot` ``state``."""
        if state.get("version") != _VERSION:
            raise ValueError(f"GEX engine state version {state.get('version')!r} is not "
                             f"{_VERSION}")
        eng = cls(config)
        for u, s in state["underlyings"].items():
            st = eng._of(str(u))
            st.regime = s["regime"]
            st.active = set(s["active"])
            assert st.history is not None
            st.history.extend(s["history"])
        return eng
