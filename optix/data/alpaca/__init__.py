"""Alpaca adapter for market data (alpaca-py): chains, contracts, bars, trades, live stream.

Files follow the adapter layout: ``config`` (keys and endpoints), ``data`` (historical
requests), ``providers`` (listed contracts with open interest), ``parsing`` (Alpaca JSON to
OPTIX columns), ``stream`` (live option trades) and ``source`` (the feed). Order execution is
the brokers package's.
"""

from optix.data.alpaca.config import AlpacaDataConfig
from optix.data.alpaca.data import AlpacaMarketData
from optix.data.alpaca.providers import OptionContractsProvider
from optix.data.alpaca.source import AlpacaSource
from optix.data.alpaca.stream import OptionTradeBuffer, OptionTradeStream

__all__ = [
    "AlpacaDataConfig",
    "AlpacaMarketData",
    "AlpacaSource",
    "OptionContractsProvider",
    "OptionTradeBuffer",
    "OptionTradeStream",
]
