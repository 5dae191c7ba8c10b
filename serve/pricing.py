"""Pricing API: ``/v1/pricing`` router, its compute backends, and the Ray Serve deployment.

The router (:data:`router`) validates bodies with the models of :mod:`serve.schemas.pricing` and
calls the module's *backend* (:func:`get_backend`, a FastAPI dependency), anything that follows
:class:`PricingBackend`:

* :class:`LocalPricing` computes in-process with :mod:`optix.quant` (tests, notebooks, one box);
* :class:`HandleBackend` forwards to a :class:`PricingDeployment` through a Serve deployment
  handle; its ``price_one`` is a ``@serve.batch`` method, so concurrent single-contract requests
  become one vectorized :func:`~optix.quant.bsm_greeks` call.

The ingress wires it with ``set_backend(HandleBackend(handle))``. Batches travel between the two
as numpy columns, never as one object per row (by object reference, not inline in the request,
so a 100,000-row batch is not capped by gRPC's message size when Serve uses gRPC between
replicas). Bad input is a 422 naming the field; a numerical ``ValueError`` from the library is
a 422 with its message, never a 500.

Speed of the column routes (``/price/batch``, ``/iv``, up to 100,000 rows): their bodies are
parsed by :meth:`serve.schemas.pricing._Columns.from_json` (orjson, lists straight into numpy;
pydantic only for bodies off the fast path, so the errors stay pydantic's) and their responses
written by :mod:`orjson` from the numpy columns (NaN and inf are null) and returned as a
:class:`~starlette.responses.Response`, skipping FastAPI's ``jsonable_encoder`` and response
validation; the request bodies are still documented in the OpenAPI schema. Every pricing
response carries ``Server-Timing: app;dur=<ms>``: the time from the request reaching its route
(before authentication, body parsing and validation) to the response body produced.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

import numpy as np
import orjson
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from ray import serve
from starlette.concurrency import run_in_threadpool

from optix.quant import (
    HestonParams,
    IVStatus,
    MCConfig,
    american_price,
    bsm_greeks,
    heston_price,
    implied_vol,
    price_mc,
)
from optix.quant.montecarlo import GBM, Asian, Barrier, European, Heston, Lookback, Merton
from serve.schemas.pricing import (
    GREEK_ORDER,
    AmericanIn,
    AmericanOut,
    BatchIn,
    BatchOut,
    HestonIn,
    HestonOut,
    IVIn,
    IVOut,
    MonteCarloIn,
    MonteCarloOut,
    OptionIn,
    PriceOut,
    _Columns,
)

__all__ = [
    "SERVER_TIMING",
    "Coalescer",
    "HandleBackend",
    "LocalPricing",
    "PricingBackend",
    "PricingDeployment",
    "TimedRoute",
    "get_backend",
    "router",
    "set_backend",
]

SERVER_TIMING = "Server-Timing"
"""Response header of every pricing route: ``app;dur=<milliseconds>`` spent in the route."""

Columns = dict[str, np.ndarray]
_STATUS_NAMES = np.array([s.name for s in sorted(IVStatus, key=int)])

# --------------------------------------------------------------------------- compute (no Ray)


def price_rows(rows: list[OptionIn]) -> list[dict[str, float]]:
    """Price and Greeks of single contracts in one vectorized call, one dict per contract.

    Each dict holds the price and the Greeks of that contract's ``greeks_order``. If the
    vectorized call fails (it should not: the models are validated), contracts are priced one
    by one so that only the bad one fails.

    Raises
    ------
    ValueError
        From :func:`optix.quant.bsm_greeks` for a single bad contract.
    """
    order = max(row.greeks_order for row in rows)
    cols = {name: np.fromiter((getattr(row, name) for row in rows), np.float64, len(rows))
            for name in ("S", "K", "T", "r", "q", "sigma")}
    try:
        g = bsm_greeks(cols["S"], cols["K"], cols["T"], cols["r"], cols["q"], cols["sigma"],
                       [row.right for row in rows], order=order).as_dict()
    except ValueError:
        if len(rows) == 1:
            raise
        return [price_rows([row])[0] for row in rows]
    values = {name: arr.tolist() for name, arr in g.items()}
    return [{name: col[i] for name, col in values.items()
             if name == "price" or GREEK_ORDER[name] <= row.greeks_order}
            for i, row in enumerate(rows)]


def price_columns(cols: Columns, greeks: tuple[str, ...]) -> Columns:
    """Price and the named Greeks of validated columns (``S K T r q sigma w``)."""
    order = max((GREEK_ORDER[g] for g in greeks), default=1)
    g = bsm_greeks(cols["S"], cols["K"], cols["T"], cols["r"], cols["q"], cols["sigma"],
                   cols["w"], order=order)
    return {"price": g.price, **{name: getattr(g, name) for name in greeks}}


def iv_columns(cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    """Implied vols and status codes of validated columns (``price S K T r q w``)."""
    res = implied_vol(cols["price"], cols["S"], cols["K"], cols["T"], cols["r"], cols["q"],
                      cols["w"])
    return res.vol, res.status


def american_columns(cols: Columns, method: str, steps: int | None) -> np.ndarray:
    """American prices of validated columns."""
    return american_price(cols["S"], cols["K"], cols["T"], cols["r"], cols["q"], cols["sigma"],
                          cols["w"], method=method, steps=steps)


def heston_columns(cols: Columns, params: HestonParams) -> np.ndarray:
    """Heston prices of validated columns."""
    return heston_price(cols["S"], cols["K"], cols["T"], cols["r"], cols["q"], params, cols["w"])


def monte_carlo(req: MonteCarloIn) -> dict[str, Any]:
    """A small Monte Carlo price (one core), as the fields of :class:`MonteCarloOut`."""
    model: GBM | Heston | Merton
    if req.model == "gbm":
        model = GBM(S=req.S, r=req.r, q=req.q, sigma=float(req.sigma or 0.0))
    elif req.model == "heston":
        model = Heston(S=req.S, r=req.r, q=req.q, v0=float(req.v0 or 0.0),
                       kappa=float(req.kappa or 0.0), theta=float(req.theta or 0.0),
                       xi=float(req.xi or 0.0), rho=float(req.rho or 0.0))
    else:
        model = Merton(S=req.S, r=req.r, q=req.q, sigma=float(req.sigma or 0.0),
                       lam=float(req.lam or 0.0), mu_j=float(req.mu_j or 0.0),
                       sigma_j=float(req.sigma_j or 0.0))
    payoff: European | Asian | Barrier | Lookback
    if req.payoff == "european":
        payoff = European(K=req.K, T=req.T, right=req.right)
    elif req.payoff == "asian":
        payoff = Asian(K=req.K, T=req.T, right=req.right, average=req.average)
    elif req.payoff == "barrier":
        assert req.barrier is not None and req.barrier_kind is not None  # model validator
        payoff = Barrier(K=req.K, T=req.T, right=req.right, barrier=req.barrier,
                         kind=req.barrier_kind, rebate=req.rebate, continuous=req.continuous)
    else:
        payoff = Lookback(K=req.K, T=req.T, right=req.right, continuous=req.continuous)
    config = MCConfig(n_paths=req.paths, n_steps=req.steps, antithetic=req.antithetic,
                      control=None if req.control == "none" else req.control, seed=req.seed)
    res = price_mc(model, payoff, config)
    return {"price": res.price, "stderr": res.stderr, "n_paths": res.n_paths,
            "n_steps": res.n_steps, "controls": list(res.controls), "seed": res.seed}


# --------------------------------------------------------------------------- backends


class PricingBackend(Protocol):
    """What the router needs; every method is awaited. Columns are float64 numpy arrays."""

    async def price_one(self, option: OptionIn) -> dict[str, float]:
        """Price and Greeks of one contract (``greeks_order`` of them)."""
        ...

    async def price_batch(self, cols: Columns, greeks: tuple[str, ...]) -> Columns:
        """``price`` and the named Greeks as columns."""
        ...

    async def implied_vol(self, cols: Columns) -> tuple[np.ndarray, np.ndarray]:
        """Implied vols and :class:`~optix.quant.IVStatus` codes."""
        ...

    async def american(self, cols: Columns, method: str, steps: int | None) -> np.ndarray:
        """American prices."""
        ...

    async def heston(self, cols: Columns, params: HestonParams) -> np.ndarray:
        """Heston prices."""
        ...

    async def monte_carlo(self, req: MonteCarloIn) -> dict[str, Any]:
        """A small Monte Carlo price."""
        ...


class LocalPricing:
    """In-process backend: :mod:`optix.quant` directly; long calls run in the threadpool."""

    async def price_one(self, option: OptionIn) -> dict[str, float]:
        """See :class:`PricingBackend`."""
        return price_rows([option])[0]

    async def price_batch(self, cols: Columns, greeks: tuple[str, ...]) -> Columns:
        """See :class:`PricingBackend`."""
        return await run_in_threadpool(price_columns, cols, greeks)

    async def implied_vol(self, cols: Columns) -> tuple[np.ndarray, np.ndarray]:
        """See :class:`PricingBackend`."""
        return await run_in_threadpool(iv_columns, cols)

    async def american(self, cols: Columns, method: str, steps: int | None) -> np.ndarray:
        """See :class:`PricingBackend`."""
        return await run_in_threadpool(american_columns, cols, method, steps)

    async def heston(self, cols: Columns, params: HestonParams) -> np.ndarray:
        """See :class:`PricingBackend`."""
        return await run_in_threadpool(heston_columns, cols, params)

    async def monte_carlo(self, req: MonteCarloIn) -> dict[str, Any]:
        """See :class:`PricingBackend`."""
        return await run_in_threadpool(monte_carlo, req)


MAX_BATCH_SIZE = 256
"""Default ``max_batch_size`` of :meth:`PricingDeployment.price_one`."""
BATCH_WAIT_TIMEOUT_S = 0.002
"""Default ``batch_wait_timeout_s`` of :meth:`PricingDeployment.price_one`."""


@serve.deployment(name="pricing", ray_actor_options={"num_cpus": 0},
                  max_ongoing_requests=256)
class PricingDeployment:
    """Serve deployment holding the pricing compute; ``price_one`` batches concurrent calls.

    The batching of ``price_one`` can be tuned without a code change through the deployment's
    ``user_config`` (Serve config file or ``.options(user_config=...)``), see
    :meth:`reconfigure`.
    """

    def reconfigure(self, config: dict[str, Any]) -> None:
        """Apply ``user_config``: ``max_batch_size`` (>= 1), ``batch_wait_timeout_s`` (>= 0).

        Raises
        ------
        ValueError
            An unknown key or a value out of range (Serve then keeps the replica's old config).
        """
        unknown = set(config).difference({"max_batch_size", "batch_wait_timeout_s"})
        if unknown:
            raise ValueError(f"unknown pricing user_config keys {sorted(unknown)}")
        size = int(config.get("max_batch_size", MAX_BATCH_SIZE))
        wait = float(config.get("batch_wait_timeout_s", BATCH_WAIT_TIMEOUT_S))
        if size < 1 or not 0.0 <= wait < 10.0:
            raise ValueError("max_batch_size must be >= 1 and batch_wait_timeout_s in [0, 10)")
        self.price_one.set_max_batch_size(size)  # type: ignore[attr-defined]
        self.price_one.set_batch_wait_timeout_s(wait)  # type: ignore[attr-defined]

    @serve.batch(max_batch_size=MAX_BATCH_SIZE, batch_wait_timeout_s=BATCH_WAIT_TIMEOUT_S)
    async def price_one(self, options: list[OptionIn]) -> list[dict[str, float]]:
        """Concurrent single contracts priced in one vectorized :func:`bsm_greeks` call.

        A batch that fails as a whole is retried row by row; a row's own failure surfaces as
        that caller's exception.
        """
        try:
            return price_rows(options)
        except ValueError:
            return [_row_or_error(o) for o in options]  # type: ignore[misc]

    def price_batch(self, cols: Columns, greeks: tuple[str, ...]) -> Columns:
        """See :class:`PricingBackend`."""
        return price_columns(cols, greeks)

    def implied_vol(self, cols: Columns) -> tuple[np.ndarray, np.ndarray]:
        """See :class:`PricingBackend`."""
        return iv_columns(cols)

    def american(self, cols: Columns, method: str, steps: int | None) -> np.ndarray:
        """See :class:`PricingBackend`."""
        return american_columns(cols, method, steps)

    def heston(self, cols: Columns, params: HestonParams) -> np.ndarray:
        """See :class:`PricingBackend`."""
        return heston_columns(cols, params)

    def monte_carlo(self, req: MonteCarloIn) -> dict[str, Any]:
        """See :class:`PricingBackend`."""
        return monte_carlo(req)


def _row_or_error(option: OptionIn) -> dict[str, float] | ValueError:
    try:
        return price_rows([option])[0]
    except ValueError as exc:
        return exc


class Coalescer:
    """In-process batching of single contracts, without waiting.

    The calls made in one event-loop turn are priced in one vectorized :func:`price_rows` call.

    For the ingress replica, where a hop to the pricing deployment costs more than pricing a
    contract (see ``benchmarks/serve.py``). Must be used from one event loop. It is
    ``@serve.batch`` with a zero wait, minus the replica context ``@serve.batch`` needs (its
    metrics), so it also runs outside Serve (tests, one-process tools).

    Parameters
    ----------
    max_batch_size : int
        Most contracts per vectorized call.
    """

    def __init__(self, max_batch_size: int = MAX_BATCH_SIZE) -> None:
        self.max_batch_size = max_batch_size
        self._pending: list[tuple[OptionIn, asyncio.Future[dict[str, float]]]] = []

    async def price_one(self, option: OptionIn) -> dict[str, float]:
        """Price and Greeks of one contract, batched with the other calls of this loop turn.

        Raises
        ------
        ValueError
            From :func:`optix.quant.bsm_greeks` for this contract.
        """
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[dict[str, float]] = loop.create_future()
        self._pending.append((option, fut))
        if len(self._pending) == 1:
            loop.call_soon(self._flush)
        elif len(self._pending) >= self.max_batch_size:
            self._flush()
        return await fut

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            results: list[dict[str, float] | ValueError] = list(
                price_rows([option for option, _ in batch]))
        except ValueError:
            results = [_row_or_error(option) for option, _ in batch]
        except Exception as exc:  # not a bad contract: every caller sees it
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), res in zip(batch, results, strict=True):
            if fut.done():  # the caller went away
                continue
            if isinstance(res, ValueError):
                fut.set_exception(res)
            else:
                fut.set_result(res)


class HandleBackend:
    """Backend that forwards every call to a :class:`PricingDeployment` handle.

    Parameters
    ----------
    handle : DeploymentHandle
        Handle of the pricing deployment.
    local_closed_form : bool
        Compute the closed-form work in this process instead of the deployment: single
        contracts (``/price``) batched by a :class:`Coalescer`, and column prices and implied
        vols (``/price/batch``, ``/iv``) in the threadpool. A call between replicas costs more
        than this work (about 0.1 ms per contract, 6 ms per 100,000 rows; see
        ``benchmarks/serve.py``). American, Heston and Monte Carlo prices still go to the
        deployment.
    """

    def __init__(self, handle: Any, *, local_closed_form: bool = False) -> None:
        self._h = handle
        # columns go by object reference: inline they could exceed gRPC's message size limit
        # (4 MiB by default) when Serve talks gRPC between replicas (throughput-optimized mode)
        self._cols = handle.options(_by_reference=True)
        self._local = Coalescer() if local_closed_form else None

    async def price_one(self, option: OptionIn) -> dict[str, float]:
        """See :class:`PricingBackend`."""
        if self._local is not None:
            return await self._local.price_one(option)
        out = await self._h.price_one.remote(option)
        if isinstance(out, ValueError):
            raise out
        return dict(out)

    async def price_batch(self, cols: Columns, greeks: tuple[str, ...]) -> Columns:
        """See :class:`PricingBackend`."""
        if self._local is not None:
            return await run_in_threadpool(price_columns, cols, greeks)
        return dict(await self._cols.price_batch.remote(cols, greeks))

    async def implied_vol(self, cols: Columns) -> tuple[np.ndarray, np.ndarray]:
        """See :class:`PricingBackend`."""
        if self._local is not None:
            return await run_in_threadpool(iv_columns, cols)
        vol, status = await self._cols.implied_vol.remote(cols)
        return vol, status

    async def american(self, cols: Columns, method: str, steps: int | None) -> np.ndarray:
        """See :class:`PricingBackend`."""
        return np.asarray(await self._cols.american.remote(cols, method, steps))

    async def heston(self, cols: Columns, params: HestonParams) -> np.ndarray:
        """See :class:`PricingBackend`."""
        return np.asarray(await self._cols.heston.remote(cols, params))

    async def monte_carlo(self, req: MonteCarloIn) -> dict[str, Any]:
        """See :class:`PricingBackend`."""
        return dict(await self._h.monte_carlo.remote(req))


_backend: PricingBackend = LocalPricing()


def set_backend(backend: PricingBackend) -> None:
    """Make ``backend`` the one every pricing endpoint of this process calls."""
    global _backend
    _backend = backend


def get_backend() -> PricingBackend:
    """The current backend (a FastAPI dependency; override it in tests if you like)."""
    return _backend


# --------------------------------------------------------------------------- router


class TimedRoute(APIRoute):
    """An :class:`~fastapi.routing.APIRoute` adding :data:`SERVER_TIMING` to its responses.

    ``app`` runs from the request reaching the route (after routing and the middleware, before
    the dependencies, such as authentication, and the body) to the response object built, body
    included. A handler may add parts as ``(name, seconds)`` to ``request.state.timing``
    (the column routes add ``parse``, ``price`` and ``encode``). Error responses raised as
    exceptions (401, 422, ...) do not carry the header.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, timed."""
        handler = super().get_route_handler()

        async def timed(request: Request) -> Response:
            t0 = time.perf_counter()
            parts: list[tuple[str, float]] = []
            request.state.timing = parts
            response = await handler(request)
            total = f"app;dur={(time.perf_counter() - t0) * 1e3:.3f}"
            response.headers[SERVER_TIMING] = ", ".join(
                [total, *(f"{name};dur={s * 1e3:.3f}" for name, s in parts)])
            return response

        return timed


router = APIRouter(prefix="/v1/pricing", tags=["pricing"], route_class=TimedRoute)
Backend = Depends(get_backend)

_C = TypeVar("_C", bound=_Columns)


async def _columns_body(request: Request, model: type[_C]) -> _C:
    """The request body as ``model`` by the fast JSON path; errors as FastAPI's 422."""
    try:
        return model.from_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


def _body_doc(model: type[_Columns]) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model`` as the JSON request body of a route."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": model.model_json_schema()}}}}


def _json(content: dict[str, Any]) -> Response:
    """A JSON response written by orjson; numpy arrays inline, NaN and inf as null."""
    return Response(orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY),
                    media_type="application/json")


def _timing(request: Request, *parts: tuple[str, float]) -> None:
    """Add ``(name, seconds)`` parts to the route's ``Server-Timing`` header (if timed)."""
    timing = getattr(request.state, "timing", None)
    if isinstance(timing, list):
        timing.extend(parts)


def _f64(arr: np.ndarray) -> np.ndarray:
    """A C-contiguous float64 copy or view (what orjson serializes)."""
    return np.ascontiguousarray(arr, dtype=np.float64)


def _unprocessable(exc: ValueError) -> HTTPException:
    """A library ``ValueError`` as a 422 in FastAPI's error shape."""
    return HTTPException(status_code=422, detail=[
        {"type": "value_error", "loc": ["body"], "msg": str(exc)}])


def _column(arr: np.ndarray) -> list[float | None]:
    """A float column as a JSON-ready list (NaN and inf become null on serialization)."""
    return np.asarray(arr, dtype=np.float64).tolist()  # type: ignore[no-any-return]


@router.post("/price", response_model=PriceOut, summary="Price and Greeks of one option")
async def price(body: OptionIn, backend: PricingBackend = Backend) -> PriceOut:
    """Black-Scholes-Merton price and Greeks of one European option.

    Units: price per unit of underlying; Greeks per 1.00 of their variable (vega per 1.00 of
    vol, theta per year, rho per 1.00 of rate). Concurrent requests are batched on the server.
    """
    try:
        values = await backend.price_one(body)
    except ValueError as exc:
        raise _unprocessable(exc) from exc
    fields: dict[str, Any] = {**dict.fromkeys(GREEK_ORDER), **values}
    return PriceOut.model_construct(**fields)


@router.post("/price/batch", response_model=BatchOut, openapi_extra=_body_doc(BatchIn),
             summary="Prices and Greeks of up to 100,000 options, as columns")
async def price_batch(request: Request, backend: PricingBackend = Backend) -> Response:
    """Black-Scholes-Merton prices and the requested Greeks of a batch given as columns.

    Each input column is a list of the batch length or a scalar applied to every row. The body
    is a :class:`~serve.schemas.pricing.BatchIn` (parsed by its fast JSON path); the answer a
    :class:`~serve.schemas.pricing.BatchOut`.
    """
    t0 = time.perf_counter()
    body = await _columns_body(request, BatchIn)
    t1 = time.perf_counter()
    try:
        out = await backend.price_batch(body.arrays(), tuple(dict.fromkeys(body.greeks)))
    except ValueError as exc:
        raise _unprocessable(exc) from exc
    t2 = time.perf_counter()
    price = out.pop("price")
    response = _json({"n": body.n, "price": _f64(price),
                      "greeks": {name: _f64(arr) for name, arr in out.items()}})
    _timing(request, ("parse", t1 - t0), ("price", t2 - t1), ("encode", time.perf_counter() - t2))
    return response


@router.post("/iv", response_model=IVOut, openapi_extra=_body_doc(IVIn),
             summary="Implied volatility, one price or a column")
async def iv(request: Request, backend: PricingBackend = Backend) -> Response:
    """Black-Scholes-Merton implied volatilities with a reason code for every missing one.

    The body is an :class:`~serve.schemas.pricing.IVIn` (parsed by its fast JSON path); the
    answer an :class:`~serve.schemas.pricing.IVOut`.
    """
    t0 = time.perf_counter()
    body = await _columns_body(request, IVIn)
    t1 = time.perf_counter()
    try:
        vol, status = await backend.implied_vol(body.arrays())
    except ValueError as exc:
        raise _unprocessable(exc) from exc
    t2 = time.perf_counter()
    response = _json({"n": body.n, "vol": _f64(vol),
                      "status": _STATUS_NAMES[np.asarray(status, np.intp)].tolist()})
    _timing(request, ("parse", t1 - t0), ("price", t2 - t1), ("encode", time.perf_counter() - t2))
    return response


@router.post("/american", response_model=AmericanOut, summary="American option prices")
async def american(body: AmericanIn, backend: PricingBackend = Backend) -> AmericanOut:
    """American prices (QD+ fixed point by default; BAW, BS2002 and lattices on request)."""
    try:
        prices = await backend.american(body.arrays(), body.method, body.steps)
    except ValueError as exc:
        raise _unprocessable(exc) from exc
    return AmericanOut.model_construct(n=body.n, method=body.method, price=_column(prices))


@router.post("/heston", response_model=HestonOut, summary="Heston European option prices")
async def heston(body: HestonIn, backend: PricingBackend = Backend) -> HestonOut:
    """Semi-analytic Heston prices of European options."""
    try:
        params = HestonParams(v0=body.v0, kappa=body.kappa, theta=body.theta, xi=body.xi,
                              rho=body.rho)
        prices = await backend.heston(body.arrays(), params)
    except ValueError as exc:
        raise _unprocessable(exc) from exc
    return HestonOut.model_construct(n=body.n, price=_column(prices))


@router.post("/montecarlo", response_model=MonteCarloOut, summary="A small Monte Carlo price")
async def montecarlo(body: MonteCarloIn, backend: PricingBackend = Backend) -> MonteCarloOut:
    """Monte Carlo price and standard error.

    At most 200,000 paths x 500 steps; larger runs are cluster jobs.
    """
    try:
        values = await backend.monte_carlo(body)
    except ValueError as exc:
        raise _unprocessable(exc) from exc
    return MonteCarloOut.model_construct(**values)
