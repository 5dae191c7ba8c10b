"""Alpaca as a feed: polled chain snapshots plus live option trades when streaming."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from optix.core import ChainSnapshot, RejectReason, Right, format_occ
from optix.data.alpaca.config import AlpacaDataConfig
from optix.data.alpaca.data import AlpacaMarketData
from optix.data.alpaca.stream import OptionTradeStream
from optix.data.errors import SourceError
from optix.data.feed import FeedBatch, Rejection
from optix.data.source import MarketSource

__all__ = ["AlpacaSource"]


class AlpacaSource(MarketSource):
    """Polls each symbol's chain every ``poll_s``; with ``stream=True`` adds live trades.

    A failed poll of one symbol (after retries) is logged in :attr:`stats` and the feed
    goes on with the others.

    Parameters
    ----------
    config : AlpacaDataConfig
    stream : bool
        Subscribe to live trades of the polled chains' contracts (nearest the money).
    polls : int or None
        Stop after this many polls (None: run until the consumer stops).
    sleep, clock : callable
        Injected for tests.
    """

    def __init__(self, config: AlpacaDataConfig, *, stream: bool = False,
                 polls: int | None = None, stream_contracts: int = 200,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], int] = time.time_ns) -> None:
        super().__init__()
        self.config = config
        self.data = AlpacaMarketData(config, sleep=sleep)
        self.stream = stream
        self.polls = polls
        self.stream_contracts = stream_contracts
        self._sleep = sleep
        self._clock = clock
        self.name = f"Alpaca ({'paper' if config.paper else 'live'}, " \
                    f"{', '.join(config.symbols)})"

    def _poll(self) -> tuple[ChainSnapshot, ...]:
        chains = []
        for symbol in self.config.symbols:
            try:
                raw = self.data.chain(symbol, as_of_ns=self._clock())
            except SourceError as exc:
                self.stats.note(f"{symbol}: {exc}")
                continue
            result = raw.validate()
            self.stats.count("chain_row", len(raw), len(result.clean), result.reason_counts())
            for i, reason in zip(result.rejected_index[:3], result.reasons[:3], strict=False):
                why = RejectReason(int(reason))
                self.stats.example(Rejection("chain_row", why, f"{symbol} row {i}",
                                             why.description))
            chains.append(result.clean)
        return tuple(chains)

    def batches(self, start_offset: int = 0) -> Iterator[FeedBatch]:
        """Poll, yield, sleep; live trades (if streaming) ride along with each poll."""
        live: OptionTradeStream | None = None
        offset, last = 0, self._clock()
        try:
            n = 0
            while self.polls is None or n < self.polls:
                chains = self._poll()
                if self.stream and live is None and chains:
                    live = OptionTradeStream(self.config, _near_money(chains,
                                                                      self.stream_contracts))
                    live.start()
                trades = live.buffer.drain() if live is not None else None
                if trades is not None:
                    result = trades.validate()
                    self.stats.count("option_trade", len(trades), len(result.clean),
                                     result.reason_counts())
                    trades = result.clean
                now = self._clock()
                if offset >= start_offset:
                    yield FeedBatch(offset=offset, start_ns=last, end_ns=max(now, last + 1),
                                    trades=trades, chains=chains)
                offset, last, n = offset + 1, now, n + 1
                if self.polls is None or n < self.polls:
                    self._sleep(self.config.poll_s)
        finally:
            if live is not None:
                live.stop()


def _near_money(chains: tuple[ChainSnapshot, ...], per_chain: int) -> list[str]:
    out: list[str] = []
    for c in chains:
        order = abs(c.strike - c.spot).argsort()[:per_chain]
        out += [format_occ(str(c.root[i]), c.expiry[i].item(), Right(int(c.right[i])),
                           float(c.strike[i])) for i in order]
    return out
