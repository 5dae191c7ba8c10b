"""The GEX router (/v1/gex) on a plain FastAPI app: posted chains, conventions, bad input."""

from __future__ import annotations

import warnings

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # starlette asks for httpx2 (not installed); httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from serve.gex import router
from tests.shared_data import SPY_CHAIN, require


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def spy_csv():
    require(SPY_CHAIN)
    return SPY_CHAIN.read_bytes()


def test_a_cboe_file_in_the_body_reproduces_the_reference_numbers(client, spy_csv):
    r = client.post("/v1/gex/cboe", content=spy_csv, headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    s = r.json()["summary"]
    assert s["total_gex"] == pytest.approx(-3.918e9, rel=1e-3)
    assert s["flip"] == pytest.approx(668.5, abs=0.5)
    assert (s["call_wall"], s["put_wall"], s["max_pain_nearest"]) == (670.0, 655.0, 662.0)
    by = r.json()["by_strike"]
    assert len(by["strike"]) == len(by["net_gex"]) == 288


def test_conventions_come_from_the_query(client, spy_csv):
    base = client.post("/v1/gex/cboe", content=spy_csv).json()["summary"]
    inv = client.post("/v1/gex/cboe?sign=dealer_short_calls_long_puts&unit=shares&heatmaps=true",
                      content=spy_csv)
    assert inv.status_code == 200
    body = inv.json()
    assert body["summary"]["total_gex"] == pytest.approx(
        -base["total_gex"] / (base["spot"] ** 2 * 0.01), rel=1e-9)
    assert len(body["heatmap_strike_expiry"]["expiries"]) == 11
    assert len(body["heatmap_strike_spot"]["spots"]) == 60


def test_a_chain_as_json_columns():
    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as c:
        chain = {"underlying": "aaa", "spot": 100.0, "as_of_ns": 1_710_442_800_000_000_000,
                 "expiry": ["2024-04-19"] * 2, "strike": [100.0, 95.0], "right": ["C", "P"],
                 "open_interest": [1000, 3000], "iv": [0.2, 0.25], "gamma": [0.05, None]}
        r = c.post("/v1/gex/chain", json=chain)
        assert r.status_code == 200, r.text
        s = r.json()["summary"]
        assert s["underlying"] == "AAA" and s["contracts"] == 2
        assert s["call_gex"] == pytest.approx(0.05 * 1000 * 100 * 100.0 ** 2 * 0.01)


@pytest.mark.parametrize("change,field", [
    ({"spot": -1}, "spot"), ({"strike": [100.0]}, "but strike has 1"),
    ({"right": ["C", "X"]}, "right"), ({"extra": 1}, "extra"),
    ({"iv": [None, None], "gamma": [None, None]}, "no contract has a usable gamma"),
])
def test_bad_chains_are_4xx_naming_the_problem(client, change, field):
    chain = {"underlying": "AAA", "spot": 100.0, "as_of_ns": 1_710_442_800_000_000_000,
             "expiry": ["2024-04-19"] * 2, "strike": [100.0, 95.0], "right": ["C", "P"],
             "open_interest": [1000, 3000], "iv": [0.2, 0.25]}
    r = client.post("/v1/gex/chain", json={**chain, **change})
    assert r.status_code == 422 and field in r.text


def test_bad_files_and_parameters_are_4xx(client, spy_csv):
    assert client.post("/v1/gex/cboe", content=b"ts,seq\n1,2\n").status_code == 422
    assert client.post("/v1/gex/cboe", content=b"").status_code == 422
    r = client.post("/v1/gex/cboe?expiry_window=soon", content=spy_csv)
    assert r.status_code == 422 and "expiry_window" in r.text
    assert client.post("/v1/gex/cboe?levels=1", content=spy_csv).status_code == 422
    assert client.post("/v1/gex/cboe?sign=flow_inventory", content=spy_csv).status_code == 422
