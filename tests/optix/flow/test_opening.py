import dataclasses
import datetime as dt
import json

import numpy as np
import pytest

from optix.core.enums import Condition
from optix.core.reference import ContractReference
from optix.core.trades import OptionTradeBatch
from optix.flow.engine import FlowEngine
from optix.flow.events import EventType, FlowEvent
from optix.flow.opening import OpeningConfig, OpeningTracker

S = 1_000_000_000
T0 = 1_709_563_800_000_000_000  # 2024-03-04 09:50 New York (14:50 UTC)
MIDNIGHT = 1_709_614_800_000_000_000  # 2024-03-05 00:00 New York (05:00 UTC)


def reference(oi: int = 1000) -> ContractReference:
    """The AAA June 100 call and put, both with open interest ``oi``."""
    return ContractReference(
        as_of_ns=T0 - 3600 * S, underlying=np.array(["AAA", "AAA"]),
        expiry=np.array(["2024-06-21", "2024-06-21"], dtype="datetime64[D]"),
        strike=np.array([100.0, 100.0]), right=np.array([1, -1], dtype=np.int8),
        open_interest=np.array([oi, oi]), avg_volume=np.array([10.0, 10.0]))


def tape(sizes: list[int], first_seq: int = 0, t0: int = T0, underlying: str = "AAA",
         price: float = 1.0, cond: list[int] | None = None) -> OptionTradeBatch:
    """Prints of the AAA June 100 call, one a second from ``t0``."""
    n = len(sizes)
    return OptionTradeBatch.from_columns(
        ts_ns=[t0 + i * S for i in range(n)], seq=np.arange(first_seq, first_seq + n),
        underlying=[underlying] * n, expiry=["2024-06-21"] * n, strike=[100.0] * n,
        right=[1] * n, price=[price] * n, size=sizes, venue=["XCBO"] * n,
        bid=[price - 0.05] * n, ask=[price] * n,
        conditions=cond if cond is not None else [0] * n)


def event(seqs: tuple[int, ...], size: int, kind: EventType = EventType.SWEEP,
          expiry: dt.date | None = dt.date(2024, 6, 21)) -> FlowEvent:
    return FlowEvent(type=kind, underlying="AAA", expiry=expiry, strike=100.0, right=1,
                     first_ts_ns=T0, last_ts_ns=T0, seqs=seqs, stream="option", venues=(1,),
                     size=size, premium=100.0 * size, side=1, sentiment=1, confidence=0.5)


def tracker(*batches: OptionTradeBatch, oi: int = 1000) -> OpeningTracker:
    tr = OpeningTracker()
    tr.set_reference(reference(oi))
    for b in batches:
        tr.update(b)
    return tr


@pytest.mark.parametrize(("size", "opening"), [(60, True), (50, False)])
def test_the_edge_of_the_opening_heuristic(size, opening):
    # OI 1000 and 950 traded before: a 60-lot makes 1010 (60 > 1000 - 950), a 50-lot 1000
    tr = tracker(tape([500, 450]), tape([size], first_seq=2, t0=T0 + 10 * S))
    ev = event((2,), size)
    tr.annotate([ev])
    assert ev.detail == {"opening": opening, "day_volume": 950 + size, "open_interest": 1000}


def test_day_volume_is_taken_through_the_events_last_print():
    tr = tracker(tape([500, 450, 30, 30, 5]))
    ev = event((2, 3), 60)  # volume through seq 3 is 1010; the later 5-lot does not count
    tr.annotate([ev])
    assert ev.detail["day_volume"] == 1010 and ev.detail["opening"] is True


def test_canceled_prints_add_no_volume():
    tr = tracker(tape([500, 450, 60], cond=[0, int(Condition.CANCEL), 0]))
    ev = event((2,), 60)
    tr.annotate([ev])
    assert ev.detail["day_volume"] == 560 and ev.detail["opening"] is False


def test_day_volume_resets_at_new_york_midnight():
    before = tape([950], t0=MIDNIGHT - S)
    after = tape([60], first_seq=1, t0=MIDNIGHT)
    for batches in ([before, after], [OptionTradeBatch.concat([before, after])]):
        tr = tracker(*batches, oi=100)
        ev = event((1,), 60)
        tr.annotate([ev])
        assert ev.detail["day_volume"] == 60 and ev.detail["opening"] is False  # 60 > 100 - 0
    tr = tracker(tape([950], t0=MIDNIGHT - 2 * S), tape([60], first_seq=1, t0=MIDNIGHT - S),
                 oi=100)
    ev = event((1,), 60)
    tr.annotate([ev])
    assert ev.detail["day_volume"] == 1010 and ev.detail["opening"] is True


def test_an_unknown_contract_is_never_opening():
    tr = tracker(tape([5000], underlying="ZZZ"))
    ev = dataclasses.replace(event((0,), 5000), underlying="ZZZ")
    tr.annotate([ev])
    assert ev.detail == {"opening": False, "day_volume": 5000, "open_interest": None}
    tr = OpeningTracker()  # no reference at all
    tr.update(tape([10]))
    ev = event((0,), 10)
    tr.annotate([ev])
    assert ev.detail == {"opening": False, "day_volume": 10, "open_interest": None}


def test_events_without_one_contract_and_forgotten_prints_are_handled():
    tr = tracker(tape([500, 600]))
    multi = event((0, 1), 1100, kind=EventType.SPREAD)
    no_contract = event((0, 1), 1100, expiry=None)
    tr.annotate([multi, no_contract])
    assert multi.detail == {} and no_contract.detail == {}
    tr.trim(T0 + 400 * S)  # past the 300 s horizon
    ev = event((1,), 600)
    tr.annotate([ev])
    assert ev.detail == {"opening": False, "day_volume": None, "open_interest": None}


def test_detector_values_are_kept():
    tr = tracker(tape([500, 600]))
    ev = event((1,), 600, kind=EventType.UNUSUAL_VOLUME)
    ev.detail.update(day_volume=1100, open_interest=1000, cross_seq=1)
    tr.annotate([ev])
    assert ev.detail["opening"] is True and ev.detail["day_volume"] == 1100


def test_snapshot_round_trip_through_json():
    tr = tracker(tape([500, 300]))
    tr = OpeningTracker.restore(json.loads(json.dumps(tr.snapshot())), OpeningConfig())
    tr.update(tape([150, 60], first_seq=2, t0=T0 + 10 * S))
    ev = event((3,), 60)
    tr.annotate([ev])
    assert ev.detail == {"opening": True, "day_volume": 1010, "open_interest": 1000}


def test_the_engine_marks_its_blocks():
    for oi, opening in ((10_000, False), (250, True)):
        engine = FlowEngine()
        small = tape([5] * 20, price=5.0)
        block = tape([200], first_seq=20, t0=T0 + 30 * S, price=5.0)
        events = engine.update(small, T0 + 25 * S, reference=reference(oi))
        events += engine.update(block, T0 + 40 * S) + engine.flush()
        (ev,) = [e for e in events if e.type is EventType.BLOCK]
        assert ev.detail["opening"] is opening  # 200 > oi - (300 - 200)
        assert ev.detail["day_volume"] == 300 and ev.detail["open_interest"] == oi


def test_prints_sharing_a_sequence_number_are_told_apart_by_their_contract():
    # feeds number per publisher: the call and the put prints both carry seqs 0 and 1
    ref = ContractReference(
        as_of_ns=T0 - 3600 * S, underlying=np.array(["AAA", "AAA"]),
        expiry=np.array(["2024-06-21", "2024-06-21"], dtype="datetime64[D]"),
        strike=np.array([100.0, 100.0]), right=np.array([1, -1], dtype=np.int8),
        open_interest=np.array([10, 1_000_000]), avg_volume=np.array([10.0, 10.0]))
    calls = tape([200, 200])
    puts = OptionTradeBatch.from_columns(
        ts_ns=[T0 + 5 * S, T0 + 6 * S], seq=[0, 1], underlying=["AAA"] * 2,
        expiry=["2024-06-21"] * 2, strike=[100.0] * 2, right=[-1, -1], price=[1.0] * 2,
        size=[200, 200], venue=["XCBO"] * 2, bid=[0.95] * 2, ask=[1.0] * 2)
    tr = OpeningTracker()
    tr.set_reference(ref)
    tr.update(calls)
    tr.update(puts)
    call_ev = event((0, 1), 400)
    put_ev = FlowEvent(type=EventType.SWEEP, underlying="AAA", expiry=dt.date(2024, 6, 21),
                       strike=100.0, right=-1, first_ts_ns=T0, last_ts_ns=T0, seqs=(0, 1),
                       stream="option", venues=(1,), size=400, premium=40_000.0, side=1,
                       sentiment=-1, confidence=0.5)
    tr.annotate([call_ev, put_ev])
    assert call_ev.detail["open_interest"] == 10 and call_ev.detail["opening"] is True
    assert put_ev.detail["open_interest"] == 1_000_000 and put_ev.detail["opening"] is False
