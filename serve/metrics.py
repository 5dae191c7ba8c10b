"""``GET /metrics``: the cluster's Prometheus metrics, and the HTTP metrics of the API.

Every Ray node runs a metrics agent that serves, in Prometheus text format, what the node's
workers record: Ray's own metrics, Serve's (``ray_serve_*``: requests, latency, replicas, queue
lengths per deployment) and ours, recorded with ``ray.util.metrics`` and prefixed ``ray_``:

* ``ray_optix_http_requests_total{route, method, status}`` and
  ``ray_optix_http_request_seconds{route, method}`` (histogram), from :class:`HttpMetrics`,
  this module's ASGI middleware; ``route`` is the route's template
  (``/v1/gex/symbols/{symbol}``), so paths never explode the label set;
* ``ray_optix_trades_processed_total``, ``ray_optix_alerts_emitted_total`` and the others of
  :mod:`actors.metrics`.

:func:`gather` reads every alive node's agent and merges the families, so one scrape of the
API sees the whole cluster. Ray reports a worker's metrics to its agent every few seconds: a
count is visible in ``/metrics`` a few seconds after it happened.
"""

from __future__ import annotations

import logging
import time
import urllib.request
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ray
from fastapi import APIRouter, HTTPException
from fastapi.responses import PlainTextResponse
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector, CollectorRegistry
from starlette.concurrency import run_in_threadpool

from actors.metrics import LATENCY_BOUNDARIES_S
from serve._asgi import StatusSend

__all__ = ["HttpMetrics", "gather", "router"]

log = logging.getLogger("optix.serve")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]],
                    Callable[[Message], Awaitable[None]]], Awaitable[None]]


router = APIRouter(tags=["operations"])


class _Recorder:
    """The HTTP metrics of this process (made once, on first use, inside a Ray worker)."""

    def __init__(self) -> None:
        from ray.util.metrics import Counter, Histogram

        self.requests = Counter("optix_http_requests_total", "HTTP requests by route and status",
                                tag_keys=("route", "method", "status"))
        self.latency = Histogram("optix_http_request_seconds",
                                 "HTTP request latency in the ingress, by route",
                                 boundaries=LATENCY_BOUNDARIES_S, tag_keys=("route", "method"))

    def record(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.inc(1, tags={"route": route, "method": method, "status": str(status)})
        self.latency.observe(seconds, tags={"route": route, "method": method})


_recorder: _Recorder | None = None


def _record(route: str, method: str, status: int, seconds: float) -> None:
    global _recorder
    if not ray.is_initialized():  # an in-process app (tests, tools): nothing to export to
        return
    if _recorder is None:
        _recorder = _Recorder()
    _recorder.record(route, method, status, seconds)


class HttpMetrics:
    """ASGI middleware counting each HTTP request and its latency under its route template.

    Parameters
    ----------
    app : ASGI app
        The application to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        """Time the request; record it once the response has started (or failed)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        tracked = StatusSend(send)
        try:
            await self.app(scope, receive, tracked)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            try:
                _record(str(route), str(scope.get("method", "?")), tracked.status,
                        time.perf_counter() - t0)
            except Exception:  # metrics must never fail a request
                log.exception("could not record the metrics of %s", route)


class _Merged(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def _fetch(url: str, timeout_s: float) -> str:
    with urllib.request.urlopen(url, timeout=timeout_s) as r:
        body: bytes = r.read()
    return body.decode("utf-8", "replace")


def gather(timeout_s: float = 5.0) -> tuple[bytes, list[str]]:
    """Every alive node's metrics, merged into one Prometheus text exposition.

    Returns
    -------
    bytes
        The exposition (each family once, with the samples of every node).
    list of str
        The nodes that did not answer (address and reason).
    """
    nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("MetricsExportPort")]
    urls = [f"http://{n['NodeManagerAddress']}:{n['MetricsExportPort']}/metrics"
            for n in nodes]
    failed: list[str] = []
    families: dict[str, Metric] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(urls)))) as pool:
        futures = [(u, pool.submit(_fetch, u, timeout_s)) for u in urls]
        for url, fut in futures:
            try:
                text = fut.result()
            except Exception as exc:
                failed.append(f"{url}: {type(exc).__name__}")
                continue
            for fam in text_string_to_metric_families(text):
                have = families.get(fam.name)
                if have is None:
                    families[fam.name] = fam
                elif have.type == fam.type:
                    have.samples.extend(fam.samples)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Merged(list(families.values())))
    return generate_latest(registry), failed


@router.get("/metrics", summary="Prometheus metrics of the cluster (Ray, Serve and OPTIX)",
            response_class=PlainTextResponse)
async def metrics() -> PlainTextResponse:
    """The merged exposition of every node; 503 when no node answered."""
    if not ray.is_initialized():
        raise HTTPException(503, "not running on Ray: no metrics to export")
    body, failed = await run_in_threadpool(gather)
    if failed and not body:
        raise HTTPException(503, f"no node's metrics agent answered: {failed}")
    headers = {"X-OPTIX-Metrics-Missing": str(len(failed))} if failed else {}
    return PlainTextResponse(body, media_type=CONTENT_TYPE_LATEST, headers=headers)
