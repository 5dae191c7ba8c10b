"""Alert subscriptions (a user's named alert filters, polled over HTTP) and the arrival-order
index of alert_history they page on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copy of the JSON column type of this revision (JSONB on PostgreSQL).
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("symbols", JSON, nullable=True),
        sa.Column("types", JSON, nullable=True),
        sa.Column("min_severity", sa.String(length=8), nullable=False),
        sa.Column("min_premium", sa.Double(), nullable=False),
        sa.Column("min_dte", sa.Integer(), nullable=True),
        sa.Column("max_dte", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "min_severity IN ('INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL')",
            name=op.f("ck_alert_subscriptions_min_severity"),
        ),
        sa.CheckConstraint(
            "min_premium >= 0", name=op.f("ck_alert_subscriptions_min_premium_nonnegative")
        ),
        sa.CheckConstraint(
            "min_dte IS NULL OR max_dte IS NULL OR min_dte <= max_dte",
            name=op.f("ck_alert_subscriptions_dte_range"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_alert_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_subscriptions")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_alert_subscriptions_user_id_name")),
    )
    op.create_index(op.f("ix_alert_subscriptions_user_id"), "alert_subscriptions", ["user_id"],
                    unique=False)
    op.create_index(op.f("ix_alert_history_created_at_id"), "alert_history",
                    ["created_at", "id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_alert_history_created_at_id"), table_name="alert_history")
    op.drop_index(op.f("ix_alert_subscriptions_user_id"), table_name="alert_subscriptions")
    op.drop_table("alert_subscriptions")
