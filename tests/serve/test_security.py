"""serve.security on a tiny FastAPI app backed by a SQLite database (not the Serve app)."""

import datetime as dt
import warnings
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Request

with warnings.catch_warnings():
    # Starlette asks for httpx2 where only httpx is installed; the client works the same.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from optix.security import roles_for
from optix.store import Database, upgrade
from optix.store.models import AuditLog, User
from optix.store.repositories import ApiKeyRepository, UserRepository
from serve.security import Principal, Security, install, require

Reader = Annotated[Principal, Depends(require("read"))]
Trader = Annotated[Principal, Depends(require("trade"))]


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


@pytest.fixture
def database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'optix.db'}")
    upgrade(db)
    yield db
    db.dispose()


def _key(db, role, username="ana", expires_at=None, revoked=False):
    with db.transaction() as s:
        users = UserRepository(s)
        user = users.by_username(username) or users.add(User(username=username))
        keys = ApiKeyRepository(s)
        raw, rec = keys.issue(user, f"{role}-key", scopes=roles_for(role), expires_at=expires_at)
        if revoked:
            keys.revoke(rec.id, dt.datetime.now(dt.UTC))
    return raw


@pytest.fixture
def app_and_clock(database):
    clock = FakeClock()
    app = FastAPI()
    install(app, Security(database, rate_per_s=1.0, burst=3, clock=clock), max_body_bytes=100)

    @app.get("/health")
    def health():
        return {"ok": True}

    @app.get("/quotes")
    def quotes(p: Reader):
        return {"user": p.user, "roles": list(p.roles)}

    @app.post("/orders")
    def orders(body: dict, p: Trader):
        return {"user": p.user, "n": len(body)}

    @app.post("/both", dependencies=[Depends(require("read"))])
    def both(p: Trader):  # a route-level role under a router-level one, like alert acks
        return {"user": p.user}

    @app.post("/upload")
    async def upload(request: Request, p: Reader):
        n = 0
        async for chunk in request.stream():
            n += len(chunk)
        return {"n": n}

    return app, clock


@pytest.fixture
def client(app_and_clock):
    return TestClient(app_and_clock[0])


def test_open_routes_need_no_key(client):
    assert client.get("/health").status_code == 200


def test_missing_and_bad_keys_are_401_with_a_bearer_challenge(client):
    for headers in ({}, {"Authorization": "Bearer optx_not-a-real-key-0000000000000000000"},
                    {"X-API-Key": "nonsense"}, {"Authorization": "Basic abc"}):
        r = client.get("/quotes", headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["WWW-Authenticate"] == "Bearer"


def test_revoked_and_expired_keys_are_401(client, database):
    revoked = _key(database, "read", revoked=True)
    expired = _key(database, "read", expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert client.get("/quotes", headers={"X-API-Key": revoked}).status_code == 401
    assert client.get("/quotes", headers={"X-API-Key": expired}).status_code == 401


def test_good_key_by_either_header_is_200(client, database):
    raw = _key(database, "read")
    for headers in ({"Authorization": f"Bearer {raw}"}, {"X-API-Key": raw}):
        r = client.get("/quotes", headers=headers)
        assert r.status_code == 200
        assert r.json() == {"user": "ana", "roles": ["read"]}


def test_read_key_on_a_trade_endpoint_is_403_and_admin_passes(client, database):
    read, admin = _key(database, "read"), _key(database, "admin")
    assert client.post("/orders", json={}, headers={"X-API-Key": read}).status_code == 403
    assert client.post("/orders", json={}, headers={"X-API-Key": admin}).status_code == 200


def test_a_route_role_under_a_router_role_spends_one_token_and_still_checks_the_role(
        client, database):
    trade, read = _key(database, "trade"), _key(database, "read", username="bob")
    codes = [client.post("/both", headers={"X-API-Key": trade}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # burst 3: one token per request, not two
    assert client.post("/both", headers={"X-API-Key": read}).status_code == 403


def test_successful_verifications_are_cached(client, database, app_and_clock):
    raw = _key(database, "read")
    assert client.get("/quotes", headers={"X-API-Key": raw}).status_code == 200
    with database.transaction() as s:  # revoke behind the cache's back
        keys = ApiKeyRepository(s)
        keys.revoke(keys.find(raw[:11])[0].id, dt.datetime.now(dt.UTC))
    _, clock = app_and_clock
    clock.t += 1  # within the cache's 30 s and refills a token
    assert client.get("/quotes", headers={"X-API-Key": raw}).status_code == 200
    clock.t += 31
    assert client.get("/quotes", headers={"X-API-Key": raw}).status_code == 401


def test_rate_limit_is_429_with_retry_after_per_key(client, database, app_and_clock):
    raw, other = _key(database, "read"), _key(database, "read", username="bob")
    codes = [client.get("/quotes", headers={"X-API-Key": raw}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/quotes", headers={"X-API-Key": raw})
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert client.get("/quotes", headers={"X-API-Key": other}).status_code == 200
    app_and_clock[1].t += 1.0
    assert client.get("/quotes", headers={"X-API-Key": raw}).status_code == 200


def test_oversize_bodies_are_413_by_length_or_by_stream(client, database):
    raw = _key(database, "admin")
    big = {"x": "y" * 200}
    assert client.post("/orders", json=big, headers={"X-API-Key": raw}).status_code == 413

    def chunks():
        for _ in range(5):
            yield b"z" * 40

    r = client.post("/upload", content=chunks(), headers={"X-API-Key": raw})
    assert r.status_code == 413
    r = client.post("/upload", content=b"z" * 50, headers={"X-API-Key": raw})
    assert r.status_code == 200 and r.json() == {"n": 50}


def test_mutating_calls_are_audited_without_secrets(client, database):
    raw = _key(database, "trade")
    r = client.post("/orders", json={"qty": 1}, headers={
        "Authorization": f"Bearer {raw}", "User-Agent": "pytest-agent", "X-Request-ID": "req-1"})
    assert r.status_code == 200
    client.post("/orders", json={}, headers={"X-API-Key": "optx_wrong"})
    client.get("/quotes", headers={"X-API-Key": raw})  # reads are not audited
    with database.transaction() as s:
        rows = s.query(AuditLog).order_by(AuditLog.id).all()
        assert [(a.action, a.resource, a.status_code, a.outcome) for a in rows] == [
            ("POST", "/orders", 200, "success"), ("POST", "/orders", 401, "denied")]
        ok = rows[0]
        user = s.query(User).filter_by(username="ana").one()
        assert ok.user_id == user.id and ok.api_key_id is not None
        assert ok.ip_address == "testclient" and ok.user_agent == "pytest-agent"
        assert ok.request_id == "req-1" and ok.ts is not None
        assert rows[1].user_id is None
        text = repr([(a.action, a.resource, a.user_agent, a.request_id, a.details)
                     for a in rows])
        assert raw not in text and raw[11:] not in text and "qty" not in text


def test_unknown_role_is_refused_at_declaration():
    with pytest.raises(ValueError):
        require("root")


def test_a_burst_of_first_requests_with_one_key_verifies_it_once(database):
    """16 threads, one uncached key: one database verification, the rest wait for it."""
    import threading

    raw = _key(database, "read")
    sec = Security(database)
    calls = []
    real = sec._lookup

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    sec._lookup = counting
    results, barrier = [], threading.Barrier(16)

    def go():
        barrier.wait()
        results.append(sec.authenticate(raw))

    threads = [threading.Thread(target=go) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 16 and all(p is not None and p.user == "ana" for p in results)
    assert len(calls) == 1


def test_a_failed_last_use_write_still_authenticates(database, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from optix.store.repositories import ApiKeyRepository

    raw = _key(database, "read")
    real = ApiKeyRepository.verify

    def locked(self, raw_key, now, record_use=True):
        if record_use:
            raise OperationalError("UPDATE api_keys", {}, Exception("database is locked"))
        return real(self, raw_key, now, record_use)

    monkeypatch.setattr(ApiKeyRepository, "verify", locked)
    principal = Security(database).authenticate(raw)
    assert principal is not None and principal.user == "ana"
