"""Pydantic request and response models of the HTTP API (edges only; compute is columnar)."""

from serve.schemas.pricing import (
    GREEK_NAMES,
    MAX_BATCH_ROWS,
    AmericanIn,
    AmericanOut,
    BatchIn,
    BatchOut,
    HestonIn,
    HestonOut,
    IVIn,
    IVOut,
    MonteCarloIn,
    MonteCarloOut,
    OptionIn,
    PriceOut,
)

__all__ = [
    "GREEK_NAMES",
    "MAX_BATCH_ROWS",
    "AmericanIn",
    "AmericanOut",
    "BatchIn",
    "BatchOut",
    "HestonIn",
    "HestonOut",
    "IVIn",
    "IVOut",
    "MonteCarloIn",
    "MonteCarloOut",
    "OptionIn",
    "PriceOut",
]
