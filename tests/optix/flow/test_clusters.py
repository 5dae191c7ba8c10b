import itertools
import json
from collections.abc import Sequence

import numpy as np
import pytest

from optix.core.enums import Condition
from optix.core.trades import OptionTradeBatch
from optix.data.synthetic import SyntheticMarket
from optix.data.synthetic.config import SyntheticConfig
from optix.data.synthetic.labels import Label
from optix.flow.clusters import (
    RepeatConfig,
    RepeatedHitsDetector,
    SweepConfig,
    SweepDetector,
    contract_keys,
)
from optix.flow.events import EventType, FlowEvent

T0 = 1_700_000_000_000_000_000
MS = 1_000_000
S = 1_000_000_000
Detector = SweepDetector | RepeatedHitsDetector


def tape(ts_ms: Sequence[float], *, price: float | Sequence[float] = 1.0,
         size: int | Sequence[int] = 100, venue: int | Sequence[int] = 1,
         bid: float | Sequence[float] = 0.95, ask: float | Sequence[float] = 1.0,
         cond: int | Sequence[int] = 0, strike: float | Sequence[float] = 100.0,
         right: int = 1, seq0: int = 1) -> OptionTradeBatch:
    n = len(ts_ms)

    def col(v: object) -> np.ndarray:
        return np.broadcast_to(np.asarray(v), (n,)).copy()

    return OptionTradeBatch.from_columns(
        ts_ns=T0 + np.round(np.asarray(ts_ms, dtype=np.float64) * MS).astype(np.int64),
        seq=np.arange(seq0, seq0 + n), underlying=np.full(n, "SPY"),
        expiry=np.full(n, "2030-01-18"), strike=col(strike), right=np.full(n, right),
        price=col(price), size=col(size), venue=col(venue), bid=col(bid), ask=col(ask),
        conditions=col(cond),
    )


def run(det: Detector, batches: Sequence[OptionTradeBatch]) -> list[FlowEvent]:
    out: list[FlowEvent] = []
    for b in batches:
        out += det.update(b, int(b.ts_ns[-1]) if len(b) else 0)
    return out + det.flush()


def sweeps(batch: OptionTradeBatch, config: SweepConfig | None = None) -> list[FlowEvent]:
    return run(SweepDetector(config), [batch])


def repeats(batch: OptionTradeBatch, config: RepeatConfig | None = None) -> list[FlowEvent]:
    return run(RepeatedHitsDetector(config), [batch])


# ------------------------------------------------------------------ sweep and split rules
def test_four_legs_on_two_venues_is_a_sweep_and_three_legs_is_nothing():
    four = sweeps(tape([0, 5, 10, 15], venue=[1, 2, 1, 2]))
    assert [(e.type, e.seqs, e.venues) for e in four] == [(EventType.SWEEP, (1, 2, 3, 4), (1, 2))]
    assert sweeps(tape([0, 5, 10], venue=[1, 2, 1])) == []


def test_one_venue_is_a_split_and_two_venues_a_sweep():
    assert [e.type for e in sweeps(tape([0, 5, 10, 15], venue=3))] == [EventType.SPLIT]
    assert [e.type for e in sweeps(tape([0, 5, 10, 15], venue=[3, 3, 3, 4]))] == [EventType.SWEEP]


def test_window_is_inclusive_at_two_seconds_and_misses_at_two_point_one():
    assert len(sweeps(tape([0, 500, 1000, 2000], venue=[1, 2, 1, 2]))) == 1
    assert sweeps(tape([0, 500, 1000, 2100], venue=[1, 2, 1, 2])) == []


def test_each_leg_needs_ten_thousand_dollars_and_one_leg_of_9999_spoils_the_cluster():
    assert len(sweeps(tape([0, 5, 10, 15], price=1.0, size=100, venue=[1, 2, 1, 2]))) == 1
    short = tape([0, 5, 10, 15], price=[1.0, 1.0, 0.99, 1.0], size=[100, 100, 101, 100],
                 ask=[1.0, 1.0, 0.99, 1.0], bid=0.9, venue=[1, 2, 1, 2])
    assert short.premium[2] < 10_000 <= short.premium[0]
    assert sweeps(short) == []
    # five prints, four of them large legs: the small one still spoils the cluster
    five = tape([0, 5, 10, 15, 20], price=[0.99, 1.0, 1.0, 1.0, 1.0], ask=[0.99, 1, 1, 1, 1],
                bid=0.9, size=[101, 100, 100, 100, 100], venue=[1, 2, 1, 2, 1])
    assert sweeps(five) == []


def test_legs_must_share_the_aggressive_side():
    # two bought at the ask, two sold at the bid: neither side has four legs
    mixed = tape([0, 5, 10, 15], price=[1.0, 0.95, 1.0, 0.95], venue=[1, 2, 1, 2])
    assert sweeps(mixed) == []
    sold = sweeps(tape([0, 5, 10, 15], price=0.95, size=200, venue=[1, 2, 1, 2], right=-1))
    assert [(e.side, e.sentiment) for e in sold] == [(-1, 1)]
    bought_put = sweeps(tape([0, 5, 10, 15], venue=[1, 2, 1, 2], right=-1))
    assert [(e.side, e.sentiment) for e in bought_put] == [(1, -1)]


def test_mid_and_canceled_prints_are_ignored_inside_a_sweep():
    batch = tape([0, 5, 7, 10, 12, 15], price=[1.0, 1.0, 0.975, 1.0, 1.0, 1.0],
                 size=[100, 100, 1, 100, 1, 100], venue=[1, 2, 1, 1, 2, 2],
                 cond=[0, 0, 0, 0, int(Condition.CANCEL), 0])
    assert [e.seqs for e in sweeps(batch)] == [(1, 2, 4, 6)]


def test_different_contracts_do_not_mix():
    batch = tape([0, 5, 10, 15], venue=[1, 2, 1, 2], strike=[100, 100, 105, 105])
    assert sweeps(batch) == []


def test_next_cluster_opens_after_the_window_of_the_first_print():
    # prints at 0..1.5 s then 2.5..2.8 s: two clusters, the second a sweep of its own
    batch = tape([0, 1500, 2500, 2600, 2700, 2800], venue=[1, 2, 1, 2, 1, 2])
    assert [e.seqs for e in sweeps(batch)] == [(3, 4, 5, 6)]


def test_iso_flag_and_through_the_quote_legs_raise_confidence():
    plain = sweeps(tape([0, 5, 10, 15], venue=[1, 2, 1, 2]))[0]
    iso = sweeps(tape([0, 5, 10, 15], venue=[1, 2, 1, 2], cond=int(Condition.ISO)))[0]
    through = sweeps(tape([0, 5, 10, 15], venue=[1, 2, 1, 2], price=1.02))[0]
    assert iso.detail["iso"] and not plain.detail["iso"]
    assert iso.confidence > plain.confidence
    assert through.confidence > plain.confidence
    assert through.detail["through_quote_legs"] == 4
    assert 0.0 <= plain.confidence <= 1.0


def test_event_fields():
    ev = sweeps(tape([0, 5, 10, 15], venue=[1, 2, 1, 2], size=[100, 200, 100, 100]))[0]
    assert ev.underlying == "SPY" and ev.strike == 100.0 and ev.right == 1
    assert str(ev.expiry) == "2030-01-18"
    assert ev.first_ts_ns == T0 and ev.last_ts_ns == T0 + 15 * MS
    assert ev.size == 500 and ev.premium == pytest.approx(50_000.0)
    assert ev.stream == "option" and ev.detail["legs"] == 4
    json.dumps(ev.as_dict())


def test_sweep_config_is_validated_and_thresholds_apply():
    with pytest.raises(ValueError):
        SweepConfig(min_legs=1)
    with pytest.raises(ValueError):
        SweepConfig(min_venues=1)
    with pytest.raises(ValueError):
        SweepConfig(window_s=0.0)
    with pytest.raises(ValueError):
        SweepConfig(min_leg_premium=float("nan"))
    cfg = SweepConfig(min_legs=3, min_venues=3)
    assert sweeps(tape([0, 5, 10], venue=[1, 2, 3]), cfg)[0].type is EventType.SWEEP
    assert sweeps(tape([0, 5, 10], venue=[1, 2, 1]), cfg) == []  # two venues: neither


# ------------------------------------------------------------------ repeated hits
def hits(n: int, span_ms: float = 50.0, total: float = 30_000.0,
         **kw: object) -> OptionTradeBatch:
    ts = np.linspace(0.0, span_ms, n)
    size = np.full(n, round(total / n / 100 / 0.5))
    return tape(list(ts), price=0.5, ask=0.5, bid=0.45, size=list(size), **kw)  # type: ignore[arg-type]


def test_six_hits_are_repeated_hits_and_five_are_not():
    six = repeats(hits(6))
    assert [(e.type, e.seqs) for e in six] == [(EventType.REPEATED_HITS, (1, 2, 3, 4, 5, 6))]
    assert repeats(hits(5)) == []


def test_repeat_window_is_inclusive_at_100_ms_and_misses_at_110_ms():
    assert len(repeats(hits(6, span_ms=100.0))) == 1
    assert repeats(hits(6, span_ms=110.0)) == []


def test_repeat_premium_of_25000_counts_and_24999_does_not():
    at = tape([0, 10, 20, 30, 40, 50], price=0.5, ask=0.5, bid=0.45,
              size=[84, 84, 83, 83, 83, 83])
    assert at.premium.sum() == pytest.approx(25_000.0)
    assert len(repeats(at)) == 1
    under = tape([0, 10, 20, 30, 40, 50], price=[0.5, 0.5, 0.5, 0.5, 0.5, 0.49],
                 ask=[0.5] * 5 + [0.49], bid=0.4, size=[84, 84, 83, 83, 83, 51])
    assert under.premium.sum() < 25_000
    assert repeats(under) == []


def test_repeats_take_the_whole_window_and_need_one_side():
    eight = repeats(hits(8, span_ms=90.0))
    assert [len(e.seqs) for e in eight] == [8]
    assert eight[0].detail["hits"] == 8
    mixed = tape([0, 10, 20, 30, 40, 50], price=[0.5, 0.45] * 3, ask=0.5, bid=0.45, size=200)
    assert repeats(mixed) == []


def test_repeat_window_slides_to_the_first_start_that_qualifies():
    # a lone print, then six hits starting 60 ms later: the first window holds 4, the next 6
    batch = tape([0, 60, 80, 100, 120, 140, 150], price=0.5, ask=0.5, bid=0.45, size=200)
    assert [e.seqs for e in repeats(batch)] == [(2, 3, 4, 5, 6, 7)]


def test_repeat_config_is_validated():
    with pytest.raises(ValueError):
        RepeatConfig(min_hits=1)
    with pytest.raises(ValueError):
        RepeatConfig(window_s=-1.0)
    with pytest.raises(ValueError):
        RepeatConfig(min_premium=-5.0)
    assert len(repeats(hits(5), RepeatConfig(min_hits=5))) == 1


# ------------------------------------------------------------------ keys
def test_contract_keys_separate_contracts_and_sides():
    b = tape([0, 1, 2, 3, 4], strike=[100, 100, 105, 100, 100], price=[1, 1, 1, 0.95, 1])
    b2 = tape([0], seq0=9)
    k = contract_keys(b, [1, 1, 1, -1, 1])
    assert k[0] == k[1] == k[4] != k[2] and k[3] != k[0]
    assert contract_keys(b2, [1])[0] == k[0]
    assert contract_keys(b)[0] != k[0]


# ------------------------------------------------------------------ synthetic market
@pytest.fixture(scope="module")
def market() -> tuple[OptionTradeBatch, list[Label]]:
    cfg = SyntheticConfig(n_symbols=50, seed=11, chain_every_s=None, block_seconds=300.0,
                          batch_seconds=300.0)
    batches = list(SyntheticMarket(cfg).batches())
    trades = OptionTradeBatch.concat([b.trades for b in batches if b.trades is not None])
    return trades, [lab for b in batches for lab in b.labels]


def random_split(trades: OptionTradeBatch, n: int, seed: int) -> list[OptionTradeBatch]:
    cuts = np.sort(np.random.default_rng(seed).integers(0, len(trades), n))
    edges = [0, *cuts.tolist(), len(trades)]
    return [trades.take(slice(a, b)) for a, b in itertools.pairwise(edges)]


def keyset(events: list[FlowEvent]) -> list[tuple[object, ...]]:
    return sorted((e.type.value, e.seqs, e.confidence, e.premium, e.venues) for e in events)


@pytest.mark.parametrize("make", [SweepDetector, RepeatedHitsDetector])
def test_synthetic_events_do_not_depend_on_how_the_tape_is_split(market, make):
    trades, _ = market
    whole = keyset(run(make(), [trades]))
    assert whole
    for seed in (1, 2):
        assert keyset(run(make(), random_split(trades, 300, seed))) == whole


@pytest.mark.parametrize("make", [SweepDetector, RepeatedHitsDetector])
def test_snapshot_and_restore_mid_tape_give_the_same_events(market, make):
    trades, _ = market
    parts = random_split(trades, 40, 3)
    whole = keyset(run(make(), parts))
    det = make()
    got: list[FlowEvent] = []
    for i, p in enumerate(parts):
        if i in (7, 21):
            state = json.loads(json.dumps(det.snapshot()))
            det = make.restore(state, None)
        got += det.update(p, int(p.ts_ns[-1]) if len(p) else 0)
    got += det.flush()
    assert keyset(got) == whole


def test_precision_and_recall_against_the_labels(market):
    trades, labels = market
    parts = random_split(trades, 50, 4)
    events = run(SweepDetector(), parts) + run(RepeatedHitsDetector(), parts)
    for kind in ("sweep", "split", "repeated_hits"):
        truth = {lab.seqs for lab in labels if lab.kind is not None and lab.kind.value == kind}
        found = [e.seqs for e in events if e.type.value == kind]
        assert len(found) == len(set(found))
        tp = len(truth & set(found))
        assert len(truth) >= 30, kind
        assert tp / len(found) >= 0.99, kind
        assert tp / len(truth) >= 0.99, kind


def test_contract_keys_do_not_depend_on_the_string_width_of_the_column():
    narrow = tape([0], seq0=1)
    wide_under = np.array(["SPY"], dtype="<U8")
    wide = OptionTradeBatch.from_columns(
        ts_ns=narrow.ts_ns, seq=narrow.seq, underlying=wide_under, expiry=narrow.expiry,
        strike=narrow.strike, right=narrow.right, price=narrow.price, size=narrow.size,
        venue=narrow.venue, bid=narrow.bid, ask=narrow.ask, conditions=narrow.conditions)
    assert narrow.underlying.dtype != wide.underlying.dtype
    assert contract_keys(narrow)[0] == contract_keys(wide)[0]
