"""Alert endpoints: the stored alert history with filters and paging, and acknowledgement."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from optix.alerts import record_of
from optix.config import Severity
from optix.store import Database
from optix.store.repositories import AlertRepository
from serve.security import database_of, require

__all__ = ["router"]

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])



@router.get("", summary="Stored alerts, newest first, with filters and paging")
async def list_alerts(
    db: Annotated[Database, Depends(database_of)],
    min_severity: Severity = "INFO",
    types: Annotated[list[str] | None, Query(alias="type", max_length=20)] = None,
    symbol: Annotated[str | None, Query(max_length=16)] = None,
    source: Literal["flow", "gex", "ml", "trading", "system"] | None = None,
    since: dt.datetime | None = None,
    before: dt.datetime | None = None,
    before_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Alerts at or above ``min_severity``; page back with the ``next`` cursor of a page."""
    def run() -> list[dict[str, Any]]:
        with db.transaction() as s:
            rows = AlertRepository(s).query(
                min_severity=min_severity, alert_types=types, symbol=symbol.upper()
                if symbol else None, since=since, limit=limit, before=before,
                before_id=before_id, source=source)
            return [record_of(a) for a in rows]

    alerts = await run_in_threadpool(run)
    nxt = ({"before": alerts[-1]["ts"], "before_id": alerts[-1]["id"]}
           if len(alerts) == limit else None)
    return {"alerts": alerts, "next": nxt}


@router.post("/{alert_id}/ack", summary="Acknowledge an alert",
             dependencies=[Depends(require("trade"))])
async def acknowledge(alert_id: str, db: Annotated[Database, Depends(database_of)]
                      ) -> dict[str, Any]:
    """Mark the alert acknowledged now; 404 if there is no such alert."""
    now = dt.datetime.now(dt.UTC)

    def run() -> bool:
        with db.transaction() as s:
            return AlertRepository(s).acknowledge(alert_id, now)

    if not await run_in_threadpool(run):
        raise HTTPException(404, f"no alert {alert_id!r}")
    return {"id": alert_id, "acknowledged_at": now.isoformat()}
