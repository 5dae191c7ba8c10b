"""Column parsers shared by the file readers: timestamps, conditions, venues, roots."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from optix.core import Condition, OptionVenue
from optix.core._columnar import INT_MISSING
from optix.core.arrays import Int64Array, UInt32Array

__all__ = ["DATABENTO_OPRA_PUBLISHERS", "parse_conditions", "parse_timestamps",
           "underlying_of_root"]

DATABENTO_OPRA_PUBLISHERS: dict[int, OptionVenue] = {
    20: OptionVenue.AMXO, 21: OptionVenue.XBOX, 22: OptionVenue.XCBO, 23: OptionVenue.EMLD,
    24: OptionVenue.EDGO, 25: OptionVenue.GMNI, 26: OptionVenue.XISX, 27: OptionVenue.MCRY,
    28: OptionVenue.XMIO, 29: OptionVenue.ARCO, 31: OptionVenue.MPRL, 32: OptionVenue.XNDQ,
    33: OptionVenue.XBXO, 34: OptionVenue.C2OX, 35: OptionVenue.XPHL, 36: OptionVenue.BATO,
    37: OptionVenue.MXOP, 61: OptionVenue.SPHR,
}
"""Databento ``publisher_id`` of each OPRA.PILLAR venue (docs.databento.com, OPRA venues);
30 is OPRA itself (no single venue) and maps to unknown."""

_ROOT_UNDERLYING = {"SPXW": "SPX", "SPXPM": "SPX", "NDXP": "NDX", "RUTW": "RUT",
                    "VIXW": "VIX", "XSPW": "XSP", "DJXW": "DJX"}

_CONDITION_NAMES: dict[str, Condition] = {
    **{c.name: c for c in Condition if c.name and c is not Condition.NONE},
    "INTERMARKET_SWEEP": Condition.ISO, "SWEEP": Condition.ISO,
    "COMPLEX": Condition.MULTI_LEG, "MLEG": Condition.MULTI_LEG, "SPREAD": Condition.MULTI_LEG,
    "OOS": Condition.OUT_OF_SEQUENCE, "CANC": Condition.CANCEL, "CANCELLED": Condition.CANCEL,
    "OPEN": Condition.OPENING, "FORMT": Condition.FORM_T,
}


def underlying_of_root(root: str) -> str:
    """Underlying of an option root: ``SPXW`` -> ``SPX``; a plain root is its own."""
    return _ROOT_UNDERLYING.get(root, root)


def parse_timestamps(values: pd.Series) -> tuple[Int64Array, int]:
    """Epoch nanoseconds from ISO-8601 strings with a zone, or integer epoch nanoseconds.

    Returns the column (``INT_MISSING`` where a value cannot be read, or is an ISO time
    without a zone, which is ambiguous) and how many values were zone-less.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        ts = pd.to_datetime(values, utc=True)  # Parquet: zone-less means UTC (isAdjustedToUTC)
        out = ts.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        out[ts.isna().to_numpy()] = INT_MISSING
        return np.asarray(out, dtype=np.int64), 0
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.to_numpy(dtype=np.int64, na_value=INT_MISSING), 0
    text = values.astype("string").str.strip()
    out = np.full(len(text), INT_MISSING, dtype=np.int64)
    digits = text.str.fullmatch(r"-?\d+").fillna(False).to_numpy(dtype=bool)
    if digits.any():
        out[digits] = pd.to_numeric(text[digits], errors="coerce").fillna(INT_MISSING).to_numpy(
            dtype=np.int64)
    rest = ~digits & text.notna().to_numpy(dtype=bool)
    zoned = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).fillna(False).to_numpy(
        dtype=bool)
    iso = rest & zoned
    if iso.any():
        parsed = pd.to_datetime(text[iso], utc=True, format="ISO8601", errors="coerce")
        ns = parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        ns[parsed.isna().to_numpy()] = INT_MISSING
        out[iso] = ns
    return out, int((rest & ~zoned).sum())


def parse_conditions(values: pd.Series, unknown: Counter[str]) -> UInt32Array:
    """Condition bitmasks from ``|``-separated names (``ISO|MULTI_LEG``), any case.

    Unknown names are counted in ``unknown`` (the print is kept: a condition we do not know
    is not a reason to lose it).
    """
    text = values.astype("string").fillna("").str.upper()
    codes, uniques = pd.factorize(text)
    rows_per_value = np.bincount(codes[codes >= 0], minlength=len(uniques))
    masks = np.zeros(len(uniques), dtype=np.uint32)
    for i, u in enumerate(uniques):
        m = 0
        for token in str(u).replace(",", "|").split("|"):
            token = token.strip().replace(" ", "_").replace("-", "_")
            if not token:
                continue
            if token in _CONDITION_NAMES:
                m |= int(_CONDITION_NAMES[token])
            else:
                unknown[token] += int(rows_per_value[i])
        masks[i] = m
    return np.asarray(masks[codes], dtype=np.uint32)
