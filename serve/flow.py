"""Flow endpoints backed by the actors: recent events, the cluster view and a symbol's summary.

Events come from the alert hub (its recent alerts, newest first) filtered by type, severity,
side, premium and days to expiry; the cluster view and the per-symbol summary come from the
pipeline actor of ``optix up``. When the pipeline does not run, these answer 503.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import ray
from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from optix.config import Severity

__all__ = ["router"]

router = APIRouter(prefix="/v1/flow", tags=["flow"])

_TIMEOUT_S = 5.0


def _actor(request: Request, name: str) -> Any:
    namespace = getattr(request.app.state, "optix_namespace", "optix")
    try:
        return ray.get_actor(name, namespace=namespace)
    except ValueError:
        raise HTTPException(503, f"{name} is not running (start the pipeline with optix up)"
                            ) from None


async def _call(ref: Any) -> Any:
    try:
        return await run_in_threadpool(ray.get, ref, timeout=_TIMEOUT_S)
    except ray.exceptions.GetTimeoutError:
        raise HTTPException(503, "the actors did not answer in time") from None


def _dte(record: dict[str, Any], today: dt.date) -> int | None:
    expiry = record.get("payload", {}).get("expiry")
    if not expiry:
        return None
    return (dt.date.fromisoformat(str(expiry)[:10]) - today).days


@router.get("/events", summary="Recent flow events, newest first, with filters")
async def events(
    request: Request,
    symbol: Annotated[str | None, Query(max_length=16)] = None,
    types: Annotated[list[str] | None, Query(alias="type", max_length=20)] = None,
    min_severity: Severity = "INFO",
    side: Literal["buy", "sell"] | None = None,
    min_premium: Annotated[float, Query(ge=0)] = 0.0,
    min_dte: Annotated[int | None, Query(ge=0)] = None,
    max_dte: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Flow alerts the hub has seen (of ``symbol``, or the whole market)."""
    hub = _actor(request, "optix-alert-hub")
    recent = await _call(hub.recent.remote(10_000, symbol.upper() if symbol else None,
                                           min_severity))
    today = dt.datetime.now(dt.UTC).date()
    want_side = {"buy": 1, "sell": -1}.get(side or "")
    out = []
    for rec in recent:
        pay = rec.get("payload", {})
        if rec.get("source") != "flow" or (types and rec.get("alert_type") not in types):
            continue
        if want_side is not None and pay.get("side") != want_side:
            continue
        if float(pay.get("premium") or 0.0) < min_premium:
            continue
        if min_dte is not None or max_dte is not None:
            dte = _dte(rec, today)
            if dte is None or (min_dte is not None and dte < min_dte) or (
                    max_dte is not None and dte > max_dte):
                continue
        out.append(rec)
        if len(out) == limit:
            break
    return {"events": out}


@router.get("/cluster", summary="Shards, nodes, lag, throughput and checkpoint age")
async def cluster_view(request: Request) -> dict[str, Any]:
    """The pipeline's cluster view."""
    out: dict[str, Any] = await _call(_actor(request, "optix-pipeline").cluster_view.remote())
    return out


@router.get("/symbols/{symbol}", summary="A symbol's flow windows, GEX levels, recent alerts")
async def symbol_summary(request: Request, symbol: str) -> dict[str, Any]:
    """The per-symbol summary from the shard that holds ``symbol``."""
    if not (0 < len(symbol) <= 16 and symbol.replace(".", "").isalnum()):
        raise HTTPException(422, "symbol must be 1-16 letters or digits")
    out: dict[str, Any] = await _call(
        _actor(request, "optix-pipeline").summary.remote(symbol.upper()))
    return out
