"""CBOE delayed-quote chain downloads (``*_quotedata.csv``) as chain snapshots.

Layout: line 1 empty; line 2 ``Name,Last: <spot>,Change: ...``; line 3
``"Date: <date and time> <zone>",Bid: ...``; line 4 the 22-column header
(``Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,
Puts,...``); then one row per expiry and strike with the call on the left and the put on the
right. Three date styles occur: ``September 25, 2025 at 9:05 PM EDT``,
``September 14, 2023 at 4:31 PM EDT`` and ``February 5 2022, 8:09 PM EST``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from optix.core import ChainSnapshot, RejectReason, parse_occ_array
from optix.data.errors import SchemaError, TruncatedFileError
from optix.data.feed import Rejection, SourceStats
from optix.data.replay.parsing import underlying_of_root
from optix.data.replay.textfile import check_utf8

__all__ = ["is_cboe_quotedata", "read_cboe_quotedata"]

KIND = "chain_row"
_HEADER_START = "Expiration Date,Calls"
_DATE_RE = re.compile(
    r"Date:\s*(?P<month>[A-Za-z]+)\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4}),?\s+(?:at\s+)?"
    r"(?P<time>\d{1,2}:\d{2})\s*(?P<ampm>[AP]M)\s*(?P<tz>[A-Z]{2,4})?")
_ZONES = {"EDT": "America/New_York", "EST": "America/New_York", "ET": "America/New_York",
          "CDT": "America/Chicago", "CST": "America/Chicago", "CT": "America/Chicago",
          "UTC": "UTC", "GMT": "UTC"}
_SIDE = {1: 1, -1: 12}  # first column of the call and put blocks (symbol column)
_FIELDS = ("symbol", "last", "net", "bid", "ask", "volume", "iv", "delta", "gamma", "oi")


def is_cboe_quotedata(path: Path) -> bool:
    """True if the file looks like a CBOE quotedata download (checks line 4)."""
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
            head = [fh.readline() for _ in range(4)]
    except OSError:
        return False
    return head[3].startswith(_HEADER_START)


def _as_of(path: Path, line: str) -> int:
    m = _DATE_RE.search(line)
    if not m:
        raise SchemaError(path, f"cannot read the snapshot date in {line.strip()!r}", 3)
    text = f"{m['month']} {m['day']} {m['year']} {m['time']} {m['ampm']}"
    try:
        naive = pd.to_datetime(text, format="%B %d %Y %I:%M %p")
    except ValueError:
        raise SchemaError(path, f"cannot read the snapshot date {text!r}", 3) from None
    zone = _ZONES.get(m["tz"] or "ET")
    if zone is None:
        raise SchemaError(path, f"unknown time zone {m['tz']!r} in the date line", 3)
    return int(naive.tz_localize(zone).tz_convert("UTC").value)


def _spot(path: Path, line: str) -> float:
    m = re.search(r"Last:\s*([0-9][0-9,]*\.?[0-9]*)", line)
    if not m:
        raise SchemaError(path, f"cannot read the underlying price in {line.strip()!r}", 2)
    return float(m[1].replace(",", ""))


def read_cboe_quotedata(path: Path, stats: SourceStats) -> ChainSnapshot:
    """Read one CBOE quotedata file into a validated :class:`ChainSnapshot`.

    Every row gives two contracts (call and put), each counted as a ``chain_row``. Rows
    with the wrong number of fields are rejected as ``MALFORMED_ROW`` with their line;
    contracts with a bad symbol as ``BAD_SYMBOL``; the rest go through
    :meth:`ChainSnapshot.validate` (expiries already before the snapshot date are rejected
    there; same-day expiries are kept, 0DTE and just-settled alike). IV and gamma of 0 are
    kept as CBOE gives them.

    Raises
    ------
    DataFileError
        Not UTF-8, not a quotedata file, truncated, or no readable date or price.
    """
    path = Path(path)
    check_utf8(path)
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        lines = fh.read().splitlines()
    if len(lines) < 4 or not lines[3].startswith(_HEADER_START):
        raise SchemaError(path, "not a CBOE quotedata file (line 4 should be the "
                          "'Expiration Date,Calls,...' header)", 4)
    spot = _spot(path, lines[1])
    as_of = _as_of(path, lines[2])
    width = len(next(csv.reader([lines[3]])))
    rows: list[list[str]] = []
    numbers: list[int] = []
    for number, fields in enumerate(csv.reader(lines[4:]), start=5):
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != width:
            last = number == len(lines)
            if last and len(fields) < width and not _ends_with_newline(path):
                raise TruncatedFileError(path, f"file ends mid-row ({len(fields)} of {width} "
                                         "fields)", number)
            stats.count(KIND, 2, 0, {RejectReason.MALFORMED_ROW: 2})
            stats.example(Rejection(KIND, RejectReason.MALFORMED_ROW, f"{path.name}:{number}",
                                    f"{len(fields)} fields, expected {width}"))
            continue
        rows.append(fields)
        numbers.append(number)
    table = pd.DataFrame(rows)
    parts = []
    for right, start in _SIDE.items():
        side = table.iloc[:, start:start + len(_FIELDS)].copy() if len(table) else \
            pd.DataFrame(columns=range(len(_FIELDS)))
        side.columns = list(_FIELDS)
        side["expiry"] = table.iloc[:, 0] if len(table) else []
        side["strike"] = table.iloc[:, 11] if len(table) else []
        side["right"] = right
        side["line"] = numbers
        parts.append(side)
    both = pd.concat(parts, ignore_index=True)
    parsed = parse_occ_array(both["symbol"].astype(str).str.strip().to_numpy(str))
    bad = ~parsed.valid
    roots = pd.Series(parsed.root[parsed.valid])
    underlying = (underlying_of_root(str(roots.mode().iloc[0])) if len(roots)
                  else path.name.split("_")[0].upper())

    def num(col: str) -> np.ndarray:
        return pd.to_numeric(both[col].astype(str).str.replace(",", "").str.strip(),
                             errors="coerce").to_numpy(dtype=np.float64)

    expiry = pd.to_datetime(both["expiry"].astype(str).str.strip(), format="%a %b %d %Y",
                            errors="coerce").to_numpy().astype("datetime64[D]")
    snap = ChainSnapshot.from_columns(
        underlying=underlying, spot=spot, as_of_ns=as_of,
        root=np.where(parsed.valid, parsed.root, underlying),
        expiry=expiry, strike=num("strike"), right=both["right"].to_numpy(),
        bid=num("bid"), ask=num("ask"), last=num("last"), volume=num("volume"),
        open_interest=num("oi"), iv=num("iv"), delta=num("delta"), gamma=num("gamma"),
    )
    if bad.any():
        for line in both["line"].to_numpy()[bad][:5]:
            stats.example(Rejection(KIND, RejectReason.BAD_SYMBOL, f"{path.name}:{line}",
                                    "not an OCC symbol"))
        snap = snap.take(~bad)
    result = snap.validate()
    lines_kept = both["line"].to_numpy()[~bad]
    for i, reason in zip(result.rejected_index[:5], result.reasons[:5], strict=False):
        stats.example(Rejection(KIND, RejectReason(int(reason)),
                                f"{path.name}:{lines_kept[i]}",
                                RejectReason(int(reason)).description))
    stats.count(KIND, len(both), len(result.clean),
                {RejectReason.BAD_SYMBOL: int(bad.sum()), **result.reason_counts()})
    return result.clean


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            return True
        fh.seek(-1, 2)
        return fh.read(1) in (b"\n", b"\r")
