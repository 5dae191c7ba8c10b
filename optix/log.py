"""One logging setup for OPTIX: human-readable lines by default, JSON lines on request.

Every handler installed here carries a :class:`SecretFilter`, which masks the values of
registered secrets and the password part of any ``scheme://user:password@host`` URL before a
record is formatted, so a secret cannot reach a log even through an exception message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import threading
from typing import IO, Any

from pydantic import SecretStr

__all__ = [
    "JsonFormatter",
    "SecretFilter",
    "protect",
    "redact",
    "register_secret",
    "register_url_secret",
    "setup_logging",
]

_MASK = "**********"
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)@")
_secrets: set[str] = set()
_lock = threading.Lock()

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


def register_secret(value: str | SecretStr | None) -> None:
    """Mask ``value`` wherever it would appear in a log line (values under 4 chars ignored)."""
    if value is None:
        return
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if len(raw) >= 4:
        with _lock:
            _secrets.add(raw)


def register_url_secret(url: str | SecretStr | None) -> None:
    """Mask the password of a ``scheme://user:password@host`` URL (the rest stays readable)."""
    if url is None:
        return
    raw = url.get_secret_value() if isinstance(url, SecretStr) else url
    m = _URL_PASSWORD.search(raw)
    if m:
        register_secret(m.group("pw"))


def redact(text: str) -> str:
    """Return ``text`` with registered secrets and URL passwords masked."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{_MASK}@", text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, _MASK)
    return text


class SecretFilter(logging.Filter):
    """Rewrites a record's message (and exception text) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask secrets in place; always lets the record through."""
        try:
            message = record.getMessage()
        except Exception:
            # A malformed call ("%s %s" with one argument): leave the record alone so that
            # logging reports it the usual way ("--- Logging error ---") instead of raising
            # into the caller.
            return True
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialize the record as a JSON line."""
        payload: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = _redact_value(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exc"] = redact(record.exc_text)
        # Values are masked before encoding: JSON escaping could otherwise hide a secret
        # containing quotes, backslashes or non-ASCII characters from the text replace.
        return json.dumps(payload, default=lambda o: redact(str(o)))


def protect(secrets: list[SecretStr], secret_urls: list[SecretStr]) -> None:
    """Register secrets and put a :class:`SecretFilter` on every root handler (idempotent).

    For processes whose logging someone else set up (a Ray worker, a Serve replica).
    """
    for s in secrets:
        register_secret(s)
    for u in secret_urls:
        register_url_secret(u)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, SecretFilter) for f in handler.filters):
            handler.addFilter(SecretFilter())


_HUMAN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(
    level: str = "INFO", json_lines: bool = False, stream: IO[str] | None = None
) -> logging.Handler:
    """Configure the root logger once (calling again replaces OPTIX's handler).

    Parameters
    ----------
    level : str
        Level of the root logger.
    json_lines : bool
        Emit JSON lines instead of human-readable lines.
    stream : text stream, optional
        Destination; default standard error.

    Returns
    -------
    logging.Handler
        The installed handler.
    """
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_optix", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(_HUMAN_FORMAT))
    handler.addFilter(SecretFilter())
    handler._optix = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic narrates every step at INFO; OPTIX logs the outcome itself.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    return handler
