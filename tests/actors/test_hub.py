"""The alert hub actor on real Ray: dedup (also after a restart), storage, filters, sources."""

import datetime as dt
import math

import pytest

from optix.flow.events import EventType, FlowEvent
from optix.flow.scoring import Severity, score_event
from optix.gex.alerts import GexAlert, GexAlertType
from optix.store.repositories import AlertRepository

pytestmark = pytest.mark.slow


def flow(seq0=0, symbol="SPY", premium=1_200_000.0, n=8, confidence=0.8, kind=EventType.SWEEP):
    ev = FlowEvent(kind, symbol, dt.date(2024, 6, 21), 450.0, 1, 1_000, 2_000 + seq0,
                   tuple(range(seq0, seq0 + n)), "option", (1, 2, 3), 10 * n, premium, 1, 1,
                   confidence)
    return score_event(ev).as_record()


def gex(symbol="SPY", score=55.0, as_of_ns=1_718_900_000_000_000_000):
    sev = Severity.HIGH if score >= 50 else Severity.MEDIUM
    return GexAlert(GexAlertType.FLIP_PROXIMITY, symbol, as_of_ns, "", score, sev,
                    f"{symbol} spot near the gamma flip", "message",
                    {"spot": 450.0, "flip": math.nan}).as_record()


def _hub(db, **kw):
    from actors.hub import AlertHub

    url = db.url.render_as_string(hide_password=False)
    return AlertHub.remote(url, search_path=db.search_path, **kw)


def _stored(db):
    with db.transaction() as s:
        return {a.id: a for a in AlertRepository(s).query(limit=1000)}


def test_duplicates_are_stored_once_and_survive_a_hub_restart(ray_session, db):
    import ray

    a, b, g = flow(0), flow(100), gex()
    hub = _hub(db)
    assert ray.get(hub.publish.remote([a, a, b, g])) == 3  # a twice in one batch
    assert ray.get(hub.publish.remote([b, g, a])) == 0  # and again in a later call
    st = ray.get(hub.stats.remote())
    assert (st["received"], st["new"], st["duplicates"], st["persisted"]) == (7, 3, 4, 3)
    assert st["by_severity"]["CRITICAL"] == 2 and st["by_severity"]["HIGH"] == 1
    rows = _stored(db)
    assert set(rows) == {a["id"], b["id"], g["id"]}
    assert rows[g["id"]].source == "gex" and rows[a["id"]].source == "flow"
    assert rows[a["id"]].title == "SPY sweep 2024-06-21 450C $1.2M bought"
    assert rows[g["id"]].payload["flip"] is None
    ray.get(hub.close.remote())
    ray.kill(hub)

    again = _hub(db, console=False)  # a new hub knows nothing in memory; the table does
    c = flow(200)
    assert ray.get(again.publish.remote([a, g, c])) == 1
    st = ray.get(again.stats.remote())
    assert (st["new"], st["duplicates"], st["persisted"]) == (1, 2, 1)
    assert [r["id"] for r in ray.get(again.recent.remote())] == [c["id"]]
    assert set(_stored(db)) == {a["id"], b["id"], g["id"], c["id"]}
    ray.get(again.close.remote())
    ray.kill(again)


def test_subscribers_get_what_their_filters_match(ray_session):
    import ray

    from actors.hub import AlertHub

    hub = AlertHub.remote(console=True)
    ray.get([
        hub.subscribe.remote("high", min_severity="HIGH"),
        hub.subscribe.remote("qqq", symbols=["QQQ"]),
        hub.subscribe.remote("sweeps", types=["sweep"]),
        hub.subscribe.remote("gex", types=["flip_proximity"], min_severity="MEDIUM"),
    ])
    small = flow(300, premium=10_000.0, n=1, confidence=0.1)  # INFO
    qqq_block = flow(400, symbol="QQQ", kind=EventType.BLOCK)
    qqq_gex = gex("QQQ", score=35.0)  # MEDIUM
    spy_sweep, spy_gex = flow(0), gex()
    assert ray.get(hub.publish.remote([small, qqq_block, qqq_gex, spy_sweep, spy_gex])) == 5

    def ids(name):
        return [r["id"] for r in ray.get(hub.drain.remote(name))]

    assert ids("high") == [qqq_block["id"], spy_sweep["id"], spy_gex["id"]]
    assert ids("qqq") == [qqq_block["id"], qqq_gex["id"]]
    assert ids("sweeps") == [small["id"], spy_sweep["id"]]
    assert ids("gex") == [qqq_gex["id"], spy_gex["id"]]
    assert ids("high") == []  # drained
    subs = {s["name"]: s for s in ray.get(hub.subscriptions.remote())}
    assert set(subs) == {"console", "high", "qqq", "sweeps", "gex"}
    assert subs["console"]["kind"] == "sink" and subs["console"]["delivered"] == 5
    assert subs["qqq"]["symbols"] == ["QQQ"] and subs["high"]["min_severity"] == "HIGH"
    assert ray.get(hub.unsubscribe.remote("qqq")) is True
    recent = ray.get(hub.recent.remote(10, symbol="QQQ", min_severity="HIGH"))
    assert [r["id"] for r in recent] == [qqq_block["id"]]
    assert ray.get(hub.stats.remote())["persisted"] == 0  # no database: memory only
    ray.kill(hub)


def test_the_hub_runs_under_its_name(ray_session):
    import ray

    from actors.hub import HUB_NAME, AlertHub

    hub = AlertHub.options(name=HUB_NAME + "-test").remote(console=False)
    assert ray.get(ray.get_actor(HUB_NAME + "-test").publish.remote([gex()])) == 1
    ray.kill(hub)
