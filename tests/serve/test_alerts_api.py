"""The alert endpoints (/v1/alerts) on a plain FastAPI app with a SQLite store and real keys."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from fastapi import Depends, FastAPI

with warnings.catch_warnings():  # starlette asks for httpx2 (not installed); httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from optix.security import roles_for
from optix.store import Database, upgrade
from optix.store.models import AlertHistory, User
from optix.store.repositories import AlertRepository, ApiKeyRepository
from serve.alerts import router
from serve.security import Security, install, require

T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture()
def setup(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/a.db")
    upgrade(db)
    with db.transaction() as s:
        user = User(username="u", role="trader")
        s.add(user)
        s.flush()
        keys = {role: ApiKeyRepository(s).issue(user, role, roles_for(role))[0]
                for role in ("read", "trade")}
        repo = AlertRepository(s)
        for i in range(7):  # three share one timestamp: paging must not skip any
            repo.record(AlertHistory(
                id=f"a{i}", ts=T0 + dt.timedelta(minutes=min(i, 4)), source="flow",
                alert_type="sweep" if i % 2 else "block",
                severity=["LOW", "HIGH", "CRITICAL"][i % 3], score=10.0 * i,
                symbol="SPY" if i < 5 else "QQQ", title=f"alert {i}", message="", payload={}))
    app = FastAPI()
    install(app, Security(db))
    app.include_router(router, dependencies=[Depends(require("read"))])
    with TestClient(app) as client:
        yield client, keys, db


def test_filters_and_paging_without_skipping(setup):
    client, keys, _ = setup
    h = {"X-API-Key": keys["read"]}
    assert client.get("/v1/alerts").status_code == 401
    seen = []
    params = {"limit": 2}
    while True:
        page = client.get("/v1/alerts", params=params, headers=h).json()
        seen += [a["id"] for a in page["alerts"]]
        if page["next"] is None:
            break
        params = {"limit": 2, **page["next"]}
    assert sorted(seen) == [f"a{i}" for i in range(7)] and len(seen) == 7
    high = client.get("/v1/alerts", params={"min_severity": "HIGH"}, headers=h).json()
    assert {a["severity"] for a in high["alerts"]} == {"HIGH", "CRITICAL"}
    spy_sweeps = client.get("/v1/alerts", params={"symbol": "spy", "type": "sweep"},
                            headers=h).json()["alerts"]
    assert {a["id"] for a in spy_sweeps} == {"a1", "a3"}
    assert client.get("/v1/alerts", params={"limit": 0}, headers=h).status_code == 422
    assert client.get("/v1/alerts", params={"min_severity": "BAD"}, headers=h).status_code == 422


def test_acknowledge_needs_trade_and_is_audited(setup):
    client, keys, db = setup
    assert client.post("/v1/alerts/a1/ack",
                       headers={"X-API-Key": keys["read"]}).status_code == 403
    r = client.post("/v1/alerts/a1/ack", headers={"X-API-Key": keys["trade"]})
    assert r.status_code == 200 and r.json()["id"] == "a1"
    assert client.post("/v1/alerts/nope/ack",
                       headers={"X-API-Key": keys["trade"]}).status_code == 404
    got = client.get("/v1/alerts", headers={"X-API-Key": keys["read"]}).json()["alerts"]
    assert [a["acknowledged_at"] is not None for a in got if a["id"] == "a1"] == [True]
    from optix.store.models import AuditLog

    with db.transaction() as s:
        rows = s.query(AuditLog).filter(AuditLog.resource.like("/v1/alerts/%")).all()
        assert {(r.status_code, r.outcome) for r in rows} >= {(200, "success"), (403, "denied")}
        assert all(keys["trade"] not in str(r.details) for r in rows)
