import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optix.core import OccParseError, Right, format_occ, parse_occ, parse_occ_array


@pytest.mark.parametrize(
    ("symbol", "root", "expiry", "right", "strike"),
    [
        ("SPY251001P00500000", "SPY", dt.date(2025, 10, 1), Right.PUT, 500.0),
        ("SPXW230914C04500000", "SPXW", dt.date(2023, 9, 14), Right.CALL, 4500.0),
        ("AAPL250221C00250000", "AAPL", dt.date(2025, 2, 21), Right.CALL, 250.0),
        ("F260116C00012500", "F", dt.date(2026, 1, 16), Right.CALL, 12.5),
        ("SPY   251001P00500000", "SPY", dt.date(2025, 10, 1), Right.PUT, 500.0),
        ("BRKB260320P00450500", "BRKB", dt.date(2026, 3, 20), Right.PUT, 450.5),
    ],
)
def test_parse_known_symbols(symbol, root, expiry, right, strike):
    occ = parse_occ(symbol)
    assert (occ.root, occ.expiry, occ.right, occ.strike) == (root, expiry, right, strike)


def test_format_writes_compact_and_padded_forms():
    assert format_occ("SPY", dt.date(2025, 10, 1), "P", 500) == "SPY251001P00500000"
    assert format_occ("SPXW", dt.date(2023, 9, 14), Right.CALL, 4500) == "SPXW230914C04500000"
    assert format_occ("SPY", dt.date(2025, 10, 1), "put", 500, padded=True) == (
        "SPY   251001P00500000"
    )
    assert format_occ("F", dt.date(2026, 1, 16), "c", 12.5) == "F260116C00012500"


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("SPY251001X00500000", "not an OCC symbol"),
        ("SPY251301P00500000", "impossible expiry"),
        ("SPY250230P00500000", "impossible expiry"),
        ("SPY251001P0050000", "not an OCC symbol"),
        ("TOOLONGX251001P00500000", "not an OCC symbol"),
        ("SPY251001P00000000", "zero strike"),
        ("", "not an OCC symbol"),
    ],
)
def test_parse_rejects_malformed_symbols_with_reason(bad, fragment):
    with pytest.raises(OccParseError, match=fragment):
        parse_occ(bad)


def test_format_rejects_bad_parts():
    with pytest.raises(OccParseError):
        format_occ("SPY", dt.date(2025, 10, 1), "X", 500)
    with pytest.raises(OccParseError):
        format_occ("SPY", dt.date(2025, 10, 1), "C", 0)
    with pytest.raises(OccParseError):
        format_occ("TOOLONGX", dt.date(2025, 10, 1), "C", 10)


@given(
    root=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=6),
    expiry=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    right=st.sampled_from([Right.CALL, Right.PUT]),
    strike_milli=st.integers(min_value=1, max_value=99_999_999),
    padded=st.booleans(),
)
def test_format_then_parse_round_trips(root, expiry, right, strike_milli, padded):
    strike = strike_milli / 1000
    symbol = format_occ(root, expiry, right, strike, padded=padded)
    occ = parse_occ(symbol)
    assert (occ.root, occ.expiry, occ.right) == (root, expiry, right)
    assert round(occ.strike * 1000) == strike_milli
    assert occ.format(padded=padded) == symbol


def test_parse_array_flags_invalid_rows_without_raising():
    parsed = parse_occ_array(
        ["SPY251001P00500000", "garbage", "SPX231331C04500000", "SPXW230914C04500000", None]
    )
    assert parsed.valid.tolist() == [True, False, False, True, False]
    assert parsed.root[[0, 3]].tolist() == ["SPY", "SPXW"]
    assert parsed.expiry[0] == np.datetime64("2025-10-01")
    assert parsed.right.tolist() == [Right.PUT, 0, 0, Right.CALL, 0]
    assert parsed.strike[[0, 3]].tolist() == [500.0, 4500.0]


def test_parse_array_agrees_with_scalar_parser():
    symbols = ["SPY251001P00500000", "AAPL250221C00250000", "F260116C00012500"]
    parsed = parse_occ_array(symbols)
    for i, s in enumerate(symbols):
        occ = parse_occ(s)
        assert parsed.root[i] == occ.root
        assert parsed.expiry[i] == np.datetime64(occ.expiry)
        assert parsed.right[i] == occ.right
        assert parsed.strike[i] == occ.strike


@pytest.mark.parametrize(
    ("root", "strike"), [("SPY", 0.0004), ("SPY", float("nan")), ("BRK B", 10.0), ("BRK/B", 10.0)]
)
def test_format_refuses_what_parse_would_reject(root, strike):
    with pytest.raises(OccParseError):
        format_occ(root, dt.date(2025, 10, 1), "C", strike)


def test_only_ascii_digits_are_accepted():
    fullwidth = "SPY\uff12\uff151001P00500000"  # fullwidth digits in place of "25"
    with pytest.raises(OccParseError):
        parse_occ(fullwidth)
    assert not parse_occ_array([fullwidth]).valid[0]


def test_parse_array_handles_repeats_and_missing_values():
    symbols = ["SPY251001P00500000"] * 3 + [None, "SPY251001P00500000"]
    parsed = parse_occ_array(symbols)
    assert parsed.valid.tolist() == [True, True, True, False, True]
    assert parsed.strike.tolist()[:3] == [500.0] * 3
