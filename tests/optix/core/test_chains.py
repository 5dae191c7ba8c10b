import numpy as np
import pytest

from optix.core import ChainSnapshot, RejectReason

AS_OF = int(np.datetime64("2025-09-25T20:00:00", "ns").astype(np.int64))  # 16:00 New York


def make(**override) -> ChainSnapshot:
    cols = {
        "underlying": "spy",
        "spot": 658.05,
        "as_of_ns": AS_OF,
        "expiry": ["2025-09-25", "2025-10-01", "2025-10-01", "2025-10-03"],
        "strike": [650.0, 660.0, 660.0, 670.0],
        "right": ["C", "C", "P", "P"],
        "bid": [8.0, 5.1, 6.9, 12.0],
        "ask": [8.2, 5.2, 7.0, 12.3],
        "open_interest": [31603, 5000, 7000, 5215],
        "iv": [0.0, 0.14, 0.15, np.nan],
        "gamma": [0.0, 0.02, 0.02, np.nan],
    }
    cols.update(override)
    return ChainSnapshot.from_columns(**cols)


def test_from_columns_fills_optional_columns():
    c = make()
    assert c.underlying == "SPY"
    assert c.root.tolist() == ["SPY"] * 4
    assert c.volume.tolist() == [0, 0, 0, 0]
    assert c.delta is None and c.gamma is not None
    assert c.as_of_date == np.datetime64("2025-09-25")


def test_nan_iv_and_greeks_mean_not_given_and_same_day_expiry_is_kept():
    v = make().validate()
    assert v.n_rejected == 0
    assert len(v.clean) == 4
    assert v.clean.delta is None


def test_validate_rejects_bad_contracts():
    v = make(
        strike=[650.0, np.nan, 660.0, 670.0],
        bid=[8.0, 5.1, 7.5, 12.0],
        ask=[8.2, 5.2, 7.0, 12.3],
        open_interest=[31603, 5000, 7000, -1],
        expiry=["2025-09-24", "2025-10-01", "2025-10-01", "2025-10-03"],
    ).validate()
    assert dict(zip(v.rejected_index.tolist(), v.reasons.tolist(), strict=True)) == {
        0: RejectReason.EXPIRY_BEFORE_TRADE_DATE,
        1: RejectReason.NAN_FIELD,
        2: RejectReason.CROSSED_QUOTE,
        3: RejectReason.NEGATIVE_VALUE,
    }
    assert v.rejected.gamma is not None and len(v.rejected.gamma) == 4
    assert v.clean.spot == 658.05


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("spot", 0.0, "spot"), ("spot", float("nan"), "spot"), ("underlying", " ", "underlying"),
     ("as_of_ns", 0, "as_of_ns")],
)
def test_snapshot_level_fields_are_checked_at_construction(field, value, message):
    with pytest.raises(ValueError, match=message):
        make(**{field: value})


def test_concat_fills_greeks_missing_in_one_part_and_refuses_mixed_underlyings():
    with_gamma = make()
    without = make(gamma=None)
    both = ChainSnapshot.concat([with_gamma, without])
    assert len(both) == 8
    assert both.gamma is not None and np.isnan(both.gamma[4:]).all()
    assert both.delta is None
    with pytest.raises(ValueError, match="different underlying"):
        ChainSnapshot.concat([make(), make(underlying="QQQ")])
