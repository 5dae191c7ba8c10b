import datetime as dt
import itertools
import json
from collections.abc import Sequence

import numpy as np
import pytest

from optix.core.trades import OptionTradeBatch
from optix.flow.events import EventType, FlowEvent
from optix.flow.patterns import Pattern, PatternConfig, PatternDetector

S = 1_000_000_000
T0 = 1_700_000_040 * S  # a minute boundary
M = 60 * S


def tape(ts_s: Sequence[float], *, price: float | Sequence[float] = 10.0,
         size: int | Sequence[int] = 100, right: int | Sequence[int] = 1,
         bid: float | Sequence[float] = 9.9, ask: float | Sequence[float] = 10.0,
         under: str | Sequence[str] = "SPY", cond: int = 0, seq0: int = 1) -> OptionTradeBatch:
    n = len(ts_s)

    def col(v: object) -> np.ndarray:
        return np.broadcast_to(np.asarray(v), (n,)).copy()

    return OptionTradeBatch.from_columns(
        ts_ns=T0 + np.round(np.asarray(ts_s, dtype=np.float64) * S).astype(np.int64),
        seq=np.arange(seq0, seq0 + n), underlying=col(under), expiry=np.full(n, "2030-01-18"),
        strike=np.full(n, 100.0), right=col(right), price=col(price), size=col(size),
        venue=np.full(n, 1), bid=col(bid), ask=col(ask), conditions=np.full(n, cond))


def run(det: PatternDetector, batches: Sequence[OptionTradeBatch],
        events: Sequence[Sequence[FlowEvent]] = ()) -> list[FlowEvent]:
    out: list[FlowEvent] = []
    for i, b in enumerate(batches):
        evs = list(events[i]) if i < len(events) else []
        out += det.update(b, int(b.ts_ns[-1]) + 1 if len(b) else 0, evs)
    return out + det.flush()


def patterns(batch: OptionTradeBatch, config: PatternConfig | None = None) -> list[str]:
    return [e.detail["pattern"] for e in run(PatternDetector(config), [batch])]


CB = Pattern.CALL_BUYING.value


# ------------------------------------------------------------------ aggressive buying
def test_five_call_buys_of_100000_are_call_buying_and_four_are_not():
    assert patterns(tape([1, 2, 3, 4, 5])) == [CB]  # 5 x $100,000 at the ask
    assert patterns(tape([1, 2, 3, 4])) == []


def test_call_buying_premium_edge_500000_vs_499999():
    assert patterns(tape([1, 2, 3, 4, 5], size=[100, 100, 100, 100, 100])) == [CB]
    short = tape([1, 2, 3, 4, 5], price=[10.0, 10.0, 10.0, 10.0, 9.9999],
                 ask=[10.0, 10.0, 10.0, 10.0, 9.9999])
    assert short.premium.sum() < 500_000
    assert patterns(short) == []


def test_call_buying_share_edge_seventy_percent():
    # $500,000 bought calls against $214,286 of sold calls: 70.0% ... and just under
    buys = [1, 2, 3, 4, 5]
    ok = tape([*buys, 6], price=[10.0] * 5 + [9.9], bid=9.9, size=[100] * 5 + [216])
    assert 500_000 / ok.premium.sum() >= 0.70
    assert patterns(ok) == [CB]
    bad = tape([*buys, 6], price=[10.0] * 5 + [9.9], bid=9.9, size=[100] * 5 + [217])
    assert 500_000 / bad.premium.sum() < 0.70
    assert patterns(bad) == []


def test_put_buying_event_is_bearish_and_names_the_prints():
    (ev,) = run(PatternDetector(), [tape([1, 2, 3, 4, 5], right=-1, size=200)])
    assert ev.detail["pattern"] == Pattern.PUT_BUYING.value
    assert (ev.sentiment, ev.side, ev.right, ev.seqs) == (-1, 1, -1, (1, 2, 3, 4, 5))
    assert ev.premium == 1_000_000 and ev.detail["window_end_ns"] == T0 + M


def test_mid_and_canceled_prints_are_not_aggressive():
    assert patterns(tape([1, 2, 3, 4, 5], price=9.95)) == []
    assert patterns(tape([1, 2, 3, 4, 5], cond=32)) == []


def test_window_is_fifteen_minutes():
    # five buys spread over 14 minutes fire; spread over 15+ minutes never all in one window
    assert patterns(tape([0, 200, 400, 600, 14 * 60 + 59])) == [CB]
    assert patterns(tape([0, 225, 450, 675, 15 * 60])) == []


def test_fires_once_per_window_then_again_after_it_rolls():
    first = [1, 2, 3, 4, 5]
    again = [16 * 60 + t for t in first]
    evs = run(PatternDetector(), [tape([*first, 100, 200], size=100), tape(again, seq0=8)])
    ends = [(e.detail["window_end_ns"] - T0) // M for e in evs]
    assert ends == [1, 17]


# ------------------------------------------------------------------ institutional
def test_institutional_edge_250000_vs_249999():
    ok = tape([1], price=25.0, ask=25.0, bid=24.9, size=100)
    assert patterns(ok) == [Pattern.INSTITUTIONAL.value]
    short = tape([1], price=24.9999, ask=25.0, bid=24.9, size=100)
    assert patterns(short) == []  # and a mid print still counts when large enough
    mid = tape([1], price=24.95, ask=30.0, bid=20.0, size=120)
    assert patterns(mid) == [Pattern.INSTITUTIONAL.value]


# ------------------------------------------------------------------ unusual-volume cluster
def uv(under: str, strike: float, ts: int, seqs: tuple[int, ...]) -> FlowEvent:
    return FlowEvent(EventType.UNUSUAL_VOLUME, under, dt.date(2030, 1, 18), strike, 1, ts, ts,
                     seqs, "option", (1,), 10, 1000.0, 1, 1, 0.6)


def test_two_contracts_with_unusual_volume_cluster_and_one_does_not():
    small = tape([1, 600], size=1)
    two = run(PatternDetector(), [small], [[uv("SPY", 100, T0 + S, (1,)),
                                            uv("SPY", 105, T0 + 300 * S, (7, 8))]])
    assert [(e.detail["pattern"], e.seqs, e.type) for e in two] == [
        (Pattern.UNUSUAL_VOLUME_CLUSTER.value, (1, 7, 8), EventType.PATTERN)]
    same = run(PatternDetector(), [small], [[uv("SPY", 100, T0 + S, (1,)),
                                             uv("SPY", 100, T0 + 300 * S, (7,))]])
    assert same == []
    other = run(PatternDetector(), [small], [[uv("SPY", 100, T0 + S, (1,)),
                                              uv("QQQ", 105, T0 + 300 * S, (7,))]])
    assert other == []


def test_cluster_waits_for_the_settle_time():
    det = PatternDetector()
    evs = [uv("SPY", 100, T0 + S, (1,)), uv("SPY", 105, T0 + 2 * S, (2,))]
    assert det.update(tape([1, 2], size=1), T0 + M + 119 * S, evs) == []
    assert len(det.update(None, T0 + M + 120 * S)) == 1


def test_config_validation():
    with pytest.raises(ValueError):
        PatternConfig(window_s=100.0, step_s=60.0)
    with pytest.raises(ValueError):
        PatternConfig(buying_min_share=1.5)


# ------------------------------------------------------------------ split and restore
def random_tape(seed: int) -> OptionTradeBatch:
    rng = np.random.default_rng(seed)
    n = 4000
    ts = np.sort(rng.uniform(0, 3 * 3600, n))
    price = rng.choice([5.0, 10.0, 30.0], n)
    side = rng.choice([0, 1, 2], n, p=[0.3, 0.55, 0.15])
    bid = price - np.where(side == 1, 0.1, np.where(side == 0, 0.0, 0.05))
    ask = price + np.where(side == 0, 0.1, np.where(side == 2, 0.05, 0.0))
    return OptionTradeBatch.from_columns(
        ts_ns=T0 + (ts * S).astype(np.int64), seq=np.arange(n),
        underlying=rng.choice(["SPY", "QQQ", "AAPL"], n), expiry=np.full(n, "2030-01-18"),
        strike=np.full(n, 100.0), right=rng.choice([1, -1], n, p=[0.7, 0.3]), price=price,
        size=rng.integers(1, 200, n), venue=np.full(n, 1), bid=bid, ask=ask,
        conditions=np.zeros(n, dtype=np.uint32))


def split(trades: OptionTradeBatch, n: int, seed: int) -> list[OptionTradeBatch]:
    cuts = np.sort(np.random.default_rng(seed).integers(0, len(trades), n))
    edges = [0, *cuts.tolist(), len(trades)]
    return [trades.take(slice(a, b)) for a, b in itertools.pairwise(edges)]


def keyset(events: list[FlowEvent]) -> list[tuple[object, ...]]:
    return sorted((e.detail["pattern"], e.underlying, e.seqs, e.premium, e.confidence)
                  for e in events)


def test_patterns_do_not_depend_on_how_the_tape_is_split():
    trades = random_tape(5)
    whole = keyset(run(PatternDetector(), [trades]))
    assert {p for p, *_ in whole} >= {CB, Pattern.INSTITUTIONAL.value}
    for seed in (1, 2, 3):
        assert keyset(run(PatternDetector(), split(trades, 200, seed))) == whole


def test_snapshot_and_restore_mid_tape_give_the_same_patterns():
    trades = random_tape(6)
    parts = split(trades, 30, 7)
    whole = keyset(run(PatternDetector(), parts))
    det = PatternDetector()
    got: list[FlowEvent] = []
    for i, p in enumerate(parts):
        if i in (5, 17):
            det = PatternDetector.restore(json.loads(json.dumps(det.snapshot())), None)
        got += det.update(p, int(p.ts_ns[-1]) + 1 if len(p) else 0)
    got += det.flush()
    assert keyset(got) == whole


def test_memory_is_bounded_by_the_window():
    det = PatternDetector()
    run(det, split(random_tape(8), 20, 1))
    state = det.snapshot()
    assert len(state["minutes"]) <= 16


# ------------------------------------------------------------------ caps for busy underlyings
def test_event_lists_at_most_max_event_prints_the_largest_with_exact_sums():
    sizes = [100, 150, 120, 240, 110, 200, 130]  # calls bought at the ask, $10: none institutional
    cfg = PatternConfig(max_event_prints=3)
    (ev,) = run(PatternDetector(cfg), [tape(range(1, 8), size=sizes)])
    assert ev.seqs == (2, 4, 6)  # $240k, $200k, $150k, in time order
    assert ev.detail["prints"] == 3 and ev.detail["prints_total"] == 7
    assert ev.premium == 10.0 * 100 * sum(sizes) and ev.size == sum(sizes)
    (full,) = run(PatternDetector(), [tape(range(1, 8), size=sizes)])
    assert (full.premium, full.size, full.confidence) == (ev.premium, ev.size, ev.confidence)
    assert full.detail["prints"] == full.detail["prints_total"] == 7


def test_cap_edge_n_prints_listed_whole_and_n_plus_one_cut():
    cfg = PatternConfig(max_event_prints=5)
    (ev,) = run(PatternDetector(cfg), [tape([1, 2, 3, 4, 5])])
    assert ev.seqs == (1, 2, 3, 4, 5) and ev.detail["prints_total"] == 5
    (ev,) = run(PatternDetector(cfg), [tape([1, 2, 3, 4, 5, 6])])  # equal premiums: lower seq
    assert ev.seqs == (1, 2, 3, 4, 5) and ev.detail["prints_total"] == 6
    assert ev.premium == 600_000


def test_institutional_sums_stay_exact_under_the_cap():
    # three $300k prints bought and one $400k sold: listed only the largest, tilt from all
    t = tape([1, 2, 3, 4], price=[30.0, 30.0, 30.0, 40.0], bid=[29.9, 29.9, 29.9, 40.0],
             ask=[30.0, 30.0, 30.0, 40.1], right=-1)
    (ev,) = run(PatternDetector(PatternConfig(max_event_prints=1)), [t])
    assert ev.detail["pattern"] == Pattern.INSTITUTIONAL.value
    assert ev.seqs == (4,) and ev.detail["prints_total"] == 4
    assert ev.premium == 1_300_000 and ev.size == 400 and ev.sentiment == -1  # puts bought


def busy_tape(n: int, seed: int = 0) -> OptionTradeBatch:
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.uniform(0, 40 * 60, n))
    return tape(ts.tolist(), size=rng.integers(1, 400, n).tolist(),
                right=rng.choice([1, -1], n).tolist(),
                price=rng.choice([10.0, 30.0], n).tolist(),
                ask=30.0, bid=1.0)  # at 10: mid; at 30: at the ask


def test_stored_prints_are_bounded_for_a_busy_underlying():
    cfg = PatternConfig(max_event_prints=4)
    det = PatternDetector(cfg)
    evs = run(det, split(busy_tape(20_000), 50, 3)[:-1])
    assert any(e.detail["prints_total"] > 4 for e in evs)
    assert all(len(e.seqs) <= 4 for e in evs)
    state = det.snapshot()
    assert len(state["rows"]["ts"]) <= 3 * cfg.steps * cfg.max_event_prints
    assert len(PatternDetector().snapshot()["rows"]["ts"]) == 0


@pytest.mark.parametrize("cap", [1, 3, 1000])
def test_capped_patterns_do_not_depend_on_split_or_restore(cap):
    cfg = PatternConfig(max_event_prints=cap)
    trades = random_tape(9)
    whole = keyset(run(PatternDetector(cfg), [trades]))
    totals = sorted(e.detail["prints_total"] for e in run(PatternDetector(cfg), [trades]))
    assert whole and (cap == 1000 or totals[-1] > cap)
    for seed in (1, 2):
        assert keyset(run(PatternDetector(cfg), split(trades, 300, seed))) == whole
    det, got = PatternDetector(cfg), []
    for i, p in enumerate(split(trades, 40, 5)):
        if i % 7 == 3:
            det = PatternDetector.restore(json.loads(json.dumps(det.snapshot())), cfg)
        got += det.update(p, int(p.ts_ns[-1]) + 1 if len(p) else 0)
    assert keyset(got + det.flush()) == whole


def test_max_event_prints_is_validated():
    with pytest.raises(ValueError):
        PatternConfig(max_event_prints=0)


def test_a_batch_spanning_weeks_keeps_only_the_minutes_that_printed():
    import numpy as np

    from optix.core.trades import OptionTradeBatch
    from optix.flow.patterns import PatternDetector

    t0 = int(np.datetime64("2024-03-04T15:00:00", "ns").astype(np.int64))
    far = t0 + 60 * 86_400 * 1_000_000_000  # sixty days later, same batch
    batch = OptionTradeBatch.from_columns(
        ts_ns=[t0, far], seq=[1, 2], underlying=["AAA", "AAA"], expiry=["2024-06-21"] * 2,
        strike=[100.0, 100.0], right=[1, 1], price=[5.0, 5.0], size=[1000, 1000],
        venue=["XCBO", "XCBO"], bid=[4.9, 4.9], ask=[5.0, 5.0])
    det = PatternDetector()
    det.update(batch, far + 1, [])
    assert len(det._minutes) <= 2
