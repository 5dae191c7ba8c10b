"""Scored alerts from flow events: score, severity and a deterministic alert id.

``score = premium score + confidence score + count score`` (the flow seed's formula), each part
bounded so the total lies in [0, 100]:

- **premium** (0 to ``premium_points``, 50 by default): logarithmic between ``premium_floor``
  ($10,000: a single sweep leg) and ``premium_cap`` ($5,000,000), so every tenfold of premium is
  worth the same; $100,000 scores 18.5 and $1,000,000 scores 37.
- **confidence** (0 to ``confidence_points``, 30): the detector's confidence times 30.
- **count** (0 to ``count_points``, 20): logarithmic in the number of prints up to ``count_cap``
  (32); one print scores 0, four score 8, eight score 12.

Severity: 70+ CRITICAL, 50+ HIGH, 30+ MEDIUM, 15+ LOW, else INFO. So an eight-leg $1M sweep at
confidence 0.8 is CRITICAL (37 + 24 + 12 = 73), a $100,000 block at 0.6 MEDIUM (36.5).

The alert id hashes the event type, the stream, the contract, the first and last print times
and the exact sequence numbers of the prints that caused the event: replaying the same tape
yields the same ids, which is what lets the cluster drop duplicates after a restart
(``alert_history.id`` is this id).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from optix.core.jsonsafe import json_safe
from optix.flow.events import FlowEvent

__all__ = ["ScoredAlert", "ScoringConfig", "Severity", "alert_id", "score_event"]


class Severity(IntEnum):
    """Alert severity, ordered; ``name`` is what ``alert_history.severity`` stores."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """Weights and ranges of the three score parts and the severity cut-offs (module doc)."""

    premium_floor: float = 10_000.0
    premium_cap: float = 5_000_000.0
    premium_points: float = 50.0
    confidence_points: float = 30.0
    count_cap: int = 32
    count_points: float = 20.0
    critical: float = 70.0
    high: float = 50.0
    medium: float = 30.0
    low: float = 15.0

    def __post_init__(self) -> None:
        if not 0 < self.premium_floor < self.premium_cap:
            raise ValueError("need 0 < premium_floor < premium_cap, got "
                             f"{self.premium_floor} and {self.premium_cap}")
        if self.count_cap < 2:
            raise ValueError(f"count_cap must be at least 2, got {self.count_cap}")
        for name in ("premium_points", "confidence_points", "count_points"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if not self.critical > self.high > self.medium > self.low >= 0:
            raise ValueError("severity cut-offs must satisfy critical > high > medium > low >= 0")

    def severity(self, score: float) -> Severity:
        """The severity of a score."""
        for cut, sev in ((self.critical, Severity.CRITICAL), (self.high, Severity.HIGH),
                         (self.medium, Severity.MEDIUM), (self.low, Severity.LOW)):
            if score >= cut:
                return sev
        return Severity.INFO


@dataclass(frozen=True, slots=True)
class ScoredAlert:
    """A flow event with its score parts, severity and deterministic id."""

    event: FlowEvent
    alert_id: str
    score: float
    severity: Severity
    premium_score: float
    confidence_score: float
    count_score: float

    def as_record(self) -> dict[str, Any]:
        """The ``alert_history`` row, in the shape of :meth:`optix.gex.alerts.GexAlert.as_record`.

        Returns
        -------
        dict
            ``id``, ``source`` (``'flow'``), ``alert_type`` (the event type), ``severity``
            (name), ``score``, ``symbol`` (the underlying), ``title`` (e.g.
            ``'SPY sweep 2024-06-21 450C $1.2M bought'``), ``message``, ``ts_ns`` (the event's
            last print) and ``payload``: the event's :meth:`~optix.flow.events.FlowEvent.as_dict`
            plus ``score``, ``premium_score``, ``confidence_score``, ``count_score`` and
            ``ts_ns``. Non-finite numbers (a NaN strike) become ``None``, so the whole record
            is strict JSON.
        """
        ev = self.event
        kind = ev.type.value
        parts = [ev.underlying, kind]
        if ev.type.value == "pattern" and ev.detail.get("pattern"):
            parts[1] = f"{kind} {ev.detail['pattern']}"
        if ev.expiry is not None:
            parts.append(ev.expiry.isoformat())
        letter = {1: "C", -1: "P"}.get(ev.right, "")
        if math.isfinite(ev.strike) and ev.stream == "option":
            parts.append(f"{ev.strike:g}{letter}")
        elif letter and ev.stream == "option":
            parts.append("calls" if ev.right > 0 else "puts")
        if ev.stream == "equity":
            parts.append(f"{ev.size:,} sh")
        prem = ev.premium
        for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if round(abs(prem) / div, 1) >= 1.0:
                parts.append(f"${prem / div:.1f}{unit}")
                break
        else:
            parts.append(f"${prem:,.0f}")
        side = {1: "bought", -1: "sold"}.get(ev.side)
        if side:
            parts.append(side)
        title = " ".join(parts)[:200]
        unit = "shares" if ev.stream == "equity" else "contracts"
        mood = {1: "bullish", -1: "bearish"}.get(ev.sentiment, "neutral")
        n = len(ev.seqs)
        message = (
            f"{n} print{'s' if n != 1 else ''} on {len(ev.venues)} venue"
            f"{'s' if len(ev.venues) != 1 else ''}, {ev.size:,} {unit}, ${ev.premium:,.0f} "
            f"{'notional' if ev.stream == 'equity' else 'premium'}, {mood}, confidence "
            f"{ev.confidence:.2f}; score {self.score:.1f} = premium {self.premium_score:.1f} "
            f"+ confidence {self.confidence_score:.1f} + count {self.count_score:.1f}."
        )
        payload = json_safe({**ev.as_dict(), "score": self.score,
                         "premium_score": self.premium_score,
                         "confidence_score": self.confidence_score,
                         "count_score": self.count_score, "ts_ns": ev.last_ts_ns})
        return {"id": self.alert_id, "source": "flow", "alert_type": kind,
                "severity": self.severity.name, "score": float(self.score),
                "symbol": ev.underlying, "title": title, "message": message,
                "ts_ns": int(ev.last_ts_ns), "payload": payload}


def alert_id(event: FlowEvent) -> str:
    """Deterministic id: ``<type>-<16 hex>`` from what caused the event.

    The hash covers the type, stream, underlying, contract, the first and last print times and
    the sequence numbers. Feed sequence numbers alone do not name prints (OPRA feeds number
    per publisher, replayed files per file), so the contract and the times keep two events
    that share seqs apart.
    """
    expiry = "" if event.expiry is None else event.expiry.isoformat()
    text = (f"{event.type.value}|{event.stream}|{event.underlying}|{expiry}|{event.strike!r}|"
            f"{event.right}|{event.first_ts_ns}|{event.last_ts_ns}|"
            + ",".join(str(s) for s in event.seqs))
    return f"{event.type.value}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def score_event(event: FlowEvent, config: ScoringConfig | None = None) -> ScoredAlert:
    """Score an event (module doc) and give it its severity and id."""
    cfg = config or ScoringConfig()
    span = math.log(cfg.premium_cap / cfg.premium_floor)
    prem = max(event.premium, cfg.premium_floor)
    premium_score = cfg.premium_points * min(math.log(prem / cfg.premium_floor) / span, 1.0)
    confidence_score = cfg.confidence_points * event.confidence
    n = max(len(event.seqs), 1)
    count_score = cfg.count_points * min(math.log(n) / math.log(cfg.count_cap), 1.0)
    score = premium_score + confidence_score + count_score
    return ScoredAlert(event, alert_id(event), score, cfg.severity(score), premium_score,
                       confidence_score, count_score)
