"""Replay of recorded files through the same path the live feeds use."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from optix.data.errors import DataFileError
from optix.data.feed import FeedBatch
from optix.data.replay.cboe import is_cboe_quotedata, read_cboe_quotedata
from optix.data.replay.trades import TradeFileReader
from optix.data.source import MarketSource

__all__ = ["ReplaySource", "replay_files"]

_SUFFIXES = (".csv", ".parquet")


def replay_files(paths: Sequence[str | Path]) -> list[Path]:
    """The files to replay: each file as given, each folder's CSV and Parquet files sorted.

    Raises
    ------
    DataFileError
        If a path does not exist or a folder holds no replayable file.
    """
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix.lower() in _SUFFIXES)
            if not found:
                raise DataFileError(p, "folder holds no .csv or .parquet file")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise DataFileError(p, "no such file or folder")
    return out


class ReplaySource(MarketSource):
    """Option trades (CSV, Parquet, Databento TBBO) and CBOE chain files, in order.

    Each trade file becomes batches of about ``batch_rows`` trades in file order (recorded
    feeds are in time order); each CBOE quotedata file becomes one batch holding its chain
    snapshot at the file's snapshot time.

    Parameters
    ----------
    paths : sequence of path
        Files or folders (a folder's ``.csv``/``.parquet`` files in name order).
    batch_rows : int
    """

    def __init__(self, paths: Sequence[str | Path], batch_rows: int = 65_536) -> None:
        super().__init__()
        self.paths = replay_files(paths)
        self.batch_rows = batch_rows
        names = ", ".join(p.name for p in self.paths[:3])
        more = f" +{len(self.paths) - 3} more" if len(self.paths) > 3 else ""
        self.name = f"replay of {names}{more}"

    def batches(self, start_offset: int = 0) -> Iterator[FeedBatch]:
        """Batches of every file in turn; offsets count batches across all files."""
        offset = 0
        for path in self.paths:
            if is_cboe_quotedata(path):
                snap = read_cboe_quotedata(path, self.stats)
                if offset >= start_offset:
                    yield FeedBatch(offset=offset, start_ns=snap.as_of_ns,
                                    end_ns=snap.as_of_ns + 1, chains=(snap,))
                offset += 1
                continue
            reader = TradeFileReader(path, self.stats, self.batch_rows)
            for trades in reader.batches():
                if len(trades) == 0:
                    continue
                if offset >= start_offset:
                    yield FeedBatch(offset=offset, start_ns=int(trades.ts_ns.min()),
                                    end_ns=int(trades.ts_ns.max()) + 1, trades=trades)
                offset += 1
            for token, n in reader.unknown_conditions.items():
                self.stats.note(f"unknown condition {token!r} ignored", n)
