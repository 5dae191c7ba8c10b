"""Whole-file checks before a text file is parsed: encoding and truncation."""

from __future__ import annotations

import codecs
from pathlib import Path

from optix.data.errors import FileEncodingError

__all__ = ["check_utf8", "last_line"]

_CHUNK = 1 << 20


def check_utf8(path: Path) -> int:
    """Verify the file is UTF-8 (a BOM is allowed) and return its number of newlines.

    Raises
    ------
    FileEncodingError
        Naming the first line that is not valid UTF-8.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    lines = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line = lines + chunk[: exc.start].count(b"\n") + 1
                raise FileEncodingError(
                    path, f"not valid UTF-8 (byte 0x{chunk[exc.start]:02x}); save the file as "
                    "UTF-8", line) from None
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileEncodingError(path, "ends inside a UTF-8 character", lines + 1) from None
    return lines


def last_line(path: Path, newlines: int) -> tuple[int, str, bool]:
    """``(line_number, text, ends_with_newline)`` of the file's last non-empty line.

    ``newlines`` is the file's count of newline bytes (what :func:`check_utf8` returns), so
    only the tail is read here.
    """
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    ends_nl = tail.endswith(b"\n")
    stripped = tail.rstrip(b"\r\n")
    trailing = tail[len(stripped):].count(b"\n")
    text = stripped.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
    line = newlines - trailing + 1
    return line, text, ends_nl
