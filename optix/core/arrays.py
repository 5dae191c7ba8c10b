"""Shared numpy array type aliases for the columnar batch types."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "BoolArray",
    "DateArray",
    "FloatArray",
    "Int8Array",
    "Int64Array",
    "StrArray",
    "UInt8Array",
    "UInt32Array",
]

FloatArray = npt.NDArray[np.float64]
"""float64 column (prices, strikes, volatilities)."""
Int64Array = npt.NDArray[np.int64]
"""int64 column (epoch nanoseconds, sequence numbers, sizes)."""
Int8Array = npt.NDArray[np.int8]
"""int8 column (option right: +1 call, -1 put, 0 unknown)."""
UInt8Array = npt.NDArray[np.uint8]
"""uint8 column (venue codes, reject reasons)."""
UInt32Array = npt.NDArray[np.uint32]
"""uint32 column (condition flag bitmasks)."""
BoolArray = npt.NDArray[np.bool_]
"""Boolean mask."""
DateArray = npt.NDArray[np.datetime64]
"""datetime64[D] column (expiries, trade dates)."""
StrArray = npt.NDArray[np.str_]
"""Fixed-width unicode column (tickers, roots)."""
