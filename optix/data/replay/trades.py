"""Option trades from CSV and Parquet files (OPTIX schema or Databento TBBO)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from optix.core import OptionTradeBatch, RejectReason, parse_occ_array
from optix.core._columnar import INT_MISSING, coerce_int
from optix.data.errors import DataFileError, SchemaError, TruncatedFileError
from optix.data.feed import Rejection, SourceStats
from optix.data.replay.parsing import (
    DATABENTO_OPRA_PUBLISHERS,
    parse_conditions,
    parse_timestamps,
    underlying_of_root,
)
from optix.data.replay.textfile import check_utf8, last_line

__all__ = ["TRADE_COLUMNS", "TradeFileReader"]

KIND = "option_trade"

TRADE_COLUMNS: dict[str, str] = {
    "ts": "trade time: ISO-8601 with a zone (2025-02-20T14:30:00.8176Z) or epoch nanoseconds",
    "seq": "optional: feed sequence number (default: row number in the file)",
    "underlying": "underlying ticker (SPY, SPX)",
    "symbol": "OCC option symbol (SPY251001P00500000, padded form too); or the three "
              "columns expiry, strike, right",
    "price": "trade price per share of underlying",
    "size": "contracts",
    "venue": "OPRA participant letter (C, X, ...) or MIC (XCBO, XPHL, ...)",
    "bid": "optional: national best bid at the trade",
    "ask": "optional: national best offer at the trade",
    "conditions": "optional: |-separated flags: ISO, AUCTION, MULTI_LEG, LATE, "
                  "OUT_OF_SEQUENCE, CANCEL, OPENING, STOCK_OPTION",
}
"""The OPTIX option-trade file schema (header names are case-insensitive; other columns are
ignored)."""

_DATABENTO = {"ts_event_utc": "ts", "ts_event": "ts", "sequence": "seq", "symbol": "symbol",
              "price": "price", "size": "size", "publisher_id": "venue", "bid_px": "bid",
              "ask_px": "ask", "bid_px_00": "bid", "ask_px_00": "ask"}


_PUBLISHER_TABLE = np.zeros(max(DATABENTO_OPRA_PUBLISHERS) + 1, dtype=np.int64)
for _pid, _venue in DATABENTO_OPRA_PUBLISHERS.items():
    _PUBLISHER_TABLE[_pid] = int(_venue)


@dataclass(frozen=True, slots=True)
class _Dialect:
    name: str
    rename: dict[str, str]  # file column -> schema column


def _dialect(columns: list[str], path: Path) -> _Dialect:
    lower = {c.lower().strip(): c for c in columns}
    if "publisher_id" in lower and ("ts_event" in lower or "ts_event_utc" in lower):
        rename: dict[str, str] = {}
        for src, dst in _DATABENTO.items():
            if src in lower and dst not in rename.values():
                rename[lower[src]] = dst
        missing = [c for c in ("ts", "symbol", "price", "size", "venue")
                   if c not in rename.values()]
        if missing:
            raise SchemaError(path, f"Databento file lacks columns for {', '.join(missing)}", 1)
        return _Dialect("databento", rename)
    rename = {lower[c]: c for c in TRADE_COLUMNS if c in lower}
    for c in ("expiry", "strike", "right"):
        if c in lower:
            rename[lower[c]] = c
    present = set(rename.values())
    missing = [c for c in ("ts", "underlying", "price", "size", "venue") if c not in present]
    if "symbol" not in present and not {"expiry", "strike", "right"} <= present:
        missing.append("symbol (or expiry, strike and right)")
    if missing:
        raise SchemaError(path, "missing required column(s): " + ", ".join(missing)
                          + f"; found {', '.join(columns)}", 1)
    return _Dialect("optix", rename)


class TradeFileReader:
    """Streams one option-trade file as validated batches, counting every row.

    Parameters
    ----------
    path : Path
        ``.csv`` (UTF-8, header row) or ``.parquet``.
    stats : SourceStats
        Where rows read, accepted and rejected are counted.
    batch_rows : int
        Rows per batch, roughly (CSV blocks are cut by bytes).
    """

    def __init__(self, path: Path, stats: SourceStats, batch_rows: int = 65_536) -> None:
        self.path = Path(path)
        self.stats = stats
        self.batch_rows = batch_rows
        self.unknown_conditions: Counter[str] = Counter()
        self._rows_seen = 0

    def batches(self) -> Iterator[OptionTradeBatch]:
        """Validated batches in file order.

        Raises
        ------
        DataFileError
            If the file cannot be read at all (encoding, truncation, schema, not Parquet).
        """
        if self.path.suffix.lower() == ".parquet":
            yield from self._parquet()
        else:
            yield from self._csv()

    # ------------------------------------------------------------------ formats
    def _csv(self) -> Iterator[OptionTradeBatch]:
        newlines = check_utf8(self.path)
        with self.path.open("r", encoding="utf-8-sig") as fh:
            header = fh.readline().rstrip("\r\n")
        if not header:
            raise SchemaError(self.path, "empty file: no header row", 1)
        columns = [c.strip().strip('"') for c in header.split(",")]
        dialect = _dialect(columns, self.path)
        line, text, ends_nl = last_line(self.path, newlines)
        if not ends_nl and line > 1 and len(text.split(",")) < len(columns):
            raise TruncatedFileError(
                self.path, f"file ends mid-row: last line has {len(text.split(','))} of "
                f"{len(columns)} fields (was the copy cut short?)", line)
        malformed: list[tuple[int | None, str]] = []

        def on_invalid(row: Any) -> str:
            malformed.append((row.number, f"{row.actual_columns} fields, expected "
                              f"{row.expected_columns}"))
            return "skip"

        reader = pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(dialect.rename),
                column_types={c: pa.string() for c in dialect.rename},
                strings_can_be_null=False,
            ),
        )
        while True:
            try:
                record = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                raise DataFileError(self.path, f"cannot parse CSV: {exc}") from None
            self._count_malformed(malformed)
            yield self._convert(record.to_pandas(), dialect)
        self._count_malformed(malformed)

    def _count_malformed(self, malformed: list[tuple[int | None, str]]) -> None:
        for number, detail in malformed:
            self.stats.count(KIND, 1, 0, {RejectReason.MALFORMED_ROW: 1})
            self.stats.example(Rejection(KIND, RejectReason.MALFORMED_ROW,
                                         f"{self.path.name}:{number or '?'}", detail))
            self._rows_seen += 1
        malformed.clear()

    def _parquet(self) -> Iterator[OptionTradeBatch]:
        try:
            pf = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataFileError(self.path, f"not a readable Parquet file ({exc})") from None
        dialect = _dialect(pf.schema_arrow.names, self.path)
        try:
            for record in pf.iter_batches(batch_size=self.batch_rows,
                                          columns=list(dialect.rename)):
                yield self._convert(record.to_pandas(), dialect)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataFileError(self.path, f"Parquet file is damaged ({exc})") from None

    # --------------------------------------------------------------- conversion
    def _convert(self, frame: pd.DataFrame, dialect: _Dialect) -> OptionTradeBatch:
        df = frame.rename(columns=dialect.rename)
        n = len(df)
        first_row = self._rows_seen
        self._rows_seen += n
        ts, zoneless = parse_timestamps(df["ts"])
        if "seq" in df:
            seq = _ints(df["seq"])
        else:
            seq = np.arange(first_row, first_row + n, dtype=np.int64)
        bad_symbol = np.zeros(n, dtype=bool)
        if "symbol" in df:
            parsed = parse_occ_array(df["symbol"].astype("string").fillna("").to_numpy(str))
            bad_symbol = ~parsed.valid
            expiry, strike, right = parsed.expiry, parsed.strike, parsed.right
            if "underlying" in df:
                underlying = df["underlying"].astype("string").fillna("").to_numpy(str)
            else:
                roots = pd.Series(parsed.root)
                underlying = roots.map(underlying_of_root).to_numpy(str)
        else:
            expiry = df["expiry"].to_numpy()
            strike = _floats(df["strike"])
            right = df["right"].astype("string").fillna("").to_numpy(str)
            underlying = df["underlying"].astype("string").fillna("").to_numpy(str)
        venue: Any = df["venue"]
        if dialect.name == "databento":
            ids = _ints(venue)
            known = (ids >= 0) & (ids < _PUBLISHER_TABLE.size)
            venue = np.where(known, _PUBLISHER_TABLE[np.where(known, ids, 0)], 0)
        else:
            venue = venue.astype("string").fillna("").to_numpy(str)
        conditions = (parse_conditions(df["conditions"], self.unknown_conditions)
                      if "conditions" in df else None)
        batch = OptionTradeBatch.from_columns(
            ts_ns=ts, seq=seq, underlying=underlying, expiry=expiry, strike=strike, right=right,
            price=_floats(df["price"]), size=_ints(df["size"]), venue=venue,
            bid=_floats(df["bid"], missing=0.0) if "bid" in df else np.zeros(n),
            ask=_floats(df["ask"], missing=0.0) if "ask" in df else np.zeros(n),
            conditions=conditions,
        )
        if bad_symbol.any():
            self._reject(first_row, np.flatnonzero(bad_symbol), RejectReason.BAD_SYMBOL,
                         "not an OCC symbol")
            batch = batch.take(~bad_symbol)
        result = batch.validate()
        self.stats.count(KIND, n, len(result.clean),
                         {RejectReason.BAD_SYMBOL: int(bad_symbol.sum()),
                          **result.reason_counts()})
        kept = np.flatnonzero(~bad_symbol)
        for i, reason in zip(result.rejected_index[:5], result.reasons[:5], strict=False):
            row = first_row + int(kept[i])
            detail = RejectReason(int(reason)).description
            if zoneless and RejectReason(int(reason)) is RejectReason.BAD_TIMESTAMP:
                detail += " (ISO time without a zone is ambiguous: add Z or an offset)"
            self.stats.example(Rejection(KIND, RejectReason(int(reason)),
                                         f"{self.path.name} row {row + 1}", detail))
        return result.clean

    def _reject(self, first_row: int, rows: np.ndarray, reason: RejectReason,
                detail: str) -> None:
        for i in rows[:5]:
            self.stats.example(Rejection(KIND, reason, f"{self.path.name} row "
                                         f"{first_row + int(i) + 1}", detail))


def _floats(values: pd.Series, missing: float = np.nan) -> np.ndarray:
    """float64; empty cells become ``missing``; text that is not a number becomes NaN."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=missing)
    text = values.astype("string").str.strip()
    empty = (text.isna() | (text == "")).to_numpy(dtype=bool)
    out = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    out[empty] = missing
    return out


def _ints(values: pd.Series) -> np.ndarray:
    """int64 with ``INT_MISSING`` for anything that is not a whole number."""
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.to_numpy(dtype=np.int64, na_value=INT_MISSING)
    return coerce_int(_floats(values))
