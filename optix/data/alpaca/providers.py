"""Instrument providers: listed option contracts (with open interest) from Alpaca."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import GetOptionContractsRequest

from optix.data.alpaca._retry import call_with_retries, quiet
from optix.data.alpaca.config import AlpacaDataConfig
from optix.data.alpaca.parsing import contracts_frame
from optix.data.errors import SourceError

__all__ = ["OptionContractsProvider"]


class OptionContractsProvider:
    """Lists every option contract of an underlying, following ``page_token`` to the end.

    alpaca-py returns one page per call (``next_page_token`` in the reply); this class loops.

    Parameters
    ----------
    config : AlpacaDataConfig
    page_size : int
        Contracts per page (Alpaca allows up to 10,000).
    max_pages : int
        Guard against a server that never stops paging.
    """

    def __init__(self, config: AlpacaDataConfig, page_size: int = 10_000, max_pages: int = 1000,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.page_size = page_size
        self.max_pages = max_pages
        self._sleep = sleep
        self.client = quiet(TradingClient(config.api_key, config.secret_key, paper=config.paper,
                                           raw_data=True, url_override=config.trading_url))

    def contracts(self, underlying: str) -> pd.DataFrame:
        """All contracts of ``underlying`` (every page), as :func:`contracts_frame`."""
        rows: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(self.max_pages):
            request = GetOptionContractsRequest(underlying_symbols=[underlying],
                                                limit=self.page_size, page_token=token)
            reply: Any = call_with_retries(partial(self.client.get_option_contracts, request),
                                      f"option contracts {underlying}", self.config.retries,
                                      self.config.backoff_s, self._sleep)
            if not isinstance(reply, dict):
                raise SourceError(f"Alpaca option contracts {underlying}: unexpected reply")
            rows += reply.get("option_contracts") or []
            token = reply.get("next_page_token")
            if not token:
                return contracts_frame(rows)
        raise SourceError(f"Alpaca option contracts {underlying}: more than {self.max_pages} "
                          "pages; stopping")

    def open_interest(self, underlying: str) -> dict[str, int]:
        """Open interest by OCC symbol (contracts without one are left out)."""
        frame = self.contracts(underlying)
        known = frame[frame["open_interest"] >= 0]
        return dict(zip(known["symbol"], known["open_interest"].astype(int), strict=True))
