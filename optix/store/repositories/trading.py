"""Repositories of the trading-agent tables."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select

from optix.store.models import LearningLog, PerformanceMetric, Position, Trade
from optix.store.repositories._base import Repository

__all__ = [
    "LearningLogRepository",
    "PerformanceRepository",
    "PositionRepository",
    "TradeRepository",
]


class TradeRepository(Repository[Trade]):
    """Agent trades."""

    model = Trade

    def by_symbol(
        self, symbol: str, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> Sequence[Trade]:
        """Trades of ``symbol`` opened in ``[start, end)``, oldest first."""
        stmt = select(Trade).where(Trade.symbol == symbol)
        if start is not None:
            stmt = stmt.where(Trade.opened_at >= start)
        if end is not None:
            stmt = stmt.where(Trade.opened_at < end)
        return self.session.scalars(stmt.order_by(Trade.opened_at)).all()

    def with_status(self, status: str, strategy: str | None = None) -> Sequence[Trade]:
        """Trades in ``status`` (optionally of one strategy), oldest first."""
        stmt = select(Trade).where(Trade.status == status)
        if strategy is not None:
            stmt = stmt.where(Trade.strategy == strategy)
        return self.session.scalars(stmt.order_by(Trade.opened_at)).all()

    def closed_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[Trade]:
        """Trades closed in ``[start, end)`` (what the daily review reads)."""
        stmt = (
            select(Trade)
            .where(Trade.status == "closed", Trade.closed_at >= start, Trade.closed_at < end)
            .order_by(Trade.closed_at)
        )
        return self.session.scalars(stmt).all()


class PositionRepository(Repository[Position]):
    """Option legs."""

    model = Position

    def open_positions(self, underlying: str | None = None) -> Sequence[Position]:
        """Open legs, optionally of one underlying."""
        stmt = select(Position).where(Position.status == "open")
        if underlying is not None:
            stmt = stmt.where(Position.underlying == underlying)
        return self.session.scalars(stmt.order_by(Position.opened_at)).all()

    def for_trade(self, trade_id: uuid.UUID) -> Sequence[Position]:
        """Legs of one trade."""
        stmt = select(Position).where(Position.trade_id == trade_id)
        return self.session.scalars(stmt.order_by(Position.opened_at)).all()


class PerformanceRepository(Repository[PerformanceMetric]):
    """Performance by period."""

    model = PerformanceMetric

    def for_period(self, period_type: str, period_start: dt.datetime) -> PerformanceMetric | None:
        """The row of one period, if computed."""
        stmt = select(PerformanceMetric).where(
            PerformanceMetric.period_type == period_type,
            PerformanceMetric.period_start == period_start,
        )
        return self.session.scalars(stmt).one_or_none()

    def latest(self, period_type: str, limit: int = 30) -> Sequence[PerformanceMetric]:
        """Most recent periods of a type, newest first."""
        stmt = (
            select(PerformanceMetric)
            .where(PerformanceMetric.period_type == period_type)
            .order_by(PerformanceMetric.period_start.desc())
            .limit(limit)
        )
        return self.session.scalars(stmt).all()


class LearningLogRepository(Repository[LearningLog]):
    """Learning-loop proposals."""

    model = LearningLog

    def recent(self, strategy: str | None = None, limit: int = 50) -> Sequence[LearningLog]:
        """Newest first, optionally for one strategy."""
        stmt = select(LearningLog)
        if strategy is not None:
            stmt = stmt.where(LearningLog.strategy == strategy)
        return self.session.scalars(stmt.order_by(LearningLog.ts.desc()).limit(limit)).all()

    def with_status(self, status: str) -> Sequence[LearningLog]:
        """Proposals in a status (e.g. ``'proposed'`` awaiting review), oldest first."""
        stmt = select(LearningLog).where(LearningLog.status == status).order_by(LearningLog.ts)
        return self.session.scalars(stmt).all()
