"""Columnar batch of equity prints, including off-exchange (TRF) prints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from optix.core._columnar import (
    INT_MISSING,
    ColumnBatch,
    bad_timestamp,
    blank,
    coerce_int,
    coerce_text,
    coerce_venue,
    flag_print_checks,
    not_finite,
)
from optix.core.arrays import BoolArray, FloatArray, Int64Array, StrArray, UInt8Array, UInt32Array
from optix.core.enums import EquityVenue
from optix.core.validation import ReasonBuilder, RejectReason, Validated

__all__ = ["EquityPrintBatch"]

_VENUES: Mapping[str, int] = {v.name: int(v) for v in EquityVenue if v is not EquityVenue.UNKNOWN}
_OFF_EXCHANGE = np.array([int(v) for v in EquityVenue if v.is_off_exchange], dtype=np.uint8)


@dataclass(frozen=True, slots=True, eq=False)
class EquityPrintBatch(ColumnBatch):
    """A batch of equity trade prints (the consolidated tape).

    Attributes
    ----------
    ts_ns : ndarray of int64
        Time the print was reported to the tape, epoch nanoseconds (UTC).
    exec_ts_ns : ndarray of int64
        Execution time reported by the participant; equal to ``ts_ns`` for exchange prints and
        earlier for late-reported off-exchange prints (their difference is the print delay).
    seq : ndarray of int64
        Feed sequence number.
    symbol : ndarray of str
        Ticker.
    price : ndarray of float64
        Trade price.
    size : ndarray of int64
        Shares.
    venue : ndarray of uint8
        :class:`~optix.core.enums.EquityVenue` code; codes >= 100 are off-exchange (TRF/ADF).
    bid, ask : ndarray of float64
        NBBO at report time.
    conditions : ndarray of uint32
        :class:`~optix.core.enums.Condition` bitmask.
    """

    ts_ns: Int64Array
    exec_ts_ns: Int64Array
    seq: Int64Array
    symbol: StrArray
    price: FloatArray
    size: Int64Array
    venue: UInt8Array
    bid: FloatArray
    ask: FloatArray
    conditions: UInt32Array

    _DTYPES: ClassVar[Mapping[str, npt.DTypeLike]] = {
        "ts_ns": np.int64,
        "exec_ts_ns": np.int64,
        "seq": np.int64,
        "symbol": str,
        "price": np.float64,
        "size": np.int64,
        "venue": np.uint8,
        "bid": np.float64,
        "ask": np.float64,
        "conditions": np.uint32,
    }

    @classmethod
    def from_columns(
        cls,
        *,
        ts_ns: npt.ArrayLike,
        seq: npt.ArrayLike,
        symbol: npt.ArrayLike,
        price: npt.ArrayLike,
        size: npt.ArrayLike,
        venue: npt.ArrayLike,
        bid: npt.ArrayLike,
        ask: npt.ArrayLike,
        exec_ts_ns: npt.ArrayLike | None = None,
        conditions: npt.ArrayLike | None = None,
    ) -> EquityPrintBatch:
        """Build a batch from loosely typed columns (venues as MIC names or codes).

        ``exec_ts_ns`` defaults to ``ts_ns``; ``conditions`` to no flags.
        """
        ts = coerce_int(ts_ns)
        return cls(
            ts_ns=ts,
            exec_ts_ns=ts if exec_ts_ns is None else coerce_int(exec_ts_ns),
            seq=coerce_int(seq),
            symbol=coerce_text(symbol),
            price=np.asarray(price, dtype=np.float64),
            size=coerce_int(size),
            venue=coerce_venue(venue, _VENUES),
            bid=np.asarray(bid, dtype=np.float64),
            ask=np.asarray(ask, dtype=np.float64),
            conditions=(
                np.zeros(ts.shape[0], dtype=np.uint32)
                if conditions is None
                else np.asarray(conditions, dtype=np.uint32)
            ),
        )

    @property
    def off_exchange(self) -> BoolArray:
        """True for prints reported through a TRF or the ADF (where dark-pool prints appear)."""
        return np.isin(self.venue, _OFF_EXCHANGE)

    @property
    def notional(self) -> FloatArray:
        """Price x size in dollars."""
        return self.price * self.size

    @property
    def report_delay_ns(self) -> Int64Array:
        """Report time minus execution time, nanoseconds."""
        return self.ts_ns - self.exec_ts_ns

    def validate(self) -> Validated[EquityPrintBatch]:
        """Split into clean and rejected rows; never raises on a bad row.

        Checks, in priority order: NaN/inf price, bid or ask, or a size or sequence number
        that was missing or not whole; timestamps outside 1990-2200 or an execution time after
        the report time; empty symbol; unknown venue; non-positive price
        or size; negative bid/ask; crossed NBBO.
        """
        b = ReasonBuilder(len(self))
        missing_int = (self.size == INT_MISSING) | (self.seq == INT_MISSING)
        b.flag(not_finite(self.price, self.bid, self.ask) | missing_int, RejectReason.NAN_FIELD)
        b.flag(bad_timestamp(self.ts_ns) | bad_timestamp(self.exec_ts_ns)
               | (self.exec_ts_ns > self.ts_ns), RejectReason.BAD_TIMESTAMP)
        b.flag(blank(self.symbol), RejectReason.EMPTY_SYMBOL)
        b.flag(self.venue == 0, RejectReason.UNKNOWN_VENUE)
        flag_print_checks(b, self.price, self.size, self.bid, self.ask)
        return self._split(b)
