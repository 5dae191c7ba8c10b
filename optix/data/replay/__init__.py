"""Recorded files: option trades (CSV, Parquet, Databento TBBO) and CBOE chain files."""

from optix.data.replay.cboe import is_cboe_quotedata, read_cboe_quotedata
from optix.data.replay.source import ReplaySource, replay_files
from optix.data.replay.trades import TRADE_COLUMNS, TradeFileReader

__all__ = ["TRADE_COLUMNS", "ReplaySource", "TradeFileReader", "is_cboe_quotedata",
           "read_cboe_quotedata", "replay_files"]
