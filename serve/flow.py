"""Flow endpoints backed by the actors: events, aggregates, the cluster and a symbol's summary.

Events come from the alert hub (its recent alerts, newest first) filtered by type, severity,
side, premium and days to expiry; the aggregates, the cluster view and the per-symbol summary
come from the pipeline actor of ``optix up``. When the pipeline does not run, these answer 503.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from optix.config import Severity
from serve._actors import actor, call

__all__ = ["router"]

router = APIRouter(prefix="/v1/flow", tags=["flow"])

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
    hub = actor(request, "optix-alert-hub")
    recent = await call(hub.recent.remote(10_000, symbol.upper() if symbol else None,
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


@router.get("/aggregates", summary="The 60-minute flow window of a symbol or the market")
async def aggregates(
    request: Request,
    symbol: Annotated[str | None, Query(max_length=16, pattern=r"^[A-Za-z0-9.]+$")] = None,
    top: Annotated[int, Query(ge=1, le=500)] = 20,
) -> dict[str, Any]:
    """Sums per underlying, events by type, and the ``top`` contracts by premium (last hour).

    The sums are prints, contracts, premium, bought and sold premium, call/put ratios and
    sentiment (:meth:`optix.flow.aggregate.FlowAggregator.summary`).
    """
    out: dict[str, Any] = await call(actor(request, "optix-pipeline").flow_aggregates.remote(
        symbol.upper() if symbol else None, top))
    return out


@router.get("/cluster", summary="Shards, nodes, lag, throughput and checkpoint age")
async def cluster_view(request: Request) -> dict[str, Any]:
    """The pipeline's cluster view."""
    out: dict[str, Any] = await call(actor(request, "optix-pipeline").cluster_view.remote())
    return out


@router.get("/symbols/{symbol}", summary="A symbol's flow windows, GEX levels, recent alerts")
async def symbol_summary(request: Request, symbol: str) -> dict[str, Any]:
    """The per-symbol summary from the shard that holds ``symbol``."""
    if not (0 < len(symbol) <= 16 and symbol.replace(".", "").isalnum()):
        raise HTTPException(422, "symbol must be 1-16 letters or digits")
    out: dict[str, Any] = await call(
        actor(request, "optix-pipeline").summary.remote(symbol.upper()))
    return out
