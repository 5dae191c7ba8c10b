"""Retrying alpaca-py calls on 429 and 5xx answers.

alpaca-py's own retry waits a fixed 3 seconds and only on 429/504; this one backs off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from alpaca.common.exceptions import APIError

from optix.data.errors import SourceError

__all__ = ["call_with_retries", "quiet"]

log = logging.getLogger("optix.data.alpaca")
T = TypeVar("T")
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


def call_with_retries(fn: Callable[[], T], what: str, retries: int, backoff_s: float,
                      sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``fn``; on a 429 or 5xx answer wait (doubling, or ``Retry-After``) and retry.

    Raises
    ------
    SourceError
        After the last retry, or at once on any other API error (4xx: our request is wrong,
        retrying will not help).
    """
    wait = backoff_s
    for attempt in range(retries + 1):
        try:
            return fn()
        except APIError as exc:
            status = _status(exc)
            if status not in _RETRY_STATUS or attempt == retries:
                raise SourceError(f"Alpaca {what} failed: HTTP {status}: "
                                  f"{_message(exc)}") from None
            after = _retry_after(exc)
            delay = after if after is not None else wait
            log.warning("Alpaca %s: HTTP %s, retry %d/%d in %.1fs", what, status, attempt + 1,
                        retries, delay)
            sleep(delay)
            wait *= 2
    raise AssertionError("unreachable")


def _status(exc: APIError) -> int | None:
    try:
        return int(exc.status_code)
    except (TypeError, ValueError, AttributeError):
        return None


def _message(exc: APIError) -> str:
    try:
        return str(exc.message)
    except Exception:  # alpaca-py's message property parses JSON and may fail
        return str(exc)[:200]


def _retry_after(exc: APIError) -> float | None:
    try:
        value = exc.response.headers.get("Retry-After")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def quiet(client: Any) -> Any:
    """Turn off alpaca-py's own fixed 3-second retry: :func:`call_with_retries` does it."""
    if hasattr(client, "_retry"):
        client._retry = 0
    return client
