"""Alert subscriptions over HTTP: create, list, read, delete, and poll a subscription's alerts.

A subscription belongs to the user of the key that created it; other users' subscriptions are
404 to it. Its filters are a flow trader's: symbols, alert types (or sources), minimum
severity, minimum premium and a days-to-expiry range (:class:`optix.alerts.AlertFilter`).
``GET /v1/alerts/subscriptions/{id}/alerts`` returns the alerts stored since the subscription
was created that pass its filters, in arrival order; pass the ``cursor`` of one page to get
the next (:mod:`optix.alerts.subscriptions`). Creating and deleting are audited.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from optix.alerts.subscriptions import Cursor, poll
from optix.config import Severity
from optix.store import Database
from optix.store.models import AlertSubscription
from optix.store.repositories import AlertSubscriptionRepository
from serve._actors import is_ticker
from serve.security import Principal, database_of, principal_of

__all__ = ["SubscriptionIn", "router"]

router = APIRouter(prefix="/v1/alerts/subscriptions", tags=["alerts"])

MAX_SUBSCRIPTIONS = 100
"""Most subscriptions one user may hold."""

_TYPE = re.compile(r"^[a-z0-9_]{1,48}$")


class SubscriptionIn(BaseModel):
    """A new subscription: a name unique to its owner and the filters."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9 ._-]+$")
    symbols: list[str] | None = Field(None, min_length=1, max_length=500,
                                      description="Underlyings; null for all")
    types: list[str] | None = Field(
        None, min_length=1, max_length=50,
        description="Alert types (sweep, block, flip_proximity, ...) or sources (flow, gex); "
                    "null for all")
    min_severity: Severity = "INFO"
    min_premium: float = Field(0.0, ge=0, le=1e12, allow_inf_nan=False,
                               description="Dollars; above 0 only alerts with a premium match")
    min_dte: int | None = Field(None, ge=0, le=3650, description="Days to expiry, at least")
    max_dte: int | None = Field(None, ge=0, le=3650, description="Days to expiry, at most")

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        for s in v:
            if not is_ticker(s):
                raise ValueError(f"symbol {s[:20]!r} is not a ticker")
        return sorted({s.upper() for s in v})

    @field_validator("types")
    @classmethod
    def _types(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        for t in v:
            if not _TYPE.match(t):
                raise ValueError(f"type {t[:20]!r} is not an alert type or source")
        return sorted(set(v))

    @model_validator(mode="after")
    def _dte_range(self) -> SubscriptionIn:
        if self.min_dte is not None and self.max_dte is not None and self.min_dte > self.max_dte:
            raise ValueError(f"min_dte {self.min_dte} is above max_dte {self.max_dte}")
        return self


Db = Annotated[Database, Depends(database_of)]
Who = Annotated[Principal, Depends(principal_of)]


def _out(sub: AlertSubscription) -> dict[str, Any]:
    return {"id": str(sub.id), "name": sub.name, "symbols": sub.symbols, "types": sub.types,
            "min_severity": sub.min_severity, "min_premium": sub.min_premium,
            "min_dte": sub.min_dte, "max_dte": sub.max_dte,
            "created_at": sub.created_at.isoformat()}


@router.post("", status_code=201, summary="Create an alert subscription")
async def create(body: SubscriptionIn, db: Db, who: Who) -> dict[str, Any]:
    """Store the subscription; 409 if the caller already has one of that name."""
    def run() -> dict[str, Any]:
        with db.transaction() as s:
            repo = AlertSubscriptionRepository(s)
            if repo.by_name(who.user_id, body.name) is not None:
                raise HTTPException(409, f"a subscription named {body.name!r} exists")
            if len(repo.of_user(who.user_id)) >= MAX_SUBSCRIPTIONS:
                raise HTTPException(409, f"at most {MAX_SUBSCRIPTIONS} subscriptions per user")
            sub = repo.add(AlertSubscription(user_id=who.user_id, **body.model_dump()))
            return _out(sub)

    try:
        return await run_in_threadpool(run)
    except IntegrityError:  # a concurrent create of the same name
        raise HTTPException(409, f"a subscription named {body.name!r} exists") from None


@router.get("", summary="The caller's alert subscriptions")
async def list_subscriptions(db: Db, who: Who) -> dict[str, Any]:
    """Every subscription of the caller's user, oldest first."""
    def run() -> list[dict[str, Any]]:
        with db.transaction() as s:
            return [_out(x) for x in AlertSubscriptionRepository(s).of_user(who.user_id)]

    return {"subscriptions": await run_in_threadpool(run)}


@router.get("/{sub_id}", summary="One alert subscription")
async def get_subscription(sub_id: uuid.UUID, db: Db, who: Who) -> dict[str, Any]:
    """The subscription; 404 if there is none of the caller's with this id."""
    def run() -> dict[str, Any]:
        with db.transaction() as s:
            sub = AlertSubscriptionRepository(s).owned(who.user_id, sub_id)
            if sub is None:
                raise HTTPException(404, f"no subscription {sub_id}")
            return _out(sub)

    return await run_in_threadpool(run)


@router.delete("/{sub_id}", status_code=204, summary="Delete an alert subscription")
async def delete_subscription(sub_id: uuid.UUID, db: Db, who: Who) -> Response:
    """Delete it; 404 if there is none of the caller's with this id."""
    def run() -> None:
        with db.transaction() as s:
            repo = AlertSubscriptionRepository(s)
            sub = repo.owned(who.user_id, sub_id)
            if sub is None:
                raise HTTPException(404, f"no subscription {sub_id}")
            s.delete(sub)

    await run_in_threadpool(run)
    return Response(status_code=204)


@router.get("/{sub_id}/alerts", summary="Poll a subscription's alerts (arrival order)")
async def subscription_alerts(
    sub_id: uuid.UUID, db: Db, who: Who,
    cursor: Annotated[str | None, Query(max_length=200,
                                        description="The cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Alerts stored since the subscription was created (or after ``cursor``) that pass it.

    ``more`` is true when the page stopped early and the next poll can follow at once.
    """
    try:
        after = None if cursor is None else Cursor.decode(cursor)
    except ValueError as exc:
        raise HTTPException(422, f"cursor: {exc}") from None

    def run() -> dict[str, Any]:
        with db.transaction() as s:
            sub = AlertSubscriptionRepository(s).owned(who.user_id, sub_id)
            if sub is None:
                raise HTTPException(404, f"no subscription {sub_id}")
            page = poll(s, sub, after, limit)
            return {"alerts": page.alerts, "cursor": page.cursor.encode(), "more": page.more,
                    "scanned": page.scanned}

    return await run_in_threadpool(run)
