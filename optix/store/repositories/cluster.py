"""Repository of the shard checkpoints."""

from __future__ import annotations

from sqlalchemy import select

from optix.store.models import ShardCheckpoint
from optix.store.models.base import utcnow
from optix.store.repositories._base import Repository, insert_for

__all__ = ["CheckpointRepository"]


class CheckpointRepository(Repository[ShardCheckpoint]):
    """The latest checkpoint per shard (one row each, replaced by every save)."""

    model = ShardCheckpoint

    def save(self, shard: str, feed_offset: int, state: bytes) -> None:
        """Store ``state`` as ``shard``'s checkpoint covering feed batches up to ``feed_offset``."""
        stmt = insert_for(self.session, ShardCheckpoint).values(
            shard=shard, feed_offset=feed_offset, state=state, updated_at=utcnow())
        stmt = stmt.on_conflict_do_update(
            index_elements=["shard"],
            set_={"feed_offset": stmt.excluded.feed_offset, "state": stmt.excluded.state,
                  "updated_at": stmt.excluded.updated_at})
        self.session.execute(stmt)

    def load(self, shard: str) -> tuple[int, bytes] | None:
        """``(feed_offset, state)`` of ``shard``'s checkpoint, or None if it has none."""
        row = self.session.execute(
            select(ShardCheckpoint.feed_offset, ShardCheckpoint.state)
            .where(ShardCheckpoint.shard == shard)).first()
        return None if row is None else (int(row[0]), bytes(row[1]))
