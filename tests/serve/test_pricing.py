"""The pricing router (/v1/pricing) on a plain FastAPI app with the in-process backend."""
# ruff: noqa: N806  (S, K, T are the market names)

from __future__ import annotations

import time
import uuid
import warnings

import numpy as np
import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # starlette asks for httpx2 (not installed); httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from optix.quant import HestonParams, bsm_greeks, bsm_price, heston_price, implied_vol
from serve.pricing import LocalPricing, get_backend, router

HULL = {"S": 42.0, "K": 40.0, "T": 0.5, "r": 0.1, "q": 0.0, "sigma": 0.2}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_backend] = LocalPricing
    with TestClient(app) as c:
        yield c


def test_single_price_matches_hull_and_library(client):
    call = client.post("/v1/pricing/price", json={**HULL, "right": "call"})
    put = client.post("/v1/pricing/price", json={**HULL, "right": "p", "greeks_order": 3})
    assert call.status_code == 200 and put.status_code == 200
    assert round(call.json()["price"], 2) == 4.76  # Hull, Options Futures and Other Derivatives
    assert round(put.json()["price"], 2) == 0.81
    g = bsm_greeks(42, 40, 0.5, 0.1, 0.0, 0.2, "p", order=3)
    body = put.json()
    for name, arr in g.as_dict().items():
        assert body[name] == pytest.approx(float(arr), rel=1e-12, abs=1e-14)
    assert call.json()["vanna"] is None and body["color"] is not None


def test_batch_of_100k_rows_returns_equal_columns(client):
    n = 100_000
    rng = np.random.default_rng(1)
    S = np.round(rng.uniform(50, 150, n), 2)
    K = np.round(rng.uniform(50, 150, n), 0)
    T = np.round(rng.uniform(0.01, 2, n), 6)
    sigma = np.round(rng.uniform(0.1, 0.6, n), 4)
    right = rng.choice(["c", "p"], n)
    body = {"S": S.tolist(), "K": K.tolist(), "T": T.tolist(), "r": 0.04, "q": 0.0,
            "sigma": sigma.tolist(), "right": right.tolist(), "greeks": ["delta", "vega"]}
    t0 = time.perf_counter()
    r = client.post("/v1/pricing/price/batch", json=body)
    elapsed = time.perf_counter() - t0
    assert r.status_code == 200, r.text[:500]
    out = r.json()
    assert out["n"] == n and len(out["price"]) == n
    assert set(out["greeks"]) == {"delta", "vega"}
    assert all(len(col) == n for col in out["greeks"].values())
    np.testing.assert_allclose(out["price"], bsm_price(S, K, T, 0.04, 0.0, sigma, right),
                               rtol=1e-12, atol=1e-12)
    print(f"100k batch round trip through TestClient: {elapsed * 1e3:.0f} ms")  # information


def test_batch_broadcasts_scalars_and_defaults_greeks(client):
    r = client.post("/v1/pricing/price/batch",
                    json={**HULL, "K": [40, 45], "right": ["call", "PUT"]})
    assert r.status_code == 200
    out = r.json()
    assert out["n"] == 2
    assert set(out["greeks"]) == {"delta", "gamma", "vega", "theta", "rho"}
    assert out["price"][0] == pytest.approx(float(bsm_price(42, 40, 0.5, 0.1, 0, 0.2, "c")))


def _field_error(response, field: str) -> dict:
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    hits = [e for e in errors if field in e["loc"]]
    assert hits, errors
    return hits[0]


@pytest.mark.parametrize(("change", "field"), [
    ({"S": -1}, "S"), ({"K": 0}, "K"), ({"T": 0}, "T"), ({"T": 101}, "T"),
    ({"sigma": "NaN"}, "sigma"), ({"sigma": 0}, "sigma"), ({"r": 2}, "r"),
    ({"right": "straddle"}, "right"), ({"greeks_order": 4}, "greeks_order"),
    ({"bogus": 1}, "bogus"),
])
def test_single_bad_field_is_422_naming_it(client, change, field):
    _field_error(client.post("/v1/pricing/price", json={**HULL, "right": "c", **change}), field)


@pytest.mark.parametrize(("change", "field"), [
    ({"S": [42, -1]}, "S"), ({"T": [0.5, 0]}, "T"), ({"K": [40, 41, 42]}, "K"),
    ({"sigma": [0.2, "NaN"]}, "sigma"), ({"right": ["c", "x"]}, "right"),
    ({"greeks": ["delta", "gamma2"]}, "greeks"), ({"q": [0.0, 5.0]}, "q"),
])
def test_batch_bad_field_is_422_naming_it(client, change, field):
    body = {**HULL, "S": [42, 43], "right": ["c", "p"], **change}
    error = _field_error(client.post("/v1/pricing/price/batch", json=body), field)
    assert field in error["msg"] or error["type"] in ("literal_error", "finite_number")


def test_batch_over_100k_rows_is_422(client):
    body = {**HULL, "S": [42.0] * 100_001, "right": "c"}
    error = _field_error(client.post("/v1/pricing/price/batch", json=body), "S")
    assert "100000" in error["msg"]
    assert len(str(error["input"])) < 50  # the list is not echoed back


def test_iv_round_trip_and_below_intrinsic_status(client):
    prices = [float(bsm_price(42, 40, 0.5, 0.1, 0, 0.2, "c")), 0.5]  # 0.5 < intrinsic ~3.95
    r = client.post("/v1/pricing/iv", json={**{k: v for k, v in HULL.items() if k != "sigma"},
                                            "price": prices, "right": "call"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["vol"][0] == pytest.approx(0.2, abs=1e-10)
    assert out["status"] == ["OK", "BELOW_INTRINSIC"]
    assert out["vol"][1] is None  # NaN is null in JSON
    ref = implied_vol(prices, 42, 40, 0.5, 0.1, 0, "c")
    assert out["vol"][0] == pytest.approx(float(ref.vol[0]), rel=1e-14)


def test_american_put_worth_at_least_european(client):
    body = {"S": [36, 40, 44], "K": 40, "T": 1.0, "r": 0.06, "q": 0.0, "sigma": 0.2,
            "right": "put"}
    for method in ("qdfp", "baw", "bs2002", "binomial", "crr"):
        r = client.post("/v1/pricing/american", json={**body, "method": method})
        assert r.status_code == 200, r.text
        amer = np.array(r.json()["price"])
        euro = bsm_price(np.array([36, 40, 44.0]), 40, 1.0, 0.06, 0.0, 0.2, "p")
        assert (amer >= euro - 1e-9).all()
        assert amer[0] == pytest.approx(4.487, abs=0.04)  # LSM table 1 (BAW is ~3 cents off)


def test_american_lattice_budget_names_steps(client):
    body = {"S": [40.0] * 5000, "K": 40, "T": 1, "sigma": 0.2, "right": "p", "method": "crr"}
    _field_error(client.post("/v1/pricing/american", json=body), "steps")


def test_heston_near_black_scholes_for_small_vol_of_vol(client):
    body = {"S": 100, "K": [90, 100, 110], "T": 1.0, "r": 0.03, "q": 0.01, "right": "c",
            "v0": 0.04, "kappa": 1.5, "theta": 0.04, "xi": 1e-3, "rho": -0.5}
    r = client.post("/v1/pricing/heston", json=body)
    assert r.status_code == 200, r.text
    bs = bsm_price(100, np.array([90, 100, 110.0]), 1.0, 0.03, 0.01, 0.2, "c")
    np.testing.assert_allclose(r.json()["price"], bs, atol=2e-3)
    ref = heston_price(100, np.array([90, 100, 110.0]), 1.0, 0.03, 0.01,
                       HestonParams(0.04, 1.5, 0.04, 1e-3, -0.5), "c")
    np.testing.assert_allclose(r.json()["price"], ref, rtol=1e-13)


def test_heston_bad_rho_is_422(client):
    body = {"S": 100, "K": 100, "T": 1, "right": "c", "v0": 0.04, "kappa": 1.5,
            "theta": 0.04, "xi": 0.5, "rho": -1}
    _field_error(client.post("/v1/pricing/heston", json=body), "rho")


def test_monte_carlo_within_three_standard_errors(client):
    body = {"model": "gbm", "payoff": "european", "S": 100, "K": 105, "T": 1, "r": 0.05,
            "q": 0.01, "sigma": 0.25, "right": "put", "paths": 100_000, "seed": 7,
            "control": "none"}
    r = client.post("/v1/pricing/montecarlo", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    bs = float(bsm_price(100, 105, 1, 0.05, 0.01, 0.25, "p"))
    assert 0 < out["stderr"] < 0.05
    assert abs(out["price"] - bs) < 3 * out["stderr"]
    assert out["seed"] == 7 and out["n_paths"] == 100_000


@pytest.mark.parametrize(("change", "field"), [
    ({"paths": 200_001}, "paths"), ({"steps": 501}, "steps"), ({"sigma": None}, "sigma"),
    ({"model": "heston"}, "v0"), ({"payoff": "barrier"}, "barrier"),
])
def test_monte_carlo_bad_input_is_422(client, change, field):
    body = {"S": 100, "K": 100, "T": 1, "sigma": 0.2, "right": "c", "paths": 1000, **change}
    _field_error(client.post("/v1/pricing/montecarlo", json=body), field)


def test_openapi_documents_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("price", "price/batch", "iv", "american", "heston", "montecarlo"):
        assert f"/v1/pricing/{p}" in paths


@pytest.mark.slow
def test_serve_batch_deployment_prices_concurrent_requests(ray_session):
    import asyncio

    from ray import serve

    from serve.pricing import HandleBackend, PricingDeployment
    from serve.schemas.pricing import OptionIn

    name = f"pricing-{uuid.uuid4().hex[:8]}"
    handle = serve.run(PricingDeployment.bind(), name=name, route_prefix=None)
    try:
        backend = HandleBackend(handle)
        strikes = np.linspace(30, 50, 64)

        async def many() -> list[dict[str, float]]:
            return await asyncio.gather(*(backend.price_one(
                OptionIn(**{**HULL, "K": k}, right="c")) for k in strikes))

        out = asyncio.run(many())
        ref = bsm_price(42, strikes, 0.5, 0.1, 0, 0.2, "c")
        np.testing.assert_allclose([o["price"] for o in out], ref, rtol=1e-12)
    finally:
        serve.delete(name)


# --------------------------------------------------------------------------- fast JSON path


def _batch_columns(n: int, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"S": np.round(rng.uniform(50, 150, n), 2),
            "K": np.round(rng.uniform(50, 150, n), 0),
            "T": np.round(rng.uniform(0.01, 2, n), 6),
            "sigma": np.round(rng.uniform(0.1, 0.6, n), 4),
            "right": rng.choice(["c", "p", "call", "PUT"], n)}


def test_batch_fast_path_equals_the_quant_core_and_pydantic_path(client):
    from serve.schemas.pricing import BatchIn

    cols = _batch_columns(5_000)
    body = {**{k: v.tolist() for k, v in cols.items()}, "r": 0.03, "q": [0.01] * 5_000,
            "greeks": ["delta", "vanna", "color"]}
    r = client.post("/v1/pricing/price/batch", json=body)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/json"
    out = r.json()
    w = np.where(np.isin(cols["right"], ["c", "call"]), 1.0, -1.0)
    g = bsm_greeks(cols["S"], cols["K"], cols["T"], 0.03, 0.01, cols["sigma"], w, order=3)
    assert out["n"] == 5_000 and set(out["greeks"]) == {"delta", "vanna", "color"}
    np.testing.assert_array_equal(out["price"], g.price)  # orjson round-trips float64 exactly
    for name in ("delta", "vanna", "color"):
        np.testing.assert_array_equal(out["greeks"][name], getattr(g, name))
    import json

    fast = BatchIn.from_json(json.dumps(body).encode())
    slow = BatchIn.model_validate(body)
    assert fast.n == slow.n and fast.greeks == slow.greeks
    for name, arr in slow.arrays().items():
        np.testing.assert_array_equal(fast.arrays()[name], arr)


@pytest.mark.parametrize("raw", [
    b'{"S": [42, NaN], "K": 40, "T": 0.5, "sigma": 0.2, "right": "c"}',
    b'{"S": [42, Infinity], "K": 40, "T": 0.5, "sigma": 0.2, "right": "c"}',
    b'{"S": [42, -Infinity], "K": 40, "T": 0.5, "sigma": 0.2, "right": "c"}',
    b'{"S": [42, 1e400], "K": 40, "T": 0.5, "sigma": 0.2, "right": "c"}',
    b'{"S": [42, -1], "K": 40, "T": 0.5, "sigma": 0.2, "right": "c"}',
    b'{"S": [42, 0], "K": 40, "T": 0.5, "sigma": 0.2, "right": "c"}',
    b'{"S": 42, "K": 40, "T": 0.5, "sigma": NaN, "right": "c"}',
    b'{"S": [42, "NaN"], "K": 40, "T": 0.5, "sigma": 0.2, "right": "c"}',
])
def test_batch_non_finite_or_negative_is_422_naming_the_field(client, raw):
    field = "sigma" if b"sigma\": NaN" in raw else "S"
    r = client.post("/v1/pricing/price/batch", content=raw,
                    headers={"Content-Type": "application/json"})
    error = _field_error(r, field)
    assert error["loc"] == ["body", field] and field in error["msg"]


@pytest.mark.parametrize(("body", "field"), [
    ({"S": [[42], [43]]}, "S"), ({"S": None}, "S"), ({"S": {"a": 1}}, "S"),
    ({"S": [42, None]}, "S"), ({"right": ["c", 1]}, "right"), ({"right": None}, "right"),
    ({"right": [["c"]]}, "right"), ({"greeks": "delta"}, "greeks"), ({"greeks": [1]}, "greeks"),
    ({"sigma": [0.2, 0.3, 0.4]}, "sigma"), ({"extra": 1}, "extra"), ({"T": True}, None),
    ({"S": [True, 42.0]}, None), ({"S": ["42", 43]}, None), ({"S": [10**30, 42]}, "S"),
])
def test_batch_odd_bodies_are_422_naming_the_field_or_accepted_as_pydantic_does(
        client, body, field):
    base = {"S": [42.0, 43.0], "K": 40, "T": 0.5, "sigma": 0.2, "right": "c"}
    r = client.post("/v1/pricing/price/batch", json={**base, **body})
    assert r.status_code < 500, r.text
    if field is None:
        assert r.status_code == 200, r.text  # pydantic's lax mode accepts these
    else:
        _field_error(r, field)


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b"null", b'"text"', b"\xff\xfe",
                                 b"[" * 5000])
def test_batch_body_that_is_not_a_json_object_is_422(client, raw):
    r = client.post("/v1/pricing/price/batch", content=raw,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][0] == "body"


def test_iv_fast_path_and_nan_price_is_422(client):
    prices = [float(bsm_price(42, 40, 0.5, 0.1, 0, 0.2, "c"))] * 3
    r = client.post("/v1/pricing/iv", json={"price": prices, "S": 42, "K": 40, "T": 0.5,
                                            "r": 0.1, "right": "c"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == ["OK"] * 3 and r.json()["n"] == 3
    bad = client.post("/v1/pricing/iv", content=b'{"price": [1.0, NaN], "S": 42, "K": 40, '
                      b'"T": 0.5, "right": "c"}', headers={"Content-Type": "application/json"})
    _field_error(bad, "price")


def test_pricing_responses_carry_server_timing(client):
    for path, body in (("price", {**HULL, "right": "c"}),
                       ("price/batch", {**HULL, "right": "c"}),
                       ("iv", {"price": 4.76, "S": 42, "K": 40, "T": 0.5, "right": "c"})):
        r = client.post(f"/v1/pricing/{path}", json=body)
        assert r.status_code == 200, r.text
        metrics = dict(m.strip().split(";dur=") for m in r.headers["server-timing"].split(","))
        assert 0 < float(metrics["app"]) < 10_000
        if path != "price":  # the column routes break the time down
            assert {"parse", "price", "encode"} <= set(metrics)
            assert sum(float(metrics[k]) for k in ("parse", "price", "encode")) <= float(
                metrics["app"])


def test_openapi_documents_the_column_bodies(client):
    spec = client.get("/openapi.json").json()
    for path, model in (("price/batch", "BatchIn"), ("iv", "IVIn")):
        op = spec["paths"][f"/v1/pricing/{path}"]["post"]
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        assert schema["title"] == model and {"S", "K", "T", "right"} <= set(schema["required"])
        ok = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["$ref"].endswith("Out")


def test_coalescer_prices_concurrent_calls_together_and_isolates_a_bad_one():
    import asyncio

    from serve.pricing import Coalescer
    from serve.schemas.pricing import OptionIn

    strikes = np.linspace(30, 50, 40)
    coalescer = Coalescer(max_batch_size=16)

    bad = OptionIn.model_construct(**{**HULL, "sigma": -1.0}, right="c", greeks_order=1)

    async def many() -> list[object]:
        calls = [coalescer.price_one(OptionIn(**{**HULL, "K": k}, right="c")) for k in strikes]
        calls.insert(5, coalescer.price_one(bad))  # unvalidated: the library refuses it
        return await asyncio.gather(*calls, return_exceptions=True)

    out = asyncio.run(many())
    assert isinstance(out.pop(5), ValueError)
    ref = bsm_price(42, strikes, 0.5, 0.1, 0, 0.2, "c")
    np.testing.assert_allclose([o["price"] for o in out], ref, rtol=1e-12)  # type: ignore[index]


def test_pricing_deployment_reconfigure_rejects_bad_user_config():
    from serve.pricing import PricingDeployment

    dep = PricingDeployment.func_or_class()
    dep.reconfigure({"max_batch_size": 8, "batch_wait_timeout_s": 0.0})
    for bad in ({"max_batch_size": 0}, {"batch_wait_timeout_s": -1}, {"batch": 3}):
        with pytest.raises(ValueError):
            dep.reconfigure(bad)


def test_handle_backend_local_closed_form_computes_here_and_forwards_the_rest():
    import asyncio

    from serve.pricing import HandleBackend, american_columns
    from serve.schemas.pricing import AmericanIn, BatchIn, OptionIn

    class Method:
        def __init__(self, log: list[str], name: str) -> None:
            self.log, self.name = log, name

        async def remote(self, *args: object) -> object:
            self.log.append(self.name)
            return american_columns(*args)  # type: ignore[arg-type]

    class FakeHandle:  # what HandleBackend touches of a DeploymentHandle
        def __init__(self) -> None:
            self.calls: list[str] = []
            self.options_seen: list[dict[str, object]] = []

        def options(self, **kw: object) -> FakeHandle:
            self.options_seen.append(kw)
            return self

        def __getattr__(self, name: str) -> Method:
            return Method(self.calls, name)

    handle = FakeHandle()
    backend = HandleBackend(handle, local_closed_form=True)
    assert handle.options_seen == [{"_by_reference": True}]  # columns never go inline
    batch = BatchIn.model_validate({**HULL, "K": [40, 45], "right": "p"})
    amer = AmericanIn.model_validate({**HULL, "right": "p"})

    async def run() -> tuple[dict[str, float], dict[str, np.ndarray], np.ndarray]:
        one = await backend.price_one(OptionIn(**HULL, right="c"))
        cols = await backend.price_batch(batch.arrays(), ("delta",))
        return one, cols, await backend.american(amer.arrays(), "baw", None)

    one, cols, amer_price = asyncio.run(run())
    assert handle.calls == ["american"]  # only the non-closed-form call left the process
    assert one["price"] == pytest.approx(float(bsm_price(42, 40, 0.5, 0.1, 0, 0.2, "c")),
                                         rel=1e-14)
    np.testing.assert_allclose(
        cols["price"], bsm_price(42, np.array([40.0, 45.0]), 0.5, 0.1, 0, 0.2, "p"), rtol=1e-13)
    assert amer_price.shape == (1,)
