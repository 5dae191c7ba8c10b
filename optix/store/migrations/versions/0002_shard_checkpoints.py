"""Shard checkpoints for the actor layer's recovery.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "shard_checkpoints",
        sa.Column("shard", sa.String(length=64), nullable=False),
        sa.Column("feed_offset", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("feed_offset >= -1", name=op.f("ck_shard_checkpoints_feed_offset")),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_shard_checkpoints")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("shard_checkpoints")
