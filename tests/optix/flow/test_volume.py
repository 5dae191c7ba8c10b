import datetime as dt
import itertools
import json

import numpy as np
import pytest

from optix.core.enums import Condition
from optix.core.reference import ContractReference
from optix.core.trades import OptionTradeBatch
from optix.data.synthetic import SyntheticMarket
from optix.data.synthetic.config import SyntheticConfig
from optix.flow.events import EventType, FlowEvent
from optix.flow.volume import UnusualVolumeConfig, UnusualVolumeDetector

S = 1_000_000_000
T0 = 1_709_563_800_000_000_000  # 2024-03-04 09:50 New York (14:50 UTC)


def reference(oi: int = 100, avg: float = 10.0) -> ContractReference:
    """Two contracts of AAA: the June 100 call (the one under test) and put."""
    return ContractReference(
        as_of_ns=T0 - 3600 * S, underlying=np.array(["AAA", "AAA"]),
        expiry=np.array(["2024-06-21", "2024-06-21"], dtype="datetime64[D]"),
        strike=np.array([100.0, 100.0]), right=np.array([1, -1], dtype=np.int8),
        open_interest=np.array([oi, oi]), avg_volume=np.array([avg, avg]))


def tape(sizes: list[int], ts: list[float] | None = None, first_seq: int = 0,
         underlying: str = "AAA", right: int = 1, cond: list[int] | None = None,
         t0: int = T0) -> OptionTradeBatch:
    """Prints of the June 100 contract at the ask, ``ts`` in seconds after ``t0``."""
    n = len(sizes)
    secs = ts if ts is not None else [float(i) for i in range(n)]
    return OptionTradeBatch.from_columns(
        ts_ns=[t0 + round(s * S) for s in secs], seq=np.arange(first_seq, first_seq + n),
        underlying=[underlying] * n, expiry=["2024-06-21"] * n, strike=[100.0] * n,
        right=[right] * n, price=[1.0] * n, size=sizes, venue=["XCBO", "XPHL"] * (n // 2)
        + ["XCBO"] * (n % 2), bid=[0.95] * n, ask=[1.0] * n,
        conditions=cond if cond is not None else [0] * n)


def detect(batches: list[OptionTradeBatch], ref: ContractReference | None = None,
           config: UnusualVolumeConfig | None = None, flush: bool = True) -> list[FlowEvent]:
    det = UnusualVolumeDetector(config)
    det.set_reference(ref or reference())
    out = []
    for b in batches:
        out += det.update(b, int(b.ts_ns[-1]) + 1)
    return out + (det.flush() if flush else [])


def test_volume_equal_to_open_interest_is_not_unusual_and_one_more_is():
    assert detect([tape([50, 50])]) == []  # 100 = OI 100
    (ev,) = detect([tape([50, 51])])
    assert ev.type is EventType.UNUSUAL_VOLUME and ev.seqs == (0, 1)
    assert ev.detail["day_volume"] == 101 and ev.detail["open_interest"] == 100


def test_five_times_the_average_is_unusual_and_just_under_is_not():
    ref = reference(oi=50, avg=20.0)  # OI is passed at 51; the average needs 100
    assert detect([tape([60, 39])], ref) == []
    (ev,) = detect([tape([60, 40])], ref)
    assert ev.detail["avg_multiple"] == pytest.approx(5.0)


def test_reported_once_per_contract_per_day_at_the_crossing_print():
    evs = detect([tape([60, 60, 60, 60])])
    assert len(evs) == 1
    assert evs[0].detail["cross_seq"] == 1 and evs[0].seqs == (0, 1, 2, 3)


def test_volume_resets_at_new_york_midnight_not_utc_midnight():
    # 19:30 New York is already the next day in UTC: same session, no reset
    evening = T0 + round(9.67 * 3600 * S)
    assert len(detect([tape([60]), tape([60], first_seq=1, t0=evening)],
                      config=UnusualVolumeConfig(lookback_s=0.0, follow_s=0.0))) == 1
    # after New York midnight the day volume starts again from zero
    night = T0 + round(14.5 * 3600 * S)
    assert detect([tape([60]), tape([60], first_seq=1, t0=night)]) == []
    # and a contract can fire again the next day
    evs = detect([tape([101]), tape([101], first_seq=1, t0=night)])
    assert [e.seqs for e in evs] == [(0,), (1,)]


def test_event_names_prints_within_lookback_before_and_follow_after_the_crossing():
    cfg = UnusualVolumeConfig(lookback_s=60.0, follow_s=60.0)
    # prints at 0, 11, 70, 71 (the crossing), 131, 131.5: 71 and 60 s before, 60 and 60.5 after
    (ev,) = detect([tape([10, 10, 40, 41, 5, 5], [0.0, 11.0, 70.0, 71.0, 131.0, 131.5])],
                   config=cfg)
    assert ev.detail["cross_seq"] == 3
    assert ev.seqs == (1, 2, 3, 4)  # 11 s .. 131 s: 60 s either side, inclusive


def test_emitted_once_follow_has_passed_or_at_flush():
    det = UnusualVolumeDetector(UnusualVolumeConfig(follow_s=2.0))
    det.set_reference(reference())
    assert det.update(tape([101]), T0 + 1) == []
    assert det.update(tape([1], [1.0], first_seq=1), T0 + 2 * S) == []  # at cross + 2 s
    (ev,) = det.update(tape([1], [2.5], first_seq=2), T0 + 2 * S + 1)
    assert ev.seqs == (0, 1)
    det2 = UnusualVolumeDetector()
    det2.set_reference(reference())
    assert det2.update(tape([101]), T0 + 1) == []
    assert [e.seqs for e in det2.flush()] == [(0,)]


def test_unlisted_contracts_and_canceled_prints_add_no_volume():
    assert detect([tape([101], underlying="BBB")]) == []
    assert detect([tape([100, 5], cond=[0, int(Condition.CANCEL)])]) == []


def test_a_mid_day_reference_republication_keeps_day_volume():
    det = UnusualVolumeDetector()
    det.set_reference(reference())
    det.update(tape([80]), T0 + 1)
    det.set_reference(reference(oi=150, avg=10.0))
    assert det.update(tape([60], [1.0], first_seq=1), T0 + S + 1) == []
    (ev,) = det.update(tape([20], [2.0], first_seq=2), T0 + 200 * S)
    assert ev.detail["day_volume"] == 160 and ev.detail["open_interest"] == 150


def test_volume_traded_before_a_contract_is_listed_counts_once_it_is():
    det = UnusualVolumeDetector()
    det.set_reference(reference())
    bbb = reference()
    bbb = ContractReference(
        as_of_ns=T0, underlying=np.array(["BBB"]), expiry=bbb.expiry[:1],
        strike=bbb.strike[:1], right=bbb.right[:1], open_interest=np.array([100]),
        avg_volume=np.array([10.0]))
    assert det.update(tape([90], underlying="BBB"), T0 + 1) == []  # not listed yet
    det.set_reference(bbb)  # published late: BBB's 90 contracts so far count
    assert det.update(tape([5], [1.0], first_seq=1, underlying="BBB"), T0 + S + 1) == []
    det.update(tape([6], [2.0], first_seq=2, underlying="BBB"), T0 + 2 * S + 1)
    (ev,) = det.flush()
    assert ev.underlying == "BBB" and ev.detail["day_volume"] == 101
    # ... and survives a snapshot taken before the listing
    det = UnusualVolumeDetector()
    det.set_reference(reference())
    det.update(tape([90], underlying="BBB"), T0 + 1)
    det = UnusualVolumeDetector.restore(json.loads(json.dumps(det.snapshot())))
    det.set_reference(bbb)
    det.update(tape([11], [1.0], first_seq=1, underlying="BBB"), T0 + S + 1)
    assert [e.detail["day_volume"] for e in det.flush()] == [101]


def test_event_side_sentiment_and_contract():
    (ev,) = detect([tape([101], right=-1)])
    assert ev.right == -1 and ev.side == 1 and ev.sentiment == -1  # puts bought
    assert ev.expiry == dt.date(2024, 6, 21) and ev.strike == 100.0
    assert ev.size == 101 and ev.premium == pytest.approx(10_100.0)
    json.dumps(ev.as_dict())


def test_config_is_validated():
    for bad in ({"min_oi_ratio": -1.0}, {"lookback_s": float("inf")},
                {"side_dominance": 0.5}):
        with pytest.raises(ValueError):
            UnusualVolumeConfig(**bad)  # type: ignore[arg-type]


# ------------------------------------------------------------------ synthetic market
Feed = list[tuple[OptionTradeBatch | None, int, ContractReference | None]]


@pytest.fixture(scope="module")
def market() -> tuple[Feed, list[tuple[tuple[int, ...], str | None]]]:
    m = SyntheticMarket(SyntheticConfig(n_symbols=50, seed=13, start=dt.date(2024, 3, 4),
                                        days=2, chain_every_s=None, batch_seconds=5.0))
    feed: Feed = []
    labels = []
    for b in m.batches():
        feed.append((b.trades, b.end_ns, b.reference))
        labels += [(lb.seqs, None if lb.kind is None else lb.kind.value) for lb in b.labels]
    return feed, labels


def run(feed: Feed, det: UnusualVolumeDetector | None = None) -> list[FlowEvent]:
    det = det or UnusualVolumeDetector()
    out = []
    for trades, now, ref in feed:
        out += det.update(trades, now, reference=ref)
    return out


def test_precision_and_recall_against_the_synthetic_labels(market):
    feed, labels = market
    positives = {s for s, kind in labels if kind == "unusual_volume"}
    det = UnusualVolumeDetector()
    got = {e.seqs for e in run(feed, det) + det.flush()}
    assert len(positives) > 100
    tp = len(got & positives)
    assert tp / len(got) >= 0.99 and tp / len(positives) >= 0.99


@pytest.mark.parametrize("cap", [1000, 4])  # 4: the cap binds on the synthetic day
def test_same_events_whatever_the_split(market, cap):
    feed, _ = market
    det = UnusualVolumeDetector(capped(cap))
    evs = run(feed, det) + det.flush()
    assert any("truncated" in e.detail for e in evs) == (cap == 4)
    ref = sorted(str(e.as_dict()) for e in evs)
    # regroup: whole sessions in one batch, and random cuts of each session
    rng = np.random.default_rng(3)
    regrouped: Feed = []
    day: list[OptionTradeBatch] = []
    day_ref: ContractReference | None = None
    for trades, _now, r in [*feed, (None, 0, reference())]:
        if r is not None and day:
            whole = OptionTradeBatch.concat(day)
            cuts = np.sort(rng.choice(np.arange(1, len(whole)), 200, replace=False))
            for a, b in zip([0, *cuts], [*cuts, len(whole)], strict=True):
                part = whole.take(slice(a, b))
                regrouped.append((part, int(part.ts_ns[-1]) + 1, day_ref))
                day_ref = None
            day = []
        if r is not None:
            day_ref = r
        if trades is not None and len(trades):
            day.append(trades)
    det = UnusualVolumeDetector(capped(cap))
    assert sorted(str(e.as_dict()) for e in run(regrouped, det) + det.flush()) == ref


@pytest.mark.parametrize("cap", [1000, 4])
def test_snapshot_and_restore_mid_tape_gives_the_same_events(market, cap):
    feed, _ = market
    det = UnusualVolumeDetector(capped(cap))
    ref = [e.as_dict() for e in run(feed, det) + det.flush()]
    det, out, with_open = UnusualVolumeDetector(capped(cap)), [], 0
    for i, (trades, now, r) in enumerate(feed):
        if i % 331 == 50:  # restore from JSON often, sometimes with events still open
            state = json.loads(json.dumps(det.snapshot()))
            with_open += bool(state["open"])
            det = UnusualVolumeDetector.restore(state, capped(cap))
        out += det.update(trades, now, reference=r)
    assert with_open > 0
    assert [e.as_dict() for e in out + det.flush()] == ref


# ------------------------------------------------------------------ cap for busy contracts
def capped(n: int) -> UnusualVolumeConfig:
    return UnusualVolumeConfig(max_buffer_per_contract=n)


def test_lookback_cap_edge_n_prints_kept_and_n_plus_one_cut():
    (ev,) = detect([tape([34, 34, 33])], config=capped(3))  # crosses on the 3rd print
    assert ev.seqs == (0, 1, 2) and "truncated" not in ev.detail
    (ev,) = detect([tape([25, 25, 25, 26])], config=capped(3))  # 4 up to the crossing
    assert ev.seqs == (1, 2, 3) and ev.detail["truncated"] is True
    assert ev.detail["follow_dropped"] == 0 and ev.detail["day_volume"] == 101


def test_follow_cap_edge_n_prints_kept_and_n_plus_one_cut():
    (ev,) = detect([tape([101, 1, 1, 1])], config=capped(3))
    assert ev.seqs == (0, 1, 2, 3) and "truncated" not in ev.detail
    (ev,) = detect([tape([101, 1, 1, 1, 1])], config=capped(3))
    assert ev.seqs == (0, 1, 2, 3) and ev.detail["truncated"] is True
    assert ev.detail["follow_dropped"] == 1


def busy_contract(n: int, cross_at: int) -> OptionTradeBatch:
    """``n`` one-lot prints over 50 s; volume reaches OI at ``cross_at`` with a big print."""
    sizes = [1] * n
    sizes[cross_at] = 200
    return tape(sizes, [50.0 * i / n for i in range(n)])


def test_busy_contract_event_is_bounded_and_the_same_however_it_is_batched():
    trades = busy_contract(3000, 2000)
    cfg = capped(50)
    ref = reference(oi=2100)
    (whole,) = detect([trades], ref, config=cfg)
    assert whole.detail["cross_seq"] == 2000 and whole.detail["truncated"] is True
    assert whole.seqs == tuple(range(1951, 2051))  # 50 up to the crossing, 50 after
    assert whole.detail["follow_dropped"] == 999 - 50
    assert whole.size == 49 + 200 + 50 and whole.detail["day_volume"] == 2000 + 200
    for cuts in ([1] * 3000, [7] * 429, [1999, 1, 1000], [2000, 1000]):
        edges = np.cumsum([0, *cuts]).clip(max=3000)
        parts = [trades.take(slice(int(a), int(b)))
                 for a, b in itertools.pairwise(edges.tolist()) if b > a]
        assert [e.as_dict() for e in detect(parts, ref, config=cfg)] == [whole.as_dict()]
    det, out = UnusualVolumeDetector(cfg), []
    det.set_reference(ref)
    for i, a in enumerate(range(0, 3000, 100)):
        part = trades.take(slice(a, a + 100))
        if i % 4 == 2:
            state = json.loads(json.dumps(det.snapshot()))
            assert len(state["recent"]["ts"]) <= 51
            det = UnusualVolumeDetector.restore(state, cfg)
        out += det.update(part, int(part.ts_ns[-1]) + 1)
    (ev,) = out + det.flush()
    assert ev.as_dict() == whole.as_dict()


def test_buffer_is_bounded_per_contract():
    det = UnusualVolumeDetector(capped(10))
    det.set_reference(reference(oi=10**9))
    trades = tape([1] * 5000, [40.0 * i / 5000 for i in range(5000)])
    for a in range(0, 5000, 100):
        part = trades.take(slice(a, a + 100))
        det.update(part, int(part.ts_ns[-1]) + 1)
        assert sum(c["ts"].size for c in det._chunks) <= 1024 + 100
    assert len(det.snapshot()["recent"]["seq"]) == 11  # N + 1
    assert len(UnusualVolumeDetector(capped(10)).snapshot()["recent"]["seq"]) == 0


def test_max_buffer_per_contract_is_validated():
    with pytest.raises(ValueError):
        capped(0)
