"""Initial schema: trading, analytics and security tables.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21

"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copy of the JSON column type of this revision (JSONB on PostgreSQL).
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "alert_history",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("alert_type", sa.String(length=48), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("symbol", sa.String(length=16), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "severity IN ('INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL')",
            name=op.f("ck_alert_history_severity"),
        ),
        sa.CheckConstraint(
            "source IN ('flow', 'gex', 'ml', 'trading', 'system')",
            name=op.f("ck_alert_history_source"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_history")),
    )
    op.create_index(
        op.f("ix_alert_history_severity_alert_type"),
        "alert_history",
        ["severity", "alert_type"],
        unique=False,
    )
    op.create_index(
        op.f("ix_alert_history_symbol_ts"), "alert_history", ["symbol", "ts"], unique=False
    )
    op.create_index(op.f("ix_alert_history_ts"), "alert_history", ["ts"], unique=False)

    op.create_table(
        "gex_snapshots",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("spot", sa.Double(), nullable=False),
        sa.Column("total_gex", sa.Double(), nullable=False),
        sa.Column("call_gex", sa.Double(), nullable=False),
        sa.Column("put_gex", sa.Double(), nullable=False),
        sa.Column("total_dex", sa.Double(), nullable=True),
        sa.Column("total_vex", sa.Double(), nullable=True),
        sa.Column("total_cex", sa.Double(), nullable=True),
        sa.Column("zero_gamma", sa.Double(), nullable=True),
        sa.Column("call_wall", sa.Double(), nullable=True),
        sa.Column("put_wall", sa.Double(), nullable=True),
        sa.Column("max_pain", sa.Double(), nullable=True),
        sa.Column("regime", sa.String(length=8), nullable=True),
        sa.Column("unit", sa.String(length=24), nullable=False),
        sa.Column("sign_convention", sa.String(length=32), nullable=False),
        sa.Column("by_strike", JSON, nullable=False),
        sa.Column("profile", JSON, nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "regime IS NULL OR regime IN ('positive', 'negative', 'neutral')",
            name=op.f("ck_gex_snapshots_regime"),
        ),
        sa.CheckConstraint("spot > 0", name=op.f("ck_gex_snapshots_spot_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gex_snapshots")),
    )
    op.create_index(
        op.f("ix_gex_snapshots_symbol_ts"), "gex_snapshots", ["symbol", "ts"], unique=False
    )

    op.create_table(
        "historical_gex_data",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("spot_open", sa.Double(), nullable=True),
        sa.Column("spot_close", sa.Double(), nullable=True),
        sa.Column("total_gex_open", sa.Double(), nullable=True),
        sa.Column("total_gex_close", sa.Double(), nullable=True),
        sa.Column("total_gex_min", sa.Double(), nullable=True),
        sa.Column("total_gex_max", sa.Double(), nullable=True),
        sa.Column("total_gex_mean", sa.Double(), nullable=True),
        sa.Column("zero_gamma_close", sa.Double(), nullable=True),
        sa.Column("call_wall_close", sa.Double(), nullable=True),
        sa.Column("put_wall_close", sa.Double(), nullable=True),
        sa.Column("max_pain_close", sa.Double(), nullable=True),
        sa.Column("regime_close", sa.String(length=8), nullable=True),
        sa.Column("regime_changes", sa.Integer(), nullable=False),
        sa.Column("snapshot_count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "snapshot_count >= 0", name=op.f("ck_historical_gex_data_snapshot_count")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_historical_gex_data")),
        sa.UniqueConstraint("symbol", "date", name=op.f("uq_historical_gex_data_symbol_date")),
    )
    op.create_index(
        op.f("ix_historical_gex_data_date"), "historical_gex_data", ["date"], unique=False
    )

    op.create_table(
        "learning_logs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_type", sa.String(length=32), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("old_params", JSON, nullable=False),
        sa.Column("new_params", JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("trades_analyzed", sa.Integer(), nullable=False),
        sa.Column("expected_improvement", sa.Double(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.CheckConstraint(
            "status IN ('proposed', 'applied', 'rejected', 'rolled_back')",
            name=op.f("ck_learning_logs_status"),
        ),
        sa.CheckConstraint(
            "confidence IS NULL OR (confidence >= 0 AND confidence <= 1)",
            name=op.f("ck_learning_logs_confidence_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_logs")),
    )
    op.create_index(
        op.f("ix_learning_logs_strategy_ts"), "learning_logs", ["strategy", "ts"], unique=False
    )

    op.create_table(
        "option_data",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("option_symbol", sa.String(length=32), nullable=False),
        sa.Column("expiration", sa.Date(), nullable=False),
        sa.Column("strike", sa.Double(), nullable=False),
        sa.Column("option_type", sa.String(length=1), nullable=False),
        sa.Column("spot", sa.Double(), nullable=True),
        sa.Column("bid", sa.Double(), nullable=True),
        sa.Column("ask", sa.Double(), nullable=True),
        sa.Column("last", sa.Double(), nullable=True),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("open_interest", sa.BigInteger(), nullable=False),
        sa.Column("implied_volatility", sa.Double(), nullable=True),
        sa.Column("delta", sa.Double(), nullable=True),
        sa.Column("gamma", sa.Double(), nullable=True),
        sa.Column("vega", sa.Double(), nullable=True),
        sa.Column("theta", sa.Double(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.CheckConstraint("option_type IN ('C', 'P')", name=op.f("ck_option_data_option_type")),
        sa.CheckConstraint(
            "open_interest >= 0 AND volume >= 0", name=op.f("ck_option_data_counts_nonnegative")
        ),
        sa.CheckConstraint("strike > 0", name=op.f("ck_option_data_strike_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_option_data")),
        sa.UniqueConstraint("option_symbol", "ts", name=op.f("uq_option_data_option_symbol_ts")),
    )
    op.create_index(
        op.f("ix_option_data_symbol_expiration_strike"),
        "option_data",
        ["symbol", "expiration", "strike"],
        unique=False,
    )
    op.create_index(op.f("ix_option_data_symbol_ts"), "option_data", ["symbol", "ts"], unique=False)

    op.create_table(
        "performance_metrics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("period_type", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trade_count", sa.Integer(), nullable=False),
        sa.Column("total_pnl", sa.Double(), nullable=False),
        sa.Column("win_rate", sa.Double(), nullable=True),
        sa.Column("profit_factor", sa.Double(), nullable=True),
        sa.Column("sharpe_ratio", sa.Double(), nullable=True),
        sa.Column("sortino_ratio", sa.Double(), nullable=True),
        sa.Column("max_drawdown", sa.Double(), nullable=True),
        sa.Column("strategy_performance", JSON, nullable=False),
        sa.Column("error_counts", JSON, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "period_type IN ('day', 'week', 'month', 'year', 'all')",
            name=op.f("ck_performance_metrics_period_type"),
        ),
        sa.CheckConstraint(
            "period_end >= period_start", name=op.f("ck_performance_metrics_period_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_metrics")),
        sa.UniqueConstraint(
            "period_type",
            "period_start",
            name=op.f("uq_performance_metrics_period_type_period_start"),
        ),
    )
    op.create_table(
        "trades",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("broker", sa.String(length=16), nullable=False),
        sa.Column("broker_order_id", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("params", JSON, nullable=False),
        sa.Column("market_snapshot", JSON, nullable=False),
        sa.Column("execution", JSON, nullable=False),
        sa.Column("risk", JSON, nullable=False),
        sa.Column("entry_credit", sa.Double(), nullable=True),
        sa.Column("max_loss", sa.Double(), nullable=True),
        sa.Column("pnl", sa.Double(), nullable=True),
        sa.Column("pnl_pct", sa.Double(), nullable=True),
        sa.Column("days_held", sa.Integer(), nullable=True),
        sa.Column("exit_reason", sa.String(length=64), nullable=True),
        sa.Column("reason_tags", JSON, nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'open', 'closed', 'canceled', 'rejected')",
            name=op.f("ck_trades_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
    )
    op.create_index(
        op.f("ix_trades_strategy_status"), "trades", ["strategy", "status"], unique=False
    )
    op.create_index(
        op.f("ix_trades_symbol_opened_at"), "trades", ["symbol", "opened_at"], unique=False
    )

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("full_name", sa.String(length=128), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("preferences", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'trader', 'analyst', 'viewer')", name=op.f("ck_users_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_index(op.f("ix_api_keys_prefix"), "api_keys", ["prefix"], unique=False)
    op.create_index(op.f("ix_api_keys_user_id"), "api_keys", ["user_id"], unique=False)

    op.create_table(
        "positions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("trade_id", sa.Uuid(), nullable=False),
        sa.Column("option_symbol", sa.String(length=32), nullable=False),
        sa.Column("underlying", sa.String(length=16), nullable=False),
        sa.Column("option_type", sa.String(length=1), nullable=False),
        sa.Column("strike", sa.Double(), nullable=False),
        sa.Column("expiration", sa.Date(), nullable=False),
        sa.Column("side", sa.String(length=5), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("entry_price", sa.Double(), nullable=False),
        sa.Column("exit_price", sa.Double(), nullable=True),
        sa.Column("entry_delta", sa.Double(), nullable=True),
        sa.Column("current_delta", sa.Double(), nullable=True),
        sa.Column("unrealized_pnl", sa.Double(), nullable=True),
        sa.Column("realized_pnl", sa.Double(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("option_type IN ('C', 'P')", name=op.f("ck_positions_option_type")),
        sa.CheckConstraint("side IN ('long', 'short')", name=op.f("ck_positions_side")),
        sa.CheckConstraint(
            "status IN ('open', 'closed', 'expired', 'assigned')", name=op.f("ck_positions_status")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_positions_quantity_positive")),
        sa.CheckConstraint("strike > 0", name=op.f("ck_positions_strike_positive")),
        sa.ForeignKeyConstraint(
            ["trade_id"],
            ["trades.id"],
            name=op.f("fk_positions_trade_id_trades"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
    )
    op.create_index(op.f("ix_positions_status"), "positions", ["status"], unique=False)
    op.create_index(op.f("ix_positions_trade_id"), "positions", ["trade_id"], unique=False)
    op.create_index(
        op.f("ix_positions_underlying_opened_at"),
        "positions",
        ["underlying", "opened_at"],
        unique=False,
    )

    op.create_table(
        "audit_logs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_audit_logs_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_logs_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    op.create_index(op.f("ix_audit_logs_action_ts"), "audit_logs", ["action", "ts"], unique=False)
    op.create_index(op.f("ix_audit_logs_ts"), "audit_logs", ["ts"], unique=False)
    op.create_index(op.f("ix_audit_logs_user_id_ts"), "audit_logs", ["user_id", "ts"], unique=False)


def downgrade() -> None:
    """Drop every table (indexes go with them), dependents first."""
    for table in (
        "audit_logs",
        "positions",
        "api_keys",
        "users",
        "trades",
        "performance_metrics",
        "option_data",
        "learning_logs",
        "historical_gex_data",
        "gex_snapshots",
        "alert_history",
    ):
        op.drop_table(table)
