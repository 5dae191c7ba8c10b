"""Flow intelligence: option prints in, scored flow events out (the flow-engine issue).

So far:

- :mod:`optix.flow.events`: the :class:`FlowEvent` every detector emits;
- :mod:`optix.flow.side`: the side of each print against the quote, sentiment, the
  opening-trade heuristic;
- detectors, each with a frozen config and ``update`` / ``flush`` / ``snapshot`` / ``restore``:
  :mod:`optix.flow.clusters` (sweeps, splits, repeated hits), :mod:`optix.flow.blocks`,
  :mod:`optix.flow.volume` (unusual volume), :mod:`optix.flow.darkpool` (equity TRF prints);
- :mod:`optix.flow.scoring`: score, severity and the deterministic alert id.

The engine that composes them per underlying (``update(batch, now)``), the 60-minute
aggregation, smart-money patterns, market-maker positioning and ``optix flow scan`` follow.
"""

from optix.flow.blocks import BlockConfig, BlockDetector
from optix.flow.clusters import RepeatConfig, RepeatedHitsDetector, SweepConfig, SweepDetector
from optix.flow.darkpool import DarkPoolConfig, DarkPoolDetector
from optix.flow.events import EventType, FlowEvent
from optix.flow.scoring import ScoredAlert, ScoringConfig, Severity, alert_id, score_event
from optix.flow.side import Side, SideConfig, aggressor, classify_side, is_opening, sentiment
from optix.flow.volume import UnusualVolumeConfig, UnusualVolumeDetector

__all__ = [
    "BlockConfig",
    "BlockDetector",
    "DarkPoolConfig",
    "DarkPoolDetector",
    "EventType",
    "FlowEvent",
    "RepeatConfig",
    "RepeatedHitsDetector",
    "ScoredAlert",
    "ScoringConfig",
    "Severity",
    "Side",
    "SideConfig",
    "SweepConfig",
    "SweepDetector",
    "UnusualVolumeConfig",
    "UnusualVolumeDetector",
    "aggressor",
    "alert_id",
    "classify_side",
    "is_opening",
    "score_event",
    "sentiment",
]
