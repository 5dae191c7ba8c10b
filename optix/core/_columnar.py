"""Shared machinery of the frozen columnar batch types.

A batch is a frozen dataclass whose array fields are equal-length numpy columns of fixed dtypes
(declared in ``_DTYPES``), made read-only on construction. Any other field is a scalar (a
chain's spot, say): :meth:`ColumnBatch.take` copies it as it is and :meth:`ColumnBatch.concat`
requires it equal across the batches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from optix.core.arrays import BoolArray, Int64Array
from optix.core.validation import ReasonBuilder, RejectReason, Validated

__all__ = ["ColumnBatch"]


INT_MISSING = np.iinfo(np.int64).min
"""Sentinel written into an int64 column for a value that was NaN, missing or not whole;
``validate`` rejects such rows with :attr:`RejectReason.NAN_FIELD`."""


class _Owned:
    """Marks a freshly made array that a batch may take without copying."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray[Any, Any]) -> None:
        self.array = array


def _column(value: Any, dtype: npt.DTypeLike) -> np.ndarray[Any, Any]:
    """The one place a column is coerced (and copied, so the batch owns it)."""
    if isinstance(value, _Owned):
        return value.array
    if dtype is str:
        return coerce_text(value)
    if np.dtype(dtype) == np.int64:
        return coerce_int(value)
    return np.array(value, dtype=dtype, copy=True)


def coerce_text(values: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """A new unicode column; None, NaN and pandas NA become ``''`` (so they read as blank)."""
    arr = np.asarray(values)
    if arr.dtype.kind == "U":
        return arr.copy()
    obj = arr.astype(object)
    missing = np.asarray(pd.isna(obj), dtype=bool)
    if missing.any():
        obj = obj.copy()
        obj[missing] = ""
    return cast(npt.NDArray[np.str_], obj.astype(str))


def coerce_int(values: npt.ArrayLike) -> Int64Array:
    """A new int64 column; NaN, inf, missing or fractional values become :data:`INT_MISSING`."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64, copy=True)
    as_float = pd.to_numeric(pd.Series(arr.astype(object)), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    ok = np.isfinite(as_float) & (as_float == np.round(as_float)) & (np.abs(as_float) < 2.0**63)
    out = np.full(as_float.shape, INT_MISSING, dtype=np.int64)
    out[ok] = as_float[ok].astype(np.int64)
    return out


class ColumnBatch:
    """Mixin for frozen dataclasses of numpy columns."""

    __slots__ = ()

    _DTYPES: ClassVar[Mapping[str, npt.DTypeLike]]
    _OPTIONAL: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self) -> None:
        self._coerce_columns()

    def _coerce_columns(self) -> None:
        n: int | None = None
        for name, dtype in self._DTYPES.items():
            value = getattr(self, name)
            if value is None:
                if name in self._OPTIONAL:
                    continue
                raise ValueError(f"{type(self).__name__}.{name} is required")
            arr = _column(value, dtype)
            if arr.ndim != 1:
                raise ValueError(f"{type(self).__name__}.{name} must be one-dimensional")
            if n is None:
                n = arr.shape[0]
            elif arr.shape[0] != n:
                raise ValueError(
                    f"{type(self).__name__}.{name} has {arr.shape[0]} rows, expected {n}"
                )
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    @classmethod
    def from_owned(cls, **fields: Any) -> Self:
        """Build from freshly made arrays of the right dtypes, taking them without a copy.

        For producers that allocate their columns themselves (a generator, a parser); the
        arrays become read-only and must not be written to afterwards.
        """
        wrapped = {k: _Owned(v) if isinstance(v, np.ndarray) and k in cls._DTYPES else v
                   for k, v in fields.items()}
        return cls(**wrapped)

    def __len__(self) -> int:
        first = next(iter(self._DTYPES))
        return int(getattr(self, first).shape[0])

    def columns(self) -> dict[str, np.ndarray[Any, Any]]:
        """The present array columns by name (optional columns that are None are left out)."""
        out: dict[str, np.ndarray[Any, Any]] = {}
        for name in self._DTYPES:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def take(self, index: Int64Array | BoolArray | slice) -> Self:
        """Rows selected by an integer index, boolean mask or slice, as a new batch."""
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.name in self._DTYPES and value is not None:
                kwargs[f.name] = _Owned(value[index])
            else:
                kwargs[f.name] = value
        return type(self)(**kwargs)

    def to_pandas(self) -> pd.DataFrame:
        """The columns as a DataFrame (scalars are not included)."""
        return pd.DataFrame(self.columns())

    @classmethod
    def concat(cls, batches: Sequence[Self]) -> Self:
        """Concatenate batches row-wise.

        Scalar fields (a chain's underlying, spot, time) must agree across the batches. An
        optional column present in some batches only is filled with NaN in the others.
        """
        if not batches:
            raise ValueError("concat needs at least one batch")
        first = batches[0]
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(first):  # type: ignore[arg-type]
            if f.name in cls._DTYPES:
                parts = [getattr(b, f.name) for b in batches]
                if all(p is None for p in parts):
                    kwargs[f.name] = None
                    continue
                if any(p is None for p in parts) and f.name not in cls._OPTIONAL:
                    raise ValueError(f"column {f.name} missing in a batch")
                kwargs[f.name] = _Owned(np.concatenate([
                    np.full(len(b), np.nan) if p is None else p
                    for b, p in zip(batches, parts, strict=True)
                ]))
            else:
                values = {repr(getattr(b, f.name)) for b in batches}
                if len(values) > 1:
                    raise ValueError(f"cannot concat batches with different {f.name}: {values}")
                kwargs[f.name] = getattr(first, f.name)
        return cls(**kwargs)

    def _split(self, builder: ReasonBuilder) -> Validated[Self]:
        reasons = builder.reasons
        bad = reasons != 0
        rejected_index = np.flatnonzero(bad).astype(np.int64)
        return Validated(
            clean=self.take(~bad),
            rejected=self.take(rejected_index),
            reasons=reasons[bad],
            rejected_index=rejected_index,
        )


def not_finite(*cols: npt.NDArray[np.float64]) -> BoolArray:
    """Rows where any of the float columns is NaN or infinite."""
    mask = np.zeros(cols[0].shape[0], dtype=bool)
    for c in cols:
        mask |= ~np.isfinite(c)
    return mask


def blank(text: npt.NDArray[np.str_]) -> BoolArray:
    """Rows whose string is empty or only whitespace."""
    return np.asarray(np.char.str_len(np.char.strip(text)) == 0, dtype=bool)


def flag_print_checks(
    b: ReasonBuilder,
    price: npt.NDArray[np.float64],
    size: npt.NDArray[np.int64],
    bid: npt.NDArray[np.float64],
    ask: npt.NDArray[np.float64],
) -> None:
    """The checks every trade print shares: positive price and size, then a sane NBBO."""
    b.flag(price <= 0, RejectReason.NONPOSITIVE_PRICE)
    b.flag(size <= 0, RejectReason.NONPOSITIVE_SIZE)
    flag_quote_checks(b, bid, ask)


def flag_quote_checks(
    b: ReasonBuilder, bid: npt.NDArray[np.float64], ask: npt.NDArray[np.float64]
) -> None:
    """No negative bid or ask; no crossed quote (bid above a positive ask)."""
    b.flag((bid < 0) | (ask < 0), RejectReason.NEGATIVE_VALUE)
    b.flag((ask > 0) & (bid > ask), RejectReason.CROSSED_QUOTE)


TS_MIN_NS = int(np.datetime64("1990-01-01", "ns").astype(np.int64))
TS_MAX_NS = int(np.datetime64("2200-01-01", "ns").astype(np.int64))


def bad_timestamp(ts_ns: Int64Array) -> BoolArray:
    """Epoch-nanosecond values outside 1990..2200 (missing, zero, seconds or ms by mistake)."""
    return np.asarray((ts_ns < TS_MIN_NS) | (ts_ns >= TS_MAX_NS), dtype=bool)


def exchange_date(ts_ns: Int64Array) -> npt.NDArray[np.datetime64]:
    """Calendar date in US exchange time (America/New_York) of each epoch-nanosecond timestamp."""
    local = pd.to_datetime(ts_ns, unit="ns", utc=True).tz_convert("America/New_York")
    return local.tz_localize(None).to_numpy().astype("datetime64[D]")


def _map_labels(values: np.ndarray[Any, Any], table: Mapping[str, int]) -> np.ndarray[Any, Any]:
    """Map each distinct label once (hash factorization), then index: fast on a long tape."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    mapped = np.array([table.get(str(u).strip().upper(), 0) for u in uniques] + [0],
                      dtype=np.int64)
    return cast(np.ndarray[Any, Any], mapped[codes])  # code -1 (missing) -> the trailing 0


def coerce_right(values: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """Right codes from ``'C'``/``'call'``/``'P'``/``'put'`` strings or +1/-1 codes.

    Anything else becomes 0 (unknown) so that validation can reject the row.
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iuf":
        out = np.zeros(arr.shape, dtype=np.int8)
        out[arr == 1] = 1
        out[arr == -1] = -1
        return out
    table = {"C": 1, "CALL": 1, "P": -1, "PUT": -1}
    return cast(npt.NDArray[np.int8], _map_labels(arr, table).astype(np.int8))


def coerce_venue(values: npt.ArrayLike, venues: Mapping[str, int]) -> npt.NDArray[np.uint8]:
    """Venue codes from names (looked up in ``venues``) or integer codes.

    Integer codes not among ``venues.values()`` and unknown names become 0 (unknown).
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        known = np.isin(arr, np.fromiter(venues.values(), dtype=np.int64))
        return cast(npt.NDArray[np.uint8], np.where(known & (arr != 0), arr, 0).astype(np.uint8))
    return cast(npt.NDArray[np.uint8], _map_labels(arr, venues).astype(np.uint8))


def coerce_dates(values: npt.ArrayLike) -> npt.NDArray[np.datetime64]:
    """``datetime64[D]`` from dates, ISO strings, ``YYYYMMDD`` integers or datetime64.

    Each distinct value is parsed once, on its own (so one odd format cannot spoil the
    others); what cannot be parsed becomes NaT, which ``validate`` rejects.
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[D]")
    if arr.dtype.kind in "iuf":
        text = np.where(np.isfinite(arr.astype(np.float64)), arr, -1).astype(np.int64).astype(str)
        parsed = pd.to_datetime(pd.Series(text), format="%Y%m%d", errors="coerce")
        return parsed.to_numpy().astype("datetime64[D]")
    codes, uniques = pd.factorize(arr.astype(object), use_na_sentinel=True)
    days = np.full(len(uniques) + 1, np.datetime64("NaT"), dtype="datetime64[D]")
    for i, u in enumerate(uniques):
        try:
            ts = pd.Timestamp(u)
        except (ValueError, TypeError, OverflowError):
            continue
        if not pd.isna(ts):
            days[i] = np.datetime64(ts.date(), "D")
    return days[codes]
