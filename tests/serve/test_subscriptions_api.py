"""Alert subscriptions (/v1/alerts/subscriptions) on a plain FastAPI app with real keys.

Runs on SQLite and on the machine's PostgreSQL (a fresh schema per test).
"""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from fastapi import Depends, FastAPI

with warnings.catch_warnings():  # starlette asks for httpx2 (not installed); httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from optix.security import roles_for
from optix.store.models import AlertHistory, AuditLog, User
from optix.store.repositories import AlertRepository, ApiKeyRepository
from serve.security import Security, install, require
from serve.subscriptions import router

EXPIRY = "2026-03-20"


def _ts(day: int, hour: int = 15) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=dt.UTC)


@pytest.fixture()
def setup(db):
    with db.transaction() as s:
        keys = {}
        for name in ("ana", "bob"):
            user = User(username=name, role="trader")
            s.add(user)
            s.flush()
            keys[name] = ApiKeyRepository(s).issue(user, "read", roles_for("read"))[0]
    app = FastAPI()
    install(app, Security(db))
    app.include_router(router, dependencies=[Depends(require("read"))])
    with TestClient(app) as client:
        yield client, keys, db


def _store(db, *records, stored_at=None):
    with db.transaction() as s:
        repo = AlertRepository(s)
        for r in records:
            repo.record(AlertHistory(created_at=stored_at, **r))


def _flow(i, symbol="SPY", kind="sweep", severity="HIGH", premium=500_000.0, day=13,
          expiry=EXPIRY):
    return {"id": f"f{i}", "ts": _ts(day), "source": "flow", "alert_type": kind,
            "severity": severity, "score": 60.0, "symbol": symbol, "title": f"flow {i}",
            "message": "", "payload": {"premium": premium, "expiry": expiry}}


def _gex(i, symbol="SPY"):
    return {"id": f"g{i}", "ts": _ts(13), "source": "gex", "alert_type": "flip_proximity",
            "severity": "CRITICAL", "score": 90.0, "symbol": symbol, "title": f"gex {i}",
            "message": "", "payload": {"spot": 500.0}}


def _drain(client, h, sub_id, limit=2):
    got, cursor = [], None
    for _ in range(50):
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"/v1/alerts/subscriptions/{sub_id}/alerts", params=params,
                          headers=h).json()
        got += [a["id"] for a in page["alerts"]]
        cursor = page["cursor"]
        if not page["more"]:
            return got, cursor
    raise AssertionError("the cursor did not advance")


def test_create_list_get_delete_and_ownership(setup):
    client, keys, db = setup
    ana, bob = {"X-API-Key": keys["ana"]}, {"X-API-Key": keys["bob"]}
    body = {"name": "spy whales", "symbols": ["spy", "qqq"], "types": ["sweep", "block"],
            "min_severity": "HIGH", "min_premium": 1e6, "min_dte": 0, "max_dte": 7}
    assert client.post("/v1/alerts/subscriptions", json=body).status_code == 401
    r = client.post("/v1/alerts/subscriptions", json=body, headers=ana)
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["symbols"] == ["QQQ", "SPY"] and sub["min_premium"] == 1e6
    assert client.post("/v1/alerts/subscriptions", json=body, headers=ana).status_code == 409
    assert client.post("/v1/alerts/subscriptions", json=body, headers=bob).status_code == 201
    listed = client.get("/v1/alerts/subscriptions", headers=ana).json()["subscriptions"]
    assert [s["id"] for s in listed] == [sub["id"]]
    assert client.get(f"/v1/alerts/subscriptions/{sub['id']}", headers=ana).json() == sub
    # another user's subscription does not exist for bob
    assert client.get(f"/v1/alerts/subscriptions/{sub['id']}", headers=bob).status_code == 404
    assert client.delete(f"/v1/alerts/subscriptions/{sub['id']}", headers=bob).status_code == 404
    assert client.delete(f"/v1/alerts/subscriptions/{sub['id']}", headers=ana).status_code == 204
    assert client.get(f"/v1/alerts/subscriptions/{sub['id']}", headers=ana).status_code == 404
    assert client.get("/v1/alerts/subscriptions", headers=ana).json() == {"subscriptions": []}
    with db.transaction() as s:
        actions = [(a.action, a.resource, a.status_code)
                   for a in s.query(AuditLog).order_by(AuditLog.id)]
    assert ("POST", "/v1/alerts/subscriptions", 201) in actions
    assert ("DELETE", f"/v1/alerts/subscriptions/{sub['id']}", 204) in actions


@pytest.mark.parametrize(("change", "field"), [
    ({"name": ""}, "name"), ({"symbols": ["SPY; DROP"]}, "symbols"),
    ({"symbols": []}, "symbols"),
    ({"types": ["Sweep!"]}, "types"), ({"min_severity": "URGENT"}, "min_severity"),
    ({"min_premium": -1}, "min_premium"), ({"min_dte": -1}, "min_dte"),
    ({"min_dte": 9, "max_dte": 2}, "max_dte"), ({"webhook": "http://x"}, "webhook"),
])
def test_bad_subscriptions_are_422_naming_the_field(setup, change, field):
    client, keys, _ = setup
    r = client.post("/v1/alerts/subscriptions", json={"name": "x", **change},
                    headers={"X-API-Key": keys["ana"]})
    assert r.status_code == 422 and field in r.text


def test_polling_returns_only_new_matching_alerts_in_arrival_order(setup):
    client, keys, db = setup
    h = {"X-API-Key": keys["ana"]}
    _store(db, _flow(0), stored_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))  # before
    sub = client.post("/v1/alerts/subscriptions", headers=h, json={
        "name": "spy sweeps", "symbols": ["SPY"], "types": ["sweep", "gex"],
        "min_severity": "HIGH", "min_premium": 250_000, "min_dte": 0, "max_dte": 7}).json()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    # five stored in one instant (ties are ordered by id) and the rest just after
    _store(db, _flow(1), _flow(2, symbol="QQQ"), _flow(3, kind="block"),
           _flow(4, severity="MEDIUM"), _flow(5, premium=100_000.0), stored_at=later)
    _store(db, _flow(6, day=2),  # 18 days to expiry
           _flow(7, day=20),  # expiry day: 0 DTE
           _gex(8), _flow(9, expiry=None), _flow(10), _flow(11),
           stored_at=later + dt.timedelta(seconds=1))
    got, cursor = _drain(client, h, sub["id"])
    # gex alert g8 passes the type (source) but has no premium: min_premium excludes it
    assert got == ["f1", "f10", "f11", "f7"]
    # nothing new: an empty page that keeps its place; a new one arrives after it
    page = client.get(f"/v1/alerts/subscriptions/{sub['id']}/alerts",
                      params={"cursor": cursor}, headers=h).json()
    assert page["alerts"] == [] and not page["more"]
    _store(db, _flow(12), stored_at=later + dt.timedelta(seconds=2))
    page = client.get(f"/v1/alerts/subscriptions/{sub['id']}/alerts",
                      params={"cursor": page["cursor"]}, headers=h).json()
    assert [a["id"] for a in page["alerts"]] == ["f12"]
    assert page["alerts"][0]["payload"]["premium"] == 500_000.0


def test_a_rare_filter_still_moves_its_cursor_forward(setup, monkeypatch):
    client, keys, db = setup
    h = {"X-API-Key": keys["ana"]}
    sub = client.post("/v1/alerts/subscriptions", headers=h,
                      json={"name": "far", "min_dte": 30}).json()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    _store(db, *[_flow(i) for i in range(30)], stored_at=later)
    _store(db, _flow(99, expiry="2026-06-19"), stored_at=later + dt.timedelta(seconds=1))
    import serve.subscriptions as mod

    real = mod.poll
    monkeypatch.setattr(mod, "poll", lambda s, sub, after, limit: real(s, sub, after, limit,
                                                                       scan=7))
    got, _ = _drain(client, h, sub["id"], limit=5)
    assert got == ["f99"]


def test_bad_cursor_and_unknown_ids(setup):
    client, keys, _ = setup
    h = {"X-API-Key": keys["ana"]}
    sub = client.post("/v1/alerts/subscriptions", headers=h, json={"name": "all"}).json()
    url = f"/v1/alerts/subscriptions/{sub['id']}/alerts"
    assert client.get(url, params={"cursor": "nonsense!"}, headers=h).status_code == 422
    assert client.get(url, params={"limit": 0}, headers=h).status_code == 422
    assert client.get("/v1/alerts/subscriptions/not-a-uuid", headers=h).status_code == 422
    assert client.get("/v1/alerts/subscriptions/00000000-0000-0000-0000-000000000000/alerts",
                      headers=h).status_code == 404
