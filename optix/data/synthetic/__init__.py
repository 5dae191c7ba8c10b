"""The synthetic market: universe, price paths, listings, quotes, tape and planted events."""

from optix.data.synthetic.config import PlantingRules, SyntheticConfig
from optix.data.synthetic.labels import EventKind, Label
from optix.data.synthetic.market import SyntheticMarket

__all__ = ["EventKind", "Label", "PlantingRules", "SyntheticConfig", "SyntheticMarket"]
