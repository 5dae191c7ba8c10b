"""GEX alerts: flip proximity, concentration, pin risk, regime change, destabilizing dealers.

Each rule gives a score in [0, 100] that maps to the same :class:`~optix.flow.scoring.Severity`
scale and cut-offs as flow alerts (70+ CRITICAL, 50+ HIGH, 30+ MEDIUM, 15+ LOW), and every alert
becomes an ``alert_history`` row (source ``gex``) through :meth:`GexAlert.as_record`. Thresholds
are :class:`~optix.gex.config.GexAlertConfig` fields.

==================  ===========================================  ==============================
type                fires when                                   score
==================  ===========================================  ==============================
flip_proximity      spot within ``flip_proximity_pct`` of flip   30 + 35 (1 - distance / limit)
concentration       one strike holds >= ``concentration_share``  30 + 40 x excess share over
                    of gross |GEX|                               the rest of (0, 1]
pin_risk            an expiry with <= ``pin_days`` business      the pin score itself
                    days has pin score >= ``pin_score``
regime_change       the regime differs from the last snapshot's  60 to negative, 40 to
                                                                 positive, 30 via neutral
destabilizing       negative regime, |net| >= ``destabilizing``  50 + 30 x excess share
                    ``_share`` of gross, spot below the flip
                    (or no flip)
==================  ===========================================  ==============================

The alert id hashes the type, underlying, snapshot time and what the alert is about (strike,
expiry, regimes), so the same snapshots replayed give the same ids.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from optix.flow.scoring import ScoringConfig, Severity
from optix.gex.result import GexResult

__all__ = ["GexAlert", "GexAlertType", "gex_alerts"]

_SEVERITY = ScoringConfig()


class GexAlertType(StrEnum):
    """The five GEX alert rules (module docstring)."""

    FLIP_PROXIMITY = "flip_proximity"
    CONCENTRATION = "concentration"
    PIN_RISK = "pin_risk"
    REGIME_CHANGE = "regime_change"
    DESTABILIZING = "destabilizing"


@dataclass(frozen=True, slots=True)
class GexAlert:
    """One GEX alert.

    Attributes
    ----------
    type : GexAlertType
    underlying : str
    as_of_ns : int
        Time of the snapshot that raised it.
    key : str
        What it is about (``''``, a strike, ``expiry@strike``, ``old->new``); part of the id.
    score : float
        In [0, 100].
    severity : Severity
    title, message : str
    detail : dict
        The numbers behind it.
    """

    type: GexAlertType
    underlying: str
    as_of_ns: int
    key: str
    score: float
    severity: Severity
    title: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def alert_id(self) -> str:
        """Deterministic id ``gex-<type>-<16 hex>``."""
        text = f"{self.type.value}|{self.underlying}|{self.as_of_ns}|{self.key}"
        return f"gex-{self.type.value}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"

    @property
    def episode(self) -> str:
        """What stays the same while the condition lasts (type and key, not time)."""
        return f"{self.type.value}|{self.key}"

    def as_record(self) -> dict[str, Any]:
        """The ``alert_history`` row (``ts`` as epoch ns in ``payload``)."""
        return {"id": self.alert_id, "source": "gex", "alert_type": self.type.value,
                "severity": self.severity.name, "score": self.score, "symbol": self.underlying,
                "title": self.title, "message": self.message,
                "payload": {"as_of_ns": self.as_of_ns, "key": self.key, **self.detail}}


def _alert(kind: GexAlertType, res: GexResult, key: str, score: float, title: str,
           message: str, **detail: Any) -> GexAlert:
    s = float(min(max(score, 0.0), 100.0))
    return GexAlert(kind, res.underlying, res.as_of_ns, key, s, _SEVERITY.severity(s), title,
                    message, detail)


def gex_alerts(result: GexResult, previous_regime: str | None = None) -> list[GexAlert]:
    """Every alert the rules raise on ``result``.

    Parameters
    ----------
    result : GexResult
        The new snapshot's result.
    previous_regime : str, optional
        The regime of the underlying's previous snapshot (for ``regime_change``).

    Returns
    -------
    list of GexAlert
        In the order of :class:`GexAlertType`.
    """
    cfg = result.config.alerts
    out: list[GexAlert] = []
    s = result.spot
    u = result.underlying
    flip = result.flip
    if flip is not None:
        dist = abs(s - flip) / s * 100.0
        if dist <= cfg.flip_proximity_pct:
            out.append(_alert(
                GexAlertType.FLIP_PROXIMITY, result, "",
                30.0 + 35.0 * (1.0 - dist / cfg.flip_proximity_pct),
                f"{u} spot {dist:.2f}% from the gamma flip",
                f"{u} at {s:,.2f} is {dist:.2f}% from the zero-gamma flip {flip:,.2f}; a move "
                f"through it turns dealer hedging from damping to amplifying (or back).",
                spot=s, flip=flip, distance_pct=dist))
    by = result.by_strike()
    net = np.abs(by["net_gex"].to_numpy())
    gross = float(net.sum())
    if gross > 0:
        j = int(np.argmax(net))
        share = float(net[j]) / gross
        if share >= cfg.concentration_share:
            k = float(by["strike"].iloc[j])
            excess = (share - cfg.concentration_share) / max(1.0 - cfg.concentration_share, 1e-9)
            out.append(_alert(
                GexAlertType.CONCENTRATION, result, f"{k:g}", 30.0 + 40.0 * excess,
                f"{u} gamma concentrated at {k:g}",
                f"{share:.0%} of {u}'s gross gamma exposure sits at strike {k:g}.",
                strike=k, share=share))
    for pin in result.levels.pin_risk:
        if (pin.strike is not None and pin.business_days <= cfg.pin_days
                and pin.score >= cfg.pin_score):
            out.append(_alert(
                GexAlertType.PIN_RISK, result, f"{pin.expiry}@{pin.strike:g}", pin.score,
                f"{u} pin risk at {pin.strike:g} into {pin.expiry}",
                f"{u} {pin.expiry} expiry: {pin.open_interest:,} contracts at {pin.strike:g}, "
                f"{pin.business_days} business day(s) left; pin score {pin.score:.0f}.",
                expiry=pin.expiry, strike=pin.strike, pin_score=pin.score,
                business_days=pin.business_days))
    regime = result.levels.regime
    if previous_regime is not None and previous_regime != regime:
        score = 60.0 if regime == "negative" else (40.0 if regime == "positive" else 30.0)
        if "neutral" in (previous_regime, regime) and regime != "negative":
            score = 30.0
        out.append(_alert(
            GexAlertType.REGIME_CHANGE, result, f"{previous_regime}->{regime}", score,
            f"{u} gamma regime {previous_regime} -> {regime}",
            f"{u} dealers turned {regime} gamma (was {previous_regime}).",
            previous=previous_regime, regime=regime))
    tot = result.exposure.totals()
    if regime == "negative" and tot["gross_gex"] > 0:
        share = abs(tot["total_gex"]) / tot["gross_gex"]
        below = flip is None or s < flip
        if share >= cfg.destabilizing_share and below:
            excess = (share - cfg.destabilizing_share) / max(1.0 - cfg.destabilizing_share, 1e-9)
            hedge = result.levels.hedge_flow_usd_up_1pct
            out.append(_alert(
                GexAlertType.DESTABILIZING, result, "", 50.0 + 30.0 * excess,
                f"{u} dealers short gamma: hedging amplifies moves",
                f"{u} net dealer gamma is {share:.0%} of gross and negative; for a 1% rally "
                f"dealers would buy about ${abs(hedge) / 1e6:,.0f}M of underlying.",
                share=share, hedge_flow_usd_up_1pct=hedge,
                flip=None if flip is None or not math.isfinite(flip) else flip))
    return out
