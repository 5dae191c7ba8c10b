"""The console channel: one human line per alert, to the ``optix.alerts`` logger or stdout.

>>> format_alert_line({"id": "sweep-1", "source": "flow", "severity": "HIGH", "score": 62.5,
...                    "title": "SPY sweep 2024-06-21 450C $1.2M bought"})
'ALERT HIGH [flow] SPY sweep 2024-06-21 450C $1.2M bought score=62.5 id=sweep-1'
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import IO, Any

__all__ = ["ConsoleChannel", "format_alert_line"]

LOGGER_NAME = "optix.alerts"


def format_alert_line(record: Mapping[str, Any]) -> str:
    """One line for an alert record: ``ALERT <SEVERITY> [<source>] <title> score=<s> id=<id>``.

    Parameters
    ----------
    record : mapping
        An ``alert_history`` record (``ScoredAlert.as_record()`` / ``GexAlert.as_record()``).

    Returns
    -------
    str
        The line, without a trailing newline; a missing score is left out.
    """
    score = record.get("score")
    score_part = "" if score is None else f" score={float(score):.1f}"
    title = " ".join(str(record.get("title", "")).split())  # one line, whatever the title holds
    return (f"ALERT {record.get('severity', '?')} [{record.get('source', '?')}] {title}"
            f"{score_part} id={record.get('id', '?')}")


class ConsoleChannel:
    """Writes :func:`format_alert_line` lines for the alerts it is called with.

    The line goes to the ``optix.alerts`` logger at INFO when logging is set up to show it
    (:func:`optix.log.setup_logging`); otherwise it is printed to ``stream`` (stdout by
    default), so an alert is never silently lost to an unconfigured logger. In a Ray actor,
    stdout reaches the driver's console.

    Parameters
    ----------
    logger : logging.Logger, optional
        Default ``logging.getLogger("optix.alerts")``.
    stream : file, optional
        Where lines go when the logger would drop them (default ``sys.stdout`` at call time).
    """

    def __init__(self, logger: logging.Logger | None = None, stream: IO[str] | None = None) -> None:
        self.logger = logger or logging.getLogger(LOGGER_NAME)
        self.stream = stream
        self.lines = 0

    def _logger_shows_info(self) -> bool:
        if not self.logger.isEnabledFor(logging.INFO):
            return False
        lg: logging.Logger | None = self.logger
        while lg is not None:
            if any(h.level <= logging.INFO for h in lg.handlers):
                return True
            lg = lg.parent if lg.propagate else None
        return False

    def __call__(self, record: Mapping[str, Any]) -> None:
        """Write the line for ``record``."""
        line = format_alert_line(record)
        if self._logger_shows_info():
            self.logger.info(line)
        else:
            print(line, file=self.stream or sys.stdout, flush=True)
        self.lines += 1
