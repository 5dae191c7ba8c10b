"""Block detector: one large option print, large against its underlying's usual print.

A print is a **block** when all three hold:

- ``size >= min_size`` contracts (100 by default);
- ``premium >= min_premium`` dollars (price x size x 100; $100,000 by default);
- ``size >= avg_multiple x`` the running average print size of its underlying (10x).

The running average
-------------------
For each underlying the detector keeps the total contracts and the number of prints seen so
far (a cumulative mean over everything since the detector started or was restored, across
sessions). A print is tested against the average of the prints *before* it in tape order,
and only then added, so a block never dilutes its own threshold. The state is two integers per
underlying, updated exactly (integer sums), so the result is the same whatever way the tape is
split into batches. Until an underlying has ``min_history`` earlier prints the relative rule is
waived (the size and premium rules still apply): with no history there is nothing to compare
against. Canceled prints (:attr:`~optix.core.enums.Condition.CANCEL`) are neither blocks nor
counted in the average.

A block is a single print, so it is emitted by the :meth:`BlockDetector.update` call that sees
it; :meth:`BlockDetector.flush` has nothing left to close.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from optix.core.arrays import Int64Array
from optix.core.enums import Condition
from optix.core.trades import OptionTradeBatch
from optix.flow.events import EventType, FlowEvent
from optix.flow.side import SideConfig, aggressor, classify_side, sentiment

__all__ = ["BlockConfig", "BlockDetector", "SymbolIds", "factorize_symbols"]

_CANCEL = np.uint32(int(Condition.CANCEL))
_AUCTION = int(Condition.AUCTION)
_SMALL = 256  # below this many rows, sorting beats hashing


@dataclass(frozen=True, slots=True)
class BlockConfig:
    """Thresholds of the block rule.

    Attributes
    ----------
    min_size : int
        Contracts in the print, at least (100).
    min_premium : float
        Premium in dollars, at least ($100,000).
    avg_multiple : float
        The print is at least this multiple of its underlying's running average print size
        (10). 0 disables the relative rule.
    min_history : int
        Earlier prints of the underlying needed before the relative rule applies (1); with
        fewer it is waived.
    side : SideConfig
        How the print's side is read from the quote (reported, not required).
    """

    min_size: int = 100
    min_premium: float = 100_000.0
    avg_multiple: float = 10.0
    min_history: int = 1
    side: SideConfig = field(default_factory=SideConfig)

    def __post_init__(self) -> None:
        if self.min_size < 1:
            raise ValueError(f"min_size must be at least 1, got {self.min_size}")
        if not (math.isfinite(self.min_premium) and self.min_premium >= 0):
            raise ValueError(f"min_premium must be finite and >= 0, got {self.min_premium}")
        if not (math.isfinite(self.avg_multiple) and self.avg_multiple >= 0):
            raise ValueError(f"avg_multiple must be finite and >= 0, got {self.avg_multiple}")
        if self.min_history < 0:
            raise ValueError(f"min_history must be >= 0, got {self.min_history}")


class BlockDetector:
    """Finds block prints in option trade batches (see the module docstring for the rule).

    Parameters
    ----------
    config : BlockConfig, optional
        Thresholds; defaults to :class:`BlockConfig()`.
    """

    def __init__(self, config: BlockConfig | None = None) -> None:
        self.config = config or BlockConfig()
        self._ids = SymbolIds()
        self._slot = self._ids.ids
        self._sum = np.zeros(0, dtype=np.int64)
        self._count = np.zeros(0, dtype=np.int64)

    @property
    def n_underlyings(self) -> int:
        """Underlyings with a running average."""
        return len(self._slot)

    def average(self, underlying: str) -> float:
        """Running average print size of ``underlying`` (``nan`` before its first print)."""
        s = self._slot.get(underlying)
        if s is None or self._count[s] == 0:
            return math.nan
        return float(self._sum[s] / self._count[s])

    def _slots(self, names: np.ndarray[Any, Any]) -> Int64Array:
        """Slot of each row's underlying, adding new underlyings in first-seen order."""
        slot = self._ids.find(names)
        if slot is None or (slot < 0).any():  # a new underlying (rare) or an odd column
            inv, uniq = factorize_symbols(names)
            table = np.empty(len(uniq), dtype=np.int64)
            for i, name in enumerate(uniq):
                s = self._slot.get(name)
                if s is None:
                    s = self._slot[name] = len(self._slot)
                table[i] = s
            slot = table[inv]
        if len(self._slot) > self._sum.size:
            grow = max(len(self._slot), 2 * self._sum.size) - self._sum.size
            self._sum = np.concatenate([self._sum, np.zeros(grow, dtype=np.int64)])
            self._count = np.concatenate([self._count, np.zeros(grow, dtype=np.int64)])
        return slot

    def update(self, trades: OptionTradeBatch | None, now_ns: int, *,
               side: npt.ArrayLike | None = None) -> list[FlowEvent]:
        """Blocks among ``trades`` (in tape order), updating the running averages.

        Parameters
        ----------
        trades : OptionTradeBatch or None
            Validated prints, in time order.
        now_ns : int
            Current time (unused: a block is final when it prints).
        side : array_like, optional
            Precomputed :func:`~optix.flow.side.classify_side` codes of ``trades``.

        Returns
        -------
        list of FlowEvent
        """
        if trades is None or len(trades) == 0:
            return []
        cfg = self.config
        size = trades.size
        valid = (trades.conditions & _CANCEL) == 0
        cand = valid & (size >= cfg.min_size)
        if cand.any():
            cand &= trades.premium >= cfg.min_premium
        slot = self._slots(trades.underlying)
        w = np.where(valid, size, 0)
        events: list[FlowEvent] = []
        if cand.any():
            rows = np.flatnonzero(cand)
            # add the same underlying's earlier valid prints in this batch (rows are rare)
            prior_sum = self._sum[slot[rows]].copy()
            prior_cnt = self._count[slot[rows]].copy()
            for j, r in enumerate(rows.tolist()):
                same = slot[:r] == slot[r]
                prior_sum[j] += int(w[:r][same].sum())
                prior_cnt[j] += int(np.count_nonzero(valid[:r][same]))
            events = self._emit(trades, rows, prior_sum, prior_cnt,
                                None if side is None else np.asarray(side, dtype=np.int8)[rows])
        n = self._sum.size
        self._sum += np.bincount(slot, weights=w, minlength=n).astype(np.int64)
        self._count += np.bincount(slot[valid], minlength=n).astype(np.int64)
        return events

    def _emit(self, trades: OptionTradeBatch, rows: Int64Array, prior_sum: Int64Array,
              prior_cnt: Int64Array, side: npt.NDArray[Any] | None = None) -> list[FlowEvent]:
        cfg = self.config
        out: list[FlowEvent] = []
        if side is None:
            side = classify_side(trades.price[rows], trades.bid[rows], trades.ask[rows],
                                 trades.conditions[rows], cfg.side)
        agg = aggressor(side)
        sent = sentiment(side, trades.right[rows])
        for j, r in enumerate(rows.tolist()):
            n, total, size = int(prior_cnt[j]), int(prior_sum[j]), int(trades.size[r])
            avg = total / n if n else math.nan
            # with fewer than min_history earlier prints (or none) the relative rule is waived
            if n >= cfg.min_history and n > 0 and size * n < cfg.avg_multiple * total:
                continue
            premium = float(trades.price[r] * size * 100.0)
            multiple = size / avg if n and avg > 0 else math.inf
            conf = 0.5 + 0.2 * math.log10(premium / max(cfg.min_premium, 1.0))
            conf += 0.1 * math.log10(size / cfg.min_size)
            if math.isfinite(multiple) and cfg.avg_multiple > 0:
                conf += 0.1 * math.log10(max(multiple / cfg.avg_multiple, 1e-9))
            out.append(FlowEvent(
                type=EventType.BLOCK, underlying=str(trades.underlying[r]),
                expiry=_date(trades.expiry[r]), strike=float(trades.strike[r]),
                right=int(trades.right[r]), first_ts_ns=int(trades.ts_ns[r]),
                last_ts_ns=int(trades.ts_ns[r]), seqs=(int(trades.seq[r]),), stream="option",
                venues=(int(trades.venue[r]),), size=size, premium=premium,
                side=int(agg[j]), sentiment=int(sent[j]),
                confidence=min(max(conf, 0.0), 1.0),
                detail={"avg_size": avg, "size_multiple": multiple, "prior_prints": n,
                        "price": float(trades.price[r]),
                        "auction": bool(int(trades.conditions[r]) & _AUCTION)},
            ))
        return out

    def flush(self) -> list[FlowEvent]:
        """Nothing stays open: blocks are emitted when they print."""
        return []

    def snapshot(self) -> dict[str, Any]:
        """JSON-serializable state: per underlying its running size total and print count."""
        n = len(self._slot)
        return {"underlyings": list(self._slot), "size_sum": self._sum[:n].tolist(),
                "prints": self._count[:n].tolist()}

    @classmethod
    def restore(cls, state: dict[str, Any], config: BlockConfig | None = None
                ) -> BlockDetector:
        """A detector continuing from :meth:`snapshot` ``state``."""
        det = cls(config)
        det._ids.ids.update((str(name), i) for i, name in enumerate(state["underlyings"]))
        det._sum = np.asarray(state["size_sum"], dtype=np.int64).reshape(-1).copy()
        det._count = np.asarray(state["prints"], dtype=np.int64).reshape(-1).copy()
        if not det._sum.size == det._count.size == len(det._slot):
            raise ValueError("block state: underlyings, size_sum and prints differ in length")
        return det


def _date(value: np.datetime64) -> dt.date:
    return dt.date.fromordinal(int(value.astype("datetime64[D]").astype(np.int64))
                               + dt.date(1970, 1, 1).toordinal())


def factorize_symbols(names: np.ndarray[Any, Any]) -> tuple[Int64Array, list[str]]:
    """Codes ``0..k-1`` of a column of tickers, and the ``k`` distinct tickers.

    Short ASCII tickers (up to 9 characters, the usual case) are packed into one ``int64``
    each and hashed, about ten times faster than hashing or sorting the strings; a small
    column is simply sorted (hashing has a fixed cost).

    Parameters
    ----------
    names : ndarray of str
        Tickers.

    Returns
    -------
    codes : ndarray of int64
        ``names[i] == uniques[codes[i]]``.
    uniques : list of str
        The distinct tickers (order unspecified but deterministic).
    """
    arr = np.ascontiguousarray(names)
    if arr.size < _SMALL:
        uniq_s, inv = np.unique(arr, return_inverse=True)
        return inv.reshape(-1).astype(np.int64), [str(x) for x in uniq_s.tolist()]
    packed = _pack(arr)
    if packed is not None:
        codes, uniq = pd.factorize(packed)
        first = np.empty(len(uniq), dtype=np.int64)
        first[codes[::-1]] = np.arange(arr.size - 1, -1, -1)
        return codes.astype(np.int64), [str(x) for x in arr[first].tolist()]
    codes, uniq = pd.factorize(arr.astype(object))
    return codes.astype(np.int64), [str(x) for x in uniq]


def _pack(arr: np.ndarray[Any, Any]) -> Int64Array | None:
    """Each ticker of a str column as one non-negative ``int64`` (7 bits a character).

    Characters are placed from the top bits down, so the packing ignores the column's string
    width (``<U3`` and ``<U8`` pack alike) and is one-to-one. ``None`` unless every ticker is
    ASCII and the width is at most 9 characters.
    """
    width = arr.dtype.itemsize // 4
    if arr.dtype.kind != "U" or not 0 < width <= 9:
        return None
    chars = np.ascontiguousarray(arr).view(np.uint32).reshape(-1, width)
    if chars.size and int(chars.max()) >= 128:
        return None
    packed = np.zeros(chars.shape[0], dtype=np.int64)
    for j in range(width):
        packed |= chars[:, j].astype(np.int64) << (7 * (8 - j))
    return packed


class SymbolIds:
    """Ids of tickers (a dict, filled by its owner) with a vectorized lookup of a column.

    :meth:`find` looks tickers up through their packed ``int64`` form (see ``_pack``) in a
    hash index of the known tickers, rebuilt when :attr:`ids` has grown; ``ids`` may only grow.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._built = 0  # len(ids) when the index was built
        self._index: pd.Index[Any] = pd.Index(np.zeros(0, dtype=np.int64))
        self._id = np.zeros(0, dtype=np.int64)

    def find(self, names: np.ndarray[Any, Any]) -> Int64Array | None:
        """Id of each ticker in ``names``, -1 where unknown.

        ``None`` if the column cannot be packed (non-ASCII or wider than 9 characters): look
        it up another way.
        """
        packed = _pack(np.asarray(names))
        if packed is None:
            return None
        if len(self.ids) != self._built:
            known = [n for n in self.ids  # a str column never holds a trailing NUL
                     if len(n) <= 9 and n.isascii() and not n.endswith("\0")]
            keys = _pack(np.array(known, dtype="<U9")) if known else None
            self._index = pd.Index(keys if keys is not None else np.zeros(0, dtype=np.int64))
            self._id = np.array([self.ids[n] for n in known], dtype=np.int64)
            self._built = len(self.ids)
        if self._id.size == 0:
            return np.full(packed.size, -1, dtype=np.int64)
        pos = np.asarray(self._index.get_indexer(pd.Index(packed)), dtype=np.int64)
        return np.where(pos >= 0, self._id[pos], -1)

