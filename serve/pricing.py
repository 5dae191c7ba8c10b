"""Pricing API: ``/v1/pricing`` router, its compute backends, and the Ray Serve deployment.

The router (:data:`router`) validates bodies with the models of :mod:`serve.schemas.pricing` and
calls the module's *backend* (:func:`get_backend`, a FastAPI dependency), anything that follows
:class:`PricingBackend`:

* :class:`LocalPricing` computes in-process with :mod:`optix.quant` (tests, notebooks, one box);
* :class:`HandleBackend` forwards to a :class:`PricingDeployment` through a Serve deployment
  handle; its ``price_one`` is a ``@serve.batch`` method, so concurrent single-contract requests
  become one vectorized :func:`~optix.quant.bsm_greeks` call.

The ingress wires it with ``set_backend(HandleBackend(handle))``. Batches travel between the two
as numpy columns, never as one object per row. Bad input is a 422 naming the field (pydantic);
a numerical ``ValueError`` from the library is a 422 with its message, never a 500. Responses
are built from ``ndarray.tolist()`` and serialized by pydantic's Rust core, where NaN is null.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from fastapi import APIRouter, Depends, HTTPException
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
)

__all__ = [
    "HandleBackend",
    "LocalPricing",
    "PricingBackend",
    "PricingDeployment",
    "get_backend",
    "router",
    "set_backend",
]

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


@serve.deployment(name="pricing", ray_actor_options={"num_cpus": 0},
                  max_ongoing_requests=256)
class PricingDeployment:
    """Serve deployment holding the pricing compute; ``price_one`` batches concurrent calls."""

    @serve.batch(max_batch_size=256, batch_wait_timeout_s=0.002)
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


class HandleBackend:
    """Backend that forwards every call to a :class:`PricingDeployment` handle."""

    def __init__(self, handle: Any) -> None:
        self._h = handle

    async def price_one(self, option: OptionIn) -> dict[str, float]:
        """See :class:`PricingBackend`."""
        out = await self._h.price_one.remote(option)
        if isinstance(out, ValueError):
            raise out
        return dict(out)

    async def price_batch(self, cols: Columns, greeks: tuple[str, ...]) -> Columns:
        """See :class:`PricingBackend`."""
        return dict(await self._h.price_batch.remote(cols, greeks))

    async def implied_vol(self, cols: Columns) -> tuple[np.ndarray, np.ndarray]:
        """See :class:`PricingBackend`."""
        vol, status = await self._h.implied_vol.remote(cols)
        return vol, status

    async def american(self, cols: Columns, method: str, steps: int | None) -> np.ndarray:
        """See :class:`PricingBackend`."""
        return np.asarray(await self._h.american.remote(cols, method, steps))

    async def heston(self, cols: Columns, params: HestonParams) -> np.ndarray:
        """See :class:`PricingBackend`."""
        return np.asarray(await self._h.heston.remote(cols, params))

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

router = APIRouter(prefix="/v1/pricing", tags=["pricing"])
Backend = Depends(get_backend)


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


@router.post("/price/batch", response_model=BatchOut,
             summary="Prices and Greeks of up to 100,000 options, as columns")
async def price_batch(body: BatchIn, backend: PricingBackend = Backend) -> BatchOut:
    """Black-Scholes-Merton prices and the requested Greeks of a batch given as columns.

    Each input column is a list of the batch length or a scalar applied to every row.
    """
    try:
        out = await backend.price_batch(body.arrays(), tuple(dict.fromkeys(body.greeks)))
    except ValueError as exc:
        raise _unprocessable(exc) from exc
    return BatchOut.model_construct(
        n=body.n, price=_column(out.pop("price")),
        greeks={name: _column(arr) for name, arr in out.items()})


@router.post("/iv", response_model=IVOut, summary="Implied volatility, one price or a column")
async def iv(body: IVIn, backend: PricingBackend = Backend) -> IVOut:
    """Black-Scholes-Merton implied volatilities with a reason code for every missing one."""
    try:
        vol, status = await backend.implied_vol(body.arrays())
    except ValueError as exc:
        raise _unprocessable(exc) from exc
    return IVOut.model_construct(n=body.n, vol=_column(vol),
                                 status=_STATUS_NAMES[np.asarray(status, np.intp)].tolist())


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
