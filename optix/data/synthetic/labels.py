"""Ground truth of the synthetic market: what was planted, and which decoys miss which rule."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["EventKind", "Label"]


class EventKind(StrEnum):
    """Kinds of planted flow event (the flow engine's detector names)."""

    SWEEP = "sweep"
    SPLIT = "split"
    BLOCK = "block"
    REPEATED_HITS = "repeated_hits"
    UNUSUAL_VOLUME = "unusual_volume"
    DARK_POOL = "dark_pool"
    SPREAD = "spread"


@dataclass(frozen=True, slots=True)
class Label:
    """One planted event or decoy.

    Attributes
    ----------
    event_id : int
        Unique within a market (seed); stable across runs.
    kind : EventKind or None
        What a correct detector reports for these prints; None for a decoy that should
        trip no rule at all.
    decoy_of : EventKind or None
        The rule this group was built to miss by a hair (None for true events). A sweep
        decoy on a single venue is still a true split: ``kind=SPLIT, decoy_of=SWEEP``.
    miss : str
        How the decoy misses, e.g. ``"3 legs < 4"`` or ``"span 2.100 s > 2 s"``.
    underlying : str
    contract : str
        OCC symbol (option events) or the equity ticker (dark-pool prints).
    stream : str
        ``'option'`` (seqs are option-trade seqs) or ``'equity'`` (equity-print seqs).
    seqs : tuple of int
        Sequence numbers of the prints that make up the event, in time order.
    start_ns, end_ns : int
        Time of the first and last print.
    premium : float
        Total premium (options) or notional (equities) in dollars.
    size : int
        Total contracts (options) or shares (equities).
    venues : int
        Distinct venues among the prints.
    side : int
        +1 bought at/above the ask, -1 sold at/below the bid, 0 mixed (spreads).
    """

    event_id: int
    kind: EventKind | None
    decoy_of: EventKind | None
    miss: str
    underlying: str
    contract: str
    stream: str
    seqs: tuple[int, ...]
    start_ns: int
    end_ns: int
    premium: float
    size: int
    venues: int
    side: int

    @property
    def is_decoy(self) -> bool:
        """True when this group was built to miss a rule."""
        return self.decoy_of is not None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (enums as their values)."""
        return {
            "event_id": self.event_id,
            "kind": None if self.kind is None else self.kind.value,
            "decoy_of": None if self.decoy_of is None else self.decoy_of.value,
            "miss": self.miss,
            "underlying": self.underlying,
            "contract": self.contract,
            "stream": self.stream,
            "seqs": list(self.seqs),
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "premium": self.premium,
            "size": self.size,
            "venues": self.venues,
            "side": self.side,
        }
