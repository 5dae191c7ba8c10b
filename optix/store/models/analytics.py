"""Analytics tables: option chains, GEX snapshots and history, alerts and subscriptions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from optix.store.models.base import Base, BigIntPK, utcnow

__all__ = [
    "SEVERITIES",
    "AlertHistory",
    "AlertSubscription",
    "GexSnapshot",
    "HistoricalGexData",
    "OptionData",
]

SEVERITIES = ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
"""Alert severities, lowest first."""


class OptionData(Base):
    """One contract's quote, volume, open interest and IV in a stored chain snapshot."""

    __tablename__ = "option_data"
    __table_args__ = (
        UniqueConstraint("option_symbol", "ts"),
        CheckConstraint("option_type IN ('C', 'P')", name="option_type"),
        CheckConstraint("strike > 0", name="strike_positive"),
        CheckConstraint("open_interest >= 0 AND volume >= 0", name="counts_nonnegative"),
        Index(None, "symbol", "ts"),
        Index(None, "symbol", "expiration", "strike"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(16), doc="underlying")
    ts: Mapped[dt.datetime] = mapped_column(doc="snapshot time")
    option_symbol: Mapped[str] = mapped_column(String(32), doc="OCC symbol")
    expiration: Mapped[dt.date] = mapped_column(Date)
    strike: Mapped[float]
    option_type: Mapped[str] = mapped_column(String(1))
    spot: Mapped[float | None]
    bid: Mapped[float | None]
    ask: Mapped[float | None]
    last: Mapped[float | None]
    volume: Mapped[int] = mapped_column(BigInteger, default=0)
    open_interest: Mapped[int] = mapped_column(BigInteger, default=0)
    implied_volatility: Mapped[float | None]
    delta: Mapped[float | None]
    gamma: Mapped[float | None]
    vega: Mapped[float | None]
    theta: Mapped[float | None]
    source: Mapped[str] = mapped_column(String(32), default="unknown")


class GexSnapshot(Base):
    """Dealer-exposure result for one underlying at one moment, with its conventions."""

    __tablename__ = "gex_snapshots"
    __table_args__ = (
        CheckConstraint("spot > 0", name="spot_positive"),
        CheckConstraint("regime IS NULL OR regime IN ('positive', 'negative', 'neutral')",
                        name="regime"),
        Index(None, "symbol", "ts"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(16))
    ts: Mapped[dt.datetime]
    spot: Mapped[float]
    total_gex: Mapped[float]
    call_gex: Mapped[float]
    put_gex: Mapped[float]
    total_dex: Mapped[float | None] = mapped_column(doc="delta exposure")
    total_vex: Mapped[float | None] = mapped_column(doc="vanna exposure")
    total_cex: Mapped[float | None] = mapped_column(doc="charm exposure")
    zero_gamma: Mapped[float | None] = mapped_column(doc="flip level; NULL when none found")
    call_wall: Mapped[float | None]
    put_wall: Mapped[float | None]
    max_pain: Mapped[float | None]
    regime: Mapped[str | None] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(24), doc="e.g. usd_per_1pct")
    sign_convention: Mapped[str] = mapped_column(String(32))
    by_strike: Mapped[dict[str, Any]] = mapped_column(default=dict)
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HistoricalGexData(Base):
    """Daily aggregate of one underlying's GEX snapshots."""

    __tablename__ = "historical_gex_data"
    __table_args__ = (
        UniqueConstraint("symbol", "date"),
        CheckConstraint("snapshot_count >= 0", name="snapshot_count"),
        Index(None, "date"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(Date)
    spot_open: Mapped[float | None]
    spot_close: Mapped[float | None]
    total_gex_open: Mapped[float | None]
    total_gex_close: Mapped[float | None]
    total_gex_min: Mapped[float | None]
    total_gex_max: Mapped[float | None]
    total_gex_mean: Mapped[float | None]
    zero_gamma_close: Mapped[float | None]
    call_wall_close: Mapped[float | None]
    put_wall_close: Mapped[float | None]
    max_pain_close: Mapped[float | None]
    regime_close: Mapped[str | None] = mapped_column(String(8))
    regime_changes: Mapped[int] = mapped_column(default=0)
    snapshot_count: Mapped[int] = mapped_column(default=0)


class AlertHistory(Base):
    """Every alert raised (flow, GEX, ML, trading), with where it was sent.

    ``id`` is the alert's deterministic id (derived from what caused it), so storing the same
    alert twice is a primary-key conflict rather than a duplicate row.
    """

    __tablename__ = "alert_history"
    __table_args__ = (
        CheckConstraint(
            "severity IN ('INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL')", name="severity"
        ),
        CheckConstraint("source IN ('flow', 'gex', 'ml', 'trading', 'system')", name="source"),
        Index(None, "severity", "alert_type"),
        Index(None, "symbol", "ts"),
        Index(None, "ts"),
        Index(None, "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(String(16))
    alert_type: Mapped[str] = mapped_column(String(48))
    severity: Mapped[str] = mapped_column(String(8))
    score: Mapped[float | None]
    symbol: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    channels: Mapped[list[str]] = mapped_column(default=list, doc="channels it was sent to")
    acknowledged_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AlertSubscription(Base):
    """A user's standing request for alerts: which ones (the filters) and since when.

    ``symbols`` and ``types`` are JSON lists (NULL: all); ``types`` may also name a source
    (``flow``, ``gex``) for all of its types. ``min_premium`` and the DTE range only match
    alerts whose payload has a premium and an expiry (flow alerts).
    """

    __tablename__ = "alert_subscriptions"
    __table_args__ = (
        CheckConstraint(
            "min_severity IN ('INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL')", name="min_severity"
        ),
        CheckConstraint("min_premium >= 0", name="min_premium_nonnegative"),
        CheckConstraint(
            "min_dte IS NULL OR max_dte IS NULL OR min_dte <= max_dte", name="dte_range"
        ),
        UniqueConstraint("user_id", "name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    name: Mapped[str] = mapped_column(String(64))
    symbols: Mapped[list[str] | None]
    types: Mapped[list[str] | None]
    min_severity: Mapped[str] = mapped_column(String(8), default="INFO")
    min_premium: Mapped[float] = mapped_column(default=0.0)
    min_dte: Mapped[int | None]
    max_dte: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
