"""Persistence and cache of GEX results: snapshots, daily aggregates, the hot cache.

- :func:`snapshot_row` maps a :class:`~optix.gex.result.GexResult` to the columns of
  ``gex_snapshots``; :func:`save_snapshot` stores it.
- :func:`update_daily` folds one snapshot into the ``historical_gex_data`` row of its New York
  trading date (open, close, running min / max / mean, count, regime changes).
- :class:`GexCache` keeps the latest summary (and exposure by strike) of each underlying in a
  :class:`~optix.store.cache.Cache` for the GEX TTL (5 min by default).

Every function works inside the caller's session and never commits (see
:class:`~optix.store.repositories._base.Repository`). Non-finite numbers are stored as NULL /
JSON ``null``: neither the float columns nor the JSON encoder accept NaN.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from optix.gex.result import GexResult
from optix.store.cache import Cache, CacheKind
from optix.store.models import GexSnapshot, HistoricalGexData
from optix.store.repositories import GexSnapshotRepository, HistoricalGexRepository
from optix.store.repositories.analytics import ns_to_datetime

__all__ = [
    "BY_STRIKE_COLUMNS",
    "GexCache",
    "by_strike_json",
    "jsonable",
    "save_snapshot",
    "snapshot_date",
    "snapshot_row",
    "update_daily",
]

NEW_YORK = ZoneInfo("America/New_York")

BY_STRIKE_COLUMNS = ("strike", "call_gex", "put_gex", "net_gex", "call_oi", "put_oi")
"""Columns of :meth:`GexResult.by_strike` kept in a snapshot's ``by_strike`` JSON."""


def _num(x: Any) -> float | None:
    """A finite float, or None (for None, NaN and infinities)."""
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made plain and non-finite floats made None.

    Parameters
    ----------
    value : Any
        Nested dicts, lists, tuples, numpy values, floats, ints, strings, None.

    Returns
    -------
    Any
        The same structure of plain JSON values (tuples and arrays become lists).
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def by_strike_json(result: GexResult) -> dict[str, list[Any]]:
    """Exposure by strike as JSON columns (``strike, call_gex, put_gex, net_gex, call_oi, put_oi``).

    Parameters
    ----------
    result : GexResult

    Returns
    -------
    dict of str to list
        One list per column, ascending strike; open interest as int, NaN as None.
    """
    bs = result.by_strike()
    out: dict[str, list[Any]] = {}
    for col in BY_STRIKE_COLUMNS:
        values = bs[col].to_numpy()
        if col.endswith("_oi"):
            out[col] = [int(v) for v in values]
        else:
            out[col] = [_num(v) for v in values]
    return out


def snapshot_date(ts: dt.datetime) -> dt.date:
    """The New York calendar date of an aware timestamp (the trading day it belongs to).

    Raises
    ------
    ValueError
        If ``ts`` is naive.
    """
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"naive datetime {ts!r}: give a timezone-aware value")
    return ts.astimezone(NEW_YORK).date()


def snapshot_row(result: GexResult) -> dict[str, Any]:
    """The ``gex_snapshots`` columns of one result.

    Parameters
    ----------
    result : GexResult

    Returns
    -------
    dict
        ``symbol, ts`` (aware UTC), ``spot``, ``total_gex, call_gex, put_gex``,
        ``total_dex, total_vex, total_cex``, ``zero_gamma`` (the flip, None if none),
        ``call_wall, put_wall``, ``max_pain`` (nearest counted expiry), ``regime, unit,
        sign_convention``, ``by_strike`` (see :func:`by_strike_json`), ``profile`` (``levels,
        total, crossings``) and ``params`` (:meth:`GexConfig.as_params` plus ``skipped``
        counts and ``contracts``). Non-finite numbers are None.
    """
    tot = result.exposure.totals()
    lv = result.levels
    prof = result.profile
    cfg = result.config
    return {
        "symbol": result.underlying,
        "ts": ns_to_datetime(result.as_of_ns),
        "spot": float(result.spot),
        "total_gex": _num(tot["total_gex"]),
        "call_gex": _num(tot["call_gex"]),
        "put_gex": _num(tot["put_gex"]),
        "total_dex": _num(tot["total_dex"]),
        "total_vex": _num(tot["total_vex"]),
        "total_cex": _num(tot["total_cex"]),
        "zero_gamma": _num(result.flip),
        "call_wall": _num(lv.call_wall),
        "put_wall": _num(lv.put_wall),
        "max_pain": _num(result.nearest_max_pain),
        "regime": lv.regime,
        "unit": cfg.unit.value,
        "sign_convention": cfg.sign.value,
        "by_strike": by_strike_json(result),
        "profile": {
            "levels": jsonable(prof.levels),
            "total": jsonable(prof.total),
            "crossings": jsonable(prof.crossings),
        },
        "params": jsonable({
            **cfg.as_params(),
            "skipped": {k: int(v) for k, v in result.exposure.skipped.items()},
            "contracts": len(result.exposure),
        }),
    }


def save_snapshot(session: Session, result: GexResult) -> int:
    """Store one result in ``gex_snapshots`` (flushed, not committed).

    Parameters
    ----------
    session : Session
        The caller's session (its transaction commits).
    result : GexResult

    Returns
    -------
    int
        The new row's id.

    Raises
    ------
    ValueError
        If a total is not finite (``total_gex``, ``call_gex`` and ``put_gex`` are NOT NULL).
    """
    row = snapshot_row(result)
    missing = [k for k in ("total_gex", "call_gex", "put_gex") if row[k] is None]
    if missing:
        raise ValueError(f"cannot store a GEX snapshot with non-finite {', '.join(missing)}")
    snap = GexSnapshotRepository(session).add(GexSnapshot(**row))
    return int(snap.id)


def update_daily(session: Session, result: GexResult) -> None:
    """Fold one snapshot into the ``historical_gex_data`` row of its New York date.

    The day's first snapshot sets the open (``spot_open, total_gex_open``); every snapshot sets
    the close (``spot_close, total_gex_close, zero_gamma_close, call_wall_close,
    put_wall_close, max_pain_close, regime_close``), updates the running ``total_gex_min``,
    ``total_gex_max`` and ``total_gex_mean`` and ``snapshot_count``, and counts a regime change
    when its regime differs from the stored ``regime_close``.

    Call it once per snapshot, in time order within a day (the row keeps no timestamp, so an
    older snapshot arriving late would become the close). On PostgreSQL the day's row is
    locked (``SELECT ... FOR UPDATE``) until the caller's transaction ends, so concurrent
    writers of the same symbol and day serialize instead of losing updates.

    Parameters
    ----------
    session : Session
        The caller's session (never committed here).
    result : GexResult

    Raises
    ------
    ValueError
        If the snapshot's ``total_gex`` is not finite.
    """
    row = snapshot_row(result)
    total = row["total_gex"]
    if total is None:
        raise ValueError("cannot aggregate a GEX snapshot with a non-finite total_gex")
    symbol: str = row["symbol"]
    day = snapshot_date(row["ts"])
    repo = HistoricalGexRepository(session)
    repo.upsert_day(symbol, day)  # make sure the row exists, so it can be locked
    stored = session.scalars(
        select(HistoricalGexData)
        .where(HistoricalGexData.symbol == symbol, HistoricalGexData.date == day)
        .with_for_update()
    ).one()
    n = int(stored.snapshot_count or 0)
    values: dict[str, Any] = {
        "spot_close": row["spot"],
        "total_gex_close": total,
        "zero_gamma_close": row["zero_gamma"],
        "call_wall_close": row["call_wall"],
        "put_wall_close": row["put_wall"],
        "max_pain_close": row["max_pain"],
        "regime_close": row["regime"],
        "snapshot_count": n + 1,
    }
    if n == 0:
        values.update(spot_open=row["spot"], total_gex_open=total, total_gex_min=total,
                      total_gex_max=total, total_gex_mean=total, regime_changes=0)
    else:
        lo, hi, mean = stored.total_gex_min, stored.total_gex_max, stored.total_gex_mean
        values["total_gex_min"] = total if lo is None else min(lo, total)
        values["total_gex_max"] = total if hi is None else max(hi, total)
        values["total_gex_mean"] = total if mean is None else mean + (total - mean) / (n + 1)
        changed = stored.regime_close is not None and stored.regime_close != row["regime"]
        values["regime_changes"] = int(stored.regime_changes or 0) + int(changed)
    repo.upsert_day(symbol, day, **values)


class GexCache:
    """The latest GEX summary of each underlying, in a :class:`~optix.store.cache.Cache`.

    Entries live for the cache's GEX TTL (``cache.gex_ttl_s``, 5 min by default). Works with
    :class:`~optix.store.cache.MemoryCache` and :class:`~optix.store.cache.RedisCache`; a
    Redis that is down gives misses and dropped writes, never errors.

    Parameters
    ----------
    cache : Cache
        The backend.
    """

    kind = CacheKind.GEX

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    @property
    def ttl_s(self) -> int:
        """Seconds an entry lives."""
        return self.cache.ttl(self.kind)

    @staticmethod
    def payload(result: GexResult) -> dict[str, Any]:
        """What :meth:`put` stores: :meth:`GexResult.summary` plus ``by_strike``, JSON-ready."""
        out: dict[str, Any] = jsonable(result.summary())
        out["by_strike"] = by_strike_json(result)
        return out

    def put(self, result: GexResult) -> bool:
        """Cache a result under its underlying; False when the write was dropped.

        Parameters
        ----------
        result : GexResult

        Returns
        -------
        bool
        """
        return self.cache.set(self.kind, result.underlying, self.payload(result))

    def get(self, underlying: str) -> dict[str, Any] | None:
        """The cached payload of ``underlying`` (see :meth:`payload`), or None on a miss.

        Parameters
        ----------
        underlying : str

        Returns
        -------
        dict or None
        """
        value = self.cache.get(self.kind, underlying)
        return value if isinstance(value, dict) else None

    def delete(self, underlying: str) -> None:
        """Drop the entry of ``underlying``."""
        self.cache.delete(self.kind, underlying)
