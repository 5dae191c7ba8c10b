"""Row rejection: reason codes and the result of a batch's ``validate``.

Validation never raises on a bad row. Each batch type's ``validate`` returns a
:class:`Validated`: the clean rows as a batch of the same type, the rejected rows as another,
and one :class:`RejectReason` per rejected row (the first failing check in the order the
reasons are declared below).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Generic, TypeVar

import numpy as np

from optix.core.arrays import BoolArray, Int64Array, UInt8Array

__all__ = ["RejectReason", "Validated"]


class RejectReason(IntEnum):
    """Why a row was rejected; stored as ``uint8``. Declaration order is check priority."""

    OK = 0
    NAN_FIELD = 1
    """A required numeric field is NaN or infinite, or a required date is missing."""
    BAD_TIMESTAMP = 2
    """Timestamp not positive (epoch ns), or execution time after report time."""
    EMPTY_SYMBOL = 3
    """Underlying or symbol is empty."""
    UNKNOWN_RIGHT = 4
    """Option right is neither call nor put."""
    UNKNOWN_VENUE = 5
    """Venue code not recognised."""
    NONPOSITIVE_STRIKE = 6
    """Strike is zero or negative."""
    NONPOSITIVE_PRICE = 7
    """Trade price is zero or negative."""
    NONPOSITIVE_SIZE = 8
    """Trade size is zero or negative."""
    NEGATIVE_VALUE = 9
    """A quote, volume, open interest or IV that cannot be negative is negative."""
    CROSSED_QUOTE = 10
    """Bid above ask."""
    EXPIRY_BEFORE_TRADE_DATE = 11
    """Option expired before the trade (or snapshot) date in exchange time."""
    MALFORMED_ROW = 12
    """A source row could not be parsed at all (wrong number of fields, not a record)."""
    BAD_SYMBOL = 13
    """An option symbol that is not a valid OCC symbol."""

    @property
    def description(self) -> str:
        """One-line human explanation (the member's docstring)."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    RejectReason.OK: "accepted",
    RejectReason.NAN_FIELD: "required field is NaN, infinite or missing",
    RejectReason.BAD_TIMESTAMP: "timestamp not positive or execution after report",
    RejectReason.EMPTY_SYMBOL: "empty underlying or symbol",
    RejectReason.UNKNOWN_RIGHT: "option right is neither call nor put",
    RejectReason.UNKNOWN_VENUE: "unknown venue",
    RejectReason.NONPOSITIVE_STRIKE: "strike is not positive",
    RejectReason.NONPOSITIVE_PRICE: "price is not positive",
    RejectReason.NONPOSITIVE_SIZE: "size is not positive",
    RejectReason.NEGATIVE_VALUE: "quote, volume, open interest or IV is negative",
    RejectReason.CROSSED_QUOTE: "bid above ask",
    RejectReason.EXPIRY_BEFORE_TRADE_DATE: "option expired before the trade date",
    RejectReason.MALFORMED_ROW: "row could not be parsed (wrong number of fields)",
    RejectReason.BAD_SYMBOL: "option symbol is not a valid OCC symbol",
}


class ReasonBuilder:
    """Accumulates per-row reasons; the first reason set for a row wins.

    Checks must be applied in :class:`RejectReason` priority order.
    """

    __slots__ = ("reasons",)

    def __init__(self, n: int) -> None:
        self.reasons: UInt8Array = np.zeros(n, dtype=np.uint8)

    def flag(self, mask: BoolArray, reason: RejectReason) -> None:
        """Mark rows in ``mask`` with ``reason`` unless they already have one."""
        np.putmask(self.reasons, mask & (self.reasons == 0), np.uint8(reason))


B = TypeVar("B")


@dataclass(frozen=True, slots=True)
class Validated(Generic[B]):
    """Outcome of validating a batch.

    Attributes
    ----------
    clean : B
        Accepted rows, in input order.
    rejected : B
        Rejected rows, in input order.
    reasons : ndarray of uint8
        One :class:`RejectReason` code per rejected row.
    rejected_index : ndarray of int64
        Position of each rejected row in the input batch.
    """

    clean: B
    rejected: B
    reasons: UInt8Array
    rejected_index: Int64Array

    @property
    def n_rejected(self) -> int:
        """Number of rejected rows."""
        return int(self.reasons.size)

    def reason_counts(self) -> dict[RejectReason, int]:
        """Count of rejected rows per reason (reasons with no rows are omitted)."""
        codes, counts = np.unique(self.reasons, return_counts=True)
        return {RejectReason(int(c)): int(n) for c, n in zip(codes, counts, strict=True)}
