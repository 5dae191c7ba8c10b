import datetime as dt
import json

import numpy as np
import pytest

from optix.core.enums import Condition
from optix.core.trades import OptionTradeBatch
from optix.data.synthetic import SyntheticMarket
from optix.data.synthetic.config import SyntheticConfig
from optix.flow.blocks import BlockConfig, BlockDetector, factorize_symbols
from optix.flow.events import EventType, FlowEvent

T0 = 1_709_563_800_000_000_000  # 2024-03-04 09:50 New York


def tape(rows: list[tuple[str, float, int]], cond: list[int] | None = None,
         first_seq: int = 0) -> OptionTradeBatch:
    """Prints (underlying, price, size) 1 ms apart, all at the ask of a 5-cent market."""
    n = len(rows)
    price = np.array([r[1] for r in rows])
    return OptionTradeBatch.from_columns(
        ts_ns=T0 + np.arange(first_seq, first_seq + n) * 1_000_000,
        seq=np.arange(first_seq, first_seq + n), underlying=[r[0] for r in rows],
        expiry=["2024-06-21"] * n, strike=[100.0] * n, right=[1] * n, price=price,
        size=[r[2] for r in rows], venue=["XCBO"] * n, bid=price - 0.05, ask=price,
        conditions=cond if cond is not None else [0] * n)


def blocks(det: BlockDetector, batch: OptionTradeBatch) -> list[int]:
    return [e.seqs[0] for e in det.update(batch, T0)]


def history(n: int, size: int, sym: str = "AAA") -> list[tuple[str, float, int]]:
    return [(sym, 1.0, size)] * n


def test_100_contracts_is_a_block_and_99_is_not():
    # history: average 9 contracts, so the 10x line (90) is under both sizes
    assert blocks(BlockDetector(), tape([*history(10, 9), ("AAA", 20.0, 99)])) == []
    assert blocks(BlockDetector(), tape([*history(10, 9), ("AAA", 20.0, 100)])) == [10]


def test_premium_of_100000_dollars_is_a_block_and_99999_is_not():
    assert blocks(BlockDetector(), tape([*history(10, 1), ("AAA", 9.9999, 100)])) == []
    assert blocks(BlockDetector(), tape([*history(10, 1), ("AAA", 10.0, 100)])) == [10]


def test_ten_times_the_running_average_is_a_block_and_just_under_is_not():
    # average exactly 10 contracts: 100 is 10x
    assert blocks(BlockDetector(), tape([*history(10, 10), ("AAA", 20.0, 100)])) == [10]
    # average 10.1 (101 over 10 prints): 100 is under 10x
    rows = [*history(9, 10), ("AAA", 1.0, 11), ("AAA", 20.0, 100)]
    assert blocks(BlockDetector(), tape(rows)) == []


def test_average_is_per_underlying_and_other_symbols_do_not_count():
    rows = history(10, 50, "BBB") + history(10, 10, "AAA") + [("AAA", 20.0, 100),
                                                             ("BBB", 20.0, 100)]
    assert blocks(BlockDetector(), tape(rows)) == [20]


def test_a_block_does_not_dilute_its_own_threshold_but_counts_for_later_prints():
    det = BlockDetector()
    # the first 100 is tested against an average of 10; after it the average is 200/11
    assert blocks(det, tape([*history(10, 10), ("AAA", 20.0, 100), ("AAA", 20.0, 100)])) == [10]
    assert det.average("AAA") == pytest.approx(300 / 12)


def test_average_carries_across_batches_exactly_as_within_one():
    det = BlockDetector()
    assert blocks(det, tape(history(10, 10))) == []
    assert blocks(det, tape([("AAA", 20.0, 100)], first_seq=10)) == [10]
    det = BlockDetector()
    blocks(det, tape([*history(9, 10), ("AAA", 1.0, 11)]))
    assert blocks(det, tape([("AAA", 20.0, 100)], first_seq=10)) == []


def test_without_history_the_relative_rule_is_waived_until_min_history_prints():
    assert blocks(BlockDetector(), tape([("AAA", 20.0, 100)])) == [0]
    cfg = BlockConfig(min_history=3)
    # two earlier prints of 50: still waived, a 100-lot is a block despite 2x only
    assert blocks(BlockDetector(cfg), tape([*history(2, 50), ("AAA", 20.0, 100)])) == [2]
    assert blocks(BlockDetector(cfg), tape([*history(3, 50), ("AAA", 20.0, 100)])) == []


def test_canceled_prints_are_neither_blocks_nor_part_of_the_average():
    rows = [*history(10, 10), ("AAA", 1.0, 1000), ("AAA", 20.0, 100), ("AAA", 20.0, 500)]
    cond = [0] * 10 + [int(Condition.CANCEL), 0, int(Condition.CANCEL)]
    det = BlockDetector()
    assert blocks(det, tape(rows, cond)) == [11]
    assert det.average("AAA") == pytest.approx(200 / 11)


def test_event_carries_the_print_its_side_and_the_average():
    det = BlockDetector()
    batch = tape([*history(10, 2), ("AAA", 20.0, 150)], cond=[0] * 10 + [int(Condition.AUCTION)])
    (ev,) = det.update(batch, T0)
    assert isinstance(ev, FlowEvent)
    assert ev.type is EventType.BLOCK and ev.stream == "option"
    assert ev.seqs == (10,) and ev.size == 150 and ev.premium == pytest.approx(300_000.0)
    assert ev.expiry == dt.date(2024, 6, 21) and ev.strike == 100.0 and ev.right == 1
    assert ev.side == 1 and ev.sentiment == 1  # a call bought at the ask
    assert ev.detail["avg_size"] == 2.0 and ev.detail["size_multiple"] == 75.0
    assert ev.detail["auction"] is True and 0.0 <= ev.confidence <= 1.0
    json.dumps(ev.as_dict())


def test_config_is_validated():
    for bad in ({"min_size": 0}, {"min_premium": -1.0}, {"avg_multiple": float("nan")},
                {"min_history": -1}):
        with pytest.raises(ValueError):
            BlockConfig(**bad)  # type: ignore[arg-type]


def test_factorize_symbols_small_large_and_non_ascii_columns_agree():
    rng = np.random.default_rng(0)
    for names in (np.array(["SPY", "QQQ", "SPY", "A"]),
                  rng.choice(np.array(["SPY", "QQQ", "AAPL", "BRK.B", "A"]), 5000),
                  rng.choice(np.array(["ÄPFEL", "SPY", "LONGTICKER12"]), 1000)):
        codes, uniq = factorize_symbols(names)
        assert np.array(uniq)[codes].tolist() == names.tolist()
        assert len(set(uniq)) == len(uniq)


# ------------------------------------------------------------------ synthetic market
@pytest.fixture(scope="module")
def market() -> tuple[list[OptionTradeBatch], list[tuple[tuple[int, ...], str | None]]]:
    m = SyntheticMarket(SyntheticConfig(n_symbols=50, seed=11, start=dt.date(2024, 3, 4),
                                        chain_every_s=None, batch_seconds=5.0))
    trades, labels = [], []
    for b in m.batches():
        if b.trades is not None and len(b.trades):
            trades.append(b.trades)
        labels += [(lb.seqs, None if lb.kind is None else lb.kind.value) for lb in b.labels]
    return trades, labels


def run(batches: list[OptionTradeBatch], det: BlockDetector | None = None) -> list[FlowEvent]:
    det = det or BlockDetector()
    out = []
    for b in batches:
        out += det.update(b, int(b.ts_ns[-1]) + 1)
    return out + det.flush()


def test_precision_and_recall_against_the_synthetic_labels(market):
    batches, labels = market
    positives = {s for s, kind in labels if kind == "block"}
    got = {e.seqs for e in run(batches)}
    assert len(positives) > 100
    tp = len(got & positives)
    assert tp / len(got) >= 0.99 and tp / len(positives) >= 0.99


def test_same_events_whatever_the_split(market):
    batches, _ = market
    whole = OptionTradeBatch.concat(batches)
    ref = [e.as_dict() for e in run([whole])]
    rng = np.random.default_rng(5)
    cuts = np.sort(rng.choice(np.arange(1, len(whole)), 300, replace=False))
    parts = [whole.take(slice(a, b)) for a, b in zip([0, *cuts], [*cuts, len(whole)],
                                                       strict=True)]
    assert [e.as_dict() for e in run(parts)] == ref


def test_snapshot_and_restore_mid_tape_gives_the_same_events(market):
    batches, _ = market
    ref = [e.as_dict() for e in run(batches)]
    det = BlockDetector()
    half = len(batches) // 2
    first = run(batches[:half], det)
    state = json.loads(json.dumps(det.snapshot()))
    second = run(batches[half:], BlockDetector.restore(state, BlockConfig()))
    assert [e.as_dict() for e in first + second] == ref
