"""Generic repository over one mapped class, bound to a caller's session (unit of work)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from optix.store.models import Base

__all__ = ["Repository", "insert_for"]

M = TypeVar("M", bound=Base)


def insert_for(session: Session, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """A dialect-specific INSERT (with ``on_conflict_*``) for the session's database."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    if name == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"upserts are not implemented for {name}")


class Repository(Generic[M]):
    """Add, get, list and delete rows of one model inside the caller's transaction.

    Repositories never commit: the caller's ``Database.transaction()`` block does, so several
    repositories' writes land together or not at all.
    """

    model: type[M]

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, obj: M) -> M:
        """Stage ``obj`` and flush, so database defaults and constraint errors surface here."""
        self.session.add(obj)
        self.session.flush()
        return obj

    def add_all(self, objs: Iterable[M]) -> list[M]:
        """Stage several objects and flush once."""
        items = list(objs)
        self.session.add_all(items)
        self.session.flush()
        return items

    def get(self, key: Any) -> M | None:
        """Row by primary key, or None."""
        return self.session.get(self.model, key)

    def list(self, limit: int = 100, offset: int = 0) -> Sequence[M]:
        """Rows in primary-key order."""
        pk = self.model.__mapper__.primary_key[0]
        stmt = select(self.model).order_by(pk).limit(limit).offset(offset)
        return self.session.scalars(stmt).all()

    def count(self) -> int:
        """Number of rows."""
        return int(self.session.scalar(select(func.count()).select_from(self.model)) or 0)

    def delete(self, obj: M) -> None:
        """Delete ``obj`` (flushed)."""
        self.session.delete(obj)
        self.session.flush()
