import datetime as dt
import json
import math

import numpy as np
import pytest

from optix.core.enums import Condition
from optix.core.equities import EquityPrintBatch
from optix.data.synthetic import SyntheticMarket
from optix.data.synthetic.config import SyntheticConfig
from optix.flow.darkpool import DarkPoolConfig, DarkPoolDetector
from optix.flow.events import EventType, FlowEvent

S = 1_000_000_000
T0 = 1_709_563_800_000_000_000


def prints(rows: list[tuple[float, int, str]], delay_s: list[float] | None = None,
           cond: list[int] | None = None) -> EquityPrintBatch:
    """Equity prints (price, shares, venue) of AAA, 1 ms apart, quoted 99.99 x 100.01."""
    n = len(rows)
    ts = T0 + np.arange(n) * 1_000_000
    delay = np.array([round(d * S) for d in (delay_s or [0.0] * n)])
    return EquityPrintBatch.from_columns(
        ts_ns=ts, exec_ts_ns=ts - delay, seq=np.arange(n), symbol=["AAA"] * n,
        price=[r[0] for r in rows], size=[r[1] for r in rows], venue=[r[2] for r in rows],
        bid=[99.99] * n, ask=[100.01] * n, conditions=cond if cond is not None else [0] * n)


def seqs(batch: EquityPrintBatch, config: DarkPoolConfig | None = None) -> list[int]:
    return [e.seqs[0] for e in DarkPoolDetector(config).update(batch, T0)]


def test_10000_shares_is_dark_and_9999_is_not():
    assert seqs(prints([(200.0, 9_999, "FINN"), (200.0, 10_000, "FINN")])) == [1]


def test_one_million_dollars_is_dark_and_999999_is_not():
    assert seqs(prints([(99.9999, 10_000, "FINN"), (100.0, 10_000, "FINN")])) == [1]


def test_only_off_exchange_venues_are_dark():
    rows = [(100.0, 20_000, v) for v in ("XNAS", "XNYS", "EDGX", "BATS", "LTSE", "FINN",
                                         "FINC", "FINY", "XADF")]
    assert seqs(prints(rows)) == [5, 6, 7, 8]


def test_optional_delay_bounds_are_inclusive_on_both_sides():
    batch = prints([(100.0, 20_000, "FINN")] * 4, delay_s=[0.999, 1.0, 5.0, 5.001])
    assert seqs(batch) == [0, 1, 2, 3]
    assert seqs(batch, DarkPoolConfig(min_delay_s=1.0, max_delay_s=5.0)) == [1, 2]
    assert seqs(batch, DarkPoolConfig(max_delay_s=1.0)) == [0, 1]


def test_canceled_prints_are_not_dark():
    batch = prints([(100.0, 20_000, "FINN")] * 2, cond=[int(Condition.CANCEL), 0])
    assert seqs(batch) == [1]


def test_event_reports_notional_delay_and_no_contract():
    (ev,) = DarkPoolDetector().update(prints([(100.0, 25_000, "FINY")], delay_s=[2.5]), T0)
    assert isinstance(ev, FlowEvent)
    assert ev.type is EventType.DARK_POOL and ev.stream == "equity" and ev.underlying == "AAA"
    assert ev.expiry is None and math.isnan(ev.strike) and ev.right == 0
    assert ev.size == 25_000 and ev.premium == pytest.approx(2_500_000.0)
    assert ev.detail["delay_ns"] == 2_500_000_000 and ev.detail["delay_s"] == 2.5
    assert ev.detail["venue"] == "FINY" and ev.side == 0  # inside the spread
    json.dumps(ev.as_dict())


def test_config_is_validated():
    for bad in ({"min_shares": 0}, {"min_notional": -1.0}, {"min_delay_s": -1.0},
                {"min_delay_s": 2.0, "max_delay_s": 1.0}):
        with pytest.raises(ValueError):
            DarkPoolConfig(**bad)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def market() -> tuple[list[EquityPrintBatch], list[tuple[tuple[int, ...], str | None]]]:
    m = SyntheticMarket(SyntheticConfig(n_symbols=50, seed=17, start=dt.date(2024, 3, 4),
                                        chain_every_s=None, batch_seconds=5.0))
    eq, labels = [], []
    for b in m.batches():
        if b.equities is not None and len(b.equities):
            eq.append(b.equities)
        labels += [(lb.seqs, None if lb.kind is None else lb.kind.value) for lb in b.labels
                   if lb.stream == "equity"]
    return eq, labels


def test_precision_and_recall_against_the_synthetic_labels(market):
    batches, labels = market
    det = DarkPoolDetector()
    got = {e.seqs for b in batches for e in det.update(b, int(b.ts_ns[-1]) + 1)}
    positives = {s for s, kind in labels if kind == "dark_pool"}
    assert len(positives) > 100
    tp = len(got & positives)
    assert tp / len(got) >= 0.99 and tp / len(positives) >= 0.99


def test_same_events_whatever_the_split_and_after_restore(market):
    batches, _ = market
    whole = EquityPrintBatch.concat(batches)
    ref = [e.as_dict() for e in DarkPoolDetector().update(whole, 0)]
    cuts = np.sort(np.random.default_rng(2).choice(np.arange(1, len(whole)), 100,
                                                   replace=False))
    det = DarkPoolDetector()
    got = []
    for i, (a, b) in enumerate(zip([0, *cuts], [*cuts, len(whole)], strict=True)):
        if i == 50:
            det = DarkPoolDetector.restore(json.loads(json.dumps(det.snapshot())))
        got += det.update(whole.take(slice(a, b)), 0)
    assert [e.as_dict() for e in got + det.flush()] == ref
