"""The Serve application on the session's Ray: health, version, errors."""

import httpx
import pytest

from optix.config import load_settings
from optix.store import Database, upgrade
from tests.conftest import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def serve_db(tmp_path_factory):
    db_url = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'optix.db'}"
    upgrade(Database(db_url))
    return db_url


@pytest.fixture(scope="module")
def api(ray_session, serve_db):
    from ray import serve

    from serve.app import build_app

    db_url = serve_db
    port = free_port()
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    healthy = load_settings(database={"url": db_url})
    broken = load_settings(
        database={"url": "postgresql+psycopg://optix@127.0.0.1:1/none"},
        cache={"redis_url": "redis://127.0.0.1:1/0"},
    )
    from serve.deploy import deployment_options, load_serve_config

    # the shipped Serve config's deployment options, as optix up applies them
    serve.run(build_app(healthy, deployment_options(load_serve_config())), name="healthy",
              route_prefix="/")
    serve.run(build_app(broken), name="broken", route_prefix="/broken")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield client
    serve.delete("healthy")
    serve.delete("broken")


def test_healthz_reports_ok_with_its_checks(api):
    r = api.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True, "dialect": "sqlite"}
    assert body["checks"]["cache"] == {"backend": "memory", "ok": True}


def test_version_reports_release_schema_and_runtimes(api, serve_db):
    import ray

    import optix
    from optix.store import head_revision

    assert api.get("/version").status_code == 401  # it names the runtimes: not open
    body = api.get("/version", headers={"X-API-Key": _issue_key(serve_db, "read")}).json()
    assert body["optix"] == optix.__version__
    assert body["schema"] == body["schema_head"] == head_revision()
    assert body["ray"] == ray.__version__


def test_unreachable_database_makes_health_503_and_redis_is_reported(api):
    r = api.get("/broken/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "down"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["cache"] == {"backend": "redis", "ok": False}


def test_unknown_path_is_a_404_and_openapi_lists_the_endpoints(api):
    assert api.get("/no-such-thing").status_code == 404
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/healthz", "/version"} <= set(paths)


def test_v1_needs_a_key_with_its_role_and_prices_with_one(api, serve_db):
    body = {"S": 42, "K": 40, "T": 0.5, "r": 0.1, "q": 0.0, "sigma": 0.2, "right": "call"}
    r = api.post("/v1/pricing/price", json=body)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert api.post("/v1/pricing/price", json=body,
                    headers={"X-API-Key": "optx_not-a-key"}).status_code == 401
    key = _issue_key(serve_db, "read")
    r = api.post("/v1/pricing/price", json=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    assert r.json()["price"] == pytest.approx(4.76, abs=0.005)
    bad = api.post("/v1/pricing/price", json={**body, "S": -1},
                   headers={"Authorization": f"Bearer {key}"})
    assert bad.status_code == 422 and "S" in bad.text
    assert api.get("/healthz").status_code == 200  # health stays open
    assert api.post("/v1/gex/cboe", content=b"x").status_code == 401
    gex = api.post("/v1/gex/chain", headers={"X-API-Key": key}, json={
        "underlying": "AAA", "spot": 100.0, "as_of_ns": 1_710_442_800_000_000_000,
        "expiry": ["2024-04-19"], "strike": [100.0], "right": ["C"], "open_interest": [10],
        "iv": [0.2]})
    assert gex.status_code == 200 and gex.json()["summary"]["regime"] == "positive"
    # computed in the gex deployment: what it cannot use still comes back as a 422 with why
    no_gamma = api.post("/v1/gex/chain", headers={"X-API-Key": key}, json={
        "underlying": "AAA", "spot": 100.0, "as_of_ns": 1_710_442_800_000_000_000,
        "expiry": ["2024-04-19"], "strike": [100.0], "right": ["C"], "open_interest": [10]})
    assert no_gamma.status_code == 422 and "gamma" in no_gamma.text
    not_cboe = api.post("/v1/gex/cboe", headers={"X-API-Key": key,
                                                 "Content-Type": "text/csv"},
                        content=b"a,b\n1,2\n")
    assert not_cboe.status_code == 422 and "CBOE" in not_cboe.text


def _issue_key(db_url, role):
    from optix.security import roles_for
    from optix.store.models import User
    from optix.store.repositories import ApiKeyRepository, UserRepository

    db = Database(db_url)
    with db.transaction() as s:
        user = UserRepository(s).by_username("tester")
        if user is None:
            user = User(username="tester", role="viewer")
            s.add(user)
            s.flush()
        raw, _ = ApiKeyRepository(s).issue(user, f"k-{role}", roles_for(role))
    db.dispose()
    return raw


def _metric(api, headers, *needles, at_least=0.0, timeout_s=45.0):
    """The /metrics samples containing every needle, once their total is above ``at_least``.

    Ray reports a worker's metrics every few seconds, so this polls. Each replica reports its
    own sample (a ``WorkerId`` label), so totals are sums over lines.
    """
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        r = api.get("/metrics", headers=headers)
        assert r.status_code == 200, r.text
        lines = [ln for ln in r.text.splitlines()
                 if all(n in ln for n in needles) and not ln.startswith("#")]
        if (lines and sum(float(ln.rsplit(" ", 1)[1]) for ln in lines) > at_least) or (
                time.monotonic() > deadline):
            return lines
        time.sleep(1.0)


def test_metrics_need_a_key_and_show_serve_and_per_route_http_metrics(api, serve_db):
    h = {"X-API-Key": _issue_key(serve_db, "read")}
    assert api.get("/metrics").status_code == 401
    body = {"S": 42, "K": 40, "T": 0.5, "r": 0.1, "q": 0.0, "sigma": 0.2, "right": "call"}
    for _ in range(3):
        assert api.post("/v1/pricing/price", json=body, headers=h).status_code == 200
    assert api.get("/v1/gex/symbols/A$B", headers=h).status_code == 422
    # 4 with the one of test_v1_needs_a_key_with_its_role_and_prices_with_one, over the
    # ingress replicas
    count = _metric(api, h, "ray_optix_http_requests_total{", 'route="/v1/pricing/price"',
                    'status="200"', at_least=3.5)
    assert sum(float(ln.rsplit(" ", 1)[1]) for ln in count) >= 4
    assert _metric(api, h, "ray_optix_http_request_seconds_bucket")
    # the template, not the path, labels the route
    assert _metric(api, h, 'route="/v1/gex/symbols/{symbol}"')
    assert _metric(api, h, "ray_serve_")  # Serve's own metrics come along


def test_readyz_names_what_is_missing(api):
    r = api.get("/readyz")  # no pipeline runs beside this test app
    assert r.status_code == 503
    checks = r.json()["checks"]
    assert checks["database"] is True and checks["actors"]["ok"] is False
    assert api.get("/v1/alerts").status_code == 401


def test_flow_endpoints_read_the_hub_and_say_when_the_pipeline_is_missing(api, serve_db):
    import ray

    from actors.hub import AlertHub

    key = _issue_key(serve_db, "read")
    h = {"X-API-Key": key}
    r = api.get("/v1/flow/cluster", headers=h)
    assert r.status_code == 503 and "optix-pipeline" in r.text
    hub = AlertHub.options(name="optix-alert-hub", namespace="optix").remote(None, False)
    try:
        base = {"source": "flow", "severity": "HIGH", "score": 60.0, "message": "",
                "ts_ns": 1_700_000_000_000_000_000}
        ray.get(hub.publish.remote([
            {**base, "id": "f1", "alert_type": "sweep", "symbol": "SPY", "title": "t1",
             "payload": {"side": 1, "premium": 500_000.0, "expiry": "2099-01-16"}},
            {**base, "id": "f2", "alert_type": "block", "symbol": "QQQ", "title": "t2",
             "payload": {"side": -1, "premium": 50_000.0, "expiry": "2099-01-16"}}]))
        got = api.get("/v1/flow/events", headers=h).json()["events"]
        assert {e["id"] for e in got} == {"f1", "f2"}
        assert [e["id"] for e in api.get("/v1/flow/events", headers=h, params={
            "side": "buy", "min_premium": 100_000}).json()["events"]] == ["f1"]
        assert api.get("/v1/flow/events", headers=h,
                       params={"symbol": "qqq"}).json()["events"][0]["id"] == "f2"
        assert api.get("/v1/flow/events", headers=h, params={"max_dte": 5}).json() == {
            "events": []}
        assert api.get("/v1/flow/events", headers=h, params={"side": "up"}).status_code == 422
        emitted = _metric(api, h, "ray_optix_alerts_emitted_total")
        assert any('severity="HIGH"' in ln and 'source="flow"' in ln for ln in emitted)
    finally:
        ray.kill(hub)


def test_gex_and_flow_of_symbols_the_running_pipeline_holds(api, serve_db):
    """A real PipelineActor (2 shards, synthetic market) behind the GEX and flow endpoints."""
    import time

    import ray

    from actors.pipeline import PipelineActor, PipelineConfig

    key = _issue_key(serve_db, "read")
    h = {"X-API-Key": key}
    settings = load_settings(database={"url": serve_db},
                             feed={"symbols": 12, "seed": 5, "speed": 0})
    pipe = PipelineActor.options(name="optix-pipeline", namespace="optix",
                                 max_concurrency=4).remote(
        settings, PipelineConfig(shards=2, hub=False, supervisor=False, console=False))
    pipe.run.remote()
    try:
        ray.get(pipe.status.remote(), timeout=120)  # constructed: shards up, source loaded
        deadline = time.monotonic() + 120
        held: list[str] = []
        while time.monotonic() < deadline:
            r = api.get("/v1/gex/symbols", headers=h)
            assert r.status_code == 200, r.text
            held = r.json()["symbols"]
            if held:
                break
            time.sleep(1.0)
        assert held, "no symbol got a chain snapshot in 120 s"
        sym = held[0]
        base = api.get(f"/v1/gex/symbols/{sym.lower()}", headers=h,
                       params={"history": True, "heatmaps": True})
        assert base.status_code == 200, base.text
        body = base.json()
        assert body["summary"]["underlying"] == sym and body["recomputed"] is False
        assert body["summary"]["unit"] == "usd_per_1pct"
        assert len(body["by_strike"]["strike"]) == len(body["by_strike"]["net_gex"]) > 0
        assert {"heatmap_strike_expiry", "heatmap_strike_spot", "history",
                "heatmap_strike_time"} <= set(body)
        assert len(body["history"]["as_of_ns"]) == len(body["heatmap_strike_time"]["times_ns"])
        # other conventions recompute the same chain: shares = $ per 1 % / (S * 0.01 * S)...
        shares = api.get(f"/v1/gex/symbols/{sym}", headers=h,
                         params={"unit": "shares"}).json()
        assert shares["recomputed"] is True and shares["summary"]["unit"] == "shares"
        assert shares["summary"]["as_of_ns"] == body["summary"]["as_of_ns"] or (
            shares["summary"]["as_of_ns"] > body["summary"]["as_of_ns"])  # a newer chain came
        assert api.get(f"/v1/gex/symbols/{sym}", headers=h,
                       params={"expiry_window": "soon"}).status_code == 422
        assert api.get("/v1/gex/symbols/NOSUCH", headers=h).status_code == 404
        assert api.get("/v1/gex/symbols/bad$sym", headers=h).status_code == 422
        summary = api.get(f"/v1/flow/symbols/{sym}", headers=h).json()
        assert summary["symbol"] == sym and summary["gex"] is not None
        view = api.get("/v1/flow/cluster", headers=h).json()
        assert len(view["shards"]) == 2
        market = api.get("/v1/flow/aggregates", headers=h, params={"top": 5}).json()
        assert len(market["top_contracts"]) <= 5
        prem = [r["premium"] for r in market["by_underlying"]]
        assert prem == sorted(prem, reverse=True)
        mine = api.get("/v1/flow/aggregates", headers=h, params={"symbol": sym}).json()
        assert {r["underlying"] for r in mine["by_underlying"] + mine["events"]} <= {sym}
        assert api.get("/v1/flow/aggregates", headers=h,
                       params={"top": 0}).status_code == 422
        for shard in ("optix-shard-0", "optix-shard-1"):  # (other tests' shards report too)
            assert _metric(api, h, "ray_optix_trades_processed_total", f'shard="{shard}"')
    finally:
        ray.get(pipe.stop.remote())
        ray.get(pipe.shutdown.remote())
        ray.kill(pipe)
