"""Columnar option-chain snapshot: one underlying, all its contracts at one moment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from optix.core._columnar import (
    INT_MISSING,
    TS_MAX_NS,
    TS_MIN_NS,
    ColumnBatch,
    coerce_dates,
    coerce_int,
    coerce_right,
    coerce_text,
    exchange_date,
    flag_quote_checks,
    not_finite,
)
from optix.core.arrays import DateArray, FloatArray, Int8Array, Int64Array, StrArray
from optix.core.validation import ReasonBuilder, RejectReason, Validated

__all__ = ["ChainSnapshot"]

_GREEKS = ("delta", "gamma", "vega", "theta")


@dataclass(frozen=True, slots=True, eq=False)
class ChainSnapshot(ColumnBatch):
    """All listed contracts of one underlying at one moment.

    Attributes
    ----------
    underlying : str
        Underlying ticker.
    spot : float
        Underlying price at ``as_of_ns``.
    as_of_ns : int
        Snapshot time, epoch nanoseconds (UTC).
    root : ndarray of str
        Option root per contract (``SPX`` and ``SPXW`` share one chain).
    expiry : ndarray of datetime64[D]
    strike : ndarray of float64
    right : ndarray of int8
        +1 call, -1 put.
    bid, ask, last : ndarray of float64
        Quote and last sale; 0 where there is none.
    volume : ndarray of int64
        Day volume in contracts.
    open_interest : ndarray of int64
        Open interest in contracts (as of the prior close).
    iv : ndarray of float64
        Implied volatility as a decimal; NaN where the vendor gives none.
    delta, gamma, vega, theta : ndarray of float64 or None
        Vendor Greeks when the source provides them (NaN rows allowed); None otherwise.
    """

    underlying: str
    spot: float
    as_of_ns: int
    root: StrArray
    expiry: DateArray
    strike: FloatArray
    right: Int8Array
    bid: FloatArray
    ask: FloatArray
    last: FloatArray
    volume: Int64Array
    open_interest: Int64Array
    iv: FloatArray
    delta: FloatArray | None = None
    gamma: FloatArray | None = None
    vega: FloatArray | None = None
    theta: FloatArray | None = None

    _DTYPES: ClassVar[Mapping[str, npt.DTypeLike]] = {
        "root": str,
        "expiry": "datetime64[D]",
        "strike": np.float64,
        "right": np.int8,
        "bid": np.float64,
        "ask": np.float64,
        "last": np.float64,
        "volume": np.int64,
        "open_interest": np.int64,
        "iv": np.float64,
        "delta": np.float64,
        "gamma": np.float64,
        "vega": np.float64,
        "theta": np.float64,
    }
    _OPTIONAL: ClassVar[frozenset[str]] = frozenset(_GREEKS)

    def __post_init__(self) -> None:
        if not isinstance(self.underlying, str) or not self.underlying.strip():
            raise ValueError("ChainSnapshot.underlying must be a non-empty ticker")
        if not (np.isfinite(self.spot) and self.spot > 0):
            raise ValueError(f"ChainSnapshot.spot must be a positive number, got {self.spot!r}")
        if not TS_MIN_NS <= int(self.as_of_ns) < TS_MAX_NS:
            raise ValueError(
                "ChainSnapshot.as_of_ns must be epoch nanoseconds in 1990-2200, "
                f"got {self.as_of_ns}"
            )
        object.__setattr__(self, "spot", float(self.spot))
        object.__setattr__(self, "as_of_ns", int(self.as_of_ns))
        self._coerce_columns()

    @classmethod
    def from_columns(
        cls,
        *,
        underlying: str,
        spot: float,
        as_of_ns: int,
        expiry: npt.ArrayLike,
        strike: npt.ArrayLike,
        right: npt.ArrayLike,
        bid: npt.ArrayLike,
        ask: npt.ArrayLike,
        open_interest: npt.ArrayLike,
        volume: npt.ArrayLike | None = None,
        last: npt.ArrayLike | None = None,
        iv: npt.ArrayLike | None = None,
        root: npt.ArrayLike | None = None,
        delta: npt.ArrayLike | None = None,
        gamma: npt.ArrayLike | None = None,
        vega: npt.ArrayLike | None = None,
        theta: npt.ArrayLike | None = None,
    ) -> ChainSnapshot:
        """Build a snapshot from loosely typed columns; missing optional columns are filled.

        ``root`` defaults to the underlying, ``volume`` and ``last`` to 0, ``iv`` to NaN.
        """
        k = np.asarray(strike, dtype=np.float64)
        n = k.shape[0]

        def opt(x: npt.ArrayLike | None) -> FloatArray | None:
            return None if x is None else np.asarray(x, dtype=np.float64)

        return cls(
            underlying=underlying.strip().upper(),
            spot=spot,
            as_of_ns=as_of_ns,
            root=np.full(n, underlying.strip().upper()) if root is None else coerce_text(root),
            expiry=coerce_dates(expiry),
            strike=k,
            right=coerce_right(right),
            bid=np.asarray(bid, dtype=np.float64),
            ask=np.asarray(ask, dtype=np.float64),
            last=np.zeros(n) if last is None else np.asarray(last, dtype=np.float64),
            volume=np.zeros(n, dtype=np.int64) if volume is None else coerce_int(volume),
            open_interest=coerce_int(open_interest),
            iv=np.full(n, np.nan) if iv is None else np.asarray(iv, dtype=np.float64),
            delta=opt(delta),
            gamma=opt(gamma),
            vega=opt(vega),
            theta=opt(theta),
        )

    @property
    def as_of_date(self) -> np.datetime64:
        """Snapshot date in US exchange time (America/New_York)."""
        day: np.datetime64 = exchange_date(np.array([self.as_of_ns], dtype=np.int64))[0]
        return day

    def validate(self) -> Validated[ChainSnapshot]:
        """Split into clean and rejected contracts; never raises on a bad row.

        Checks, in priority order: NaN/inf strike, bid, ask or last, a missing expiry, a
        volume or open interest that was missing or not whole, an infinite IV or Greek;
        unknown right; non-positive strike; negative bid, ask, last, volume, open interest or
        IV; crossed quote; expiry before the snapshot date. NaN IV and NaN vendor Greeks are
        allowed (they mean "not given"); an expiry equal to the snapshot date is kept
        (0DTE and just-settled rows are the exposure code's policy, not a data error).
        """
        b = ReasonBuilder(len(self))
        missing_expiry = np.isnat(self.expiry)
        missing_int = (self.volume == INT_MISSING) | (self.open_interest == INT_MISSING)
        infinite = np.isinf(self.iv)
        for greek in (self.delta, self.gamma, self.vega, self.theta):
            if greek is not None:
                infinite |= np.isinf(greek)
        b.flag(not_finite(self.strike, self.bid, self.ask, self.last) | missing_expiry
               | missing_int | infinite, RejectReason.NAN_FIELD)
        b.flag(self.right == 0, RejectReason.UNKNOWN_RIGHT)
        b.flag(self.strike <= 0, RejectReason.NONPOSITIVE_STRIKE)
        negative = (self.last < 0) | (self.volume < 0) | (self.open_interest < 0) | (self.iv < 0)
        b.flag(negative, RejectReason.NEGATIVE_VALUE)
        flag_quote_checks(b, self.bid, self.ask)
        b.flag(~missing_expiry & (self.expiry < self.as_of_date),
               RejectReason.EXPIRY_BEFORE_TRADE_DATE)
        return self._split(b)
