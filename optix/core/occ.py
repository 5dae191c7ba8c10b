"""OCC option symbols (OSI): ``ROOT`` + ``YYMMDD`` + ``C|P`` + strike x 1000 in 8 digits.

Both the compact form (``SPY251001P00500000``) and the 21-character padded form with the root
left-justified in six columns (``SPY   251001P00500000``) parse; :func:`format_occ` writes the
compact form unless ``padded=True``. :func:`parse_occ_array` parses a column at once and reports
which rows were not valid symbols instead of raising.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from optix.core.arrays import BoolArray, DateArray, FloatArray, Int8Array, StrArray
from optix.core.enums import Right

__all__ = ["OccParseError", "OccSymbol", "format_occ", "parse_occ", "parse_occ_array"]

_OCC_RE = re.compile(r"^([A-Z0-9.]{1,6}) *([0-9]{2})([0-9]{2})([0-9]{2})([CP])([0-9]{8})$")
_ROOT_RE = re.compile(r"^[A-Z0-9.]{1,6}$")
_MAX_STRIKE = 99_999.999


class OccParseError(ValueError):
    """A string is not an OCC option symbol; the message says which part is wrong."""


@dataclass(frozen=True, slots=True)
class OccSymbol:
    """One parsed OCC option symbol.

    Attributes
    ----------
    root : str
        Option root (``SPY``, ``SPXW``); 1 to 6 characters.
    expiry : datetime.date
        Expiration date.
    right : Right
        CALL or PUT.
    strike : float
        Strike price in dollars (resolution 0.001).
    """

    root: str
    expiry: dt.date
    right: Right
    strike: float

    def __post_init__(self) -> None:
        if not _ROOT_RE.match(self.root):
            raise OccParseError(f"root {self.root!r} must be 1-6 characters of A-Z, 0-9 or '.'")
        if self.right is Right.UNKNOWN:
            raise OccParseError("right must be CALL or PUT")
        if not 0 < self.strike <= _MAX_STRIKE:
            raise OccParseError(f"strike {self.strike} must be in (0, {_MAX_STRIKE}]")
        if not 2000 <= self.expiry.year <= 2099:
            raise OccParseError(f"expiry {self.expiry} outside the OCC two-digit years 2000-2099")

    def format(self, padded: bool = False) -> str:
        """Return the OCC symbol; see :func:`format_occ`."""
        return format_occ(self.root, self.expiry, self.right, self.strike, padded=padded)

    def __str__(self) -> str:
        return self.format()


def parse_occ(symbol: str) -> OccSymbol:
    """Parse one OCC option symbol.

    Parameters
    ----------
    symbol : str
        Compact (``SPXW230914C04500000``) or padded (``SPY   251001P00500000``) form.

    Returns
    -------
    OccSymbol

    Raises
    ------
    OccParseError
        If the string is not an OCC symbol or names an impossible date.
    """
    m = _OCC_RE.match(symbol.strip().upper())
    if m is None:
        raise OccParseError(
            f"{symbol!r} is not an OCC symbol (ROOT + YYMMDD + C/P + 8-digit strike x 1000)"
        )
    root, yy, mm, dd, cp, strike = m.groups()
    try:
        expiry = dt.date(2000 + int(yy), int(mm), int(dd))
    except ValueError as exc:
        raise OccParseError(f"{symbol!r} has an impossible expiry date: {exc}") from None
    strike_value = int(strike) / 1000.0
    if strike_value <= 0:
        raise OccParseError(f"{symbol!r} has a zero strike")
    return OccSymbol(root, expiry, Right.CALL if cp == "C" else Right.PUT, strike_value)


def format_occ(
    root: str, expiry: dt.date, right: Right | str, strike: float, padded: bool = False
) -> str:
    """Format an OCC option symbol.

    Parameters
    ----------
    root : str
        Option root, 1-6 characters.
    expiry : datetime.date
        Expiration date (years 2000-2099).
    right : Right or str
        CALL/PUT or ``'C'``/``'P'``/``'call'``/``'put'``.
    strike : float
        Strike in dollars; rounded to the nearest 0.001.
    padded : bool, default False
        Left-justify the root in six columns (the 21-character OSI form).

    Returns
    -------
    str
    """
    r = right if isinstance(right, Right) else Right.parse(right)
    if r is Right.UNKNOWN:
        raise OccParseError(f"right {right!r} is neither call nor put")
    milli = round(strike * 1000) if math.isfinite(strike) else 0
    if not 1 <= milli <= _MAX_STRIKE * 1000:
        raise OccParseError(f"strike {strike} must be in [0.001, {_MAX_STRIKE}]")
    root_u = root.strip().upper()
    if not _ROOT_RE.match(root_u):
        raise OccParseError(f"root {root!r} must be 1-6 characters of A-Z, 0-9 or '.'")
    if not 2000 <= expiry.year <= 2099:
        raise OccParseError(f"expiry {expiry} outside the OCC two-digit years 2000-2099")
    head = root_u.ljust(6) if padded else root_u
    return f"{head}{expiry:%y%m%d}{r.letter}{milli:08d}"


@dataclass(frozen=True, slots=True)
class ParsedOccColumn:
    """Columns parsed from an array of OCC symbols; rows where ``valid`` is False hold junk."""

    root: StrArray
    expiry: DateArray
    right: Int8Array
    strike: FloatArray
    valid: BoolArray


def parse_occ_array(symbols: npt.ArrayLike) -> ParsedOccColumn:
    """Parse a column of OCC symbols at once; invalid rows are flagged, never raised.

    Parameters
    ----------
    symbols : array_like of str

    Returns
    -------
    ParsedOccColumn
        ``valid[i]`` is False where ``symbols[i]`` is not an OCC symbol or has an impossible date.
    """
    codes, uniques = pd.factorize(np.asarray(symbols, dtype=object), use_na_sentinel=True)
    distinct = _parse_distinct(uniques)
    rows = np.where(codes < 0, len(uniques), codes)  # missing -> the trailing invalid row
    return ParsedOccColumn(
        root=distinct.root[rows],
        expiry=distinct.expiry[rows],
        right=distinct.right[rows],
        strike=distinct.strike[rows],
        valid=distinct.valid[rows],
    )


def _parse_distinct(uniques: Any) -> ParsedOccColumn:
    """Parse each distinct symbol once; one extra invalid row is appended for missing values."""
    s = pd.Series([*[str(u) for u in uniques], ""], dtype="string").str.strip().str.upper()
    parts = s.str.extract(_OCC_RE.pattern)
    matched = parts[0].notna().to_numpy(dtype=bool)
    iso = "20" + parts[1] + "-" + parts[2] + "-" + parts[3]
    dates = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    strike = pd.to_numeric(parts[5], errors="coerce").to_numpy(dtype=np.float64) / 1000.0
    valid = matched & dates.notna().to_numpy(dtype=bool) & (np.nan_to_num(strike) > 0)
    right = np.where((parts[4] == "C").fillna(False).to_numpy(dtype=bool), 1, -1).astype(np.int8)
    right[~valid] = Right.UNKNOWN
    expiry = dates.to_numpy(dtype="datetime64[D]")
    root = parts[0].fillna("").to_numpy(dtype=str)
    return ParsedOccColumn(root=root, expiry=expiry, right=right, strike=strike, valid=valid)
