"""Errors of the GEX engine.

::

    GexError (ValueError)
    └── GexInputError   a chain the engine cannot use: no spot, no usable gamma, not a chain
"""

from __future__ import annotations

__all__ = ["GexError", "GexInputError"]


class GexError(ValueError):
    """Base of every GEX error."""


class GexInputError(GexError):
    """The chain (or its inputs) cannot give a GEX number; the message says why."""
