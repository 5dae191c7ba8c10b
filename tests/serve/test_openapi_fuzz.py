"""Schemathesis against the OpenAPI spec of every ``/v1`` route: bad input is a 4xx, never a 5xx.

Design
------
* **The app.** A fresh FastAPI app includes ``serve.app.api.router``, so every router that
  :mod:`serve.app` includes, now or later, is fuzzed with the dependencies it is included with
  (``require("read")`` among them). It gets the same :func:`serve.security.install` call as the
  ``Ingress`` (same body limit, same read-only prefixes) with a :class:`Security` over a
  temporary SQLite database migrated by :func:`optix.store.upgrade`, a rate limit too high to
  interfere, and an ``admin`` key, so every role check passes and every request reaches
  validation and the handler. The pricing backend is :class:`serve.pricing.LocalPricing`
  (in-process, no Ray). A few alerts are stored so that ``GET /v1/alerts`` pages over real rows.
  ``serve.app.api`` itself is not touched: it is the app the Serve replicas run.
* **The operations** come from that app's OpenAPI spec at collection time, one pytest item per
  operation, paths under ``/v1`` only: ``/healthz``, ``/readyz`` and ``/version`` are methods of
  the ``Ingress`` deployment and need its replica state (``tests/serve/test_app.py`` covers
  them). The spec is read with ``from_dict(app.openapi())`` rather than ``from_asgi``, because
  ``from_asgi`` would start the app before the fixture can install the security middleware.
* **No Ray.** Routes backed by the pipeline's actors (:data:`ACTOR_BACKED`: ``/v1/flow/*``,
  the GEX of held symbols ``/v1/gex/symbols*``) look them up with
  ``ray.get_actor``, which is patched to fail as Ray does for an actor that does not exist (the
  real one would start a local Ray instance). Those routes answer a deliberate 503 "... is not
  running (start the pipeline with optix up)" once the input is valid; that 503, and only on
  those routes, is accepted. Their input validation still runs first and is fuzzed.
* **Checks.**

  - ``not_a_server_error`` on every response: the point of the file.
  - ``response_schema_conformance`` on 2xx responses: the pricing routes declare response
    models, the others ``object``; a 200 that breaks its own model is a bug. Not on 4xx:
    FastAPI documents every 422 as its ``HTTPValidationError`` list, while handlers raise
    ``HTTPException(422, "reason")`` with a string ``detail`` on purpose.
  - Every 4xx carries a non-empty ``detail`` (the message naming the field or the reason).
  - Left out on purpose: ``negative_data_rejection`` (pydantic's lax mode, FastAPI's default,
    accepts ``false`` for a float and ``"1"`` for an int, which the check reports as accepted
    invalid data on every route), ``positive_data_acceptance`` (schema-valid is not
    semantically valid: a chain whose columns differ in length is a correct 422),
    ``status_code_conformance`` (FastAPI documents only 200 and 422, so every 404, 409, 413 and
    503 would fail it), ``ignored_auth`` (the spec declares no security scheme;
    ``test_security.py`` covers auth), the stateful checks (the spec has no links) and
    ``max_response_time``.
* **Found 5xx** stay as regression tests (:data:`FIXED_5XX`): the minimal request of each
  case the fuzzing once answered with a 500, and why.
* **Time.** ``max_examples`` per operation (:data:`MAX_EXAMPLES`; ``OPTIX_FUZZ_EXAMPLES``
  raises it for a deeper local run), ``deadline=None``, ``derandomize=True`` and no example
  database, so every run draws the same cases (reproducible in CI), and the ``too_slow``,
  ``filter_too_much`` and ``data_too_large`` health checks suppressed. Bodies stay small: the
  column models (``/price/batch``, ``/iv``: up to 100,000 rows) declare no ``maxItems`` and
  Hypothesis draws short lists. The file runs in about 20 s on 2 cores.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import ray
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from optix.security import roles_for
from optix.store import Database, upgrade
from optix.store.models import AlertHistory, User
from optix.store.repositories import AlertRepository, ApiKeyRepository, UserRepository
from serve import app as serve_app
from serve import pricing
from serve.security import Security, install

with warnings.catch_warnings():  # starlette asks for httpx2 (not installed); httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ACTOR_BACKED = ("/v1/flow/", "/v1/gex/symbols")
"""Path prefixes of routes that need the pipeline's Ray actors (a deliberate 503 without).

A new actor-backed route belongs here; any other 503 is a failure."""

MAX_EXAMPLES = int(os.environ.get("OPTIX_FUZZ_EXAMPLES", "25"))
"""Generated cases per operation, besides schemathesis' deterministic example/coverage cases."""

T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)

_HESTON = {"S": 100, "K": 100, "T": 1, "right": "c", "v0": 0.04, "kappa": 1.0, "theta": 0.04,
           "xi": 0.5, "rho": 0.0}



def _routes_app() -> FastAPI:
    """A fresh app with every route of ``serve.app.api`` (the same routers and dependencies)."""
    app = FastAPI(title="OPTIX (fuzz)", version="0")
    app.include_router(serve_app.api.router)
    return app


SCHEMA = schemathesis.openapi.from_dict(_routes_app().openapi()).include(path_regex="^/v1/")

FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """The app with security installed over a migrated SQLite database, and admin headers."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'optix.db'}")
    upgrade(db)
    with db.transaction() as s:
        user = UserRepository(s).add(User(username="fuzz"))
        raw, _ = ApiKeyRepository(s).issue(user, "fuzz-admin", scopes=roles_for("admin"))
        alerts = AlertRepository(s)
        for i in range(3):
            alerts.record(AlertHistory(
                id=f"a{i}", ts=T0 + dt.timedelta(minutes=i), source="flow", alert_type="sweep",
                severity="HIGH", score=50.0, symbol="SPY", title=f"alert {i}", message="",
                payload={"side": 1}))
    app = _routes_app()
    install(app, Security(db, rate_per_s=1e9, burst=1e9), max_body_bytes=serve_app.MAX_BODY_BYTES,
            read_only=("/v1/pricing", "/v1/gex"))
    previous = pricing.get_backend()
    pricing.set_backend(pricing.LocalPricing())
    patch = pytest.MonkeyPatch()

    def no_actor(name: str, namespace: str | None = None) -> Any:
        raise ValueError(f"Failed to look up actor with name {name!r}.")

    patch.setattr(ray, "get_actor", no_actor)
    try:
        yield app, {"Authorization": f"Bearer {raw}"}
    finally:
        patch.undo()
        pricing.set_backend(previous)
        db.dispose()


def _detail(response: Any) -> Any:
    try:
        return response.json().get("detail")
    except Exception:
        return None


@SCHEMA.parametrize()
@FUZZ
def test_no_server_error(case: schemathesis.Case, secured: tuple[FastAPI, dict[str, str]]
                         ) -> None:
    app, headers = secured
    response = case.call(app=app, headers=headers)
    status = response.status_code
    if status == 503 and case.operation.path.startswith(ACTOR_BACKED):
        assert "is not running" in str(_detail(response)), response.text[:500]
        return
    case.validate_response(response, checks=[not_a_server_error], headers=headers,
                           transport_kwargs={"app": app})
    if 200 <= status < 300:
        case.validate_response(response, checks=[response_schema_conformance],
                               headers=headers, transport_kwargs={"app": app})
    elif 400 <= status < 500:
        assert _detail(response), f"{status} without a detail: {response.text[:500]}"


FIXED_5XX: list[tuple[str, dict[str, Any], str]] = [
    ("POST /v1/pricing/price", {"S": 5e-324, "K": 5e-324, "T": 1, "sigma": 0.5, "right": "c"},
     "subnormal S and K: ZeroDivisionError in the Greeks kernel (numba raised it; kernels now "
     "use error_model='numpy')"),
    ("POST /v1/pricing/price",
     {"S": 1, "K": 1, "T": 1e-300, "sigma": 0.5, "right": "c", "greeks_order": 2},
     "tiny T with second-order Greeks: ZeroDivisionError in the Greeks kernel"),
    ("POST /v1/pricing/price/batch",
     {"S": [5e-324], "K": [5e-324], "T": [1], "sigma": [0.5], "right": ["c"]},
     "subnormal S and K in a batch"),
    ("POST /v1/pricing/heston", {**_HESTON, "rho": 1e-310},
     "subnormal rho: the panel width took the floor of an infinite ratio"),
    ("POST /v1/pricing/montecarlo",
     {**_HESTON, "model": "heston", "xi": 1e-310, "paths": 100, "control": "none"},
     "subnormal xi: ZeroDivisionError in the Heston path kernel"),
    ("POST /v1/pricing/montecarlo",
     {**_HESTON, "model": "heston", "kappa": 5e-324, "paths": 100, "control": "none"},
     "subnormal kappa: ZeroDivisionError in the Heston path kernel"),
    ("POST /v1/pricing/montecarlo", {"S": 1e300, "K": 1, "T": 1, "right": "c", "sigma": 0},
     "huge S: numpy overflow in the Monte Carlo statistics (S and K are now at most 1e9)"),
]
"""Requests the fuzzing once answered with a 500, kept as regression tests."""


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize(("label", "body"), [
    pytest.param(label, body, id=f"{label.split()[1]}-{i}")
    for i, (label, body, _) in enumerate(FIXED_5XX)])
def test_degenerate_inputs_that_once_crashed_answer_without_a_server_error(
        label: str, body: dict[str, Any], secured: tuple[FastAPI, dict[str, str]]) -> None:
    """Each answers a 2xx or a 4xx with a detail."""
    app, headers = secured
    method, path = label.split()
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.request(method, path, json=body, headers=headers)
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        assert _detail(response)


def test_every_v1_operation_is_fuzzed() -> None:
    """The spec the fuzz test reads has the routers of serve.app (a guard against an empty run)."""
    labels = {result.ok().label for result in SCHEMA.get_all_operations()}
    assert {"POST /v1/pricing/price", "POST /v1/gex/chain", "GET /v1/alerts",
            "GET /v1/flow/events"} <= labels
    fixed = {label for label, _, _ in FIXED_5XX}
    assert fixed <= labels, fixed - labels
