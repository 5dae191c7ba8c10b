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
