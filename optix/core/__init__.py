"""Core types: columnar batches, their codes, validation results and OCC symbols."""

from optix.core.chains import ChainSnapshot
from optix.core.enums import OPRA_LETTER, Condition, EquityVenue, OptionVenue, Right
from optix.core.equities import EquityPrintBatch
from optix.core.occ import OccParseError, OccSymbol, format_occ, parse_occ, parse_occ_array
from optix.core.reference import ContractReference
from optix.core.trades import OptionTradeBatch
from optix.core.validation import RejectReason, Validated

__all__ = [
    "OPRA_LETTER",
    "ChainSnapshot",
    "Condition",
    "ContractReference",
    "EquityPrintBatch",
    "EquityVenue",
    "OccParseError",
    "OccSymbol",
    "OptionTradeBatch",
    "OptionVenue",
    "RejectReason",
    "Right",
    "Validated",
    "format_occ",
    "parse_occ",
    "parse_occ_array",
]
