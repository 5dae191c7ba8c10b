"""Order-flow aggregation over a rolling 60-minute window.

:class:`FlowAggregator` sums the option tape per contract (underlying, expiry, strike, right)
in time buckets (one minute by default) and answers queries over the last
:attr:`AggregateConfig.window_s` (60 minutes) as :class:`pandas.DataFrame` objects:

- :meth:`FlowAggregator.contracts`: one row per contract;
- :meth:`FlowAggregator.summary`: grouped by any of underlying, expiry, strike, right, with
  call/put ratios and a sentiment ratio;
- :meth:`FlowAggregator.events`: the :class:`~optix.flow.events.FlowEvent` objects passed in,
  grouped by event type and any of the contract fields.

What is summed
--------------
Per print (canceled prints are left out entirely): prints, contracts, premium
(``price x size x 100``), *bought* premium and contracts (aggressor at or above the ask),
*sold* premium and contracts (at or below the bid), *bullish* and *bearish* premium
(:func:`~optix.flow.side.sentiment`: calls bought and puts sold are bullish, the mirror
bearish), and *institutional* prints and premium (a print of at least
:attr:`AggregateConfig.institutional_premium`, $250,000, inclusive). Net premium is bought
minus sold; mid-market prints and prints with no side (late, out of sequence, no quote) count
in the totals but in neither the bought nor the sold premium. Premiums are summed as integer
cents, so every aggregate is exact and the same whatever way the tape is cut into batches.

The window edge
---------------
Prints are kept per bucket of :attr:`AggregateConfig.bucket_s`: bucket ``b`` holds the prints
with ``b * bucket <= ts_ns < (b + 1) * bucket``. A query at ``now_ns`` covers every bucket that
ends *after* ``now_ns - window``, i.e. ``b >= (now_ns - window) // bucket``. When ``now_ns``
falls on a bucket boundary that is exactly the closed interval ``[now_ns - 60 min, now_ns]``:
a print exactly 60 minutes old is **in**, one a nanosecond older is out. Between boundaries the
window reaches back to the start of the bucket holding ``now_ns - 60 min`` (up to one bucket
more), the price of bounded memory: state is at most one row per active contract per bucket.

Events are bucketed by their ``last_ts_ns`` (when they completed) and follow the same edge.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from optix.core.arrays import FloatArray, Int64Array
from optix.core.enums import Condition
from optix.core.trades import OptionTradeBatch
from optix.flow.clusters import contract_keys
from optix.flow.events import FlowEvent
from optix.flow.side import SideConfig, aggressor, classify_side

__all__ = ["AggregateConfig", "FlowAggregator", "STAT_COLUMNS"]

_S = 1_000_000_000
_CANCEL = np.uint32(int(Condition.CANCEL))
_EPOCH_ORD = dt.date(1970, 1, 1).toordinal()
_MAX_CHUNKS = 8  # partial chunks per bucket before they are merged

STAT_COLUMNS = (
    "prints", "contracts", "premium", "bought_premium", "sold_premium", "bullish_premium",
    "bearish_premium", "bought_contracts", "sold_contracts", "institutional_prints",
    "institutional_premium",
)
"""The summed columns of :meth:`FlowAggregator.contracts` (premiums in dollars)."""

_CENTS = frozenset({"premium", "bought_premium", "sold_premium", "bullish_premium",
                    "bearish_premium", "institutional_premium"})
_KEYS = ("underlying", "expiry", "strike", "right")
_EVENT_STATS = ("events", "prints", "contracts", "premium", "net_premium", "bullish_premium",
                "bearish_premium")


@dataclass(frozen=True, slots=True)
class AggregateConfig:
    """Window and thresholds of the aggregation.

    Attributes
    ----------
    window_s : float
        Length of the rolling window in seconds (3600).
    bucket_s : float
        Bucket width in seconds (60); must divide ``window_s``. The window edge is exact at
        bucket boundaries (module docstring).
    institutional_premium : float
        A print of at least this premium in dollars counts as institutional (250,000).
    side : SideConfig
        How prints are placed against the quote.
    """

    window_s: float = 3600.0
    bucket_s: float = 60.0
    institutional_premium: float = 250_000.0
    side: SideConfig = field(default_factory=SideConfig)

    def __post_init__(self) -> None:
        for name in ("window_s", "bucket_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be finite and positive, got {v!r}")
        if self.window_ns % self.bucket_ns:
            raise ValueError(f"bucket_s ({self.bucket_s}) must divide window_s "
                             f"({self.window_s})")
        if not (math.isfinite(self.institutional_premium) and self.institutional_premium >= 0):
            raise ValueError(f"institutional_premium must be finite and >= 0, got "
                             f"{self.institutional_premium!r}")

    @property
    def window_ns(self) -> int:
        """The window in nanoseconds."""
        return round(self.window_s * _S)

    @property
    def bucket_ns(self) -> int:
        """The bucket width in nanoseconds."""
        return round(self.bucket_s * _S)


@dataclass(slots=True)
class _Chunk:
    """Per-contract sums of one bucket (one row per contract key)."""

    key: Int64Array
    underlying: npt.NDArray[np.str_]
    expiry: Int64Array  # days since 1970
    strike: FloatArray
    right: npt.NDArray[np.int8]
    stats: Int64Array  # (rows, len(STAT_COLUMNS)); premiums in cents

    def __len__(self) -> int:
        return int(self.key.size)


def _merge(chunks: Sequence[_Chunk]) -> _Chunk:
    """One chunk with a row per distinct key, stats summed exactly (int64)."""
    if len(chunks) == 1:
        return chunks[0]
    key = np.concatenate([c.key for c in chunks])
    stats = np.concatenate([c.stats for c in chunks])
    order = np.argsort(key, kind="stable")
    ks = key[order]
    start = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    first = order[start]
    summed = np.add.reduceat(stats[order], start, axis=0) if key.size else stats
    return _Chunk(
        key=ks[start], underlying=np.concatenate([c.underlying for c in chunks])[first],
        expiry=np.concatenate([c.expiry for c in chunks])[first],
        strike=np.concatenate([c.strike for c in chunks])[first],
        right=np.concatenate([c.right for c in chunks])[first],
        stats=summed.astype(np.int64))


class FlowAggregator:
    """Rolling 60-minute order-flow aggregates (see the module docstring).

    Parameters
    ----------
    config : AggregateConfig, optional
        Window and thresholds; defaults to :class:`AggregateConfig()`.

    Notes
    -----
    Queries return :class:`pandas.DataFrame` objects with plain columns (no index), sorted
    by their key columns; ``expiry`` is ``datetime64[D]``, premiums are dollars.
    """

    def __init__(self, config: AggregateConfig | None = None) -> None:
        self.config = config or AggregateConfig()
        self._buckets: dict[int, list[_Chunk]] = {}
        self._events: dict[int, list[tuple[Any, ...]]] = {}
        self._now = -(2**62)

    # ------------------------------------------------------------------ stream
    def update(self, trades: OptionTradeBatch | None, now_ns: int,
               events: Iterable[FlowEvent] = (), *,
               side: npt.ArrayLike | None = None) -> list[FlowEvent]:
        """Add one batch of prints (and flow events) and evict what left the window.

        Parameters
        ----------
        trades : OptionTradeBatch or None
            Validated prints, in time order.
        now_ns : int
            Current time: buckets that ended at or before ``now_ns - window`` are dropped.
        events : iterable of FlowEvent, optional
            Events from the detectors, aggregated by type (bucketed by ``last_ts_ns``).
        side : array_like, optional
            Precomputed :func:`~optix.flow.side.classify_side` codes of ``trades``.

        Returns
        -------
        list of FlowEvent
            Always empty: the aggregator reports through its queries, it emits no events.
        """
        if trades is not None and len(trades):
            self._add_trades(trades, side)
        for ev in events:
            self._add_event(ev)
        self._now = max(self._now, int(now_ns))
        lo = self._low(self._now)
        for store in (self._buckets, self._events):
            for b in [b for b in store if b < lo]:
                del store[b]
        return []

    def flush(self) -> list[FlowEvent]:
        """Nothing to close: the aggregator emits no events."""
        return []

    def _low(self, now_ns: int) -> int:
        cfg = self.config
        return (now_ns - cfg.window_ns) // cfg.bucket_ns

    def _add_trades(self, trades: OptionTradeBatch, s: npt.ArrayLike | None = None) -> None:
        cfg = self.config
        keep = (trades.conditions & _CANCEL) == 0
        if not keep.all():
            rows = np.flatnonzero(keep)
            if rows.size == 0:
                return
            trades = trades.take(rows)
            if s is not None:
                s = np.asarray(s, dtype=np.int8)[rows]
        n = len(trades)
        side = (classify_side(trades.price, trades.bid, trades.ask, trades.conditions, cfg.side)
                if s is None else np.asarray(s, dtype=np.int8))
        agg = aggressor(side)
        right = trades.right
        size = trades.size
        cents = np.rint(trades.price * size * 10_000.0)
        bought = agg > 0
        sold = agg < 0
        sent = agg * np.sign(right)
        inst = trades.price * size * 100.0 >= cfg.institutional_premium
        weights = (
            None, size, cents, np.where(bought, cents, 0.0), np.where(sold, cents, 0.0),
            np.where(sent > 0, cents, 0.0), np.where(sent < 0, cents, 0.0),
            np.where(bought, size, 0), np.where(sold, size, 0), inst, np.where(inst, cents, 0.0),
        )
        keys = contract_keys(trades)
        days = trades.expiry.astype("datetime64[D]").astype(np.int64)
        bucket = trades.ts_ns // cfg.bucket_ns
        cuts = np.flatnonzero(bucket[1:] != bucket[:-1]) + 1
        bounds = [0, *cuts.tolist(), n]
        for a, z in itertools.pairwise(bounds):
            codes, uniq = pd.factorize(keys[a:z])
            m = len(uniq)
            first = np.empty(m, dtype=np.int64)
            first[codes[::-1]] = np.arange(z - 1, a - 1, -1)
            stats = np.empty((m, len(STAT_COLUMNS)), dtype=np.int64)
            for j, w in enumerate(weights):
                wj = None if w is None else w[a:z]
                stats[:, j] = np.rint(np.bincount(codes, weights=wj, minlength=m))
            chunk = _Chunk(key=np.asarray(uniq, dtype=np.int64),
                           underlying=trades.underlying[first], expiry=days[first],
                           strike=trades.strike[first], right=right[first], stats=stats)
            lst = self._buckets.setdefault(int(bucket[a]), [])
            lst.append(chunk)
            if len(lst) > _MAX_CHUNKS:
                lst[:] = [_merge(lst)]

    def _add_event(self, ev: FlowEvent) -> None:
        b = ev.last_ts_ns // self.config.bucket_ns
        day = -1 if ev.expiry is None else ev.expiry.toordinal() - _EPOCH_ORD
        cents = round(ev.premium * 100.0)
        self._events.setdefault(b, []).append(
            (ev.type.value, ev.underlying, day, float(ev.strike), int(ev.right), len(ev.seqs),
             int(ev.size), cents, int(ev.side), int(ev.sentiment)))

    # ------------------------------------------------------------------ queries
    def _window(self, now_ns: int | None) -> list[int]:
        lo = self._low(self._now if now_ns is None else int(now_ns))
        return sorted(b for b in self._buckets if b >= lo)

    def contracts(self, now_ns: int | None = None) -> pd.DataFrame:
        """Per-contract sums over the window ending at ``now_ns``.

        Parameters
        ----------
        now_ns : int, optional
            End of the window (default: the latest ``now_ns`` given to :meth:`update`).

        Returns
        -------
        pandas.DataFrame
            Columns ``underlying, expiry, strike, right`` then :data:`STAT_COLUMNS` and
            ``net_premium`` (bought minus sold); one row per contract that printed in the
            window, sorted by contract.
        """
        chunks = [c for b in self._window(now_ns) for c in self._buckets[b]]
        if not chunks:
            return _empty_contracts()
        m = _merge(chunks)
        data: dict[str, Any] = {
            "underlying": m.underlying.astype(str), "expiry": m.expiry.astype("datetime64[D]"),
            "strike": m.strike, "right": m.right}
        for j, name in enumerate(STAT_COLUMNS):
            col = m.stats[:, j]
            data[name] = col / 100.0 if name in _CENTS else col
        data["net_premium"] = (m.stats[:, 3] - m.stats[:, 4]) / 100.0
        df = pd.DataFrame(data)
        return df.sort_values(list(_KEYS), kind="stable").reset_index(drop=True)

    def summary(self, by: Sequence[str] = ("underlying",), now_ns: int | None = None
                ) -> pd.DataFrame:
        """Sums over the window grouped by contract fields, with call/put and sentiment ratios.

        Parameters
        ----------
        by : sequence of str
            Any of ``'underlying', 'expiry', 'strike', 'right'`` (empty: one total row).
        now_ns : int, optional
            End of the window (default: the latest ``now_ns`` given to :meth:`update`).

        Returns
        -------
        pandas.DataFrame
            The ``by`` columns, :data:`STAT_COLUMNS`, ``net_premium``, ``call_prints``,
            ``put_prints``, ``call_premium``, ``put_premium``, ``call_put_ratio`` (call over
            put prints), ``call_put_premium_ratio`` (call over put premium), and
            ``sentiment`` = (bullish - bearish) / (bullish + bearish) premium. A ratio with a
            zero denominator is ``inf`` (or ``nan`` when both are zero).
        """
        by = list(by)
        bad = [b for b in by if b not in _KEYS]
        if bad:
            raise ValueError(f"cannot group by {bad}; choose from {_KEYS}")
        df = self.contracts(now_ns)
        call = df["right"] > 0
        put = df["right"] < 0
        df["call_prints"] = np.where(call, df["prints"], 0)
        df["put_prints"] = np.where(put, df["prints"], 0)
        df["call_premium"] = np.where(call, df["premium"], 0.0)
        df["put_premium"] = np.where(put, df["premium"], 0.0)
        sums = [*STAT_COLUMNS, "net_premium", "call_prints", "put_prints", "call_premium",
                "put_premium"]
        if by:
            out = df.groupby(by, sort=True)[sums].sum().reset_index()
        else:
            out = df[sums].sum().to_frame().T.reset_index(drop=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["call_put_ratio"] = out["call_prints"] / out["put_prints"]
            out["call_put_premium_ratio"] = out["call_premium"] / out["put_premium"]
            bull, bear = out["bullish_premium"], out["bearish_premium"]
            out["sentiment"] = (bull - bear) / (bull + bear)
        return out

    def events(self, by: Sequence[str] = ("underlying", "type"), now_ns: int | None = None
               ) -> pd.DataFrame:
        """The flow events in the window, counted and summed by type and contract fields.

        Parameters
        ----------
        by : sequence of str
            Any of ``'type', 'underlying', 'expiry', 'strike', 'right'``.
        now_ns : int, optional
            End of the window (default: the latest ``now_ns`` given to :meth:`update`).

        Returns
        -------
        pandas.DataFrame
            The ``by`` columns then ``events, prints, contracts, premium, net_premium``
            (premium times the event's side), ``bullish_premium, bearish_premium``. Equity
            events (dark pool) have ``expiry`` NaT, ``strike`` nan and ``right`` 0.
        """
        by = list(by)
        allowed = ("type", *_KEYS)
        bad = [b for b in by if b not in allowed]
        if bad:
            raise ValueError(f"cannot group by {bad}; choose from {allowed}")
        lo = self._low(self._now if now_ns is None else int(now_ns))
        rows = [r for b in sorted(self._events) if b >= lo for r in self._events[b]]
        cols = ["type", "underlying", "expiry", "strike", "right", "prints", "contracts",
                "cents", "side", "sentiment"]
        df = pd.DataFrame(rows, columns=cols)
        df["expiry"] = np.where(df["expiry"].to_numpy(dtype=np.int64) < 0, np.iinfo(np.int64).min,
                                df["expiry"].to_numpy(dtype=np.int64)).astype("datetime64[D]")
        df["events"] = 1
        cents = df["cents"].to_numpy(dtype=np.int64)
        df["premium"] = cents
        df["net_premium"] = cents * df["side"].to_numpy(dtype=np.int64)
        sent = df["sentiment"].to_numpy(dtype=np.int64)
        df["bullish_premium"] = np.where(sent > 0, cents, 0)
        df["bearish_premium"] = np.where(sent < 0, cents, 0)
        stats = list(_EVENT_STATS)
        if by:
            out = df.groupby(by, sort=True, dropna=False)[stats].sum().reset_index()
        else:
            out = df[stats].sum().to_frame().T.reset_index(drop=True)
        for c in ("premium", "net_premium", "bullish_premium", "bearish_premium"):
            out[c] = out[c].astype(np.int64) / 100.0
        return out

    # ------------------------------------------------------------------ state
    def snapshot(self) -> dict[str, Any]:
        """JSON-serializable state: per bucket its per-contract sums and its events."""
        buckets = []
        for b in sorted(self._buckets):
            m = _merge(self._buckets[b])
            buckets.append({"bucket": b, "key": m.key.tolist(),
                            "underlying": m.underlying.astype(str).tolist(),
                            "expiry": m.expiry.tolist(), "strike": m.strike.tolist(),
                            "right": m.right.tolist(), "stats": m.stats.tolist()})
        events = [{"bucket": b, "rows": [list(r) for r in self._events[b]]}
                  for b in sorted(self._events)]
        return {"now": self._now, "buckets": buckets, "events": events}

    @classmethod
    def restore(cls, state: dict[str, Any], config: AggregateConfig | None = None
                ) -> FlowAggregator:
        """An aggregator continuing from :meth:`snapshot` ``state``."""
        agg = cls(config)
        agg._now = int(state["now"])
        width = len(STAT_COLUMNS)
        for s in state["buckets"]:
            key = np.asarray(s["key"], dtype=np.int64).reshape(-1)
            stats = np.asarray(s["stats"], dtype=np.int64).reshape(key.size, width)
            agg._buckets[int(s["bucket"])] = [_Chunk(
                key=key, underlying=np.asarray(s["underlying"], dtype=str).reshape(-1),
                expiry=np.asarray(s["expiry"], dtype=np.int64).reshape(-1),
                strike=np.asarray(s["strike"], dtype=np.float64).reshape(-1),
                right=np.asarray(s["right"], dtype=np.int8).reshape(-1), stats=stats)]
        for e in state["events"]:
            agg._events[int(e["bucket"])] = [tuple(r) for r in e["rows"]]
        return agg


def _empty_contracts() -> pd.DataFrame:
    data: dict[str, Any] = {
        "underlying": np.empty(0, dtype=str), "expiry": np.empty(0, dtype="datetime64[D]"),
        "strike": np.empty(0, dtype=np.float64), "right": np.empty(0, dtype=np.int8)}
    for name in (*STAT_COLUMNS, "net_premium"):
        data[name] = np.empty(0, dtype=np.float64 if name in _CENTS or name == "net_premium"
                              else np.int64)
    return pd.DataFrame(data)
