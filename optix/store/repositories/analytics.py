"""Repositories of the analytics tables: chains, GEX snapshots and aggregates, alerts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import and_, func, or_, select, update

from optix.core.chains import ChainSnapshot
from optix.core.occ import format_occ
from optix.store.models import (
    SEVERITIES,
    AlertHistory,
    AlertSubscription,
    GexSnapshot,
    HistoricalGexData,
    OptionData,
)
from optix.store.repositories._base import Repository, insert_for

__all__ = [
    "AlertRepository",
    "AlertSubscriptionRepository",
    "GexSnapshotRepository",
    "HistoricalGexRepository",
    "OptionDataRepository",
]


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def ns_to_datetime(ns: int) -> dt.datetime:
    """Epoch nanoseconds to an aware UTC datetime, truncated to the microsecond (as pandas)."""
    return _EPOCH + dt.timedelta(microseconds=ns // 1000)


def datetime_to_ns(ts: dt.datetime) -> int:
    """An aware datetime as epoch nanoseconds (the inverse of :func:`ns_to_datetime`)."""
    return (ts - _EPOCH) // dt.timedelta(microseconds=1) * 1_000


def _nan_to_none(a: np.ndarray[Any, Any] | None, i: int) -> float | None:
    if a is None:
        return None
    v = float(a[i])
    return None if np.isnan(v) else v


class OptionDataRepository(Repository[OptionData]):
    """Stored option-chain snapshots."""

    model = OptionData

    def add_chain(self, chain: ChainSnapshot, source: str = "unknown") -> int:
        """Store every contract of a (validated) chain snapshot in one bulk insert.

        A contract already stored for the same snapshot time is left as it is.

        Returns
        -------
        int
            Rows written.
        """
        if len(chain) == 0:
            return 0
        ts = ns_to_datetime(chain.as_of_ns)
        expiries = chain.expiry.astype(object)
        rows = [
            {
                "symbol": chain.underlying,
                "ts": ts,
                "option_symbol": format_occ(
                    str(chain.root[i]), expiries[i], "C" if chain.right[i] > 0 else "P",
                    float(chain.strike[i]),
                ),
                "expiration": expiries[i],
                "strike": float(chain.strike[i]),
                "option_type": "C" if chain.right[i] > 0 else "P",
                "spot": chain.spot,
                "bid": float(chain.bid[i]),
                "ask": float(chain.ask[i]),
                "last": float(chain.last[i]),
                "volume": int(chain.volume[i]),
                "open_interest": int(chain.open_interest[i]),
                "implied_volatility": _nan_to_none(chain.iv, i),
                "delta": _nan_to_none(chain.delta, i),
                "gamma": _nan_to_none(chain.gamma, i),
                "vega": _nan_to_none(chain.vega, i),
                "theta": _nan_to_none(chain.theta, i),
                "source": source,
            }
            for i in range(len(chain))
        ]
        stmt = insert_for(self.session, OptionData).on_conflict_do_nothing(
            index_elements=["option_symbol", "ts"]
        )
        inserted = self.session.execute(stmt.returning(OptionData.id), rows).all()
        return len(inserted)

    def latest_ts(self, symbol: str) -> dt.datetime | None:
        """Time of the newest stored snapshot of ``symbol``."""
        stmt = select(func.max(OptionData.ts)).where(OptionData.symbol == symbol)
        return self.session.scalar(stmt)

    def chain_at(self, symbol: str, ts: dt.datetime) -> Sequence[OptionData]:
        """Contracts of the snapshot of ``symbol`` taken at ``ts``, by expiry, strike, type."""
        stmt = (
            select(OptionData)
            .where(OptionData.symbol == symbol, OptionData.ts == ts)
            .order_by(OptionData.expiration, OptionData.strike, OptionData.option_type)
        )
        return self.session.scalars(stmt).all()


class GexSnapshotRepository(Repository[GexSnapshot]):
    """GEX results over time."""

    model = GexSnapshot

    def latest(self, symbol: str) -> GexSnapshot | None:
        """Newest snapshot of ``symbol``."""
        stmt = (
            select(GexSnapshot)
            .where(GexSnapshot.symbol == symbol)
            .order_by(GexSnapshot.ts.desc())
            .limit(1)
        )
        return self.session.scalars(stmt).first()

    def between(self, symbol: str, start: dt.datetime, end: dt.datetime) -> Sequence[GexSnapshot]:
        """Snapshots of ``symbol`` in ``[start, end)``, oldest first."""
        stmt = (
            select(GexSnapshot)
            .where(GexSnapshot.symbol == symbol, GexSnapshot.ts >= start, GexSnapshot.ts < end)
            .order_by(GexSnapshot.ts)
        )
        return self.session.scalars(stmt).all()


_DAILY_FIELDS = frozenset(
    c.key for c in HistoricalGexData.__table__.columns if c.key not in {"id", "symbol", "date"}
)


class HistoricalGexRepository(Repository[HistoricalGexData]):
    """Daily GEX aggregates, one row per symbol and date."""

    model = HistoricalGexData

    def upsert_day(self, symbol: str, date: dt.date, **values: Any) -> None:
        """Insert the aggregate of ``symbol`` on ``date``, or update the given columns of it.

        Columns not named keep their stored values (an intraday update need not resend the
        day's open).

        Raises
        ------
        ValueError
            If a value names no column of ``historical_gex_data``.
        """
        unknown = set(values) - _DAILY_FIELDS
        if unknown:
            raise ValueError(f"unknown historical_gex_data columns: {sorted(unknown)}")
        stmt = insert_for(self.session, HistoricalGexData).values(
            symbol=symbol, date=date, **values
        )
        if values:
            stmt = stmt.on_conflict_do_update(index_elements=["symbol", "date"], set_=values)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["symbol", "date"])
        self.session.execute(stmt)
        self.session.expire_all()

    def between(self, symbol: str, start: dt.date, end: dt.date) -> Sequence[HistoricalGexData]:
        """Days of ``symbol`` in ``[start, end]``, oldest first."""
        stmt = (
            select(HistoricalGexData)
            .where(
                HistoricalGexData.symbol == symbol,
                HistoricalGexData.date >= start,
                HistoricalGexData.date <= end,
            )
            .order_by(HistoricalGexData.date)
        )
        return self.session.scalars(stmt).all()


class AlertRepository(Repository[AlertHistory]):
    """Alert history."""

    model = AlertHistory

    def record(self, alert: AlertHistory) -> bool:
        """Store an alert unless one with the same id exists; True when newly stored."""
        values = {
            c.key: getattr(alert, c.key)
            for c in AlertHistory.__table__.columns
            if getattr(alert, c.key) is not None
        }
        stmt = insert_for(self.session, AlertHistory).values(**values).on_conflict_do_nothing(
            index_elements=["id"]
        )
        return self.session.execute(stmt.returning(AlertHistory.id)).first() is not None

    def query(
        self,
        *,
        min_severity: str = "INFO",
        alert_types: Sequence[str] | None = None,
        symbol: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 100,
        before: dt.datetime | None = None,
        before_id: str | None = None,
        source: str | None = None,
    ) -> Sequence[AlertHistory]:
        """Alerts at or above ``min_severity``, newest first (then by id), with filters.

        ``before`` and ``before_id`` (the last alert of the previous page) page back: the
        alerts after it in that order, none skipped when several share a timestamp.
        """
        if min_severity not in SEVERITIES:
            raise ValueError(f"min_severity must be one of {SEVERITIES}, got {min_severity!r}")
        allowed = SEVERITIES[SEVERITIES.index(min_severity):]
        stmt = select(AlertHistory).where(AlertHistory.severity.in_(allowed))
        if alert_types:
            stmt = stmt.where(AlertHistory.alert_type.in_(list(alert_types)))
        if symbol is not None:
            stmt = stmt.where(AlertHistory.symbol == symbol)
        if since is not None:
            stmt = stmt.where(AlertHistory.ts >= since)
        if before is not None:
            stmt = stmt.where(or_(AlertHistory.ts < before, and_(
                AlertHistory.ts == before, AlertHistory.id > (before_id or ""))))
        if source is not None:
            stmt = stmt.where(AlertHistory.source == source)
        return self.session.scalars(
            stmt.order_by(AlertHistory.ts.desc(), AlertHistory.id).limit(limit)).all()

    def arrived_after(
        self,
        *,
        after: dt.datetime,
        after_id: str = "",
        min_severity: str = "INFO",
        types: Sequence[str] | None = None,
        symbols: Sequence[str] | None = None,
        limit: int = 500,
    ) -> Sequence[AlertHistory]:
        """Alerts stored after ``(after, after_id)`` in arrival order (``created_at``, then id).

        The order a subscriber reads in: paging forward from the last alert of a page skips
        nothing, ties included. ``types`` matches an ``alert_type`` or a ``source``.
        """
        if min_severity not in SEVERITIES:
            raise ValueError(f"min_severity must be one of {SEVERITIES}, got {min_severity!r}")
        allowed = SEVERITIES[SEVERITIES.index(min_severity):]
        stmt = select(AlertHistory).where(
            AlertHistory.severity.in_(allowed),
            or_(AlertHistory.created_at > after,
                and_(AlertHistory.created_at == after, AlertHistory.id > after_id)))
        if types:
            stmt = stmt.where(or_(AlertHistory.alert_type.in_(list(types)),
                                  AlertHistory.source.in_(list(types))))
        if symbols:
            stmt = stmt.where(AlertHistory.symbol.in_(list(symbols)))
        return self.session.scalars(
            stmt.order_by(AlertHistory.created_at, AlertHistory.id).limit(limit)).all()

    def acknowledge(self, alert_id: str, at: dt.datetime) -> bool:
        """Mark an alert acknowledged at ``at``; False if no such alert."""
        updated = self.session.execute(
            update(AlertHistory)
            .where(AlertHistory.id == alert_id)
            .values(acknowledged_at=at)
            .returning(AlertHistory.id)
        ).first()
        self.session.expire_all()
        return updated is not None


class AlertSubscriptionRepository(Repository[AlertSubscription]):
    """Users' alert subscriptions."""

    model = AlertSubscription

    def of_user(self, user_id: uuid.UUID) -> Sequence[AlertSubscription]:
        """A user's subscriptions, oldest first."""
        return self.session.scalars(
            select(AlertSubscription).where(AlertSubscription.user_id == user_id)
            .order_by(AlertSubscription.created_at, AlertSubscription.name)).all()

    def owned(self, user_id: uuid.UUID, sub_id: uuid.UUID) -> AlertSubscription | None:
        """Subscription ``sub_id`` if ``user_id`` owns it, else None."""
        sub = self.get(sub_id)
        return sub if sub is not None and sub.user_id == user_id else None

    def by_name(self, user_id: uuid.UUID, name: str) -> AlertSubscription | None:
        """A user's subscription called ``name``, or None."""
        return self.session.scalars(select(AlertSubscription).where(
            AlertSubscription.user_id == user_id, AlertSubscription.name == name)).first()
