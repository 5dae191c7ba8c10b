"""The one interface every market source implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from optix.data.feed import FeedBatch, SourceStats

__all__ = ["MarketSource"]


class MarketSource(ABC):
    """A source of market data: synthetic market, recorded files or Alpaca.

    Subclasses implement :meth:`batches`. Every source validates what it reads with the
    batch types' ``validate`` and counts rows read, accepted and rejected (per reason) in
    :attr:`stats`; a bad row never stops the stream.

    Attributes
    ----------
    name : str
        Short description for logs and status pages.
    stats : SourceStats
    """

    name: str = "source"

    def __init__(self) -> None:
        self.stats = SourceStats()

    @abstractmethod
    def batches(self, start_offset: int = 0) -> Iterator[FeedBatch]:
        """Yield batches in market-time order, starting at feed offset ``start_offset``.

        Offsets count batches from 0; a consumer that checkpointed offset ``k`` resumes with
        ``batches(k + 1)`` and sees exactly what it would have seen.
        """

    def __iter__(self) -> Iterator[FeedBatch]:
        return self.batches()

    def close(self) -> None:  # noqa: B027 - optional hook, most sources hold nothing
        """Release files, sockets or threads the source holds."""
