from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optix.core import OptionVenue, RejectReason
from optix.data import DataFileError, FileEncodingError, SchemaError, TruncatedFileError
from optix.data.feed import SourceStats
from optix.data.replay import ReplaySource, read_cboe_quotedata
from tests.shared_data import SHARED as SHARED_DIR
from tests.shared_data import SPY_CHAIN, TBBO_SAMPLE

SHARED, SPY, TBBO = SHARED_DIR, SPY_CHAIN, TBBO_SAMPLE


@pytest.fixture(autouse=True)
def _reference_files_present():
    if not SPY.is_file() or not TBBO.is_file():
        pytest.fail(f"reference data not found at {SHARED} (set OPTIX_SHARED_DIR to the "
                    "folder holding flow-gex-data/)")


HEADER = "ts,seq,underlying,symbol,price,size,venue,bid,ask,conditions,extra\n"
GOOD = "2025-02-20T14:30:00.5Z,1,AAPL,AAPL250221C00250000,0.24,3,C,0.24,0.25,ISO|MULTI_LEG,x\n"


def test_databento_tbbo_sample_loads_through_the_trade_path():
    source = ReplaySource([TBBO])
    (batch,) = list(source.batches())
    t = batch.trades
    assert len(t) == 4 and set(t.underlying) == {"AAPL"}
    assert [OptionVenue(int(v)).name for v in t.venue] == ["EMLD", "XISX", "XISX", "MXOP"]
    np.testing.assert_allclose(t.price, [0.24, 0.2, 0.19, 0.19])
    np.testing.assert_allclose(t.bid, [0.24, 0.18, 0.18, 0.19])
    assert t.strike[0] == 250.0 and str(t.expiry[0]) == "2025-02-21"
    assert t.seq.tolist() == [713382, 882595, 887133, 921205]
    assert source.stats.accepted["option_trade"] == 4


def test_spy_cboe_chain_loads_with_reference_numbers():
    stats = SourceStats()
    snap = read_cboe_quotedata(SPY, stats)
    assert len(snap) == 2 * 1858 and snap.spot == 658.05 and snap.underlying == "SPY"
    assert len(np.unique(snap.expiry)) == 11
    local = pd.Timestamp(snap.as_of_ns, tz="UTC").tz_convert("America/New_York")
    assert (local.year, local.month, local.day, local.hour, local.minute) == (2025, 9, 25, 21, 5)
    # README reference (method A): total GEX -3.918 bn; K=650 net -597.8 M
    gex = snap.gamma * snap.open_interest * 100 * snap.spot**2 * 0.01 * snap.right
    assert gex.sum() / 1e9 == pytest.approx(-3.918, abs=0.0005)
    assert gex[snap.strike == 650].sum() / 1e6 == pytest.approx(-597.8, abs=0.05)
    assert np.any(snap.iv == 0) and np.any(snap.gamma == 0)
    assert stats.read["chain_row"] == 3716 and stats.total_rejected() == 0


def _cboe_variant(tmp_path: Path, date_line: str, extra_rows: list[str] | None = None) -> Path:
    lines = SPY.read_text().splitlines()
    lines[2] = date_line
    body = lines[:4] + (extra_rows or []) + lines[4:40]
    path = tmp_path / "spx_quotedata.csv"
    path.write_text("\n".join(body) + "\n")
    return path


@pytest.mark.parametrize(("line", "expected"), [
    ('"Date: September 25, 2025 at 9:05 PM EDT",Bid: 1', "2025-09-25 21:05"),
    ('"Date: September 14, 2023 at 4:31 PM EDT",Bid: 1', "2023-09-14 16:31"),
    ('"Date: February 5 2022, 8:09 PM EST",Bid: 1', "2022-02-05 20:09"),
])
def test_cboe_header_date_styles(tmp_path, line, expected):
    snap = read_cboe_quotedata(_cboe_variant(tmp_path, line), SourceStats())
    local = pd.Timestamp(snap.as_of_ns, tz="UTC").tz_convert("America/New_York")
    assert local.strftime("%Y-%m-%d %H:%M") == expected


def test_cboe_rows_settled_before_the_snapshot_are_rejected_and_counted(tmp_path):
    stats = SourceStats()
    settled = ("Wed Sep 24 2025,SPY250924C00600000,0,0,0,0,0,0,0,0,10,600.00,"
               "SPY250924P00600000,0,0,0,0,0,0,0,0,10")
    bad = "Wed Oct 01 2025,SPY251001C00601000,1,0,1"
    path = _cboe_variant(tmp_path, '"Date: September 25, 2025 at 9:05 PM EDT",B', [settled, bad])
    snap = read_cboe_quotedata(path, stats)
    assert stats.rejected[("chain_row", RejectReason.EXPIRY_BEFORE_TRADE_DATE)] == 2
    assert stats.rejected[("chain_row", RejectReason.MALFORMED_ROW)] == 2
    assert any(e.where.endswith(":6") for e in stats.examples)  # the malformed row's line
    assert len(snap) == 2 * 36
    assert stats.read["chain_row"] == stats.accepted["chain_row"] + stats.total_rejected()


def test_bad_rows_are_rejected_with_reasons_and_the_rest_goes_on(tmp_path):
    path = tmp_path / "trades.csv"
    rows = [
        GOOD,
        GOOD.replace(",0.24,3,", ",abc,3,"),  # price not a number
        GOOD.replace("AAPL250221C00250000", "NOTASYMBOL"),
        GOOD.replace(",C,", ",QQ,"),  # unknown venue
        "2025-02-20T14:30:01,2,AAPL,AAPL250221C00250000,0.2,1,C,,,,\n",  # no zone
        "1740061801000000000,3,AAPL,AAPL250221C00250000,0.2,1,X,,,,\n",  # epoch ns, no NBBO
        "2025-02-20T14:30:02Z,4,AAPL\n",  # wrong number of fields
        GOOD.replace(",0.24,0.25,", ",0.30,0.25,"),  # crossed quote
    ]
    path.write_text(HEADER + "".join(rows))
    source = ReplaySource([path])
    trades = [b.trades for b in source.batches()]
    got = source.stats
    assert got.read["option_trade"] == 8 and got.accepted["option_trade"] == 2
    reasons = {r.name: n for (_, r), n in got.rejected.items()}
    assert reasons == {"NAN_FIELD": 1, "BAD_SYMBOL": 1, "UNKNOWN_VENUE": 1, "BAD_TIMESTAMP": 1,
                       "MALFORMED_ROW": 1, "CROSSED_QUOTE": 1}
    assert any("without a zone" in e.detail for e in got.examples)
    t = trades[0]
    assert t.conditions[0] == 1 | 4  # ISO | MULTI_LEG
    assert t.bid[1] == 0 and t.ask[1] == 0  # NBBO absent: unknown, not rejected


def test_three_column_contracts_and_parquet(tmp_path):
    frame = pd.DataFrame({
        "ts": pd.to_datetime(["2025-02-20T14:30:00Z", "2025-02-20T14:30:01Z"]),
        "underlying": ["SPX", "SPX"], "expiry": ["2025-02-21", "2025-02-21"],
        "strike": [6100.0, 6000.0], "right": ["C", "put"], "price": [12.5, 8.0],
        "size": [10, 20], "venue": ["XCBO", "C2OX"],
    })
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    (batch,) = list(ReplaySource([path]).batches())
    assert batch.trades.right.tolist() == [1, -1] and batch.trades.seq.tolist() == [0, 1]
    csv_path = tmp_path / "t.csv"
    as_ns = frame.ts.astype("datetime64[ns, UTC]").astype("int64")
    frame.assign(ts=as_ns).to_csv(csv_path, index=False)
    (again,) = list(ReplaySource([csv_path]).batches())
    np.testing.assert_array_equal(again.trades.ts_ns, batch.trades.ts_ns)


def test_missing_columns_name_them(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ts,price,size\n2025-02-20T14:30:00Z,1,1\n")
    with pytest.raises(SchemaError, match=r"underlying, venue, symbol \(or expiry"):
        list(ReplaySource([path]).batches())


def test_wrong_encoding_names_file_and_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes((HEADER + GOOD + GOOD).encode() + b"2025,\xff\xfe,AAPL\n")
    with pytest.raises(FileEncodingError) as err:
        list(ReplaySource([path]).batches())
    assert err.value.line == 4 and "t.csv:4" in str(err.value)


def test_truncated_file_names_file_and_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + GOOD + GOOD + GOOD[:30])
    with pytest.raises(TruncatedFileError, match=r"t\.csv:4: file ends mid-row"):
        list(ReplaySource([path]).batches())


def test_damaged_parquet_is_one_clear_error(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataFileError, match=r"t\.parquet"):
        list(ReplaySource([path]).batches())
    with pytest.raises(DataFileError, match="no such file"):
        ReplaySource([tmp_path / "missing.csv"])
