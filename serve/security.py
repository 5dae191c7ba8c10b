"""API-key authentication, roles, rate limits, request-size limits and audit for FastAPI.

Wiring, in the app that owns the routes::

    security = Security(database, rate_per_s=10, burst=20)
    install(app, security, max_body_bytes=1 << 20)

    @app.post("/orders")
    def place(principal: Principal = Depends(require("trade"))) -> ...

* :func:`require` reads ``Authorization: Bearer <key>`` or ``X-API-Key``, verifies the key
  against the database (successful verifications are cached in-process for ``cache_ttl_s``,
  keyed by the SHA-256 of the key, never the key itself), checks the role (``read`` <
  ``trade`` < ``admin``) and spends one token of the key's rate-limit bucket. It answers 401
  (missing, unknown, expired or revoked key; with ``WWW-Authenticate: Bearer``), 403 (role
  too low) or 429 (with ``Retry-After``). A revoked key may keep working for up to
  ``cache_ttl_s`` in a process that cached it; :meth:`Security.forget` drops the cache.
* :class:`BodySizeLimitMiddleware` answers 413 to a body over the limit, by its
  ``Content-Length`` or, for a streamed body, as soon as the bytes read pass the limit.
* :class:`AuditMiddleware` writes one ``audit_logs`` row per mutating request (POST, PUT,
  PATCH, DELETE), whatever its outcome: who (user and key id, when authenticated), what (method
  and path), when, from where (client address, user agent, ``X-Request-ID``) and the status.
  No key, header or body goes into it. :func:`audit` writes one row directly.

Routes that must stay open (health, readiness, docs) simply do not depend on :func:`require`.
The client address is the socket peer's; put the proxy's forwarded-for handling in front (e.g.
uvicorn ``--proxy-headers``) to log the original client.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optix.security import KEY_PREFIX, RateLimiter, fingerprint, has_role, roles_for
from optix.store import Database
from optix.store.repositories import ApiKeyRepository, AuditLogRepository
from serve._asgi import StatusSend

__all__ = [
    "MUTATING_METHODS",
    "AuditMiddleware",
    "BodySizeLimitMiddleware",
    "PayloadTooLargeError",
    "Principal",
    "Security",
    "audit",
    "database_of",
    "principal_of",
    "install",
    "require",
    "security_of",
]

log = logging.getLogger("optix.serve.security")

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods whose calls are audited."""

_STATE_ATTR = "optix_security"
_MAX_KEY_LENGTH = 256


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's user and the key's roles.

    Attributes
    ----------
    user : str
        Username of the key's owner.
    user_id, key_id : uuid.UUID
        Ids of the owner and of the key.
    roles : tuple of str
        Roles of the key (``read``, ``trade``, ``admin``).
    """

    user: str
    user_id: uuid.UUID
    key_id: uuid.UUID
    roles: tuple[str, ...]

    def has(self, role: str) -> bool:
        """Whether the key may act as ``role`` (higher roles imply lower ones)."""
        return has_role(self.roles, role)


class Security:
    """Key verification (with a short in-process cache) and per-key rate limits.

    Parameters
    ----------
    database : Database
        Where the keys are.
    rate_per_s, burst : float
        Each key's token bucket: sustained requests per second and largest burst.
    cache_ttl_s : float
        How long a successful verification is reused without asking the database.
    cache_size : int
        Most cached verifications.
    clock : callable
        Seconds clock for the cache and the buckets (default :func:`time.monotonic`).
    now : callable
        Wall clock, timezone-aware UTC, for expiry and last-use times.
    """

    def __init__(
        self,
        database: Database,
        *,
        rate_per_s: float = 10.0,
        burst: float = 20.0,
        cache_ttl_s: float = 30.0,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.database = database
        self.cache_ttl_s = cache_ttl_s
        self.cache_size = cache_size
        self.limiter = RateLimiter(rate_per_s, burst, clock=clock)
        self._clock = clock
        self._now = now
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[str, threading.Lock] = {}

    def authenticate(self, raw: str) -> Principal | None:
        """The principal of an active key, or None (unknown, expired, revoked, inactive user).

        Blocking (may query the database): call it from a worker thread.
        """
        if not raw.startswith(KEY_PREFIX) or len(raw) > _MAX_KEY_LENGTH:
            return None
        fp = fingerprint(raw)
        mono = self._clock()
        with self._lock:
            hit = self._cache.get(fp)
            if hit is not None:
                if hit[1] > mono:
                    return hit[0]
                del self._cache[fp]
        # one verification per key at a time: a burst of first requests with one key waits
        # for the first instead of racing it to write last_used_at (SQLite: "locked")
        with self._lock:
            flight = self._flights.setdefault(fp, threading.Lock())
        with flight:
            with self._lock:
                hit = self._cache.get(fp)
                if hit is not None and hit[1] > self._clock():
                    return hit[0]
            try:
                return self._verify(raw, fp, mono)
            finally:
                with self._lock:
                    self._flights.pop(fp, None)

    def _verify(self, raw: str, fp: str, mono: float) -> Principal | None:
        now = self._now()
        try:
            found = self._lookup(raw, now, record_use=True)
        except OperationalError as exc:  # the write lost a race (SQLite "database is locked")
            log.warning("could not record an API key's last use (%s); verifying without it",
                        type(exc).__name__)
            found = self._lookup(raw, now, record_use=False)
        if found is None:
            return None
        principal, expires_at = found
        ttl = self.cache_ttl_s
        if expires_at is not None:
            ttl = min(ttl, (expires_at - now).total_seconds())
        if ttl > 0:
            with self._lock:
                self._cache[fp] = (principal, mono + ttl)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return principal

    def _lookup(self, raw: str, now: dt.datetime, record_use: bool
                ) -> tuple[Principal, dt.datetime | None] | None:
        with self.database.transaction() as session:
            key = ApiKeyRepository(session).verify(raw, now, record_use)
            if key is None:
                return None
            return (Principal(user=key.user.username, user_id=key.user_id, key_id=key.id,
                              roles=tuple(key.scopes)), key.expires_at)

    def forget(self) -> None:
        """Drop every cached verification (after revoking keys, say)."""
        with self._lock:
            self._cache.clear()


def _raw_key(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def security_of(app: Any) -> Security | None:
    """The :class:`Security` that :func:`install` attached to ``app`` (None if none)."""
    security = getattr(app.state, _STATE_ATTR, None)
    return security if isinstance(security, Security) else None


def database_of(request: Request) -> Database:
    """The database of the app's :class:`Security` (a FastAPI dependency); 503 if none."""
    security = security_of(request.app)
    if security is None:
        raise HTTPException(503, "no database configured")
    return security.database


def principal_of(request: Request) -> Principal:
    """The caller that the route's :func:`require` dependency admitted (a FastAPI dependency).

    It reads what :func:`require` stored, so it spends no second rate-limit token.
    """
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise _unauthorized("missing API key")
    return principal


def require(role: str) -> Callable[[Request], Principal]:
    """A FastAPI dependency admitting keys that hold ``role`` (or a higher one).

    Parameters
    ----------
    role : str
        ``read``, ``trade`` or ``admin``.

    Returns
    -------
    callable
        ``(Request) -> Principal``, for ``Depends``. It raises 401, 403 or 429 as described in
        the module docstring and stores the principal as ``request.state.principal``.

    Raises
    ------
    ValueError
        ``role`` is not a known role (at declaration time).
    """
    roles_for(role)  # validate now, not on the first request

    def dependency(request: Request) -> Principal:
        security = security_of(request.app)
        if security is None:
            raise RuntimeError("serve.security.install(app, security) was not called")
        admitted = getattr(request.state, "principal", None)
        if isinstance(admitted, Principal):  # a router's require() ran first: one token only
            if not admitted.has(role):
                raise HTTPException(403, f"this key lacks the {role!r} role")
            return admitted
        raw = _raw_key(request)
        if raw is None:
            raise _unauthorized("missing API key")
        principal = security.authenticate(raw)
        if principal is None:
            raise _unauthorized("invalid API key")
        request.state.principal = principal
        if not principal.has(role):
            raise HTTPException(403, f"this key lacks the {role!r} role")
        allowed, wait = security.limiter.check(principal.key_id)
        if not allowed:
            raise HTTPException(429, "rate limit exceeded",
                                headers={"Retry-After": str(max(1, math.ceil(wait)))})
        return principal

    dependency.__name__ = f"require_{role}"
    # real types, not strings: Serve ships the app by value, and FastAPI must resolve them
    dependency.__annotations__ = {"request": Request, "return": Principal}
    return dependency


def _outcome(status: int) -> str:
    if status < 400:
        return "success"
    if status in (401, 403, 429):
        return "denied"
    return "failure"


def audit(
    database: Database,
    scope: Scope,
    status_code: int,
    principal: Principal | None = None,
    *,
    action: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write one ``audit_logs`` row for a request (blocking; call from a worker thread).

    Parameters
    ----------
    database : Database
        Where the audit log is.
    scope : dict
        The ASGI scope of the request (``request.scope``): method, path, client address and
        headers (only the user agent and ``X-Request-ID`` are kept).
    status_code : int
        The response status.
    principal : Principal, optional
        The authenticated caller, if any.
    action : str, optional
        What was done; default the HTTP method.
    details : dict, optional
        Extra non-secret facts.
    """
    headers = {k.decode("latin-1").lower(): v.decode("latin-1")
               for k, v in scope.get("headers", [])}
    client = scope.get("client")
    with database.transaction() as session:
        AuditLogRepository(session).record(
            (action or str(scope.get("method", "?")))[:64],
            str(scope.get("path", ""))[:255],
            user_id=principal.user_id if principal else None,
            api_key_id=principal.key_id if principal else None,
            outcome=_outcome(status_code),
            status_code=status_code,
            ip_address=str(client[0])[:45] if client else None,
            user_agent=headers.get("user-agent", "")[:255] or None,
            request_id=headers.get("x-request-id", "")[:64] or None,
            details={**(details or {}),
                     **({"user": principal.user} if principal else {})},
        )


class PayloadTooLargeError(HTTPException):
    """A request body over the limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class BodySizeLimitMiddleware:
    """ASGI middleware answering 413 to request bodies over ``max_bytes``.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    max_bytes : int
        Largest body accepted, by ``Content-Length`` or by the bytes actually streamed.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = JSONResponse({"detail": f"request body larger than {self.max_bytes} bytes"},
                                 status_code=413)
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = -1
                if length < 0 or length > self.max_bytes:
                    await too_large(scope, receive, send)
                    return
        received = 0
        tracked = StatusSend(send)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLargeError(self.max_bytes)
            return message

        try:
            await self.app(scope, limited_receive, tracked)
        except PayloadTooLargeError:
            if tracked.started:
                raise
            await too_large(scope, receive, send)


class AuditMiddleware:
    """ASGI middleware writing an audit row for every mutating request, after its response.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    database : Database
        Where the audit log is.
    methods : frozenset of str
        Methods to audit (default :data:`MUTATING_METHODS`).
    read_only : tuple of str
        Path prefixes whose POSTs only compute (pricing): not audited.
    """

    def __init__(self, app: ASGIApp, database: Database,
                 methods: frozenset[str] = MUTATING_METHODS,
                 read_only: tuple[str, ...] = ()) -> None:
        self.app = app
        self.database = database
        self.methods = methods
        self.read_only = read_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if (scope["type"] != "http" or scope.get("method") not in self.methods
                or str(scope.get("path", "")).startswith(self.read_only or ("\0",))):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        tracked = StatusSend(send)
        try:
            await self.app(scope, receive, tracked)
        finally:
            principal = state.get("principal")
            try:
                await run_in_threadpool(
                    audit, self.database, scope, tracked.status,
                    principal if isinstance(principal, Principal) else None)
            except Exception:
                log.exception("could not write the audit row of %s %s",
                              scope.get("method"), scope.get("path"))


def install(app: Any, security: Security, *, max_body_bytes: int = 1 << 20,
            audit_methods: frozenset[str] = MUTATING_METHODS,
            read_only: tuple[str, ...] = ()) -> None:
    """Attach ``security`` to a FastAPI ``app`` and add the size-limit and audit middleware.

    Parameters
    ----------
    app : FastAPI
        The application (before it starts serving).
    security : Security
        Key verification and rate limits, used by :func:`require`.
    max_body_bytes : int
        Largest request body accepted (413 beyond).
    audit_methods : frozenset of str
        Methods whose calls are audited.
    read_only : tuple of str
        Path prefixes whose calls compute without changing anything (not audited).
    """
    setattr(app.state, _STATE_ATTR, security)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)
    # added last, so outermost: it audits the 413s too
    app.add_middleware(AuditMiddleware, database=security.database, methods=audit_methods,
                       read_only=read_only)
