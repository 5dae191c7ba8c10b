"""Flow endpoints backed by the actors: events, aggregates, the cluster and a symbol's summary.

Events come from the alert hub (its recent alerts, newest first) filtered by type, severity,
side, premium and days to expiry; the aggregates, the cluster view and the per-symbol summary
come from the pipeline actor of ``optix up``. When the pipeline does not run, these answer 503.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from optix.alerts import AlertFilter
from optix.config import Severity
from serve._actors import actor, call, symbol_of

__all__ = ["router"]

router = APIRouter(prefix="/v1/flow", tags=["flow"])

@router.get("/events", summary="Recent flow events, newest first, with filters")
async def events(
    request: Request,
    symbol: Annotated[str | None, Query(max_length=16)] = None,
    types: Annotated[list[str] | None, Query(alias="type", max_length=20)] = None,
    min_severity: Severity = "INFO",
    side: Literal["buy", "sell"] | None = None,
    min_premium: Annotated[float, Query(ge=0, le=1e12)] = 0.0,
    min_dte: Annotated[int | None, Query(ge=0)] = None,
    max_dte: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Flow alerts the hub has seen (of ``symbol``, or the whole market).

    The filters are :class:`optix.alerts.AlertFilter`'s (days to expiry are counted from each
    alert's New York date, as for subscriptions), plus the side of the trade.
    """
    try:
        flt = AlertFilter.of(min_severity, None, types, min_premium, min_dte, max_dte)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    hub = actor(request, "optix-alert-hub")
    recent = await call(hub.recent.remote(10_000, symbol_of(symbol) if symbol else None,
                                          min_severity))
    want_side = {"buy": 1, "sell": -1}.get(side or "")
    out = []
    for rec in recent:
        if rec.get("source") != "flow" or not flt.matches(rec):
            continue
        if want_side is not None and rec.get("payload", {}).get("side") != want_side:
            continue
        out.append(rec)
        if len(out) == limit:
            break
    return {"events": out}


@router.get("/aggregates", summary="The 60-minute flow window of a symbol or the market")
async def aggregates(
    request: Request,
    symbol: Annotated[str | None, Query(max_length=16)] = None,
    top: Annotated[int, Query(ge=1, le=500)] = 20,
) -> dict[str, Any]:
    """Sums per underlying, events by type, and the ``top`` contracts by premium (last hour).

    The sums are prints, contracts, premium, bought and sold premium, call/put ratios and
    sentiment (:meth:`optix.flow.aggregate.FlowAggregator.summary`).
    """
    out: dict[str, Any] = await call(actor(request, "optix-pipeline").flow_aggregates.remote(
        symbol_of(symbol) if symbol else None, top))
    return out


@router.get("/cluster", summary="Shards, nodes, lag, throughput and checkpoint age")
async def cluster_view(request: Request) -> dict[str, Any]:
    """The pipeline's cluster view."""
    out: dict[str, Any] = await call(actor(request, "optix-pipeline").cluster_view.remote())
    return out


@router.get("/symbols/{symbol}", summary="A symbol's flow windows, GEX levels, recent alerts")
async def symbol_summary(request: Request, symbol: str) -> dict[str, Any]:
    """The per-symbol summary from the shard that holds ``symbol``."""
    out: dict[str, Any] = await call(
        actor(request, "optix-pipeline").summary.remote(symbol_of(symbol)))
    return out
