"""Market data: one interface over the synthetic market, recorded files and Alpaca.

Every source is a :class:`MarketSource` yielding :class:`FeedBatch` objects.

Sources are imported from their subpackages (``optix.data.synthetic``,
``optix.data.replay``, ``optix.data.alpaca``) or built from settings by
:func:`make_source`.
"""

from optix.data.clock import SimulatedClock, pace
from optix.data.errors import (
    DataError,
    DataFileError,
    FileEncodingError,
    SchemaError,
    SourceError,
    TruncatedFileError,
)
from optix.data.factory import make_source
from optix.data.feed import FeedBatch, Rejection, SourceStats
from optix.data.source import MarketSource

__all__ = [
    "DataError",
    "DataFileError",
    "FeedBatch",
    "FileEncodingError",
    "MarketSource",
    "Rejection",
    "SchemaError",
    "SimulatedClock",
    "SourceError",
    "SourceStats",
    "TruncatedFileError",
    "make_source",
    "pace",
]
