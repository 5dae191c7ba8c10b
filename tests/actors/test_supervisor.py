"""The supervisor actor on real Ray runs a simulated week exactly as the calendar allows."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from optix.trading import Schedule

pytestmark = pytest.mark.slow
NY = ZoneInfo("America/New_York")


def ns(y, m, d, hh=0):
    return round(dt.datetime(y, m, d, hh, tzinfo=NY).timestamp()) * 10**9


def test_a_simulated_thanksgiving_week_fires_each_job_exactly_when_allowed(ray_session):
    import ray

    from actors.supervisor import SUPERVISOR_NAME, SupervisorActor

    start, end = ns(2025, 11, 24), ns(2025, 12, 1)
    sup = SupervisorActor.options(name=SUPERVISOR_NAME + "-test").remote(start)
    for hour in range(1, 7 * 24 + 1):  # the market clock jumps an hour per call
        ray.get(sup.advance.remote(start + hour * 3600 * 10**9))
    runs = ray.get(sup.runs.remote())
    assert [(r["due_ns"], r["name"]) for r in runs] == Schedule().due(start, end)
    status = ray.get(sup.status.remote())
    assert status["runs"] == {"trading_scan": 3 * 78 + 42, "position_monitor": 3 * 390 + 210,
                              "daily_review": 4, "weekly_learning": 1}
    reviews = ray.get(sup.runs.remote("daily_review"))
    days = [dt.datetime.fromtimestamp(r["due_ns"] / 1e9, NY).day for r in reviews]
    assert days == [24, 25, 26, 28]  # no review on Thanksgiving
    ray.kill(sup)
