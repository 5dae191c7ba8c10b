import itertools
import json
import math
from collections.abc import Sequence

import numpy as np
import pytest

from optix.core.enums import Condition
from optix.core.trades import OptionTradeBatch
from optix.data.synthetic import SyntheticMarket
from optix.data.synthetic.config import SyntheticConfig
from optix.data.synthetic.labels import Label
from optix.flow.clusters import symbol_keys
from optix.flow.events import EventType, FlowEvent
from optix.flow.spreads import SpreadConfig, SpreadDetector, spread_structure

T0 = 1_700_000_000_000_000_000
MS = 1_000_000
ML = int(Condition.MULTI_LEG)


def tape(ts_ms: Sequence[float], *, price: float | Sequence[float] = 1.0,
         size: int | Sequence[int] = 100, venue: int | Sequence[int] = 1,
         bid: float | Sequence[float] = 0.95, ask: float | Sequence[float] = 1.0,
         cond: int | Sequence[int] = ML, strike: float | Sequence[float] = (100.0, 105.0),
         right: int | Sequence[int] = 1, under: str | Sequence[str] = "SPY",
         expiry: str | Sequence[str] = "2030-01-18", seq0: int = 1) -> OptionTradeBatch:
    n = len(ts_ms)

    def col(v: object) -> np.ndarray:
        a = np.asarray(v)
        if a.ndim and a.shape[0] != n:
            a = np.resize(a, n)
        return np.broadcast_to(a, (n,)).copy()

    return OptionTradeBatch.from_columns(
        ts_ns=T0 + np.round(np.asarray(ts_ms, dtype=np.float64) * MS).astype(np.int64),
        seq=np.arange(seq0, seq0 + n), underlying=col(under), expiry=col(expiry),
        strike=col(strike), right=col(right), price=col(price), size=col(size),
        venue=col(venue), bid=col(bid), ask=col(ask), conditions=col(cond),
    )


def run(det: SpreadDetector, batches: Sequence[OptionTradeBatch]) -> list[FlowEvent]:
    out: list[FlowEvent] = []
    for b in batches:
        out += det.update(b, int(b.ts_ns[-1]) if len(b) else 0)
    return out + det.flush()


def spreads(batch: OptionTradeBatch, config: SpreadConfig | None = None) -> list[FlowEvent]:
    return run(SpreadDetector(config), [batch])


# ------------------------------------------------------------------ flagged legs
def test_two_flagged_legs_on_two_contracts_are_a_spread_and_one_leg_is_not():
    ev = spreads(tape([0, 0.1], price=[1.0, 0.95]))
    assert [(e.type, e.seqs, e.side) for e in ev] == [(EventType.SPREAD, (1, 2), 0)]
    assert ev[0].detail["flagged"] and ev[0].detail["structure"] == "vertical"
    assert spreads(tape([0])) == []


def test_flagged_legs_on_one_contract_are_not_a_spread():
    assert spreads(tape([0, 0.1], strike=100.0)) == []


def test_flagged_window_is_inclusive_at_one_second_and_misses_at_one_point_one():
    assert [e.seqs for e in spreads(tape([0, 1000]))] == [(1, 2)]
    assert spreads(tape([0, 1100])) == []


def test_flagged_legs_on_different_venues_or_underlyings_do_not_mix():
    assert spreads(tape([0, 0.1], venue=[1, 2])) == []
    assert spreads(tape([0, 0.1], under=["SPY", "QQQ"])) == []


def test_flagged_legs_need_no_side_but_canceled_late_and_oos_legs_are_ignored():
    mid = tape([0, 0.1], price=0.975)
    assert len(spreads(mid)) == 1
    for flag in (Condition.CANCEL, Condition.LATE, Condition.OUT_OF_SEQUENCE):
        assert spreads(tape([0, 0.1], cond=[ML, ML | int(flag)])) == []


def test_flagged_min_premium_edge():
    cfg = SpreadConfig(flagged_min_premium=20_000.0)
    assert len(spreads(tape([0, 0.1]), cfg)) == 1  # 2 x $10,000
    assert spreads(tape([0, 0.1], price=[1.0, 0.9999], ask=[1.0, 0.9999]), cfg) == []


def test_iron_condor_structure_side_and_sentiment():
    batch = tape([0, 0.05, 0.1, 0.15], strike=[90, 95, 105, 110], right=[-1, -1, 1, 1],
                 price=[1.0, 0.95, 0.95, 1.0])
    (ev,) = spreads(batch)
    assert ev.detail["structure"] == "iron_condor"
    assert ev.seqs == (1, 2, 3, 4) and ev.side == 0 and ev.right == 0
    assert math.isnan(ev.strike) and ev.expiry is not None
    rr = spreads(tape([0, 0.1], strike=[95, 105], right=[-1, 1], price=[0.95, 1.0]))
    assert [(e.detail["structure"], e.sentiment) for e in rr] == [("risk_reversal", 1)]


def test_calendar_has_no_common_expiry():
    (ev,) = spreads(tape([0, 0.1], strike=100.0, expiry=["2030-01-18", "2030-02-15"]))
    assert ev.expiry is None and ev.detail["structure"] == "calendar"


def test_structure_names():
    e = np.array([1, 1, 1])
    assert spread_structure(e, np.array([1.0, 2.0, 3.0]), np.array([1, 1, 1], np.int8),
                            np.array([1, -1, 1], np.int8)) == "butterfly"
    assert spread_structure(e[:2], np.array([1.0, 1.0]), np.array([1, -1], np.int8),
                            np.array([1, 1], np.int8)) == "straddle"


# ------------------------------------------------------------------ unflagged legs
def test_unflagged_opposite_legs_within_one_second_are_a_spread():
    batch = tape([0, 1000], price=[1.0, 0.95], size=[100, 106], cond=0, bid=0.95)
    assert batch.premium[1] >= 10_000
    # sizes differ: not paired; equal sizes: a spread
    assert spreads(batch) == []
    ev = spreads(tape([0, 1000], price=[1.0, 0.95], size=200, cond=0))
    assert [(e.seqs, e.detail["flagged"]) for e in ev] == [((1, 2), False)]
    assert spreads(tape([0, 1100], price=[1.0, 0.95], size=200, cond=0)) == []


def test_unflagged_legs_need_opposite_sides():
    assert spreads(tape([0, 10], price=1.0, size=200, cond=0)) == []
    assert spreads(tape([0, 10], price=[1.0, 0.975], size=200, cond=0)) == []  # mid leg


def test_unflagged_leg_premium_edge_ten_thousand_vs_9999():
    ok = tape([0, 10], price=[1.0, 0.5], bid=[0.95, 0.5], ask=[1.0, 0.55], size=200, cond=0)
    assert ok.premium.min() == 10_000
    assert len(spreads(ok)) == 1
    short = tape([0, 10], price=[1.0, 0.49995], bid=[0.95, 0.49995], ask=[1.0, 0.55],
                 size=200, cond=0)
    assert short.premium.min() < 10_000
    assert spreads(short) == []
    assert spreads(ok, SpreadConfig(unflagged=False)) == []


def test_config_validation():
    with pytest.raises(ValueError):
        SpreadConfig(window_s=0)
    with pytest.raises(ValueError):
        SpreadConfig(min_legs=1)
    with pytest.raises(ValueError):
        SpreadConfig(min_contracts=3)


def test_symbol_keys_are_stable_and_distinct():
    a = symbol_keys(np.array(["SPY", "QQQ", "SPY"]))
    b = symbol_keys(np.array(["SPY", "QQQQQ"]))
    assert a[0] == a[2] == b[0] and a[1] != a[0] and b[1] != a[1]


def test_open_cluster_waits_for_its_window_to_pass():
    det = SpreadDetector()
    assert det.update(tape([0, 0.1]), T0 + 500 * MS) == []
    assert len(det.update(tape([], seq0=3), T0 + 1001 * MS)) == 1
    assert det.flush() == []


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
    return sorted((e.seqs, e.confidence, e.premium, e.venues, e.detail["structure"])
                  for e in events)


def test_synthetic_spreads_do_not_depend_on_how_the_tape_is_split(market):
    trades, _ = market
    whole = keyset(run(SpreadDetector(), [trades]))
    assert whole
    for seed in (1, 2):
        assert keyset(run(SpreadDetector(), random_split(trades, 300, seed))) == whole


def test_snapshot_and_restore_mid_tape_give_the_same_spreads(market):
    trades, _ = market
    parts = random_split(trades, 40, 3)
    whole = keyset(run(SpreadDetector(), parts))
    det = SpreadDetector()
    got: list[FlowEvent] = []
    for i, p in enumerate(parts):
        if i in (7, 21):
            det = SpreadDetector.restore(json.loads(json.dumps(det.snapshot())), None)
        got += det.update(p, int(p.ts_ns[-1]) if len(p) else 0)
    got += det.flush()
    assert keyset(got) == whole


def test_precision_and_recall_against_the_labels(market):
    trades, labels = market
    events = run(SpreadDetector(), random_split(trades, 50, 4))
    truth = {lab.seqs for lab in labels if lab.kind is not None and lab.kind.value == "spread"}
    decoys = [lab for lab in labels if lab.decoy_of is not None
              and lab.decoy_of.value == "spread"]
    found = [e.seqs for e in events]
    assert len(found) == len(set(found))
    tp = len(truth & set(found))
    assert len(truth) >= 30 and decoys
    assert tp / len(found) >= 0.99
    assert tp / len(truth) >= 0.99
    assert not {d.seqs for d in decoys} & set(found)
