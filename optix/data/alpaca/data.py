"""Alpaca historical market data through alpaca-py, with retries and our own parsing."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pandas as pd
from alpaca.data.enums import OptionsFeed
from alpaca.data.historical.option import OptionHistoricalDataClient
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import (
    OptionBarsRequest,
    OptionChainRequest,
    OptionTradesRequest,
    StockBarsRequest,
    StockLatestTradeRequest,
)
from alpaca.data.timeframe import TimeFrame

from optix.core import ChainSnapshot, OptionTradeBatch
from optix.data.alpaca._retry import call_with_retries, quiet
from optix.data.alpaca.config import AlpacaDataConfig
from optix.data.alpaca.parsing import bars_frame, chain_from_snapshots, trades_batch
from optix.data.alpaca.providers import OptionContractsProvider
from optix.data.errors import SourceError

__all__ = ["AlpacaMarketData"]

T = TypeVar("T")

class AlpacaMarketData:
    """Option chains, contracts, bars and trades from Alpaca as OPTIX batches.

    Parameters
    ----------
    config : AlpacaDataConfig
    sleep : callable
        Used between retries (tests pass a no-op).
    """

    def __init__(self, config: AlpacaDataConfig,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self.options = quiet(OptionHistoricalDataClient(
            config.api_key, config.secret_key, raw_data=True, url_override=config.data_url))
        self.stocks = quiet(StockHistoricalDataClient(
            config.api_key, config.secret_key, raw_data=True, url_override=config.data_url))
        self.contracts = OptionContractsProvider(config, sleep=sleep)

    def _call(self, fn: Callable[[], T], what: str) -> T:
        return call_with_retries(fn, what, self.config.retries, self.config.backoff_s,
                                 self._sleep)

    def latest_price(self, symbol: str) -> float:
        """Last trade price of a stock or ETF."""
        raw = self._call(lambda: self.stocks.get_stock_latest_trade(
            StockLatestTradeRequest(symbol_or_symbols=symbol)), f"latest trade {symbol}")
        try:
            return float(raw[symbol]["p"])
        except (KeyError, TypeError, ValueError):
            raise SourceError(f"Alpaca latest trade for {symbol}: unexpected reply") from None

    def chain(self, underlying: str, as_of_ns: int | None = None) -> ChainSnapshot:
        """Chain snapshot: quotes, IV and Greeks (snapshots) with open interest (contracts).

        Not validated here: the caller validates and counts (see :class:`AlpacaSource`).
        """
        feed = OptionsFeed(self.config.options_feed)
        snapshots = self._call(lambda: self.options.get_option_chain(
            OptionChainRequest(underlying_symbol=underlying, feed=feed)),
            f"option chain {underlying}")
        oi = self.contracts.open_interest(underlying)
        spot = self.latest_price(underlying)
        now = as_of_ns if as_of_ns is not None else time.time_ns()
        return chain_from_snapshots(underlying, spot, now, snapshots, oi)

    def option_trades(self, symbols: Sequence[str], start: dt.datetime,
                      end: dt.datetime | None = None, first_seq: int = 0) -> OptionTradeBatch:
        """Historical option trades of OCC ``symbols`` (not validated here)."""
        raw = self._call(lambda: self.options.get_option_trades(OptionTradesRequest(
            symbol_or_symbols=list(symbols), start=start, end=end)), "option trades")
        return trades_batch(raw, first_seq)

    def option_bars(self, symbols: Sequence[str], start: dt.datetime,
                    end: dt.datetime | None = None,
                    timeframe: TimeFrame = TimeFrame.Minute) -> pd.DataFrame:
        """Option bars as a long frame (see :func:`~optix.data.alpaca.parsing.bars_frame`)."""
        return self._bars(self.options.get_option_bars, OptionBarsRequest, "option bars",
                          symbols, start, end, timeframe)

    def stock_bars(self, symbols: Sequence[str], start: dt.datetime,
                   end: dt.datetime | None = None,
                   timeframe: TimeFrame = TimeFrame.Minute) -> pd.DataFrame:
        """Stock bars as a long frame."""
        return self._bars(self.stocks.get_stock_bars, StockBarsRequest, "stock bars",
                          symbols, start, end, timeframe)

    def _bars(self, fetch: Callable[[Any], Any], request: Callable[..., Any], what: str,
              symbols: Sequence[str], start: dt.datetime, end: dt.datetime | None,
              timeframe: TimeFrame) -> pd.DataFrame:
        params = request(symbol_or_symbols=list(symbols), start=start, end=end,
                         timeframe=timeframe)
        return bars_frame(self._call(lambda: fetch(params), what))
