import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from optix.core.enums import Condition
from optix.core.trades import OptionTradeBatch
from optix.data.synthetic import SyntheticMarket
from optix.data.synthetic.config import SyntheticConfig
from optix.flow.aggregate import STAT_COLUMNS, AggregateConfig, FlowAggregator
from optix.flow.events import EventType, FlowEvent

T0 = 1_709_563_800_000_000_000  # 2024-03-04 09:50 New York, on a minute boundary
S = 1_000_000_000
HOUR = 3600 * S


def tape(rows: list[tuple], t0: int = T0, cond: list[int] | None = None) -> OptionTradeBatch:
    """Rows (underlying, strike, right, price, size, where) 1 ms apart; where is 'ask',
    'bid' or 'mid' of a 10-cent market around the price."""
    n = len(rows)
    price = np.array([r[3] for r in rows], dtype=float)
    where = [r[5] for r in rows]
    bid = np.array([p if w == "bid" else p - 0.10 if w == "ask" else p - 0.05
                    for p, w in zip(price, where, strict=True)])
    return OptionTradeBatch.from_columns(
        ts_ns=t0 + np.arange(n) * 1_000_000, seq=np.arange(n),
        underlying=[r[0] for r in rows], expiry=["2024-06-21"] * n,
        strike=[r[1] for r in rows], right=[r[2] for r in rows], price=price,
        size=[r[4] for r in rows], venue=["XCBO"] * n, bid=bid, ask=bid + 0.10,
        conditions=cond if cond is not None else [0] * n)


def test_premium_net_premium_and_sentiment_of_a_small_book():
    agg = FlowAggregator()
    agg.update(tape([("AAA", 100.0, 1, 2.0, 10, "ask"),    # call bought: $2,000 bullish
                     ("AAA", 100.0, -1, 3.0, 5, "bid"),    # put sold: $1,500 bullish
                     ("AAA", 90.0, -1, 1.0, 20, "ask"),    # put bought: $2,000 bearish
                     ("AAA", 100.0, 1, 2.0, 1, "mid")]),   # mid: no side
               T0 + S)
    row = agg.summary().iloc[0]
    assert row["underlying"] == "AAA"
    assert row["prints"] == 4 and row["contracts"] == 36
    assert row["premium"] == pytest.approx(5_700.0)
    assert row["bought_premium"] == 4_000.0 and row["sold_premium"] == 1_500.0
    assert row["net_premium"] == 2_500.0
    assert row["bullish_premium"] == 3_500.0 and row["bearish_premium"] == 2_000.0
    assert row["sentiment"] == pytest.approx(1_500.0 / 5_500.0)
    assert row["call_put_ratio"] == 1.0  # 2 call prints, 2 put prints
    assert row["call_put_premium_ratio"] == pytest.approx(2_200.0 / 3_500.0)
    per = agg.contracts()
    assert per[["strike", "right"]].values.tolist() == [[90.0, -1], [100.0, -1], [100.0, 1]]
    assert per["net_premium"].tolist() == [2_000.0, -1_500.0, 2_000.0]


def test_institutional_print_is_250000_dollars_and_249999_is_not():
    agg = FlowAggregator()
    agg.update(tape([("AAA", 100.0, 1, 25.0, 100, "ask"), ("BBB", 100.0, 1, 24.9999, 100, "ask")]),
               T0 + S)
    s = agg.summary().set_index("underlying")
    assert s.loc["AAA", "institutional_prints"] == 1
    assert s.loc["AAA", "institutional_premium"] == 250_000.0
    assert s.loc["BBB", "institutional_prints"] == 0


def test_a_print_exactly_60_minutes_old_is_in_and_one_ns_older_is_out():
    agg = FlowAggregator()
    agg.update(tape([("OLD", 100.0, 1, 1.0, 1, "ask")], t0=T0 - 1), T0)
    agg.update(tape([("EDGE", 100.0, 1, 1.0, 1, "ask")], t0=T0), T0 + 1)
    assert agg.summary(now_ns=T0 + HOUR)["underlying"].tolist() == ["EDGE"]
    assert sorted(agg.summary(now_ns=T0 + HOUR - 1)["underlying"]) == ["EDGE", "OLD"]
    agg.update(None, T0 + HOUR)  # eviction agrees with the query
    assert agg.summary()["underlying"].tolist() == ["EDGE"]
    agg.update(None, T0 + HOUR + 1)  # between bucket boundaries the bucket is kept whole
    assert agg.summary()["underlying"].tolist() == ["EDGE"]
    agg.update(None, T0 + HOUR + 60 * S)
    assert agg.summary().empty


def test_canceled_prints_are_left_out_and_no_side_prints_count_without_a_side():
    c = [int(Condition.CANCEL), int(Condition.LATE), 0]
    agg = FlowAggregator()
    agg.update(tape([("AAA", 100.0, 1, 1.0, 10, "ask")] * 3, cond=c), T0 + S)
    row = agg.summary().iloc[0]
    assert row["prints"] == 2 and row["premium"] == 2_000.0
    assert row["bought_premium"] == 1_000.0 and row["bullish_premium"] == 1_000.0


def test_summary_groups_by_any_contract_field_and_rejects_others():
    agg = FlowAggregator()
    agg.update(tape([("AAA", 100.0, 1, 1.0, 1, "ask"), ("BBB", 100.0, -1, 1.0, 2, "ask")]),
               T0 + S)
    assert agg.summary(by=("strike",))["contracts"].tolist() == [3]
    assert agg.summary(by=("right",))["right"].tolist() == [-1, 1]
    assert agg.summary(by=())["prints"].tolist() == [2]
    with pytest.raises(ValueError):
        agg.summary(by=("venue",))


def _event(kind: EventType, ts: int, premium: float, side: int, sentiment: int) -> FlowEvent:
    return FlowEvent(type=kind, underlying="AAA", expiry=dt.date(2024, 6, 21), strike=100.0,
                     right=1, first_ts_ns=ts, last_ts_ns=ts, seqs=(1, 2), stream="option",
                     venues=(1,), size=10, premium=premium, side=side, sentiment=sentiment,
                     confidence=0.5)


def test_events_are_counted_by_type_and_windowed_by_their_last_print():
    agg = FlowAggregator()
    evs = [_event(EventType.SWEEP, T0, 50_000.0, 1, 1),
           _event(EventType.SWEEP, T0, 20_000.0, -1, -1),
           _event(EventType.BLOCK, T0 - 1, 100_000.0, 1, 1)]
    agg.update(None, T0 + S, events=evs)
    df = agg.events(now_ns=T0 + HOUR)
    assert df["type"].tolist() == ["sweep"]
    row = df.iloc[0]
    assert row["events"] == 2 and row["prints"] == 4 and row["contracts"] == 20
    assert row["premium"] == 70_000.0 and row["net_premium"] == 30_000.0
    assert row["bullish_premium"] == 50_000.0 and row["bearish_premium"] == 20_000.0
    assert agg.events(by=("type",), now_ns=T0 + S)["type"].tolist() == ["block", "sweep"]


def test_config_is_validated():
    for bad in ({"window_s": 0.0}, {"bucket_s": -1.0}, {"bucket_s": 7.0},
                {"institutional_premium": -1.0}):
        with pytest.raises(ValueError):
            AggregateConfig(**bad)


# ------------------------------------------------------------------ synthetic market
@pytest.fixture(scope="module")
def batches() -> list[OptionTradeBatch]:
    m = SyntheticMarket(SyntheticConfig(n_symbols=50, seed=11, start=dt.date(2024, 3, 4),
                                        chain_every_s=None, batch_seconds=5.0))
    return [b.trades for b in m.batches() if b.trades is not None and len(b.trades)]


def run(parts: list[OptionTradeBatch], agg: FlowAggregator | None = None) -> FlowAggregator:
    agg = agg or FlowAggregator()
    for b in parts:
        agg.update(b, int(b.ts_ns[-1]) + 1)
    return agg


def test_window_sums_match_a_brute_force_over_the_last_hour(batches):
    whole = OptionTradeBatch.concat(batches)
    now = (int(whole.ts_ns[-1]) // (60 * S) + 1) * 60 * S  # a bucket boundary
    agg = run(batches)
    got = agg.contracts(now_ns=now)
    keep = (whole.ts_ns >= now - HOUR) & ((whole.conditions & int(Condition.CANCEL)) == 0)
    df = whole.to_pandas()[keep]
    prem = df["price"] * df["size"] * 100.0
    assert got["prints"].sum() == len(df)
    assert got["contracts"].sum() == df["size"].sum()
    assert got["premium"].sum() == pytest.approx(prem.sum(), rel=1e-12)
    assert got["institutional_prints"].sum() == int((prem >= 250_000.0).sum())
    assert len(got) == len(df.groupby(["underlying", "expiry", "strike", "right"]))


def test_same_aggregates_whatever_the_split(batches):
    whole = OptionTradeBatch.concat(batches)
    ref = run([whole]).contracts()
    rng = np.random.default_rng(5)
    cuts = np.sort(rng.choice(np.arange(1, len(whole)), 300, replace=False))
    parts = [whole.take(slice(a, b)) for a, b in zip([0, *cuts], [*cuts, len(whole)],
                                                       strict=True)]
    got = run(parts).contracts(now_ns=int(whole.ts_ns[-1]) + 1)
    pd.testing.assert_frame_equal(got, ref)
    assert set(STAT_COLUMNS) < set(got.columns)


def test_snapshot_and_restore_mid_tape_gives_the_same_aggregates(batches):
    ref = run(batches)
    half = len(batches) // 2
    first = run(batches[:half])
    state = json.loads(json.dumps(first.snapshot()))
    second = run(batches[half:], FlowAggregator.restore(state, AggregateConfig()))
    pd.testing.assert_frame_equal(second.contracts(), ref.contracts())
    pd.testing.assert_frame_equal(second.summary(by=("underlying", "right")),
                                  ref.summary(by=("underlying", "right")))


def test_memory_is_bounded_by_the_window(batches):
    agg = run(batches)
    assert len(agg.snapshot()["buckets"]) <= 61
