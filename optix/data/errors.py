"""Errors of the data layer.

Row-level problems never raise: the row is rejected with a
:class:`~optix.core.RejectReason` and counted. What raises is a problem with a whole file
or connection::

    DataError
    ├── DataFileError          a file cannot be read as a whole (names file and line)
    │   ├── FileEncodingError  bytes that are not UTF-8
    │   ├── TruncatedFileError the file ends in the middle of a record
    │   └── SchemaError        required columns missing, or not a known format
    └── SourceError            a remote source failed (HTTP error after retries, bad reply)
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "DataError",
    "DataFileError",
    "FileEncodingError",
    "SchemaError",
    "SourceError",
    "TruncatedFileError",
]


class DataError(Exception):
    """Base of every data-layer error."""


class DataFileError(DataError):
    """A file that cannot be read; ``str()`` reads ``path:line: message``.

    Attributes
    ----------
    path : Path
    line : int or None
        1-based line number, where one applies.
    """

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {message}")


class FileEncodingError(DataFileError):
    """The file is not valid UTF-8 at ``line``."""


class TruncatedFileError(DataFileError):
    """The file ends in the middle of a record at ``line``."""


class SchemaError(DataFileError):
    """Required columns are missing (the message names them) or the format is unknown."""


class SourceError(DataError):
    """A remote source failed after retries, or answered something unreadable."""
