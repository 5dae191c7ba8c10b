"""Flow intelligence: option prints in, scored flow events out (the flow-engine issue).

So far: the event model (:mod:`optix.flow.events`) and the side of each print against the quote,
sentiment and the opening-trade heuristic (:mod:`optix.flow.side`).
"""

from optix.flow.events import EventType, FlowEvent
from optix.flow.side import Side, SideConfig, aggressor, classify_side, is_opening, sentiment

__all__ = [
    "EventType",
    "FlowEvent",
    "Side",
    "SideConfig",
    "aggressor",
    "classify_side",
    "is_opening",
    "sentiment",
]
