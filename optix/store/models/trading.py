"""Trading-agent tables: trades, positions, performance_metrics, learning_logs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from optix.store.models.base import Base, utcnow, uuid_pk

__all__ = ["LearningLog", "PerformanceMetric", "Position", "Trade"]


class Trade(Base):
    """One strategy trade of the agent (an entry, its legs as positions, and its exit).

    ``params``, ``market_snapshot``, ``execution`` and ``risk`` are free-form JSON recorded at
    entry for the learning loop; ``reason_tags`` labels why it won or lost.
    """

    __tablename__ = "trades"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'open', 'closed', 'canceled', 'rejected')",
                        name="status"),
        Index(None, "symbol", "opened_at"),
        Index(None, "strategy", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    symbol: Mapped[str] = mapped_column(String(16))
    strategy: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    broker: Mapped[str] = mapped_column(String(16), default="paper")
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    market_snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    execution: Mapped[dict[str, Any]] = mapped_column(default=dict)
    risk: Mapped[dict[str, Any]] = mapped_column(default=dict)
    entry_credit: Mapped[float | None] = mapped_column(doc="net credit (+) or debit (-) per unit")
    max_loss: Mapped[float | None] = mapped_column(doc="worst-case loss in dollars")
    pnl: Mapped[float | None] = mapped_column(doc="realized P&L in dollars")
    pnl_pct: Mapped[float | None]
    days_held: Mapped[int | None]
    exit_reason: Mapped[str | None] = mapped_column(String(64))
    reason_tags: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    positions: Mapped[list[Position]] = relationship(
        back_populates="trade", cascade="all, delete-orphan", passive_deletes=True
    )


class Position(Base):
    """One option leg held by a trade."""

    __tablename__ = "positions"
    __table_args__ = (
        CheckConstraint("option_type IN ('C', 'P')", name="option_type"),
        CheckConstraint("side IN ('long', 'short')", name="side"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("strike > 0", name="strike_positive"),
        CheckConstraint("status IN ('open', 'closed', 'expired', 'assigned')", name="status"),
        Index(None, "underlying", "opened_at"),
        Index(None, "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    trade_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trades.id", ondelete="CASCADE"),
                                                index=True)
    option_symbol: Mapped[str] = mapped_column(String(32), doc="OCC symbol")
    underlying: Mapped[str] = mapped_column(String(16))
    option_type: Mapped[str] = mapped_column(String(1))
    strike: Mapped[float]
    expiration: Mapped[dt.date] = mapped_column(Date)
    side: Mapped[str] = mapped_column(String(5))
    quantity: Mapped[int]
    entry_price: Mapped[float]
    exit_price: Mapped[float | None]
    entry_delta: Mapped[float | None]
    current_delta: Mapped[float | None]
    unrealized_pnl: Mapped[float | None]
    realized_pnl: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]

    trade: Mapped[Trade] = relationship(back_populates="positions")


class PerformanceMetric(Base):
    """Performance of the agent over one period (day, week, month, all)."""

    __tablename__ = "performance_metrics"
    __table_args__ = (
        UniqueConstraint("period_type", "period_start"),
        CheckConstraint("period_type IN ('day', 'week', 'month', 'year', 'all')",
                        name="period_type"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    period_type: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[dt.datetime]
    period_end: Mapped[dt.datetime]
    trade_count: Mapped[int] = mapped_column(default=0)
    total_pnl: Mapped[float] = mapped_column(default=0.0)
    win_rate: Mapped[float | None]
    profit_factor: Mapped[float | None]
    sharpe_ratio: Mapped[float | None]
    sortino_ratio: Mapped[float | None]
    max_drawdown: Mapped[float | None]
    strategy_performance: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LearningLog(Base):
    """A parameter change proposed (and maybe applied) by the learning loop."""

    __tablename__ = "learning_logs"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'applied', 'rejected', 'rolled_back')",
                        name="status"),
        CheckConstraint("confidence IS NULL OR (confidence >= 0 AND confidence <= 1)",
                        name="confidence_range"),
        Index(None, "strategy", "ts"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    ts: Mapped[dt.datetime] = mapped_column(default=utcnow)
    update_type: Mapped[str] = mapped_column(String(32))
    strategy: Mapped[str] = mapped_column(String(64))
    old_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    new_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float | None]
    trades_analyzed: Mapped[int] = mapped_column(default=0)
    expected_improvement: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(12), default="proposed")
