"""OPTIX: the options-intelligence domain library.

Everything that computes lives here as plain classes and functions that a notebook can use
without a cluster. This package never imports ``ray``, ``actors``, ``serve`` or ``cluster``.
"""

from optix._version import __version__

__all__ = ["__version__"]
