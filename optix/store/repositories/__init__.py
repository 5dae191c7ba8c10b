"""Repositories: query and write one table each, inside the caller's transaction."""

from optix.store.repositories._base import Repository
from optix.store.repositories.analytics import (
    AlertRepository,
    AlertSubscriptionRepository,
    GexSnapshotRepository,
    HistoricalGexRepository,
    OptionDataRepository,
)
from optix.store.repositories.cluster import CheckpointRepository
from optix.store.repositories.security import (
    ApiKeyRepository,
    AuditLogRepository,
    UserRepository,
    hash_api_key,
)
from optix.store.repositories.trading import (
    LearningLogRepository,
    PerformanceRepository,
    PositionRepository,
    TradeRepository,
)

__all__ = [
    "AlertRepository",
    "AlertSubscriptionRepository",
    "ApiKeyRepository",
    "AuditLogRepository",
    "CheckpointRepository",
    "GexSnapshotRepository",
    "HistoricalGexRepository",
    "LearningLogRepository",
    "OptionDataRepository",
    "PerformanceRepository",
    "PositionRepository",
    "Repository",
    "TradeRepository",
    "UserRepository",
    "hash_api_key",
]
