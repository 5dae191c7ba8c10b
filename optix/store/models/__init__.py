"""SQLAlchemy 2 ORM models of every OPTIX table, grouped by who uses them."""

from optix.store.models.analytics import (
    SEVERITIES,
    AlertHistory,
    AlertSubscription,
    GexSnapshot,
    HistoricalGexData,
    OptionData,
)
from optix.store.models.base import Base
from optix.store.models.cluster import ShardCheckpoint
from optix.store.models.security import ROLES, ApiKey, AuditLog, User
from optix.store.models.trading import LearningLog, PerformanceMetric, Position, Trade

__all__ = [
    "ROLES",
    "SEVERITIES",
    "AlertHistory",
    "AlertSubscription",
    "ApiKey",
    "AuditLog",
    "Base",
    "GexSnapshot",
    "HistoricalGexData",
    "LearningLog",
    "OptionData",
    "PerformanceMetric",
    "Position",
    "ShardCheckpoint",
    "Trade",
    "User",
]
