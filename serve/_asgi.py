"""A piece the ASGI middlewares share: the status code a response started with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["StatusSend"]

Message = MutableMapping[str, Any]


class StatusSend:
    """Wraps an ASGI ``send``, remembering whether the response started and its status.

    ``status`` is 500 until the response starts (what a failure before it amounts to).

    Parameters
    ----------
    send : callable
        The ``send`` to pass every message on to.
    """

    def __init__(self, send: Callable[[Message], Awaitable[None]]) -> None:
        self._send = send
        self.started = False
        self.status = 500

    async def __call__(self, message: Message) -> None:
        """Note the status of ``http.response.start``, then send ``message``."""
        if message["type"] == "http.response.start":
            self.started = True
            self.status = int(message["status"])
        await self._send(message)
