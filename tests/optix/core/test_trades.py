import numpy as np
import pytest

from optix.core import Condition, OptionTradeBatch, OptionVenue, RejectReason, Right


def _ns(iso: str) -> int:
    return int(np.datetime64(iso, "ns").astype(np.int64))


OPEN = _ns("2025-02-20T14:30:00")  # 09:30 New York


def make_batch(n: int = 4, **override) -> OptionTradeBatch:
    cols = {
        "ts_ns": [OPEN + i for i in range(n)],
        "seq": list(range(1, n + 1)),
        "underlying": ["AAPL"] * n,
        "expiry": ["2025-02-21"] * n,
        "strike": [250.0] * n,
        "right": ["C"] * n,
        "price": [0.24, 0.20, 0.19, 0.19][:n] + [0.5] * max(0, n - 4),
        "size": [1] * n,
        "venue": ["EMLD", "XISX", "MXOP", "XISX"][:n] + ["XCBO"] * max(0, n - 4),
        "bid": [0.24] * n,
        "ask": [0.25] * n,
    }
    cols.update(override)
    return OptionTradeBatch.from_columns(**cols)


def test_from_columns_normalizes_codes_and_dtypes():
    b = make_batch(right=["C", "put", "Call", "p"], venue=["EMLD", "I", "MXOP", "XISX"])
    assert b.right.dtype == np.int8
    assert b.right.tolist() == [Right.CALL, Right.PUT, Right.CALL, Right.PUT]
    assert b.venue.tolist() == [OptionVenue.EMLD, OptionVenue.XISX, OptionVenue.MXOP,
                                OptionVenue.XISX]
    assert b.expiry.dtype == np.dtype("datetime64[D]")
    assert b.conditions.tolist() == [0, 0, 0, 0]
    assert len(b) == 4


def test_batch_columns_are_read_only():
    b = make_batch()
    with pytest.raises(ValueError):
        b.price[0] = 1.0


def test_mismatched_column_lengths_are_refused():
    with pytest.raises(ValueError, match="rows, expected"):
        make_batch(price=[1.0, 2.0])


def test_premium_is_price_times_size_times_multiplier():
    b = make_batch(size=[10, 1, 2, 3])
    assert b.premium.tolist() == pytest.approx([240.0, 20.0, 38.0, 57.0])


def test_validate_keeps_good_rows_and_rejects_each_bad_row_with_its_reason():
    n = 12
    b = make_batch(
        n,
        ts_ns=[OPEN] * 11 + [0],
        strike=[250, np.nan, 250, 250, 250, 250, -5, 250, 250, 250, 250, 250],
        right=["C", "C", "X", "C", "C", "C", "C", "C", "C", "C", "P", "C"],
        price=[0.24, 0.2, 0.2, 0.0, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2],
        size=[1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1],
        venue=["EMLD", "EMLD", "EMLD", "EMLD", "EMLD", "NOPE", "EMLD", "EMLD", "EMLD", "EMLD",
               "EMLD", "EMLD"],
        underlying=["AAPL"] * 7 + [""] + ["AAPL"] * 4,
        expiry=["2025-02-21"] * 8 + ["2025-02-19", "2025-02-21", "2025-02-20", "2025-02-21"],
        bid=[0.24] * 9 + [0.30, 0.24, 0.24],
        ask=[0.25] * 9 + [0.25, 0.25, 0.25],
    )
    v = b.validate()
    expected = {
        1: RejectReason.NAN_FIELD,
        2: RejectReason.UNKNOWN_RIGHT,
        3: RejectReason.NONPOSITIVE_PRICE,
        4: RejectReason.NONPOSITIVE_SIZE,
        5: RejectReason.UNKNOWN_VENUE,
        6: RejectReason.NONPOSITIVE_STRIKE,
        7: RejectReason.EMPTY_SYMBOL,
        8: RejectReason.EXPIRY_BEFORE_TRADE_DATE,
        9: RejectReason.CROSSED_QUOTE,
        11: RejectReason.BAD_TIMESTAMP,
    }
    got = dict(zip(v.rejected_index.tolist(), v.reasons.tolist(), strict=True))
    assert got == {k: int(r) for k, r in expected.items()}
    # rows 0 (good) and 10 (0DTE put, expiring on the trade date) survive, in order
    assert v.clean.seq.tolist() == [1, 11]
    assert len(v.rejected) == len(expected)
    assert v.rejected.seq.tolist() == [k + 1 for k in sorted(expected)]
    assert v.reason_counts()[RejectReason.NAN_FIELD] == 1
    assert len(v.clean) + v.n_rejected == n


def test_a_print_without_a_quote_is_kept_and_an_infinite_quote_is_rejected():
    v = make_batch(3, bid=[np.nan, 0.24, np.inf], ask=[np.nan, np.nan, 0.25]).validate()
    assert v.clean.seq.tolist() == [1, 2]
    assert v.reasons.tolist() == [int(RejectReason.NAN_FIELD)]


def test_first_failing_check_decides_the_reason():
    b = make_batch(1, price=[np.nan], size=[0], venue=["NOPE"])
    v = b.validate()
    assert v.reasons.tolist() == [RejectReason.NAN_FIELD]


def test_expiry_compares_with_the_new_york_trade_date():
    # 01:00 UTC on Feb 21 is still Feb 20 in New York: a Feb 20 expiry is not yet past
    late_evening = _ns("2025-02-21T01:00:00")
    b = make_batch(1, ts_ns=[late_evening], expiry=["2025-02-20"])
    assert len(b.validate().clean) == 1
    b = make_batch(1, ts_ns=[_ns("2025-02-21T15:00:00")], expiry=["2025-02-20"])
    assert b.validate().reasons.tolist() == [RejectReason.EXPIRY_BEFORE_TRADE_DATE]


def test_unparseable_expiry_is_a_missing_field_not_an_exception():
    v = make_batch(2, expiry=["2025-02-21", "not a date"]).validate()
    assert v.reasons.tolist() == [RejectReason.NAN_FIELD]


def test_empty_batch_validates_to_empty_results():
    v = make_batch(0).validate()
    assert len(v.clean) == 0 and v.n_rejected == 0


def test_take_and_concat_preserve_columns():
    b = make_batch(conditions=[Condition.ISO, 0, Condition.ISO | Condition.MULTI_LEG, 0])
    both = OptionTradeBatch.concat([b.take(np.array([0, 1])), b.take(np.array([2, 3]))])
    for name, col in b.columns().items():
        assert np.array_equal(getattr(both, name), col)
    assert (both.conditions & Condition.ISO).astype(bool).tolist() == [True, False, True, False]


def test_to_pandas_has_one_column_per_field():
    df = make_batch().to_pandas()
    assert list(df.columns) == list(OptionTradeBatch._DTYPES)
    assert len(df) == 4


def test_missing_text_is_blank_not_the_string_none():
    v = make_batch(3, underlying=["AAPL", None, float("nan")]).validate()
    assert dict(zip(v.rejected_index.tolist(), v.reasons.tolist(), strict=True)) == {
        1: RejectReason.EMPTY_SYMBOL, 2: RejectReason.EMPTY_SYMBOL}


def test_nan_or_fractional_integers_are_rejected_rows_not_exceptions():
    # pandas stores an integer column with gaps as float: one NaN must not sink the batch
    v = make_batch(4, size=[1.0, np.nan, 1.7, 3.0], seq=[1, 2, 3, np.nan],
                   ts_ns=[float(OPEN), float(OPEN), float(OPEN), np.nan]).validate()
    assert v.clean.size.tolist() == [1]
    assert v.reasons.tolist() == [RejectReason.NAN_FIELD] * 3


@pytest.mark.parametrize("ts", [0, -5, 1_740_061_800, 1_740_061_800_000, 2**63 - 1])
def test_timestamps_outside_1990_2200_epoch_ns_are_bad(ts):
    # zero, negative, seconds and milliseconds by mistake, and the int64 maximum
    assert make_batch(1, ts_ns=[ts]).validate().reasons.tolist() == [RejectReason.BAD_TIMESTAMP]


def test_expiries_parse_from_mixed_forms_each_on_its_own():
    import datetime as dt

    b = make_batch(5, expiry=["2025-02-21", dt.date(2025, 2, 21), "Fri Feb 21 2025", 20250221,
                              "garbage"][:5])
    assert b.expiry[:3].tolist() == [dt.date(2025, 2, 21)] * 3
    assert np.isnat(b.expiry[4])
    ints = make_batch(2, expiry=np.array([20250221, 20251301]))
    assert ints.expiry[0] == np.datetime64("2025-02-21") and np.isnat(ints.expiry[1])
