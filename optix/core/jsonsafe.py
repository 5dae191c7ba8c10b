"""Strict-JSON conversion of analytics output (numpy, dates, NaN) for records and HTTP bodies."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["json_safe"]


def json_safe(value: Any) -> Any:
    """``value`` with only JSON types: NaN and infinities become ``None``.

    numpy scalars and arrays become Python numbers and lists, dates ISO strings, tuples and
    sets lists, mapping keys strings; any other object its ``str``.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)
