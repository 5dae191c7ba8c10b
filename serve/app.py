"""The OPTIX HTTP application: one FastAPI ingress deployment on Ray Serve.

Endpoints so far: ``GET /healthz`` (database and cache checks) and ``GET /version``.
Later issues compose pricing, GEX, flow and alert deployments behind this ingress.
"""

from __future__ import annotations

import platform
import time
from typing import Any

import ray
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from ray import serve
from ray.serve.deployment import Application

import optix
from optix.config import OptixSettings
from optix.log import protect
from optix.store import Database, head_revision, make_cache
from optix.store.cache import RedisCache
from optix.store.migrate import current_revision

api = FastAPI(
    title="OPTIX",
    version=optix.__version__,
    description="Options intelligence: flow, dealer gamma, pricing, prediction, trading agent.",
)


@serve.deployment(name="ingress", ray_actor_options={"num_cpus": 0})
@serve.ingress(api)
class Ingress:
    """FastAPI ingress; holds the database and cache handles of its replica."""

    def __init__(self, settings: OptixSettings) -> None:
        protect(settings.secrets(), settings.secret_urls())
        self.settings = settings
        self.started = time.time()
        self.db = Database(settings.database)
        self.cache = make_cache(settings.cache)

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

    @api.get("/version", summary="Versions of OPTIX, its schema, Ray and Python")
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


def build_app(settings: OptixSettings) -> Application:
    """The Serve application of OPTIX, bound to ``settings``."""
    return Ingress.bind(settings)
