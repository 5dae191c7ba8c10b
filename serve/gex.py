"""GEX endpoints: of a chain posted in the request, and of the underlyings the actors hold.

``/v1/gex/chain`` (JSON) and ``/v1/gex/cboe`` (a CBOE file) compute
:func:`optix.gex.compute_gex` with the conventions given as query parameters and answer the
headline numbers (``GexResult.summary()``), exposure by strike as columns, and, when
``heatmaps=true``, the strike x expiry and strike x hypothetical-spot tables. ``/v1/gex/cboe``
takes a CBOE delayed-quotes download as the raw body (``text/csv``). A chain that gives no
usable gamma, or a body that is not a chain, is a 422 with the reason.
``/v1/gex/symbols/{symbol}`` answers the same for the latest chain of a symbol on its shard
(recomputed when conventions are given), plus its history on request; ``/v1/gex/symbols``
lists the symbols held.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from ray import serve
from starlette.concurrency import run_in_threadpool

from optix.core.chains import ChainSnapshot
from optix.gex import ExpiryWindow, GexConfig, GexError, compute_gex
from optix.gex.config import (
    FlipRule,
    GammaSource,
    GexUnit,
    SettledPolicy,
    SignConvention,
    Sticky,
    ZeroDtePolicy,
)
from serve._actors import actor, call, symbol_of

__all__ = [
    "ChainIn",
    "GexDeployment",
    "GexParams",
    "GexRejectedError",
    "answer",
    "compute_cboe",
    "compute_chain",
    "router",
    "set_handle",
]

MAX_ROWS = 50_000
MAX_CSV_BYTES = 16 << 20

router = APIRouter(prefix="/v1/gex", tags=["gex"])


class GexParams(BaseModel):
    """Conventions of the computation (see :class:`optix.gex.GexConfig`)."""

    unit: Literal["usd_per_1pct", "usd_per_point", "shares"] = "usd_per_1pct"
    sign: Literal["dealer_long_calls_short_puts", "dealer_short_calls_long_puts"] = (
        "dealer_long_calls_short_puts")
    expiry_window: str = Field("all", description="all, ex_nearest, ex_monthly or <=N days")
    zero_dte: Literal["floor", "exclude"] = "floor"
    settled: Literal["exclude", "floor"] = "exclude"
    flip_rule: Literal["first", "nearest"] = "first"
    sticky: Literal["strike", "moneyness"] = "strike"
    gamma_source: Literal["auto", "vendor", "model"] = "auto"
    r: float = Field(0.0, ge=-1.0, le=1.0)
    q: float = Field(0.0, ge=-1.0, le=1.0)
    levels: int = Field(60, ge=2, le=400)
    heatmaps: bool = False

    def config(self) -> GexConfig:
        """The :class:`GexConfig` these parameters name (422 on a bad expiry window)."""
        try:
            window = ExpiryWindow.parse(self.expiry_window)
        except ValueError as exc:
            raise HTTPException(422, f"expiry_window: {exc}") from None
        return GexConfig(unit=GexUnit(self.unit), sign=SignConvention(self.sign),
                         expiry_window=window, zero_dte=ZeroDtePolicy(self.zero_dte),
                         settled=SettledPolicy(self.settled), flip_rule=FlipRule(self.flip_rule),
                         sticky=Sticky(self.sticky), gamma_source=GammaSource(self.gamma_source),
                         r=self.r, q=self.q, levels=self.levels)


def _params(params: Annotated[GexParams, Query()]) -> GexParams:
    return params


class ChainIn(BaseModel):
    """One underlying's chain as columns (one entry per contract)."""

    model_config = ConfigDict(extra="forbid")

    underlying: str = Field(min_length=1, max_length=16)
    spot: float = Field(gt=0, allow_inf_nan=False)
    as_of_ns: int = Field(gt=0, description="Snapshot time, epoch nanoseconds (UTC)")
    expiry: list[str] = Field(min_length=1, max_length=MAX_ROWS, description="YYYY-MM-DD")
    strike: list[float] = Field(min_length=1, max_length=MAX_ROWS)
    right: list[Literal["C", "P", "c", "p", "call", "put"]] = Field(min_length=1,
                                                                    max_length=MAX_ROWS)
    open_interest: list[int] = Field(min_length=1, max_length=MAX_ROWS)
    iv: list[float | None] | None = Field(None, description="Decimal; null where none")
    gamma: list[float | None] | None = Field(None, description="Vendor gamma; null where none")
    delta: list[float | None] | None = None

    @model_validator(mode="after")
    def _same_length(self) -> ChainIn:
        n = len(self.strike)
        for name in ("expiry", "right", "open_interest", "iv", "gamma", "delta"):
            col = getattr(self, name)
            if col is not None and len(col) != n:
                raise ValueError(f"{name} has {len(col)} rows but strike has {n}")
        return self

    def snapshot(self) -> ChainSnapshot:
        """The columns as a validated :class:`ChainSnapshot` (422 naming a bad row)."""
        def opt(col: list[float | None] | None) -> np.ndarray[Any, Any] | None:
            return None if col is None else np.array(
                [np.nan if v is None else v for v in col], dtype=np.float64)

        n = len(self.strike)
        try:
            snap = ChainSnapshot.from_columns(
                underlying=self.underlying.upper(), spot=self.spot, as_of_ns=self.as_of_ns,
                expiry=self.expiry, strike=self.strike,
                right=[1 if r[0] in "Cc" else -1 for r in self.right],
                bid=np.zeros(n), ask=np.zeros(n), open_interest=self.open_interest,
                iv=opt(self.iv), gamma=opt(self.gamma), delta=opt(self.delta))
        except (ValueError, TypeError) as exc:
            raise HTTPException(422, f"chain: {exc}") from None
        checked = snap.validate()
        if checked.n_rejected:
            row = int(checked.rejected_index[0])
            reason = checked.reason_counts()
            raise HTTPException(422, f"chain: {checked.n_rejected} bad rows (first: row {row}); "
                                     f"reasons {({r.name: c for r, c in reason.items()})}")
        return snap


class GexRejectedError(ValueError):
    """A chain or file the GEX code cannot use; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def compute_chain(chain: ChainSnapshot, config: GexConfig, heatmaps: bool) -> dict[str, Any]:
    """:func:`compute_gex` of ``chain`` as JSON (:class:`GexRejectedError` 422 when unusable)."""
    try:
        return compute_gex(chain, config).as_dict(heatmaps)
    except GexError as exc:
        raise GexRejectedError(422, str(exc)) from None


def compute_cboe(body: bytes, config: GexConfig, heatmaps: bool) -> dict[str, Any]:
    """The same for a CBOE quotedata file's bytes (:class:`GexRejectedError` 422 when not one)."""
    from optix.data import DataError
    from optix.data.feed import SourceStats
    from optix.data.replay import read_cboe_quotedata
    from optix.data.replay.cboe import is_cboe_quotedata

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "quotedata.csv"
        path.write_bytes(body)
        if not is_cboe_quotedata(path):
            raise GexRejectedError(422, "the body is not a CBOE quotedata file (expected the "
                                   "Expiration Date,Calls,... header on line 4)")
        try:
            chain = read_cboe_quotedata(path, SourceStats())
        except (DataError, ValueError) as exc:
            raise GexRejectedError(422, f"CBOE file: {str(exc).replace(str(path), 'body')}"
                              ) from None
    return compute_chain(chain, config, heatmaps)


@serve.deployment(name="gex", ray_actor_options={"num_cpus": 0}, max_ongoing_requests=8)
class GexDeployment:
    """Serve deployment computing the GEX of posted chains, scaled apart from the ingress.

    A rejected chain comes back as ``(status, detail)`` rather than an exception, so the
    ingress answers it as a 4xx without unwrapping a remote traceback.
    """

    def compute(self, kind: str, data: Any, config: GexConfig, heatmaps: bool
                ) -> dict[str, Any] | tuple[int, str]:
        """See :func:`answer`."""
        return answer(kind, data, config, heatmaps)


def answer(kind: str, data: Any, config: GexConfig, heatmaps: bool
           ) -> dict[str, Any] | tuple[int, str]:
    """GEX of ``data``, a rejection as ``(status, detail)`` (the deployment's answer).

    ``kind`` ``'chain'``: :func:`compute_chain` of a snapshot; ``'cboe'``:
    :func:`compute_cboe` of a file's bytes.
    """
    fn = compute_chain if kind == "chain" else compute_cboe
    try:
        return fn(data, config, heatmaps)
    except GexRejectedError as exc:
        return exc.status, exc.detail


_handle: Any = None


def set_handle(handle: Any) -> None:
    """Compute in the :class:`GexDeployment` behind ``handle`` (None: in this process)."""
    global _handle
    _handle = None if handle is None else handle.options(_by_reference=True)


async def _run(kind: str, data: Any, params: GexParams) -> dict[str, Any]:
    config = params.config()
    if _handle is None:
        res = await run_in_threadpool(answer, kind, data, config, params.heatmaps)
    else:
        res = await _handle.compute.remote(kind, data, config, params.heatmaps)
    if isinstance(res, tuple):
        raise HTTPException(res[0], res[1])
    return dict(res)


@router.post("/chain", summary="GEX of a chain posted as JSON columns")
async def gex_chain(chain: ChainIn,
                    params: Annotated[GexParams, Depends(_params)]) -> dict[str, Any]:
    """Exposure, profile, flip and levels of the posted chain, with the query's conventions."""
    return await _run("chain", chain.snapshot(), params)


@router.post("/cboe", summary="GEX of a CBOE delayed-quotes file (raw text/csv body)",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string"}}}}})
async def gex_cboe(request: Request,
                   params: Annotated[GexParams, Depends(_params)]) -> dict[str, Any]:
    """The same for a CBOE quotedata download sent as the body."""
    body = await request.body()
    if not body:
        raise HTTPException(422, "the body must be a CBOE quotedata file (text/csv)")
    if len(body) > MAX_CSV_BYTES:
        raise HTTPException(413, f"a CBOE file may be at most {MAX_CSV_BYTES} bytes")
    return await _run("cboe", body, params)


_CONVENTIONS = ("unit", "sign", "expiry_window", "zero_dte", "settled", "flip_rule", "sticky",
                "gamma_source", "r", "q", "levels")


@router.get("/symbols", summary="Underlyings whose GEX the actors hold")
async def held_symbols(request: Request) -> dict[str, Any]:
    """Every symbol with a GEX result on some shard of the running pipeline."""
    return {"symbols": await call(actor(request, "optix-pipeline").gex_symbols.remote())}


@router.get("/symbols/{symbol}", summary="Latest GEX of an underlying held by the actors")
async def held_gex(request: Request, symbol: str,
                   params: Annotated[GexParams, Depends(_params)],
                   history: bool = False) -> dict[str, Any]:
    """Levels, exposure by strike and profile of the symbol's latest chain on its shard.

    Conventions given as query parameters replace the shard's and recompute that chain
    (``recomputed`` says so); ``heatmaps`` adds the strike x expiry and strike x spot tables,
    ``history`` the snapshots over time and net GEX by strike over time. 404 when the shard
    has no chain of the symbol yet.
    """
    sym = symbol_of(symbol)
    given = {k: getattr(params, k) for k in params.model_fields_set if k in _CONVENTIONS}
    if "expiry_window" in given:
        try:
            given["expiry_window"] = ExpiryWindow.parse(given["expiry_window"])
        except ValueError as exc:
            raise HTTPException(422, f"expiry_window: {exc}") from None
    # a chain unusable under the asked conventions raises GexError, a ValueError: a 422
    out = await call(actor(request, "optix-pipeline").gex_view.remote(
        sym, given or None, params.heatmaps, history))
    if out is None:
        raise HTTPException(404, f"the actors hold no GEX of {sym} yet")
    result: dict[str, Any] = out
    return result
