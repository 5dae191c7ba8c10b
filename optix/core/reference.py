"""Columnar contract reference data: open interest and trailing volume per listed contract."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from optix.core._columnar import INT_MISSING, ColumnBatch, blank, not_finite
from optix.core.arrays import DateArray, FloatArray, Int8Array, Int64Array, StrArray
from optix.core.validation import ReasonBuilder, RejectReason, Validated

__all__ = ["ContractReference"]


@dataclass(frozen=True, slots=True, eq=False)
class ContractReference(ColumnBatch):
    """Per-contract facts that change once a day: what a flow engine compares volume against.

    Attributes
    ----------
    as_of_ns : int
        When the facts were published (epoch ns; open interest is as of the prior close).
    underlying : ndarray of str
    expiry : ndarray of datetime64[D]
    strike : ndarray of float64
    right : ndarray of int8
        +1 call, -1 put.
    open_interest : ndarray of int64
        Contracts open at the prior close.
    avg_volume : ndarray of float64
        Trailing 20-session average daily volume in contracts.
    """

    as_of_ns: int
    underlying: StrArray
    expiry: DateArray
    strike: FloatArray
    right: Int8Array
    open_interest: Int64Array
    avg_volume: FloatArray

    _DTYPES: ClassVar[Mapping[str, npt.DTypeLike]] = {
        "underlying": str,
        "expiry": "datetime64[D]",
        "strike": np.float64,
        "right": np.int8,
        "open_interest": np.int64,
        "avg_volume": np.float64,
    }

    def validate(self) -> Validated[ContractReference]:
        """Reject rows with NaN fields, empty underlying, unknown right, bad strike or negatives."""
        b = ReasonBuilder(len(self))
        b.flag(not_finite(self.strike, self.avg_volume) | np.isnat(self.expiry)
               | (self.open_interest == INT_MISSING), RejectReason.NAN_FIELD)
        b.flag(blank(self.underlying), RejectReason.EMPTY_SYMBOL)
        b.flag(self.right == 0, RejectReason.UNKNOWN_RIGHT)
        b.flag(self.strike <= 0, RejectReason.NONPOSITIVE_STRIKE)
        b.flag((self.open_interest < 0) | (self.avg_volume < 0), RejectReason.NEGATIVE_VALUE)
        return self._split(b)
