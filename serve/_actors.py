"""Reaching ``optix up``'s named actors from a route: 503 when they are absent or silent."""

from __future__ import annotations

from typing import Any

import ray
from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

__all__ = ["TIMEOUT_S", "actor", "call", "is_ticker", "symbol_of"]

TIMEOUT_S = 10.0
"""How long a route waits for an actor's answer before its 503 (a shard answers queries
between the parts it applies; under full load that can take seconds)."""


def is_ticker(symbol: str) -> bool:
    """True for 1-16 ASCII letters, digits or dots (the API's rule for an underlying)."""
    return (0 < len(symbol) <= 16 and symbol.isascii()
            and symbol.replace(".", "").isalnum())


def symbol_of(symbol: str) -> str:
    """A ticker from a path or query parameter, upper-cased (422 unless :func:`is_ticker`)."""
    if not is_ticker(symbol):
        raise HTTPException(422, "symbol must be 1-16 letters, digits or dots")
    return symbol.upper()


def actor(request: Request, name: str) -> Any:
    """The named actor in the app's namespace; 503 when it is not running."""
    namespace = getattr(request.app.state, "optix_namespace", "optix")
    try:
        return ray.get_actor(name, namespace=namespace)
    except ValueError:
        raise HTTPException(503, f"{name} is not running (start the pipeline with optix up)"
                            ) from None


async def call(ref: Any, timeout_s: float = TIMEOUT_S) -> Any:
    """The result of an actor call, off the event loop; 503 when it takes over ``timeout_s``.

    A ``ValueError`` raised in the actor (a bad argument) is a 422 with its message.
    """
    try:
        return await run_in_threadpool(ray.get, ref, timeout=timeout_s)
    except ray.exceptions.GetTimeoutError:
        raise HTTPException(503, "the actors did not answer in time") from None
    except ray.exceptions.RayTaskError as exc:
        cause = exc.cause
        if isinstance(cause, ValueError):
            raise HTTPException(422, str(cause)) from None
        raise
    except ray.exceptions.RayActorError:
        raise HTTPException(503, "the actor died while answering; retry shortly") from None
