"""Background flow: the ordinary option prints and equity prints of a block of market time.

Background flow is kept strictly inside every detector rule (see
:class:`~optix.data.synthetic.config.PlantingRules`), so that the planted events are the
complete ground truth.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt

from optix.core import Condition, EquityVenue, OptionVenue
from optix.core.arrays import BoolArray, FloatArray, Int64Array, UInt8Array, UInt32Array
from optix.data.synthetic.config import PlantingRules
from optix.data.synthetic.day import OPTION_VENUE_SHARE, DayContext
from optix.data.synthetic.paths import PathBlock
from optix.data.synthetic.sampling import AliasSampler, CategoricalTable

__all__ = ["EquityRows", "OptionRows", "background_equities", "background_options",
           "sorted_times"]

# Where a print lands against the NBBO: below bid, at bid, inside (mid), at ask, above ask.
_PLACEMENT = CategoricalTable(np.arange(5), [0.02, 0.31, 0.28, 0.37, 0.02])

# At most one condition per background print: ISO, auction, late, out of sequence, cancel.
_CONDITIONS = CategoricalTable(
    np.array([Condition.ISO, Condition.AUCTION, Condition.LATE, Condition.OUT_OF_SEQUENCE,
              Condition.CANCEL, 0], dtype=np.uint32),
    [0.05, 0.03, 0.002, 0.001, 0.001, 0.916], resolution=16384)

_LIT = {EquityVenue.XNAS: 0.20, EquityVenue.XNYS: 0.14, EquityVenue.ARCX: 0.10,
        EquityVenue.BATS: 0.10, EquityVenue.EDGX: 0.10, EquityVenue.MEMX: 0.09,
        EquityVenue.IEXG: 0.05, EquityVenue.BATY: 0.05, EquityVenue.EDGA: 0.04,
        EquityVenue.EPRL: 0.04, EquityVenue.XBOS: 0.03, EquityVenue.XPSX: 0.02,
        EquityVenue.XCHI: 0.02, EquityVenue.XCIS: 0.02}
_TRF = {EquityVenue.FINN: 0.70, EquityVenue.FINY: 0.25, EquityVenue.FINC: 0.05}


def _table(shares: Mapping[OptionVenue, float] | Mapping[EquityVenue, float]
           ) -> CategoricalTable:
    return CategoricalTable(np.array([int(v) for v in shares], dtype=np.uint8),
                            list(shares.values()))


_OPT_VENUES = _table(OPTION_VENUE_SHARE)
_LIT_VENUES = _table(_LIT)
_TRF_VENUES = _table(_TRF)


class _Rows:
    """Equal-length columns in a mutable dataclass: length, row selection, concatenation."""

    __slots__ = ()
    _DTYPES: ClassVar[tuple[npt.DTypeLike, ...]]

    def __len__(self) -> int:
        return int(getattr(self, dataclasses.fields(self)[0].name).shape[0])  # type: ignore[arg-type]

    def take(self, index: Int64Array | BoolArray) -> Self:
        """Rows at ``index`` (positions or a mask)."""
        return type(self)(*(getattr(self, f.name)[index]
                            for f in dataclasses.fields(self)))  # type: ignore[arg-type]

    @classmethod
    def concat(cls, parts: list[Self]) -> Self:
        """Rows of all parts, in order (no parts: no rows)."""
        if not parts:
            return cls(*(np.empty(0, dtype) for dtype in cls._DTYPES))
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts])
                     for f in dataclasses.fields(cls)))  # type: ignore[arg-type]


@dataclass(slots=True)
class OptionRows(_Rows):
    """Option prints before they become a batch (``contract`` indexes the listings)."""

    _DTYPES: ClassVar[tuple[npt.DTypeLike, ...]] = (
        np.int64, np.int64, np.float64, np.int64, np.uint8, np.float64, np.float64, np.uint32,
        np.int64)

    contract: Int64Array
    ts: Int64Array
    price: FloatArray
    size: Int64Array
    venue: UInt8Array
    bid: FloatArray
    ask: FloatArray
    cond: UInt32Array
    group: Int64Array
    """Planted-event id of each row, -1 for background."""

    def premium(self, index: Int64Array | slice = slice(None)) -> FloatArray:
        """Premium in dollars (price x size x 100) of the rows at ``index``."""
        return np.asarray(self.price[index] * self.size[index] * 100.0, dtype=np.float64)


@dataclass(slots=True)
class EquityRows(_Rows):
    """Equity prints before they become a batch (``sym`` indexes the universe)."""

    _DTYPES: ClassVar[tuple[npt.DTypeLike, ...]] = (
        np.int64, np.int64, np.int64, np.float64, np.int64, np.uint8, np.float64, np.float64,
        np.uint32, np.int64)

    sym: Int64Array
    ts: Int64Array
    exec_ts: Int64Array
    price: FloatArray
    size: Int64Array
    venue: UInt8Array
    bid: FloatArray
    ask: FloatArray
    cond: UInt32Array
    group: Int64Array


def sorted_times(rng: np.random.Generator, n: int, t0: int, t1: int) -> Int64Array:
    """``n`` uniform times in ``[t0, t1)``, already sorted (exponential spacings, no sort)."""
    gaps = rng.standard_exponential(n + 1)
    cum = np.cumsum(gaps)
    return np.asarray(t0 + (cum[:-1] / cum[-1]) * (t1 - t0), dtype=np.int64)


def background_options(ctx: DayContext, block: PathBlock, t0: int, t1: int, expected: float,
                       rng: np.random.Generator, rules: PlantingRules,
                       sampler: AliasSampler) -> OptionRows:
    """Ordinary option prints in ``[t0, t1)``, about ``expected`` of them, sorted by time.

    Contracts are drawn by ``sampler`` (symbol activity times each contract's flow weight,
    with reserved contracts at zero); sizes are
    heavy-tailed but every print stays under ``rules.background_max_premium``; no contract
    gets ``rules.repeat_min_hits`` prints within ``rules.repeat_window_s``.
    """
    n = int(rng.poisson(expected))
    ts = sorted_times(rng, n, t0, t1)
    lst = ctx.listings
    contract = sampler.sample(rng, n)
    q = ctx.quote(contract, ts, block)
    place = _PLACEMENT.sample(rng, n)
    tick = q.tick
    no_bid = q.bid <= 0
    place = np.where(no_bid & (place <= 1), 3, place)  # nothing to sell into: lift the ask
    inside_ticks = np.round((q.ask - q.bid) / tick).astype(np.int64)
    inside = np.where(
        inside_ticks >= 2,
        q.bid + tick * (1 + np.floor(rng.random(n) * np.maximum(inside_ticks - 1, 1))),
        0.5 * (q.bid + q.ask),
    )
    below = np.where(q.bid - tick > 0, q.bid - tick, q.bid)
    price = np.choose(place, [below, q.bid, inside, q.ask, q.ask + tick])
    price = np.round(np.where(price > 0, price, q.ask), 4).astype(np.float64)
    size = np.floor(np.exp(rng.normal(0.4, 1.2, n))).astype(np.int64) + 1
    cap = np.floor((rules.background_max_premium - 0.01) / (price * 100.0)).astype(np.int64)
    size = np.minimum(size, cap)
    venue = _OPT_VENUES.sample(rng, n)
    cond = _CONDITIONS.sample(rng, n)
    rows = OptionRows(contract=contract, ts=ts, price=price, size=size,
                      venue=venue, bid=q.bid, ask=q.ask,
                      cond=cond, group=np.full(n, -1, dtype=np.int64))
    keep = size >= 1  # a contract worth more than the premium ceiling is not printed
    keep &= ~_repeat_runs(contract, ts, len(lst), rules)
    return rows.take(keep) if not keep.all() else rows


def _repeat_runs(contract: Int64Array, ts: Int64Array, n_contracts: int,
                 rules: PlantingRules) -> np.ndarray:
    """Mask of prints that would complete a run of ``repeat_min_hits`` within the window."""
    k = rules.repeat_min_hits
    drop = np.zeros(contract.shape[0], dtype=bool)
    counts = np.bincount(contract, minlength=n_contracts)
    hot = counts >= k
    if not hot.any():
        return drop
    rows = np.flatnonzero(hot[contract])
    # one int64 key: contract in the high bits, time since the first print in the low 36
    # (69 s of nanoseconds; blocks are at most an hour, so fall back to lexsort beyond that)
    span = int(ts[rows].max() - ts[rows].min()) if rows.size else 0
    if span < 2**36 and n_contracts < 2**26:
        key = (contract[rows].astype(np.int64) << 36) | (ts[rows] - ts[rows].min())
        order = rows[np.argsort(key)]
    else:
        order = rows[np.lexsort((ts[rows], contract[rows]))]
    window = int(rules.repeat_window_s * 1e9)
    while order.size >= k:
        c, t = contract[order], ts[order]
        run = (c[k - 1:] == c[: -(k - 1)]) & (t[k - 1:] - t[: -(k - 1)] <= window)
        if not run.any():
            break
        first_bad = order[k - 1:][run]
        drop[first_bad] = True
        order = order[~np.isin(order, first_bad)]
    return drop


def background_equities(ctx: DayContext, block: PathBlock, t0: int, t1: int, expected: float,
                        rng: np.random.Generator, rules: PlantingRules, off_exchange: float,
                        symbols: AliasSampler) -> EquityRows:
    """Ordinary equity prints in ``[t0, t1)``: lit exchanges and off-exchange (TRF) prints.

    Off-exchange prints carry a report delay (milliseconds usually, seconds sometimes) and
    stay under the dark-pool size and notional lines; lit prints have no such ceiling.
    """
    n = int(rng.poisson(expected))
    ts = sorted_times(rng, n, t0, t1)
    sym = symbols.sample(rng, n)
    spot = ctx.spot(sym, ts, block)
    half = np.maximum(np.round(spot * 0.0001, 2), 0.01)
    bid = np.round(spot - half, 2)
    ask = bid + 2 * half
    price = np.round(bid + 2 * half * rng.random(n), 2)
    u = rng.random(n)
    size = np.where(u < 0.3, (u * 330).astype(np.int64) + 1,
                    100 * np.minimum(rng.geometric(0.45, n), 50))
    trf = np.flatnonzero(rng.random(n) < off_exchange)
    venue = _LIT_VENUES.sample(rng, n)
    venue[trf] = _TRF_VENUES.sample(rng, trf.size)
    cap = np.minimum(rules.dark_min_shares - 1,
                     np.floor((rules.dark_min_notional - 1.0) / price[trf])).astype(np.int64)
    size[trf] = np.minimum(size[trf], cap)
    slow = rng.random(trf.size) < 0.02
    delay = np.where(slow, rng.uniform(1.0, 10.0, trf.size),
                     rng.lognormal(np.log(0.003), 1.0, trf.size))
    exec_ts = ts.copy()
    exec_ts[trf] -= (delay * 1e9).astype(np.int64)
    cond = np.where(size < 100, np.uint32(Condition.ODD_LOT), np.uint32(0)).astype(np.uint32)
    return EquityRows(sym=sym, ts=ts, exec_ts=exec_ts, price=price, size=size.astype(np.int64),
                      venue=venue, bid=bid, ask=np.round(ask, 2), cond=cond,
                      group=np.full(n, -1, dtype=np.int64))
