"""The alert hub actor: one place where flow and GEX alerts are deduplicated, stored and fanned out.

Shards (and the GEX engine's host) publish batches of alert records
(:meth:`optix.flow.scoring.ScoredAlert.as_record`, :meth:`optix.gex.alerts.GexAlert.as_record`).
The hub hosts an :class:`optix.alerts.AlertBook`: an id seen before is dropped, a new alert is
written to ``alert_history`` (whose primary key is the alert id, so the dedup survives a hub
restart: a replayed alert is refused by the table), kept among the recent ones and handed to
every matching subscription. The console subscription prints one line per alert; other
subscribers collect theirs in a bounded queue and :meth:`AlertHub.drain` it. Run it under
:data:`HUB_NAME` so there is one hub per cluster.
"""

from __future__ import annotations

import logging
from typing import Any

import ray

from actors.metrics import HubMetrics
from optix.alerts import AlertBook, AlertFilter, ConsoleChannel, store_alerts
from optix.store import Database, upgrade

__all__ = ["CONSOLE", "HUB_NAME", "AlertHub"]

HUB_NAME = "optix-alert-hub"
CONSOLE = "console"
"""Name of the console subscription."""

log = logging.getLogger("optix.alerts")


@ray.remote(num_cpus=0)
class AlertHub:
    """Hosts an :class:`~optix.alerts.AlertBook` and the ``alert_history`` store.

    Parameters
    ----------
    database_url : str, optional
        Where to store alerts; ``None`` keeps them in memory only.
    console : bool
        Start with the console subscription (every alert, one line each).
    max_recent : int
        Alerts kept for :meth:`recent`, and the bound of each subscriber's queue.
    search_path : str, optional
        PostgreSQL schema to work in (see :class:`~optix.store.Database`).
    migrate : bool
        Bring the database to the newest schema on start (idempotent).
    max_seen : int
        Alert ids remembered in memory for dedup (the table remembers all of them).
    """

    def __init__(self, database_url: str | None = None, console: bool = True,
                 max_recent: int = 10_000, *, search_path: str | None = None,
                 migrate: bool = True, max_seen: int = 100_000) -> None:
        self.book = AlertBook(max_recent=max_recent, max_seen=max_seen, max_queue=max_recent)
        self.console = ConsoleChannel()
        self.metrics = HubMetrics()
        self.db: Database | None = None
        if database_url:
            self.db = Database(database_url, search_path=search_path)
            if migrate:
                upgrade(self.db)
            log.info("alert hub storing to %s", self.db.safe_url)
        if console:
            self.book.subscribe(CONSOLE, AlertFilter(), sink=self.console)

    def _persist(self, records: list[dict[str, Any]]) -> set[str]:
        assert self.db is not None
        return store_alerts(self.db, records)

    def publish(self, records: list[dict[str, Any]]) -> int:
        """Take a batch of alert records; return how many were new (module docstring)."""
        before = self.book.duplicates
        new = self.book.publish(records, self._persist if self.db is not None else None)
        self.metrics.record(new, self.book.duplicates - before)
        return len(new)

    def subscribe(self, name: str, min_severity: str = "INFO", symbols: list[str] | None = None,
                  types: list[str] | None = None, min_premium: float = 0.0,
                  min_dte: int | None = None, max_dte: int | None = None) -> None:
        """Add or change subscription ``name`` (``'console'`` prints; others queue for drain).

        The filters are :class:`optix.alerts.AlertFilter`'s.
        """
        sink = self.console if name == CONSOLE else None
        self.book.subscribe(name, AlertFilter.of(min_severity, symbols, types, min_premium,
                                                 min_dte, max_dte), sink=sink)

    def unsubscribe(self, name: str) -> bool:
        """Remove subscription ``name``; False if there was none."""
        return self.book.unsubscribe(name)

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription: name, filter, kind, queued, delivered, dropped."""
        return self.book.subscriptions()

    def drain(self, name: str, max_items: int | None = None) -> list[dict[str, Any]]:
        """Take the alerts waiting for subscription ``name``, oldest first."""
        return self.book.drain(name, max_items)

    def recent(self, n: int = 100, symbol: str | None = None,
               min_severity: str = "INFO") -> list[dict[str, Any]]:
        """The last ``n`` new alerts (of ``symbol``, at or above ``min_severity``), newest first."""
        return self.book.recent(n, symbol, min_severity)

    def stats(self) -> dict[str, Any]:
        """Received, new, duplicates, persisted, new alerts per severity, and sizes."""
        return {**self.book.stats(), "database": None if self.db is None else self.db.safe_url}

    def close(self) -> None:
        """Release the database connections (before killing the actor)."""
        if self.db is not None:
            self.db.dispose()
