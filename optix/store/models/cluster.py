"""Cluster state: the shard checkpoints the actor layer restores from."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from optix.store.models.base import Base, utcnow

__all__ = ["ShardCheckpoint"]


class ShardCheckpoint(Base):
    """The latest checkpoint of one shard: its symbols' engine state and the feed offset it covers.

    ``state`` is the shard's own serialization (compressed JSON); ``feed_offset`` is the last feed
    batch whose trades the state includes, so a restored shard replays from ``feed_offset + 1``.
    """

    __tablename__ = "shard_checkpoints"
    __table_args__ = (CheckConstraint("feed_offset >= -1", name="feed_offset"),)

    shard: Mapped[str] = mapped_column(String(64), primary_key=True)
    feed_offset: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
