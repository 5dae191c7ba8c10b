import datetime as dt

import numpy as np
import pytest

from optix.data import FeedBatch, SimulatedClock, pace
from optix.data.calendar import session, standard_expiries

S = 1_000_000_000


def batches(*spans):
    return [FeedBatch(offset=i, start_ns=a, end_ns=b) for i, (a, b) in enumerate(spans)]


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 9))
        self.now += seconds


def test_pace_releases_batches_at_the_chosen_speed_and_skips_overnight_gaps():
    t = FakeTime()
    clock = SimulatedClock()
    night = 20 * 3600 * S
    feed = batches((0, 10 * S), (10 * S, 20 * S), (20 * S + night, 30 * S + night))
    out = list(pace(feed, 2.0, clock=clock, sleep=t.sleep, monotonic=t.monotonic))
    assert [b.offset for b in out] == [0, 1, 2]
    assert t.slept == [5.0, 5.0, 5.0]  # 10 s of market per batch at 2x; the night is skipped
    assert clock.now_ns() == feed[-1].end_ns


def test_pace_zero_is_full_speed_and_negative_is_refused():
    t = FakeTime()
    assert len(list(pace(batches((0, S), (S, 2 * S)), 0, sleep=t.sleep,
                         monotonic=t.monotonic))) == 2
    assert t.slept == []
    with pytest.raises(ValueError, match="speed"):
        list(pace(batches((0, S)), -1))


def test_clock_never_goes_backwards():
    clock = SimulatedClock(5)
    clock.advance_to(3)
    assert clock.now_ns() == 5


def test_calendar_moves_holiday_expiries_and_knows_early_closes():
    expiries = standard_expiries(dt.date(2026, 3, 30), weeklies=1, monthlies=0,
                                 quarterlies_months=0)
    assert expiries.tolist() == [dt.date(2026, 4, 2)]  # Good Friday: Thursday expiry
    assert session(dt.date(2025, 11, 28)).seconds == 3.5 * 3600  # day after Thanksgiving
    with pytest.raises(ValueError, match="not an NYSE trading session"):
        session(dt.date(2025, 12, 25))
    assert np.all(standard_expiries(dt.date(2026, 3, 30), leaps=2) >= np.datetime64("2026-03-30"))
