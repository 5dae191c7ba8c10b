import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from optix.core.chains import ChainSnapshot
from optix.core.reference import ContractReference
from optix.core.trades import OptionTradeBatch
from optix.data.synthetic import SyntheticMarket
from optix.data.synthetic.config import SyntheticConfig
from optix.flow.positioning import PositioningConfig, PositioningModel, expiry_close_ns
from optix.quant import bsm_greeks

T0 = 1_709_563_800_000_000_000  # 2024-03-04 09:50 New York
EXP = "2024-06-21"


def tape(rows: list[tuple], t0: int = T0) -> OptionTradeBatch:
    """Rows (strike, right, price, size, where in a 10-cent market: 'ask'/'bid'/'mid')."""
    n = len(rows)
    price = np.array([r[2] for r in rows], dtype=float)
    bid = np.array([p if r[4] == "bid" else p - 0.10 if r[4] == "ask" else p - 0.05
                    for p, r in zip(price, rows, strict=True)])
    return OptionTradeBatch.from_columns(
        ts_ns=t0 + np.arange(n) * 1_000_000, seq=np.arange(n), underlying=["AAA"] * n,
        expiry=[EXP] * n, strike=[r[0] for r in rows], right=[r[1] for r in rows],
        price=price, size=[r[3] for r in rows], venue=["XCBO"] * n, bid=bid, ask=bid + 0.10)


def chain(strikes: list[float], iv: float = 0.2, spot: float = 100.0) -> ChainSnapshot:
    n = 2 * len(strikes)
    return ChainSnapshot.from_columns(
        underlying="AAA", spot=spot, as_of_ns=T0, expiry=[EXP] * n, strike=strikes * 2,
        right=[1] * len(strikes) + [-1] * len(strikes), bid=[1.0] * n, ask=[1.1] * n,
        open_interest=[0] * n, iv=[iv] * n)


def years() -> float:
    return float((expiry_close_ns([np.datetime64(EXP, "D").astype(np.int64)])[0] - T0)
                 / (365 * 86400e9))


def test_one_aggressive_call_buy_of_100_leaves_dealers_short_100_calls():
    m = PositioningModel()
    m.update(tape([(100.0, 1, 5.0, 100, "ask")]), T0, chains=[chain([100.0])])
    p = m.positions().iloc[0]
    assert p["dealer_contracts"] == -100 and p["iv_source"] == "chain"
    t = years()
    d1 = (math.log(1.0) + (0.04 + 0.02) * t) / (0.2 * math.sqrt(t))
    n_d1 = 0.5 * (1 + math.erf(d1 / math.sqrt(2)))
    pdf = math.exp(-d1 * d1 / 2) / math.sqrt(2 * math.pi)
    assert p["delta"] == pytest.approx(-100 * 100 * n_d1, rel=1e-9)
    assert p["gamma"] == pytest.approx(-100 * 100 * pdf / (100.0 * 0.2 * math.sqrt(t)), rel=1e-9)
    assert p["vega"] == pytest.approx(-100 * 100 * 100.0 * pdf * math.sqrt(t) / 100, rel=1e-9)
    g = bsm_greeks(100.0, 100.0, t, 0.04, 0.0, 0.2, "c")
    assert p["theta"] == pytest.approx(-100 * 100 * float(g.theta) / 365, rel=1e-12)
    e = m.exposure().iloc[0]
    assert e["dealer_delta"] == pytest.approx(p["delta"])
    # dealers short gamma buy into a rally
    assert e["hedge_shares_up_1pct"] == pytest.approx(-p["gamma"] * 100.0 * 0.01)
    assert e["hedge_pressure"] == 1 and e["gamma_bias"] == "short_gamma"


def test_a_sale_at_the_bid_leaves_dealers_long_and_selling_rallies():
    m = PositioningModel()
    m.update(tape([(100.0, -1, 5.0, 30, "bid")]), T0, chains=[chain([100.0])])
    assert m.positions()["dealer_contracts"].tolist() == [30]
    e = m.exposure().iloc[0]
    assert e["dealer_gamma"] > 0 and e["hedge_pressure"] == -1 and e["gamma_bias"] == "long_gamma"


def test_mid_prints_and_no_quote_prints_are_excluded_from_inventory():
    m = PositioningModel()
    m.update(tape([(100.0, 1, 5.0, 100, "mid"), (100.0, 1, 5.0, 7, "ask")]), T0,
             chains=[chain([100.0])])
    assert m.positions()["dealer_contracts"].tolist() == [-7]
    flat = PositioningModel()
    flat.update(tape([(100.0, 1, 5.0, 100, "mid")]), T0, chains=[chain([100.0])])
    assert flat.positions().empty
    e = flat.exposure().iloc[0]
    assert e["dealer_gamma"] == 0.0 and e["gamma_bias"] == "neutral" and e["hedge_pressure"] == 0


def test_iv_from_the_quote_mid_reprices_the_mid():
    m = PositioningModel()
    m.set_spot("AAA", 100.0, T0)
    m.update(tape([(100.0, 1, 5.0, 10, "ask")]), T0)
    p = m.positions().iloc[0]
    assert p["iv_source"] == "mid" and p["priced"]
    price = float(bsm_greeks(100.0, 100.0, p["T"], 0.04, 0.0, p["iv"], "c").price)
    assert price == pytest.approx(4.95, abs=1e-9)


def test_a_late_print_never_replaces_the_mid_with_its_stale_quote():
    from optix.core.enums import Condition

    m = PositioningModel()
    m.set_spot("AAA", 100.0, T0)
    m.update(tape([(100.0, 1, 5.0, 10, "ask")]), T0)
    fresh = tape([(100.0, 1, 5.0, 10, "ask")])
    late = OptionTradeBatch.from_columns(
        ts_ns=fresh.ts_ns + 1, seq=[9], underlying=["AAA"], expiry=[EXP], strike=[100.0],
        right=[1], price=[3.0], size=[10], venue=["XCBO"], bid=[2.9], ask=[3.0],
        conditions=[int(Condition.LATE)])
    m.update(late, T0 + 1)
    p = m.positions().iloc[0]
    price = float(bsm_greeks(100.0, 100.0, p["T"], 0.04, 0.0, p["iv"], "c").price)
    assert price == pytest.approx(4.95, abs=1e-9)


def test_without_a_spot_a_position_is_unpriced_and_counted():
    m = PositioningModel()
    m.update(tape([(100.0, 1, 5.0, 10, "ask")]), T0)
    assert not m.positions()["priced"].any()
    assert m.exposure()["unpriced"].tolist() == [1]


def test_gamma_strike_is_the_strike_with_the_largest_absolute_dealer_gamma():
    m = PositioningModel()
    m.update(tape([(100.0, 1, 5.0, 10, "ask"), (105.0, 1, 3.0, 200, "bid"),
                   (95.0, -1, 2.0, 50, "ask")]), T0, chains=[chain([95.0, 100.0, 105.0])])
    pos = m.positions()
    top = pos.loc[pos["gamma"].abs().idxmax(), "strike"]
    assert top == 105.0 and m.exposure()["gamma_strike"].tolist() == [105.0]


def test_max_pain_and_put_call_ratios_from_open_interest():
    ref = ContractReference(
        as_of_ns=T0, underlying=np.array(["AAA"] * 4),
        expiry=np.array([EXP] * 4, dtype="datetime64[D]"),
        strike=np.array([90.0, 100.0, 110.0, 100.0]),
        right=np.array([1, 1, 1, -1], dtype=np.int8),
        open_interest=np.array([100, 300, 500, 1000], dtype=np.int64), avg_volume=np.zeros(4))
    m = PositioningModel()
    m.update(tape([(100.0, 1, 2.0, 10, "ask"), (100.0, -1, 1.0, 30, "ask")]), T0, reference=ref)
    # pain(90) = puts 1000 x 10 = 10,000; pain(100) = calls 100 x 10 = 1,000;
    # pain(110) = calls 100 x 20 + 300 x 10 = 5,000 (x 100 multiplier)
    mp = m.max_pain("AAA")
    assert mp["max_pain"].tolist() == [100.0] and mp["pain"].tolist() == [100_000.0]
    e = m.exposure().iloc[0]
    assert e["put_call_oi_ratio"] == pytest.approx(1000 / 900)
    assert e["put_call_volume_ratio"] == 3.0
    assert e["put_call_premium_ratio"] == pytest.approx(3_000 / 2_000)


def test_config_is_validated():
    for bad in ({"rate": math.nan}, {"multiplier": 0}, {"neutral_shares": -1.0}):
        with pytest.raises(ValueError):
            PositioningConfig(**bad)


# ------------------------------------------------------------------ synthetic market
@pytest.fixture(scope="module")
def feed() -> list:
    m = SyntheticMarket(SyntheticConfig(n_symbols=50, seed=11, start=dt.date(2024, 3, 4),
                                        batch_seconds=5.0))
    return list(m.batches())


def run(feed: list, model: PositioningModel | None = None) -> PositioningModel:
    model = model or PositioningModel()
    for b in feed:
        model.update(b.trades, b.end_ns, equities=b.equities, chains=b.chains,
                     reference=b.reference)
    return model


def test_synthetic_day_is_mostly_priced_and_snapshot_restore_agrees(feed):
    ref = run(feed)
    pos = ref.positions()
    assert len(pos) > 100 and pos["priced"].mean() > 0.9
    half = len(feed) // 2
    state = json.loads(json.dumps(run(feed[:half]).snapshot()))
    again = run(feed[half:], PositioningModel.restore(state))
    pd.testing.assert_frame_equal(again.positions(), pos)
    pd.testing.assert_frame_equal(again.exposure(), ref.exposure())


def test_same_positions_whatever_the_split(feed):
    trades = OptionTradeBatch.concat([b.trades for b in feed if b.n_trades])
    now = feed[-1].end_ns
    whole = PositioningModel()
    for b in feed:  # spots, chains and reference first, then the tape in two cuttings
        whole.update(None, now, equities=b.equities, chains=b.chains, reference=b.reference)
    parts = PositioningModel.restore(json.loads(json.dumps(whole.snapshot())))
    whole.update(trades, now)
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.choice(np.arange(1, len(trades)), 200, replace=False))
    for a, z in zip([0, *cuts], [*cuts, len(trades)], strict=True):
        parts.update(trades.take(slice(a, z)), now)
    pd.testing.assert_frame_equal(parts.positions(), whole.positions())
