"""Columnar batch of option trades (the OPRA tape)."""

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
    coerce_dates,
    coerce_int,
    coerce_right,
    coerce_text,
    coerce_venue,
    exchange_date,
    flag_print_checks,
    not_finite,
)
from optix.core.arrays import (
    DateArray,
    FloatArray,
    Int8Array,
    Int64Array,
    StrArray,
    UInt8Array,
    UInt32Array,
)
from optix.core.enums import OPRA_LETTER, OptionVenue
from optix.core.validation import ReasonBuilder, RejectReason, Validated

__all__ = ["OptionTradeBatch"]

_VENUES: Mapping[str, int] = {
    **{v.name: int(v) for v in OptionVenue if v is not OptionVenue.UNKNOWN},
    **{letter: int(v) for v, letter in OPRA_LETTER.items()},
}
"""Names accepted for option venues: MICs and OPRA participant letters."""


@dataclass(frozen=True, slots=True, eq=False)
class OptionTradeBatch(ColumnBatch):
    """A batch of option trade prints, one numpy column per field.

    Attributes
    ----------
    ts_ns : ndarray of int64
        Trade time, nanoseconds since the Unix epoch (UTC).
    seq : ndarray of int64
        Feed sequence number (monotone per feed; makes replays idempotent).
    underlying : ndarray of str
        Underlying ticker (``SPY``, ``SPX``).
    expiry : ndarray of datetime64[D]
        Expiration date.
    strike : ndarray of float64
        Strike price in dollars.
    right : ndarray of int8
        +1 call, -1 put, 0 unknown (see :class:`~optix.core.enums.Right`).
    price : ndarray of float64
        Trade price per share of underlying (premium = price x size x 100).
    size : ndarray of int64
        Contracts traded.
    venue : ndarray of uint8
        :class:`~optix.core.enums.OptionVenue` code.
    bid, ask : ndarray of float64
        National best bid and offer at trade time.
    conditions : ndarray of uint32
        :class:`~optix.core.enums.Condition` bitmask.
    """

    ts_ns: Int64Array
    seq: Int64Array
    underlying: StrArray
    expiry: DateArray
    strike: FloatArray
    right: Int8Array
    price: FloatArray
    size: Int64Array
    venue: UInt8Array
    bid: FloatArray
    ask: FloatArray
    conditions: UInt32Array

    _DTYPES: ClassVar[Mapping[str, npt.DTypeLike]] = {
        "ts_ns": np.int64,
        "seq": np.int64,
        "underlying": str,
        "expiry": "datetime64[D]",
        "strike": np.float64,
        "right": np.int8,
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
        underlying: npt.ArrayLike,
        expiry: npt.ArrayLike,
        strike: npt.ArrayLike,
        right: npt.ArrayLike,
        price: npt.ArrayLike,
        size: npt.ArrayLike,
        venue: npt.ArrayLike,
        bid: npt.ArrayLike,
        ask: npt.ArrayLike,
        conditions: npt.ArrayLike | None = None,
    ) -> OptionTradeBatch:
        """Build a batch from loosely typed columns.

        Rights may be ``'C'``/``'P'``/``'call'``/``'put'`` or +1/-1; venues MICs, OPRA
        participant letters or codes;
        expiries dates, ISO strings or datetime64. Values that cannot be understood become the
        "unknown" code (or NaT/NaN), so that :meth:`validate` rejects the row with a reason.
        """
        n = np.asarray(ts_ns).shape[0]
        return cls(
            ts_ns=coerce_int(ts_ns),
            seq=coerce_int(seq),
            underlying=coerce_text(underlying),
            expiry=coerce_dates(expiry),
            strike=np.asarray(strike, dtype=np.float64),
            right=coerce_right(right),
            price=np.asarray(price, dtype=np.float64),
            size=coerce_int(size),
            venue=coerce_venue(venue, _VENUES),
            bid=np.asarray(bid, dtype=np.float64),
            ask=np.asarray(ask, dtype=np.float64),
            conditions=(
                np.zeros(n, dtype=np.uint32)
                if conditions is None
                else np.asarray(conditions, dtype=np.uint32)
            ),
        )

    @property
    def premium(self) -> FloatArray:
        """Premium paid per print in dollars: price x size x 100."""
        return self.price * self.size * 100.0

    def validate(self) -> Validated[OptionTradeBatch]:
        """Split into clean and rejected rows; never raises on a bad row.

        Checks, in priority order: NaN/inf in strike or price, an infinite bid or ask, a
        missing expiry, or a
        size or sequence number that was missing or not whole; a timestamp outside 1990-2200
        (missing, or seconds/milliseconds given as nanoseconds); empty underlying; unknown
        right; unknown venue; non-positive strike, price or size; negative bid/ask; crossed
        NBBO (bid > ask, both positive); expiry before the trade date in America/New_York.

        A NaN bid or ask means no NBBO was known at trade time: the print is kept (it is a
        real trade, with volume and premium) and the flow engine gives it no side.
        """
        b = ReasonBuilder(len(self))
        missing_expiry = np.isnat(self.expiry)
        missing_int = (self.size == INT_MISSING) | (self.seq == INT_MISSING)
        b.flag(not_finite(self.strike, self.price) | np.isinf(self.bid) | np.isinf(self.ask)
               | missing_expiry | missing_int, RejectReason.NAN_FIELD)
        bad_ts = bad_timestamp(self.ts_ns)
        b.flag(bad_ts, RejectReason.BAD_TIMESTAMP)
        b.flag(blank(self.underlying), RejectReason.EMPTY_SYMBOL)
        b.flag(self.right == 0, RejectReason.UNKNOWN_RIGHT)
        b.flag(self.venue == 0, RejectReason.UNKNOWN_VENUE)
        b.flag(self.strike <= 0, RejectReason.NONPOSITIVE_STRIKE)
        flag_print_checks(b, self.price, self.size, self.bid, self.ask)
        ok_ts = ~bad_ts
        trade_date = np.full(len(self), np.datetime64("NaT"), dtype="datetime64[D]")
        if ok_ts.any():
            trade_date[ok_ts] = exchange_date(self.ts_ns[ok_ts])
        b.flag(~missing_expiry & ok_ts & (self.expiry < trade_date),
               RejectReason.EXPIRY_BEFORE_TRADE_DATE)
        return self._split(b)
