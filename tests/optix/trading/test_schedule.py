"""The schedule over a simulated week with a holiday and an early close."""

import datetime as dt
import itertools
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from optix.trading import Job, Schedule

NY = ZoneInfo("America/New_York")


def ns(y, m, d, hh=0, mm=0):
    return round(dt.datetime(y, m, d, hh, mm, tzinfo=NY).timestamp()) * 10**9


def local(t):
    return dt.datetime.fromtimestamp(t / 1e9, NY)


# Thanksgiving week 2025: Thursday 27 closed, Friday 28 closes at 13:00
START, END = ns(2025, 11, 24), ns(2025, 12, 1)


@pytest.fixture(scope="module")
def week():
    return Schedule().due(START, END)


def test_scans_fire_every_five_minutes_in_market_hours_only(week):
    scans = [local(t) for t, name in week if name == "trading_scan"]
    per_day = Counter(t.date() for t in scans)
    assert per_day == {dt.date(2025, 11, 24): 78, dt.date(2025, 11, 25): 78,
                       dt.date(2025, 11, 26): 78, dt.date(2025, 11, 28): 42}
    assert min(t.time() for t in scans) == dt.time(9, 30)
    assert max(t.time() for t in scans if t.day != 28) == dt.time(15, 55)
    assert max(t.time() for t in scans if t.day == 28) == dt.time(12, 55)  # early close
    assert all(t.minute % 5 == 0 and t.second == 0 for t in scans)


def test_monitor_every_minute_review_on_sessions_learning_on_sunday(week):
    names = Counter(name for _, name in week)
    assert names["position_monitor"] == 3 * 390 + 210
    reviews = [local(t) for t, name in week if name == "daily_review"]
    assert [r.day for r in reviews] == [24, 25, 26, 28]  # none on Thanksgiving
    assert all(r.time() == dt.time(17, 0) for r in reviews)
    (learn,) = [local(t) for t, name in week if name == "weekly_learning"]
    assert (learn.date(), learn.time()) == (dt.date(2025, 11, 30), dt.time(20, 0))


def test_due_is_in_time_order_and_split_intervals_fire_each_run_once(week):
    assert [t for t, _ in week] == sorted(t for t, _ in week)
    s = Schedule()
    cuts = [START, ns(2025, 11, 24, 9, 35), ns(2025, 11, 24, 9, 35), ns(2025, 11, 26, 12, 1),
            ns(2025, 11, 30, 20, 0), END]
    pieces = [x for a, b in itertools.pairwise(cuts) for x in s.due(a, b)]
    assert pieces == week


def test_dst_change_keeps_new_york_times():
    # 2025-03-10 is the first Monday after the spring-forward
    day = Schedule().due(ns(2025, 3, 10), ns(2025, 3, 11))
    scans = [local(t) for t, n in day if n == "trading_scan"]
    assert scans[0].time() == dt.time(9, 30) and len(scans) == 78


def test_jobs_are_validated():
    with pytest.raises(ValueError, match="divide a day"):
        Job("x", "every", interval_s=7 * 60 + 1)
    with pytest.raises(ValueError, match="kind"):
        Job("x", "hourly")
    with pytest.raises(ValueError, match="unique"):
        Schedule([Job("x", "daily"), Job("x", "daily")])


def test_runner_calls_hooks_records_runs_and_survives_a_failing_hook(week):
    from optix.trading import JobRunner

    r = JobRunner(Schedule(), START)
    seen = []
    r.register("daily_review", seen.append)
    r.register("weekly_learning", lambda t: 1 / 0)
    with pytest.raises(ValueError, match="no job"):
        r.register("nope", print)
    for step in range(0, 7 * 24):  # a simulated week, an hour at a time
        r.advance(START + (step + 1) * 3600 * 10**9)
    assert [(x.due_ns, x.name) for x in r.runs] == week
    assert len(seen) == 4
    (learn,) = [x for x in r.runs if x.name == "weekly_learning"]
    assert learn.outcome.startswith("ZeroDivisionError")
    assert r.advance(END) == []  # nothing twice
