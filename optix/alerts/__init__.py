"""Alerts: records, severity filters, dedup, subscriptions and persistence to ``alert_history``.

An alert travels as a *record*: the plain dict that :meth:`optix.flow.scoring.ScoredAlert.as_record`
and :meth:`optix.gex.alerts.GexAlert.as_record` return (``id``, ``source``, ``alert_type``,
``severity``, ``score``, ``symbol``, ``title``, ``message``, ``payload`` and, for flow,
``ts_ns``). :func:`normalize_record` checks one and gives it a ``ts_ns`` (a GEX record's is
``payload["as_of_ns"]``) and a strict-JSON payload.

:class:`AlertBook` is the state of an alert hub without the hub: it drops duplicates (an id seen
before, in memory, or one the database already holds, through the ``persist`` callback), keeps
the most recent alerts, and fans new ones out to named subscriptions, each with an
:class:`AlertFilter` and either a callable sink (the console) or a bounded queue that the
subscriber drains. :func:`store_alerts` is the ``persist`` callback for a
:class:`~optix.store.Database`. Nothing here reads the wall clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from optix.alerts.console import ConsoleChannel, format_alert_line
from optix.core.jsonsafe import json_safe
from optix.flow.scoring import Severity
from optix.store.db import Database
from optix.store.models import AlertHistory
from optix.store.repositories import AlertRepository
from optix.store.repositories.analytics import datetime_to_ns, ns_to_datetime

__all__ = [
    "SOURCES",
    "AlertBook",
    "AlertFilter",
    "ConsoleChannel",
    "SeenIds",
    "Sink",
    "Subscription",
    "days_to_expiry",
    "format_alert_line",
    "history_row",
    "json_safe",
    "normalize_record",
    "parse_severity",
    "record_of",
    "store_alerts",
]

log = logging.getLogger("optix.alerts")

_NEW_YORK = ZoneInfo("America/New_York")

SOURCES = ("flow", "gex", "ml", "trading", "system")
"""Allowed ``source`` values (the ``alert_history`` check constraint)."""

Sink = Callable[[dict[str, Any]], None]
"""A subscriber that takes each matching record as it arrives."""

_MAX_ID = 64
_MAX_TYPE = 48
_MAX_SYMBOL = 16
_MAX_TITLE = 200


def parse_severity(value: str | int | Severity) -> Severity:
    """A :class:`~optix.flow.scoring.Severity` from a name (any case), a number or itself.

    Raises
    ------
    ValueError
        For anything that names no severity.
    """
    if isinstance(value, Severity):
        return value
    if isinstance(value, str):
        try:
            return Severity[value.strip().upper()]
        except KeyError:
            pass
    elif isinstance(value, int) and not isinstance(value, bool):
        try:
            return Severity(value)
        except ValueError:
            pass
    names = ", ".join(s.name for s in Severity)
    raise ValueError(f"severity must be one of {names}, got {value!r}")


def _text(record: Mapping[str, Any], key: str, limit: int, required: bool = True) -> str | None:
    v = record.get(key)
    if v is None or v == "":
        if required:
            raise ValueError(f"alert record {record.get('id')!r} has no {key!r}")
        return None
    s = str(v)
    if len(s) > limit:
        raise ValueError(f"alert record {key!r} is longer than {limit} characters: {s[:80]!r}")
    return s


def normalize_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """Check an alert record and return its canonical form.

    Parameters
    ----------
    record : mapping
        A flow or GEX record (module docstring).

    Returns
    -------
    dict
        ``id, ts_ns, source, alert_type, severity, score, symbol, title, message, payload``:
        severity as its upper-case name, score a float or None, ``ts_ns`` from the record or
        from ``payload["as_of_ns"]``, the title cut to 200 characters and the payload strict
        JSON (:func:`json_safe`).

    Raises
    ------
    ValueError
        A missing or too long id, alert type or title, an unknown source or severity, or no
        timestamp.
    """
    rid = _text(record, "id", _MAX_ID)
    source = str(record.get("source", ""))
    if source not in SOURCES:
        raise ValueError(f"alert record {rid!r}: source must be one of {SOURCES}, got {source!r}")
    alert_type = _text(record, "alert_type", _MAX_TYPE)
    severity = parse_severity(record.get("severity", "")).name
    payload_in = record.get("payload") or {}
    if not isinstance(payload_in, Mapping):
        raise ValueError(f"alert record {rid!r}: payload must be a mapping")
    payload: dict[str, Any] = json_safe(payload_in)
    ts = record.get("ts_ns")
    if ts is None:
        ts = payload_in.get("as_of_ns", payload_in.get("ts_ns"))
    if ts is None:
        raise ValueError(f"alert record {rid!r} has no ts_ns (nor payload as_of_ns)")
    score = record.get("score")
    score_f = None if score is None else float(score)
    if score_f is not None and not math.isfinite(score_f):
        score_f = None
    title = str(record.get("title") or "").strip()
    if not title:
        raise ValueError(f"alert record {rid!r} has no 'title'")
    return {
        "id": rid, "ts_ns": int(ts), "source": source, "alert_type": alert_type,
        "severity": severity, "score": score_f,
        "symbol": _text(record, "symbol", _MAX_SYMBOL, required=False),
        "title": title[:_MAX_TITLE], "message": str(record.get("message") or ""),
        "payload": payload,
    }


def history_row(record: Mapping[str, Any]) -> AlertHistory:
    """The :class:`~optix.store.models.AlertHistory` row of a normalized record."""
    return AlertHistory(
        id=record["id"], ts=ns_to_datetime(int(record["ts_ns"])), source=record["source"],
        alert_type=record["alert_type"], severity=record["severity"], score=record["score"],
        symbol=record["symbol"], title=record["title"], message=record["message"],
        payload=record["payload"],
    )


def record_of(row: AlertHistory) -> dict[str, Any]:
    """A stored alert as a normalized record (the inverse of :func:`history_row`).

    It also carries ``ts``, ``stored_at`` and ``acknowledged_at`` as ISO strings.
    """
    return {"id": row.id, "source": row.source, "alert_type": row.alert_type,
            "severity": row.severity, "score": row.score, "symbol": row.symbol,
            "title": row.title, "message": row.message, "payload": row.payload,
            "ts_ns": datetime_to_ns(row.ts), "ts": row.ts.isoformat(),
            "stored_at": row.created_at.isoformat(),
            "acknowledged_at": None if row.acknowledged_at is None
            else row.acknowledged_at.isoformat()}


def store_alerts(db: Database, records: Sequence[Mapping[str, Any]]) -> set[str]:
    """Insert normalized records into ``alert_history`` in one transaction.

    Returns
    -------
    set of str
        Ids newly stored; an id the table already holds is left as it is and not returned.
    """
    if not records:
        return set()
    with db.transaction() as session:
        repo = AlertRepository(session)
        return {r["id"] for r in records if repo.record(history_row(r))}


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """Which alerts a subscriber wants: what a flow trader filters on.

    Attributes
    ----------
    min_severity : Severity
        Alerts below it do not match.
    symbols : frozenset of str, optional
        Only these symbols (``None``: all).
    types : frozenset of str, optional
        Only these ``alert_type`` values, or sources (``'flow'``, ``'gex'``) for all of a
        source's types (``None``: all).
    min_premium : float
        Only alerts whose payload's ``premium`` is at least this; above 0 it excludes alerts
        with no premium (GEX alerts).
    min_dte, max_dte : int, optional
        Only alerts whose payload's ``expiry`` is this many calendar days or more (at most)
        after the alert's New York date; set, they exclude alerts with no expiry.

    Raises
    ------
    ValueError
        For a negative or non-finite premium, a negative DTE or ``min_dte > max_dte``.
    """

    min_severity: Severity = Severity.INFO
    symbols: frozenset[str] | None = None
    types: frozenset[str] | None = None
    min_premium: float = 0.0
    min_dte: int | None = None
    max_dte: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.min_premium) and self.min_premium >= 0):
            raise ValueError(f"min_premium must be finite and >= 0, got {self.min_premium}")
        for name in ("min_dte", "max_dte"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise ValueError(f"{name} must be >= 0, got {v}")
        if (self.min_dte is not None and self.max_dte is not None
                and self.min_dte > self.max_dte):
            raise ValueError(f"min_dte {self.min_dte} is above max_dte {self.max_dte}")

    @classmethod
    def of(cls, min_severity: str | int | Severity = "INFO",
           symbols: Iterable[str] | None = None,
           types: Iterable[str] | None = None, min_premium: float = 0.0,
           min_dte: int | None = None, max_dte: int | None = None) -> AlertFilter:
        """A filter from plain arguments (as a Ray call or a stored row passes them)."""
        return cls(parse_severity(min_severity),
                   None if symbols is None else frozenset(s.upper() for s in symbols),
                   None if types is None else frozenset(types), float(min_premium),
                   min_dte, max_dte)

    def matches(self, record: Mapping[str, Any]) -> bool:
        """True when ``record`` (normalized: it has ``ts_ns``) passes every condition."""
        if parse_severity(record["severity"]) < self.min_severity:
            return False
        if self.symbols is not None and record.get("symbol") not in self.symbols:
            return False
        if self.types is not None and not (record.get("alert_type") in self.types
                                           or record.get("source") in self.types):
            return False
        payload = record.get("payload") or {}
        if self.min_premium > 0:
            premium = payload.get("premium")
            if not isinstance(premium, int | float) or not premium >= self.min_premium:
                return False
        if self.min_dte is not None or self.max_dte is not None:
            dte = days_to_expiry(record)
            if dte is None or (self.min_dte is not None and dte < self.min_dte) or (
                    self.max_dte is not None and dte > self.max_dte):
                return False
        return True

    def describe(self) -> dict[str, Any]:
        """Plain form of every condition (sorted ``symbols`` and ``types``, or None)."""
        return {"min_severity": self.min_severity.name,
                "symbols": None if self.symbols is None else sorted(self.symbols),
                "types": None if self.types is None else sorted(self.types),
                "min_premium": self.min_premium, "min_dte": self.min_dte,
                "max_dte": self.max_dte}


def days_to_expiry(record: Mapping[str, Any]) -> int | None:
    """Calendar days from the alert's New York date (of ``ts_ns``) to its payload's ``expiry``.

    None when the record has no expiry (GEX alerts) or no time.
    """
    expiry = (record.get("payload") or {}).get("expiry")
    ts_ns = record.get("ts_ns")
    if not expiry or ts_ns is None:
        return None
    try:
        exp = dt.date.fromisoformat(str(expiry)[:10])
    except ValueError:
        return None
    day = dt.datetime.fromtimestamp(int(ts_ns) / 1e9, _NEW_YORK).date()
    return (exp - day).days


class SeenIds:
    """A bounded set of alert ids: once full, the oldest id is forgotten first.

    The database's primary key is the dedup that lasts; this set only saves a round trip
    for the duplicates of the recent past.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, alert_id: str) -> bool:
        """Remember ``alert_id``; True when it was not already remembered."""
        if alert_id in self._ids:
            return False
        self._ids[alert_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def __contains__(self, alert_id: object) -> bool:
        return alert_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)


@dataclass(slots=True)
class Subscription:
    """A named subscriber: its filter and either a sink or a bounded queue of records."""

    name: str
    filter: AlertFilter
    sink: Sink | None = None
    queue: deque[dict[str, Any]] = field(default_factory=deque)
    delivered: int = 0
    dropped: int = 0
    errors: int = 0

    def describe(self) -> dict[str, Any]:
        """Plain form for listings."""
        return {"name": self.name, **self.filter.describe(),
                "kind": "queue" if self.sink is None else "sink", "queued": len(self.queue),
                "delivered": self.delivered, "dropped": self.dropped, "errors": self.errors}


class AlertBook:
    """Dedup, recent alerts, subscriptions and counts: an alert hub's state (module doc).

    Parameters
    ----------
    max_recent : int
        Most alerts kept for :meth:`recent`.
    max_seen : int
        Most ids kept in memory for dedup (:class:`SeenIds`).
    max_queue : int
        Most records waiting in one subscriber's queue; beyond it the oldest are dropped
        (and counted).
    """

    def __init__(self, max_recent: int = 10_000, max_seen: int = 100_000,
                 max_queue: int = 10_000) -> None:
        if max_recent < 1 or max_queue < 1:
            raise ValueError("max_recent and max_queue must be at least 1")
        self.seen = SeenIds(max_seen)
        self.max_queue = max_queue
        self._recent: deque[dict[str, Any]] = deque(maxlen=max_recent)
        self._subs: dict[str, Subscription] = {}
        self.received = self.new = self.duplicates = self.persisted = 0
        self.by_severity: dict[str, int] = {s.name: 0 for s in Severity}

    def publish(
        self,
        records: Iterable[Mapping[str, Any]],
        persist: Callable[[list[dict[str, Any]]], Collection[str]] | None = None,
    ) -> list[dict[str, Any]]:
        """Take a batch of records; keep, store and fan out the new ones.

        Every record is checked first (:func:`normalize_record`), so a bad one rejects the
        batch before anything changes. Ids seen before (this batch included) are duplicates;
        the rest go to ``persist``, which returns the ids it newly stored: the others are
        duplicates the store already held (from before a restart). If ``persist`` raises,
        nothing is remembered and the batch can be sent again.

        Parameters
        ----------
        records : iterable of mapping
            Flow and/or GEX records.
        persist : callable, optional
            Stores a list of normalized records and returns the ids newly stored
            (:func:`store_alerts`); without it every unseen record is new.

        Returns
        -------
        list of dict
            The new alerts (normalized), in the order given.
        """
        batch = [normalize_record(r) for r in records]
        fresh: list[dict[str, Any]] = []
        ids: set[str] = set()
        for r in batch:
            if r["id"] in self.seen or r["id"] in ids:
                continue
            ids.add(r["id"])
            fresh.append(r)
        stored: Collection[str] | None = None
        if persist is not None and fresh:
            stored = set(persist(fresh))
        new = fresh if stored is None else [r for r in fresh if r["id"] in stored]
        for r in fresh:
            self.seen.add(r["id"])
        self.received += len(batch)
        self.duplicates += len(batch) - len(new)
        self.new += len(new)
        if stored is not None:
            self.persisted += len(new)
        for r in new:
            self.by_severity[r["severity"]] += 1
            self._recent.append(r)
            self._fan_out(r)
        return new

    def _fan_out(self, record: dict[str, Any]) -> None:
        for sub in list(self._subs.values()):
            if not sub.filter.matches(record):
                continue
            if sub.sink is not None:
                try:
                    sub.sink(record)
                except Exception:  # one failing subscriber must not stop the others
                    sub.errors += 1
                    log.exception("alert subscriber %r failed on %s", sub.name, record["id"])
                    continue
            else:
                if len(sub.queue) >= self.max_queue:
                    sub.queue.popleft()
                    sub.dropped += 1
                sub.queue.append(record)
            sub.delivered += 1

    def subscribe(self, name: str, alert_filter: AlertFilter | None = None,
                  sink: Sink | None = None) -> None:
        """Add (or replace the filter and sink of) the subscription ``name``.

        A re-subscribed queue keeps what is waiting in it. New alerts only: nothing published
        before is delivered.
        """
        if not name:
            raise ValueError("a subscription needs a name")
        flt = alert_filter or AlertFilter()
        old = self._subs.get(name)
        sub = Subscription(name, flt, sink)
        if old is not None:
            sub.queue, sub.delivered, sub.dropped, sub.errors = (
                old.queue, old.delivered, old.dropped, old.errors)
        self._subs[name] = sub

    def unsubscribe(self, name: str) -> bool:
        """Remove ``name`` (and its queue); False when there was no such subscription."""
        return self._subs.pop(name, None) is not None

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription (:meth:`Subscription.describe`), by name."""
        return [self._subs[n].describe() for n in sorted(self._subs)]

    def drain(self, name: str, max_items: int | None = None) -> list[dict[str, Any]]:
        """Take (oldest first) the records waiting for ``name``: all, or at most ``max_items``.

        Raises
        ------
        KeyError
            No subscription ``name``.
        """
        q = self._subs[name].queue
        n = len(q) if max_items is None else min(max(max_items, 0), len(q))
        return [q.popleft() for _ in range(n)]

    def recent(self, n: int = 100, symbol: str | None = None,
               min_severity: str | int | Severity = "INFO") -> list[dict[str, Any]]:
        """The last ``n`` new alerts at or above ``min_severity`` (of ``symbol``), newest first."""
        flt = AlertFilter.of(min_severity, None if symbol is None else [symbol])
        out: list[dict[str, Any]] = []
        for r in reversed(self._recent):
            if len(out) >= n:
                break
            if flt.matches(r):
                out.append(r)
        return out

    def stats(self) -> dict[str, Any]:
        """Counts so far.

        ``received``, ``new``, ``duplicates``, ``persisted``, ``by_severity`` (new alerts per
        severity), ``seen`` (ids in memory), ``recent`` and ``subscriptions``.
        """
        return {"received": self.received, "new": self.new, "duplicates": self.duplicates,
                "persisted": self.persisted, "by_severity": dict(self.by_severity),
                "seen": len(self.seen), "recent": len(self._recent),
                "subscriptions": len(self._subs)}
