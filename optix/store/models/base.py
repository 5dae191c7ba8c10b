"""Declarative base, portable column types and shared mixins of the OPTIX schema."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Double,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "BigIntPK", "FiniteFloat", "JsonType", "UTCDateTime", "utcnow", "uuid_pk"]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Current time, timezone-aware UTC (the default of created/updated columns)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on every backend.

    Naive datetimes are refused on the way in (their zone is unknowable); values come back
    timezone-aware UTC from SQLite too, which stores no zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Refuse naive values; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone-aware value (UTC)")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        """Return timezone-aware UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class FiniteFloat(TypeDecorator[float]):
    """Double precision that refuses NaN and infinities.

    SQLite would store NULL and PostgreSQL NaN, which even passes ``CHECK (x > 0)``; a missing
    value is stored as NULL (None), never as NaN.
    """

    impl = Double()
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: Dialect) -> float | None:
        """Refuse non-finite values."""
        if value is not None and not math.isfinite(value):
            raise ValueError(f"non-finite float {value!r}: store None for a missing value")
        return value


JsonType = JSON().with_variant(JSONB(), "postgresql")
"""Free-form JSON: JSONB on PostgreSQL (indexable), JSON text on SQLite."""

BigIntPK = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit autoincrement key; INTEGER on SQLite, where only that aliases the rowid."""


class Base(DeclarativeBase):
    """Declarative base of every OPTIX table, with a constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        float: FiniteFloat(),
        dict[str, Any]: JsonType,
        list[Any]: JsonType,
        list[str]: JsonType,
        uuid.UUID: Uuid(),
        str: String(),
    }

    def __repr__(self) -> str:
        pk = ", ".join(
            f"{c.key}={getattr(self, str(c.key))!r}" for c in self.__mapper__.primary_key
        )
        return f"{type(self).__name__}({pk})"


def uuid_pk() -> Mapped[uuid.UUID]:
    """A UUID primary key generated client-side (uuid4)."""
    return mapped_column(Uuid(), primary_key=True, default=uuid.uuid4)
