"""The one JSON encoder of the store: cache values and JSON columns alike.

numpy scalars and arrays, dates, datetimes, UUIDs and Decimals are converted; NaN and
infinities are refused (they are not JSON, and the backends disagree on them).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any

import numpy as np

__all__ = ["dumps"]


def _default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, dt.datetime | dt.date):
        return o.isoformat()
    if isinstance(o, uuid.UUID | decimal.Decimal):
        return str(o)
    raise TypeError(f"cannot encode a value of type {type(o).__name__} as JSON")


def dumps(value: Any) -> str:
    """Compact JSON text of ``value``.

    Raises
    ------
    TypeError
        For a type with no JSON form.
    ValueError
        For NaN or an infinity anywhere in ``value``.
    """
    return json.dumps(value, default=_default, separators=(",", ":"), allow_nan=False)
