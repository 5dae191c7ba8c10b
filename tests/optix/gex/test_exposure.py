"""Exposure conventions pinned by hand on small chains."""

import math

import numpy as np
import pandas as pd
import pytest

from optix.core.chains import ChainSnapshot
from optix.gex import (
    DealerInventory,
    ExpiryWindow,
    GammaSource,
    GexConfig,
    GexInputError,
    GexUnit,
    SettledPolicy,
    SignConvention,
    TimeBasis,
    ZeroDtePolicy,
    prepare,
)
from optix.quant import bsm_greeks

# Thursday 2024-03-14 15:00 New York (19:00 UTC)
AS_OF = int(pd.Timestamp("2024-03-14 15:00", tz="America/New_York").value)
S = 100.0


def chain(rows, spot=S, as_of=AS_OF, vendor=True):
    """rows: (expiry, strike, right, oi, iv, vendor gamma)."""
    cols = list(zip(*rows, strict=True))
    return ChainSnapshot.from_columns(
        underlying="AAA", spot=spot, as_of_ns=as_of, expiry=list(cols[0]), strike=list(cols[1]),
        right=list(cols[2]), bid=[1.0] * len(rows), ask=[1.1] * len(rows),
        open_interest=list(cols[3]), iv=list(cols[4]),
        gamma=list(cols[5]) if vendor else None)


TWO = [("2024-03-22", 100.0, 1, 1000, 0.2, 0.05), ("2024-03-22", 95.0, -1, 3000, 0.25, 0.03)]


def test_classic_unit_is_gamma_oi_100_s_squared_one_percent():
    e = prepare(chain(TWO))
    t = e.totals()
    assert t["call_gex"] == pytest.approx(0.05 * 1000 * 100 * S * S * 0.01)
    assert t["put_gex"] == pytest.approx(-0.03 * 3000 * 100 * S * S * 0.01)
    assert t["total_gex"] == pytest.approx(t["call_gex"] + t["put_gex"])
    assert t["gross_gex"] == pytest.approx(t["call_gex"] - t["put_gex"])


def test_units_relate_by_spot_exactly():
    pct = prepare(chain(TWO), GexConfig(unit=GexUnit.USD_PER_1PCT)).totals()["total_gex"]
    pt = prepare(chain(TWO), GexConfig(unit=GexUnit.USD_PER_POINT)).totals()["total_gex"]
    sh = prepare(chain(TWO), GexConfig(unit=GexUnit.SHARES)).totals()["total_gex"]
    assert sh == pytest.approx((0.05 * 1000 - 0.03 * 3000) * 100)
    assert pt == pytest.approx(sh * S)
    assert pct == pytest.approx(sh * S * S * 0.01)


def test_inverse_convention_is_the_mirror_and_flow_uses_dealer_inventory():
    classic = prepare(chain(TWO)).gex
    inverse = prepare(chain(TWO), GexConfig(sign=SignConvention.INVERSE)).gex
    assert inverse == pytest.approx(-classic)
    inv = DealerInventory(expiry=np.array(["2024-03-22"], dtype="datetime64[D]"),
                          strike=np.array([100.0]), right=np.array([1], dtype=np.int8),
                          contracts=np.array([-200.0]))  # customers bought 200 calls
    flow = prepare(chain(TWO), GexConfig(sign=SignConvention.FLOW), inventory=inv)
    assert flow.gex.tolist() == pytest.approx([-200 * 0.05 * 100 * S * S * 0.01, 0.0])
    with pytest.raises(GexInputError, match="inventory"):
        prepare(chain(TWO), GexConfig(sign=SignConvention.FLOW))


def test_inventory_from_the_flow_positioning_frame():
    df = pd.DataFrame({"underlying": ["AAA", "BBB"], "expiry": ["2024-03-22", "2024-03-22"],
                       "strike": [95.0, 95.0], "right": [-1, -1], "dealer_contracts": [50, 7]})
    inv = DealerInventory.from_positions(df, "AAA")
    e = prepare(chain(TWO), GexConfig(sign="flow_inventory"), inventory=inv)
    assert e.weight.tolist() == [0.0, 50.0]


def test_model_gamma_is_bsm_from_iv_with_business_day_time():
    e = prepare(chain(TWO), GexConfig(gamma_source=GammaSource.MODEL, r=0.05, q=0.01))
    t = np.busday_count("2024-03-14", "2024-03-22") / 262  # 6 business days
    g = bsm_greeks(S, [100.0, 95.0], t, 0.05, 0.01, [0.2, 0.25], [1, -1], order=2)
    assert e.t.tolist() == pytest.approx([t, t])
    assert e.gamma.tolist() == pytest.approx(g.gamma.tolist(), rel=1e-12)
    assert e.delta.tolist() == pytest.approx(g.delta.tolist(), rel=1e-12)
    # vanna: $ of dealer delta per vol point; charm: per business day
    w = np.array([1000.0, -3000.0])
    assert e.vex.tolist() == pytest.approx((w * g.vanna * 100 * S * 0.01).tolist())
    assert e.cex.tolist() == pytest.approx((w * g.charm * 100 * S / 262).tolist())
    assert e.dex.tolist() == pytest.approx((w * g.delta * 100 * S).tolist())


def test_act_365_time_runs_to_the_close_of_expiry_day():
    e = prepare(chain(TWO), GexConfig(time_basis=TimeBasis.ACT_365))
    close = pd.Timestamp("2024-03-22 16:00", tz="America/New_York").value
    assert e.t[0] == pytest.approx((close - AS_OF) / (365 * 86400e9))


def test_vendor_gamma_wins_under_auto_and_model_fills_gaps():
    rows = [("2024-03-22", 100.0, 1, 1000, 0.2, np.nan), ("2024-03-22", 95.0, -1, 3000, 0.25, 0.03)]
    e = prepare(chain(rows))
    g = bsm_greeks(S, 100.0, 6 / 262, 0, 0, 0.2, "c").gamma
    assert e.gamma.tolist() == pytest.approx([float(g), 0.03])
    vendor_only = prepare(chain(rows), GexConfig(gamma_source=GammaSource.VENDOR))
    assert len(vendor_only) == 1 and vendor_only.skipped["no_gamma"] == 1


def test_rows_with_missing_oi_or_iv_are_skipped_and_counted():
    rows = [*TWO, ("2024-03-22", 105.0, 1, 500, np.nan, np.nan),  # no gamma at all
            ("2024-03-22", 110.0, 1, 500, 0.0, 0.01)]  # IV 0: vendor gamma only
    e = prepare(chain(rows))
    assert len(e) == 3
    assert e.skipped == {"no_gamma": 1, "no_iv": 1}


def test_a_chain_with_no_usable_gamma_says_so():
    rows = [("2024-03-22", 100.0, 1, 1000, np.nan, np.nan)]
    with pytest.raises(GexInputError, match=r"no contract has a usable gamma.*1 no gamma"):
        prepare(chain(rows))


def test_zero_dte_is_floored_at_one_business_day_or_excluded():
    rows = [("2024-03-14", 100.0, 1, 1000, 0.2, np.nan), ("2024-03-22", 100.0, 1, 1000, 0.2, 0.05)]
    e = prepare(chain(rows))
    assert e.t[0] == pytest.approx(1 / 262) and e.bdays[0] == 0
    ex = prepare(chain(rows), GexConfig(zero_dte=ZeroDtePolicy.EXCLUDE))
    assert len(ex) == 1 and ex.skipped["zero_dte"] == 1


def test_settled_rows_after_the_close_are_excluded_or_floored():
    after_close = int(pd.Timestamp("2024-03-14 17:30", tz="America/New_York").value)
    rows = [("2024-03-14", 100.0, 1, 1000, 0.2, 0.0), ("2024-03-22", 100.0, 1, 1000, 0.2, 0.05)]
    e = prepare(chain(rows, as_of=after_close))
    assert len(e) == 1 and e.skipped["settled"] == 1
    kept = prepare(chain(rows, as_of=after_close), GexConfig(settled=SettledPolicy.FLOOR))
    assert len(kept) == 2 and kept.t[0] == pytest.approx(1 / 262)


def test_a_weekend_snapshot_treats_monday_expiry_as_zero_business_days():
    saturday = int(pd.Timestamp("2024-03-16 12:00", tz="America/New_York").value)
    rows = [("2024-03-18", 100.0, 1, 1000, 0.2, 0.05)]
    e = prepare(chain(rows, as_of=saturday))
    assert e.bdays.tolist() == [0] and e.t[0] == pytest.approx(1 / 262)
    # ... but it is not a 0DTE contract: the exclude policy keeps it
    assert len(prepare(chain(rows, as_of=saturday), GexConfig(zero_dte="exclude"))) == 1


EXPIRIES = ["2024-03-15", "2024-03-22", "2024-04-18", "2024-04-19", "2024-06-21"]


def _five():
    return chain([(e, 100.0, 1, 100, 0.2, 0.01) for e in EXPIRIES])


def test_expiry_windows():
    def kept(window):
        e = prepare(_five(), GexConfig(expiry_window=ExpiryWindow.parse(window)))
        return sorted({str(x) for x in e.expiry})

    assert kept("all") == EXPIRIES
    assert kept("<=8") == EXPIRIES[:2]  # 2024-03-22 is 8 days after 2024-03-14
    assert kept("7") == EXPIRIES[:1]
    assert kept("ex_nearest") == EXPIRIES[1:]
    # the third Friday of March 2024 is the 15th: the nearest monthly
    assert kept("ex_monthly") == EXPIRIES[1:]


def test_ex_monthly_knows_the_thursday_before_a_good_friday():
    # 2025-04-18 is Good Friday: April's monthly expires Thursday 2025-04-17
    as_of = int(pd.Timestamp("2025-04-01 12:00", tz="America/New_York").value)
    e = prepare(chain([(x, 100.0, 1, 100, 0.2, 0.01) for x in ("2025-04-11", "2025-04-17",
                                                                 "2025-05-16")], as_of=as_of),
                GexConfig(expiry_window=ExpiryWindow("ex_monthly")))
    assert sorted({str(x) for x in e.expiry}) == ["2025-04-11", "2025-05-16"]


def test_config_rejects_bad_values_with_a_pointed_message():
    with pytest.raises(ValueError, match="unit must be one of"):
        GexConfig(unit="usd")
    with pytest.raises(ValueError, match="grid_lo"):
        GexConfig(grid_lo=1.1)
    with pytest.raises(ValueError, match="levels"):
        GexConfig(levels=1)
    with pytest.raises(ValueError, match="expiry window"):
        ExpiryWindow.parse("soon")
    assert GexConfig(unit="shares").unit is GexUnit.SHARES
    assert math.isclose(GexConfig().min_t, 1 / 262)


def test_flow_positioning_inventory_drives_the_flow_convention():
    from optix.flow.positioning import PositioningModel
    from tests.optix.flow.test_positioning import chain as flow_chain
    from tests.optix.flow.test_positioning import tape

    m = PositioningModel()  # customers buy 100 June 100 calls, sell 40 June 95 puts
    m.update(tape([(100.0, 1, 5.0, 100, "ask"), (95.0, -1, 2.0, 40, "bid")]),
             AS_OF, chains=[flow_chain([100.0, 95.0])])
    inv = DealerInventory.from_positions(m.positions(), "AAA")
    rows = [("2024-06-21", 100.0, 1, 5000, 0.2, 0.04), ("2024-06-21", 95.0, -1, 7000, 0.2, 0.03)]
    e = prepare(chain(rows), GexConfig(sign=SignConvention.FLOW), inventory=inv)
    assert e.weight.tolist() == [-100.0, 40.0]  # dealers short the calls, long the puts
    assert e.gex.tolist() == pytest.approx([-100 * 0.04 * 100 * S * S * 0.01,
                                            40 * 0.03 * 100 * S * S * 0.01])
