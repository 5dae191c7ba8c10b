"""Per-key salt for API key digests.

Existing keys get an empty salt, under which ``sha256(salt || key)`` is their old plain
``sha256(key)``, so they keep working.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

"""

from collections.abc import Sequence
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "api_keys",
        sa.Column("salt", sa.String(length=32), server_default="", nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("api_keys", "salt")
