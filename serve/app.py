"""The OPTIX HTTP application: a FastAPI ingress deployment on Ray Serve, composing the others.

Open endpoints: ``GET /healthz`` (database and cache checks), ``GET /readyz`` (database,
cache and actors) and the OpenAPI pages. Everything else (``/version`` too: it names the
runtimes) needs an API key
(``Authorization: Bearer <key>`` or ``X-API-Key``; ``optix keys create``) with the route's role,
is rate limited per key, and every mutating call leaves an audit row (:mod:`serve.security`).
Pricing (``/v1/pricing``) runs in its own deployment, which batches concurrent single-contract
requests (:mod:`serve.pricing`); GEX of a posted chain (``/v1/gex``) is computed in the ``gex``
deployment (:mod:`serve.gex`); flow, GEX of held symbols and the cluster view come from the actors
(:mod:`serve.flow`); ``GET /metrics`` gathers every node's Prometheus metrics
(:mod:`serve.metrics`).
"""

from __future__ import annotations

import platform
import time
from collections.abc import Mapping
from typing import Any

import ray
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from ray import serve
from ray.serve.deployment import Application

import optix
from optix.config import OptixSettings, load_settings
from optix.log import protect
from optix.store import Database, head_revision, make_cache
from optix.store.cache import RedisCache
from optix.store.migrate import current_revision
from serve import alerts, flow, gex, metrics, pricing, subscriptions
from serve.security import Security, install, require

api = FastAPI(
    title="OPTIX",
    version=optix.__version__,
    description="Options intelligence: flow, dealer gamma, pricing, prediction, trading agent.",
)
api.include_router(pricing.router, dependencies=[Depends(require("read"))])
api.include_router(gex.router, dependencies=[Depends(require("read"))])
api.include_router(subscriptions.router, dependencies=[Depends(require("read"))])
api.include_router(alerts.router, dependencies=[Depends(require("read"))])
api.include_router(flow.router, dependencies=[Depends(require("read"))])
api.include_router(metrics.router, dependencies=[Depends(require("read"))])

READY_TIMEOUT_S = 5.0
"""How long ``/readyz`` waits for the alert hub."""

MAX_BODY_BYTES = 32 << 20
"""Request-size limit: a 100,000-row pricing batch is about 4 MB of JSON."""


@serve.deployment(name="ingress", ray_actor_options={"num_cpus": 0})
@serve.ingress(api)
class Ingress:
    """FastAPI ingress; holds the database and cache handles of its replica."""

    def __init__(self, settings: OptixSettings, pricing_handle: Any = None,
                 gex_handle: Any = None) -> None:
        protect(settings.secrets(), settings.secret_urls())
        self.settings = settings
        self.started = time.time()
        self.db = Database(settings.database)
        self.cache = make_cache(settings.cache)
        api.state.optix_namespace = settings.ray.namespace  # where optix up's actors live
        security = Security(self.db, rate_per_s=settings.serve.rate_per_s,
                            burst=settings.serve.rate_burst)
        install(api, security, max_body_bytes=MAX_BODY_BYTES,
                read_only=("/v1/pricing", "/v1/gex"))  # these POSTs compute, change nothing
        api.add_middleware(metrics.HttpMetrics)  # outermost: times auth and audit too
        if pricing_handle is not None:
            # closed forms (single contracts, batches, IVs) in this replica: a hop to the
            # pricing deployment costs more than the work (benchmarks/serve.py); single
            # contracts are still batched; American, Heston, Monte Carlo go to the deployment
            pricing.set_backend(pricing.HandleBackend(pricing_handle, local_closed_form=True))
        gex.set_handle(gex_handle)

    @api.get("/healthz", summary="Liveness and dependency checks")
    def healthz(self) -> JSONResponse:
        """200 when the database answers (cache trouble only degrades); 503 otherwise."""
        db_ok = self.db.ping()
        cache: dict[str, Any] = {"backend": self.cache.backend, "ok": True}
        if isinstance(self.cache, RedisCache):
            cache["ok"] = self.cache.ping()
        status = "ok" if db_ok and cache["ok"] else ("degraded" if db_ok else "down")
        body = {
            "status": status,
            "uptime_s": round(time.time() - self.started, 3),
            "checks": {
                "database": {"ok": db_ok, "dialect": self.db.dialect},
                "cache": cache,
            },
        }
        return JSONResponse(body, status_code=200 if db_ok else 503)

    @api.get("/readyz", summary="Readiness: database, cache and the actors reachable")
    def readyz(self) -> JSONResponse:
        """200 when the database, the cache and the pipeline's alert hub all answer; else 503."""
        db_ok = self.db.ping()
        cache_ok = self.cache.ping() if isinstance(self.cache, RedisCache) else True
        actors: dict[str, Any] = {"ok": False}
        try:
            hub = ray.get_actor("optix-alert-hub", namespace=self.settings.ray.namespace)
            # the hub answers between publishes: under load a call may wait a batch or two
            reply: Any = ray.get(hub.stats.remote(), timeout=READY_TIMEOUT_S)
            stats = dict(reply)
            actors = {"ok": True, "alerts_received": stats.get("received")}
        except Exception as exc:  # not running, or not answering
            actors["detail"] = type(exc).__name__
        ok = db_ok and cache_ok and actors["ok"]
        body = {"status": "ready" if ok else "not ready",
                "checks": {"database": db_ok, "cache": cache_ok, "actors": actors}}
        return JSONResponse(body, status_code=200 if ok else 503)

    @api.get("/version", summary="Versions of OPTIX, its schema, Ray and Python",
             dependencies=[Depends(require("read"))])
    def version(self) -> dict[str, Any]:
        """Release numbers of the running system."""
        try:
            schema = current_revision(self.db)
        except Exception:
            schema = None
        return {
            "optix": optix.__version__,
            "schema": schema,
            "schema_head": head_revision(),
            "ray": ray.__version__,
            "python": platform.python_version(),
        }


def build_app(settings: OptixSettings,
              options: Mapping[str, Mapping[str, Any]] | None = None) -> Application:
    """The Serve application of OPTIX, bound to ``settings``.

    Parameters
    ----------
    settings : OptixSettings
        Database, cache and namespace of the replicas.
    options : mapping, optional
        ``Deployment.options()`` arguments by deployment name (``ingress``, ``pricing``,
        ``gex``), as
        :func:`serve.deploy.deployment_options` reads them from the Serve config file.
    """
    opts = dict(options or {})
    unknown = set(opts) - {"ingress", "pricing", "gex"}
    if unknown:
        raise ValueError(f"no deployments {sorted(unknown)} in the OPTIX app "
                         "(it has ingress, pricing and gex)")
    # @serve.deployment turns each class into a Deployment, which mypy cannot see
    price = pricing.PricingDeployment.options(**opts.get("pricing", {}))  # type: ignore[attr-defined]
    gex_dep = gex.GexDeployment.options(**opts.get("gex", {}))  # type: ignore[attr-defined]
    ingress = Ingress.options(**opts.get("ingress", {}))  # type: ignore[attr-defined]
    app: Application = ingress.bind(settings, price.bind(), gex_dep.bind())
    return app


def app_builder(args: dict[str, Any]) -> Application:
    """The ``import_path`` of ``serve/config.yaml``: settings from the environment plus ``args``.

    ``args`` are settings overrides by section (``{"feed": {"symbols": 2000}}``); ``serve
    deploy`` applies the file's deployment options itself.
    """
    return build_app(load_settings(**(args or {})))
