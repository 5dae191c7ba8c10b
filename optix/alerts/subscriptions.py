"""Stored alert subscriptions: a user's named filter, read by polling with a cursor.

A subscription (table ``alert_subscriptions``) is an :class:`~optix.alerts.AlertFilter` with an
owner and a name. Its alerts are the ``alert_history`` rows stored after it was created that
pass the filter, in arrival order (``created_at``, then ``id``). :func:`poll` reads them a page
at a time: the severity, symbol and type conditions go to SQL, the premium and DTE conditions
(which read the JSON payload) are applied to the rows SQL returns. A page ends after ``limit``
matches or after ``scan`` stored alerts, whichever comes first, and its :class:`Cursor` is the
last alert *examined*, so a subscriber that matches rarely still moves forward and never reads
an alert twice.

Arrival order assumes one writer (the alert hub) committing in ``created_at`` order; an alert
committed late by a second writer with an older ``created_at`` would be behind cursors that
already passed it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from optix.alerts import AlertFilter, record_of
from optix.store.models import AlertSubscription
from optix.store.repositories import AlertRepository

__all__ = ["Cursor", "Page", "filter_of", "poll"]


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in arrival order: after the alert stored at ``created_at`` with ``id``."""

    created_at: dt.datetime
    id: str = ""

    def encode(self) -> str:
        """An opaque URL-safe token."""
        raw = f"{self.created_at.astimezone(dt.UTC).isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """The cursor of :meth:`encode`'s ``token``.

        Raises
        ------
        ValueError
            If ``token`` is not one.
        """
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            when, _, alert_id = raw.partition("|")
            at = dt.datetime.fromisoformat(when)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ValueError("cursor is not one this server issued") from None
        if at.tzinfo is None or len(alert_id) > 64:
            raise ValueError("cursor is not one this server issued")
        return cls(at, alert_id)


@dataclass(frozen=True, slots=True)
class Page:
    """One poll's answer: the matching alerts (as records) and where the next poll starts."""

    alerts: list[dict[str, Any]]
    cursor: Cursor
    scanned: int
    more: bool
    """True when the page stopped at ``limit`` or ``scan``: poll again right away."""


def filter_of(sub: AlertSubscription) -> AlertFilter:
    """The :class:`AlertFilter` a stored subscription names."""
    return AlertFilter.of(sub.min_severity, sub.symbols, sub.types, sub.min_premium,
                          sub.min_dte, sub.max_dte)


def poll(session: Session, sub: AlertSubscription, cursor: Cursor | None = None,
         limit: int = 100, scan: int = 5_000) -> Page:
    """The next page of ``sub``'s alerts after ``cursor`` (default: since it was created).

    Parameters
    ----------
    session : Session
        An open session (read only).
    sub : AlertSubscription
        The subscription.
    cursor : Cursor, optional
        The ``cursor`` of the previous page.
    limit : int
        Most alerts returned.
    scan : int
        Most stored alerts examined (bounds the work of a filter that matches rarely).

    Returns
    -------
    Page
    """
    if limit < 1 or scan < 1:
        raise ValueError(f"limit and scan must be at least 1, got {limit} and {scan}")
    flt = filter_of(sub)
    at = cursor or Cursor(sub.created_at)
    repo = AlertRepository(session)
    out: list[dict[str, Any]] = []
    scanned = 0
    chunk = min(max(limit, 200), scan)
    while len(out) < limit and scanned < scan:
        want = min(chunk, scan - scanned)
        rows = repo.arrived_after(
            after=at.created_at, after_id=at.id, min_severity=flt.min_severity.name,
            types=sorted(flt.types) if flt.types is not None else None,
            symbols=sorted(flt.symbols) if flt.symbols is not None else None,
            limit=want)
        for row in rows:
            scanned += 1
            at = Cursor(row.created_at, row.id)
            rec = record_of(row)
            if flt.matches(rec):
                out.append(rec)
                if len(out) == limit:
                    break
        if len(rows) < want:
            return Page(out, at, scanned, len(out) == limit)
    return Page(out, at, scanned, True)
