"""Live option trades from Alpaca's option data stream, buffered into batches."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from alpaca.data.enums import OptionsFeed
from alpaca.data.live.option import OptionDataStream

from optix.core import OptionTradeBatch
from optix.data.alpaca.config import AlpacaDataConfig
from optix.data.alpaca.parsing import trades_batch

__all__ = ["OptionTradeBuffer", "OptionTradeStream"]


class OptionTradeBuffer:
    """Thread-safe buffer of raw stream trade messages, drained as one batch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, list[dict[str, Any]]] = {}
        self._seq = 0

    def add(self, message: dict[str, Any]) -> None:
        """Keep one trade message (``{"T": "t", "S": symbol, "t", "p", "s", "x", "c"}``)."""
        symbol = str(message.get("S", ""))
        with self._lock:
            self._rows.setdefault(symbol, []).append(message)

    def drain(self) -> OptionTradeBatch | None:
        """Everything received since the last drain, as a batch (None if nothing came)."""
        with self._lock:
            rows, self._rows = self._rows, {}
        if not rows:
            return None
        batch = trades_batch(rows, self._seq)
        self._seq += len(batch)
        return batch


class OptionTradeStream:
    """Runs alpaca-py's :class:`OptionDataStream` in a thread, filling a buffer.

    Parameters
    ----------
    config : AlpacaDataConfig
    symbols : sequence of str
        OCC option symbols to subscribe to.
    """

    def __init__(self, config: AlpacaDataConfig, symbols: Sequence[str]) -> None:
        self.buffer = OptionTradeBuffer()
        self._stream = OptionDataStream(
            config.api_key, config.secret_key, raw_data=True,
            feed=OptionsFeed(config.options_feed), url_override=config.stream_url)
        self._symbols = list(symbols)
        self._thread: threading.Thread | None = None

    async def _on_trade(self, message: Any) -> None:
        self.buffer.add(dict(message))

    def start(self) -> None:
        """Subscribe and start the stream thread."""
        if self._symbols:
            self._stream.subscribe_trades(self._on_trade, *self._symbols)
        self._thread = threading.Thread(target=self._stream.run, name="alpaca-option-stream",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the stream."""
        self._stream.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
