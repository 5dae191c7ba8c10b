"""The flow event every detector emits.

A :class:`FlowEvent` names the prints that make it up by their feed sequence numbers, so a replay
of the same tape reproduces the same events (and the same alert ids), and a test can match an
event to the synthetic market's labels print for print.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["EventType", "FlowEvent"]


class EventType(StrEnum):
    """Kinds of flow event (the same names as the synthetic market's labels)."""

    SWEEP = "sweep"
    SPLIT = "split"
    BLOCK = "block"
    REPEATED_HITS = "repeated_hits"
    UNUSUAL_VOLUME = "unusual_volume"
    DARK_POOL = "dark_pool"
    SPREAD = "spread"
    PATTERN = "pattern"
    """A smart-money pattern over a window (``detail["pattern"]`` names which)."""


@dataclass(frozen=True, slots=True)
class FlowEvent:
    """One detected event.

    Attributes
    ----------
    type : EventType
    underlying : str
        Underlying ticker (for dark-pool prints: the equity symbol).
    expiry, strike, right
        The option contract (``None``, ``nan``, 0 for equity events).
    first_ts_ns, last_ts_ns : int
        Times of the first and last print involved (epoch ns).
    seqs : tuple of int
        Feed sequence numbers of the prints involved, in time order.
    stream : str
        ``'option'`` or ``'equity'``: which feed the sequence numbers belong to.
    venues : tuple of int
        Distinct venue codes among the prints, sorted.
    size : int
        Contracts (options) or shares (equities).
    premium : float
        Premium in dollars (options: price x size x 100), notional for equities.
    side : int
        +1 bought at/above the ask, -1 sold at/below the bid, 0 mixed or unknown.
    sentiment : int
        +1 bullish, -1 bearish, 0 neutral.
    confidence : float
        Detector confidence in [0, 1].
    detail : dict
        Detector-specific facts (e.g. ``iso`` for sweeps, ``oi_ratio`` for unusual volume).
    """

    type: EventType
    underlying: str
    expiry: dt.date | None
    strike: float
    right: int
    first_ts_ns: int
    last_ts_ns: int
    seqs: tuple[int, ...]
    stream: str
    venues: tuple[int, ...]
    size: int
    premium: float
    side: int
    sentiment: int
    confidence: float
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.seqs:
            raise ValueError("a flow event needs at least one print (seqs is empty)")
        if self.stream not in ("option", "equity"):
            raise ValueError(f"stream must be 'option' or 'equity', got {self.stream!r}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": self.type.value, "underlying": self.underlying,
            "expiry": None if self.expiry is None else self.expiry.isoformat(),
            "strike": self.strike, "right": self.right, "first_ts_ns": self.first_ts_ns,
            "last_ts_ns": self.last_ts_ns, "seqs": list(self.seqs), "stream": self.stream,
            "venues": list(self.venues), "size": self.size, "premium": self.premium,
            "side": self.side, "sentiment": self.sentiment, "confidence": self.confidence,
            "detail": dict(self.detail),
        }
