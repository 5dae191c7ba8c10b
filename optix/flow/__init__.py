"""Flow intelligence: option prints in, scored flow events out (the flow-engine issue).

So far: the event model (:mod:`optix.flow.events`), the side of each print against the quote,
sentiment and the opening-trade heuristic (:mod:`optix.flow.side`), and scored alerts with
deterministic ids (:mod:`optix.flow.scoring`).
"""

from optix.flow.events import EventType, FlowEvent
from optix.flow.scoring import ScoredAlert, ScoringConfig, Severity, alert_id, score_event
from optix.flow.side import Side, SideConfig, aggressor, classify_side, is_opening, sentiment

__all__ = [
    "EventType",
    "FlowEvent",
    "ScoredAlert",
    "ScoringConfig",
    "Severity",
    "Side",
    "SideConfig",
    "aggressor",
    "alert_id",
    "classify_side",
    "is_opening",
    "score_event",
    "sentiment",
]
