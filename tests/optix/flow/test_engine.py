import datetime as dt
import json

import numpy as np
import pytest

from optix.core.equities import EquityPrintBatch
from optix.core.trades import OptionTradeBatch
from optix.data.synthetic import SyntheticConfig, SyntheticMarket
from optix.flow.engine import FlowEngine
from optix.flow.side import aggressor, classify_side

KINDS = ("sweep", "split", "repeated_hits", "block", "unusual_volume", "dark_pool", "spread")


@pytest.fixture(scope="module")
def feed():
    market = SyntheticMarket(SyntheticConfig(n_symbols=50, seed=21, start=dt.date(2024, 3, 5),
                                             chain_every_s=None, batch_seconds=5.0))
    return list(market.batches())


@pytest.fixture(scope="module")
def whole(feed):
    return _run(feed)


def _run(batches, engine=None):
    engine = engine or FlowEngine()
    events = []
    for b in batches:
        events += engine.update(b.trades, b.end_ns, equities=b.equities, reference=b.reference)
    return events + engine.flush(), engine


def _merge(batches, size):
    """Regroup consecutive feed batches ``size`` at a time (a coarser cut of the same tape)."""
    out = []
    for i in range(0, len(batches), size):
        group = batches[i:i + size]
        trades = [b.trades for b in group if b.trades is not None and len(b.trades)]
        eqs = [b.equities for b in group if b.equities is not None and len(b.equities)]
        refs = [b.reference for b in group if b.reference is not None]
        out.append(type(group[0])(
            offset=group[0].offset, start_ns=group[0].start_ns, end_ns=group[-1].end_ns,
            trades=OptionTradeBatch.concat(trades) if trades else None,
            equities=EquityPrintBatch.concat(eqs) if eqs else None,
            reference=refs[-1] if refs else None))
    return out


def _keys(events):
    return sorted((e.type.value, e.seqs, e.premium, e.confidence, e.detail.get("opening"),
                   e.detail.get("day_volume")) for e in events)


def test_every_detector_agrees_with_the_synthetic_labels(feed, whole):
    events, engine = whole
    labels = [lab for b in feed for lab in b.labels]
    for kind in KINDS:
        truth = {lab.seqs for lab in labels if lab.kind is not None and lab.kind.value == kind}
        found = [e.seqs for e in events if e.type.value == kind]
        assert len(truth) >= 10, kind
        tp = len(truth & set(found))
        assert tp / len(found) >= 0.99, kind
        assert tp / len(truth) >= 0.99, kind
    assert engine.stats.trades == sum(len(b.trades) for b in feed if b.trades is not None)
    assert sum(engine.stats.events.values()) == len(events)


def test_events_do_not_depend_on_how_the_tape_is_batched(feed, whole):
    for size in (7, 60):
        assert _keys(_run(_merge(feed, size))[0]) == _keys(whole[0])


def test_snapshot_through_json_and_restore_mid_tape_gives_the_same_events(feed, whole):
    engine = FlowEngine()
    events = []
    for i, b in enumerate(feed):
        if i in (len(feed) // 3, 2 * len(feed) // 3):
            engine = FlowEngine.restore(json.loads(json.dumps(engine.snapshot())))
        events += engine.update(b.trades, b.end_ns, equities=b.equities, reference=b.reference)
    events += engine.flush()
    assert _keys(events) == _keys(whole[0])


def test_bad_rows_are_rejected_and_counted_and_the_rest_of_the_batch_goes_on(feed):
    batch = next(b for b in feed if b.trades is not None and len(b.trades) > 50)
    trades = batch.trades
    size = trades.size.copy()
    price = trades.price.copy()
    size[3] = -5
    price[7] = np.nan
    cols = {f: getattr(trades, f) for f in ("ts_ns", "seq", "underlying", "expiry", "strike",
                                            "right", "venue", "bid", "ask", "conditions")}
    broken = OptionTradeBatch.from_columns(size=size, price=price, **cols)
    engine = FlowEngine()
    engine.update(broken, batch.end_ns)
    assert sum(engine.stats.rejected.values()) == 2
    assert engine.stats.trades == len(trades) - 2


def test_prints_without_a_quote_count_without_a_side(feed):
    batch = next(b for b in feed if b.trades is not None and len(b.trades) > 50)
    trades = batch.trades
    bid, ask = trades.bid.copy(), trades.ask.copy()
    bid[:10] = np.nan
    ask[:10] = np.nan
    cols = {f: getattr(trades, f) for f in ("ts_ns", "seq", "underlying", "expiry", "strike",
                                            "right", "venue", "size", "price", "conditions")}
    engine = FlowEngine()
    engine.update(OptionTradeBatch.from_columns(bid=bid, ask=ask, **cols), batch.end_ns)
    engine.flush()
    assert sum(engine.stats.rejected.values()) == 0
    assert engine.stats.trades == len(trades)
    agg = engine.aggregator.contracts(batch.end_ns)
    assert int(agg["contracts"].sum()) == int(trades.size.sum())
    base = FlowEngine()
    base.update(trades, batch.end_ns)
    ref = base.aggregator.contracts(batch.end_ns)
    sided = aggressor(classify_side(trades.price[:10], trades.bid[:10], trades.ask[:10],
                                    trades.conditions[:10])) != 0
    assert sided.any()

    def sided_total(df):
        return int(df["bought_contracts"].sum() + df["sold_contracts"].sum())

    assert sided_total(ref) - sided_total(agg) == int(trades.size[:10][sided].sum())


def test_alerts_carry_scores_severities_and_ids_that_replay_identically(feed):
    first, _ = _run(feed[:200])
    again, _ = _run(feed[:200])
    a = FlowEngine().score(first)
    b = FlowEngine().score(again)
    assert [x.alert_id for x in a] == [x.alert_id for x in b]
    assert len({x.alert_id for x in a}) == len(a)
    assert all(0.0 <= x.score <= 100.0 for x in a)


def test_the_engine_side_config_reaches_every_component():
    from optix.flow.engine import FlowConfig
    from optix.flow.side import SideConfig

    cfg = FlowEngine(FlowConfig(side=SideConfig(quote_tolerance=0.01))).config
    for part in (cfg.block, cfg.unusual_volume, cfg.aggregate, cfg.positioning):
        assert part.side.quote_tolerance == 0.01


def test_a_batch_straddling_new_york_midnight_ends_the_old_session_first():
    late = int(np.datetime64("2024-03-05T04:59:00", "ns").astype(np.int64))  # 23:59 NY
    early = int(np.datetime64("2024-03-05T05:01:00", "ns").astype(np.int64))  # 00:01 NY

    def batch(rows):
        return OptionTradeBatch.from_columns(
            ts_ns=[r[0] for r in rows], seq=[r[1] for r in rows], underlying=["AAA"] * len(rows),
            expiry=["2024-06-21"] * len(rows), strike=[r[2] for r in rows],
            right=[1] * len(rows), price=[1.0] * len(rows), size=[10] * len(rows),
            venue=["XCBO"] * len(rows), bid=[0.9] * len(rows), ask=[1.0] * len(rows))

    one = FlowEngine()
    one.update(batch([(late, 1, 100.0), (early, 2, 105.0)]), early + 1)
    two = FlowEngine()
    two.update(batch([(late, 1, 100.0)]), late + 1)
    two.update(batch([(early, 2, 105.0)]), early + 1)
    assert one.positioning.n_contracts == two.positioning.n_contracts == 1
