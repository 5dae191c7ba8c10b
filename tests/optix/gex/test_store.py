"""GEX persistence (gex_snapshots, historical_gex_data) and the GEX cache, on real backends.

``db`` (SQLite and the PostgreSQL server), ``redis_namespace`` and ``redis_client`` come from
tests/conftest.py; ``spy_chain`` (the real CBOE SPY chain) from tests/optix/gex/conftest.py.
"""

import dataclasses
import datetime as dt
import math

import pytest

from optix.config import CacheConfig
from optix.gex import ExpiryWindow, GexConfig, GexResult, SignConvention, compute_gex
from optix.gex.store import (
    GexCache,
    jsonable,
    save_snapshot,
    snapshot_date,
    snapshot_row,
    update_daily,
)
from optix.store import CacheKind, MemoryCache, make_cache
from optix.store.repositories import GexSnapshotRepository, HistoricalGexRepository
from tests.conftest import REDIS_URL

TTLS = {CacheKind.GEX: 300, CacheKind.PREDICTION: 900, CacheKind.DEDUP: 60,
        CacheKind.GENERIC: 600}
NY = dt.timezone(dt.timedelta(hours=-4))  # EDT, September 2025
DAY = dt.date(2025, 9, 25)


@pytest.fixture(scope="module")
def spy(spy_chain) -> GexResult:
    return compute_gex(spy_chain)


@pytest.fixture(scope="module")
def variants(spy_chain) -> dict[str, GexResult]:
    chain = spy_chain
    return {
        "classic": compute_gex(chain),
        "inverse": compute_gex(chain, GexConfig(sign=SignConvention.INVERSE)),
        "week": compute_gex(chain, GexConfig(expiry_window=ExpiryWindow("max_days", 7))),
        "ex_nearest": compute_gex(chain, GexConfig(expiry_window=ExpiryWindow("ex_nearest"))),
    }


def _at(result: GexResult, when: dt.datetime, spot: float | None = None) -> GexResult:
    """The same result stamped at another time (and optionally another spot)."""
    ns = int((when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).total_seconds()) * 10**9
    changes: dict = {"as_of_ns": ns}
    if spot is not None:
        changes["spot"] = spot
    return dataclasses.replace(result, exposure=dataclasses.replace(result.exposure, **changes))


# --------------------------------------------------------------------------- rows


def test_snapshot_row_maps_the_result(spy):
    row = snapshot_row(spy)
    s = spy.summary()
    assert row["symbol"] == "SPY"
    assert row["ts"] == dt.datetime(2025, 9, 26, 1, 5, tzinfo=dt.UTC)
    assert snapshot_date(row["ts"]) == DAY  # 21:05 New York on the 25th
    assert row["total_gex"] == pytest.approx(-3.9178e9, rel=1e-4)
    for k in ("spot", "total_gex", "call_gex", "put_gex", "total_dex", "total_vex",
              "total_cex", "call_wall", "put_wall", "regime"):
        assert row[k] == s[k], k
    assert row["zero_gamma"] == s["flip"]
    assert row["max_pain"] == s["max_pain_nearest"] == 662.0
    assert (row["unit"], row["sign_convention"]) == ("usd_per_1pct",
                                                     "dealer_long_calls_short_puts")
    bs = spy.by_strike()
    assert list(row["by_strike"]) == ["strike", "call_gex", "put_gex", "net_gex", "call_oi",
                                      "put_oi"]
    assert all(len(v) == len(bs) for v in row["by_strike"].values())
    assert sum(row["by_strike"]["call_oi"]) == int(bs["call_oi"].sum())
    assert all(isinstance(v, int) for v in row["by_strike"]["put_oi"])
    assert len(row["profile"]["levels"]) == len(row["profile"]["total"]) == 60
    assert row["profile"]["crossings"] == s["crossings"]
    assert row["params"]["sign"] == "dealer_long_calls_short_puts"
    assert row["params"]["skipped"] == {"no_iv": 469}


def test_non_finite_numbers_become_none(spy):
    assert jsonable({"a": float("nan"), "b": [1.0, float("inf")], "c": (2,)}) == {
        "a": None, "b": [1.0, None], "c": [2]}
    no_flip = dataclasses.replace(spy, profile=dataclasses.replace(spy.profile, flip=None))
    assert snapshot_row(no_flip)["zero_gamma"] is None
    with pytest.raises(ValueError, match="naive"):
        snapshot_date(dt.datetime(2025, 9, 25, 12))


# --------------------------------------------------------------------------- database


def test_snapshot_is_saved_and_read_back(db, spy):
    no_flip = _at(dataclasses.replace(spy, profile=dataclasses.replace(spy.profile, flip=None)),
                  dt.datetime(2025, 9, 26, 2, 0, tzinfo=dt.UTC))
    with db.transaction() as s:
        first = save_snapshot(s, spy)
        second = save_snapshot(s, no_flip)
        assert second != first
    with db.transaction() as s:
        repo = GexSnapshotRepository(s)
        got = repo.get(first)
        summary = spy.summary()
        assert got.ts == dt.datetime(2025, 9, 26, 1, 5, tzinfo=dt.UTC)
        assert got.spot == 658.05
        for k in ("total_gex", "call_gex", "put_gex", "total_dex", "total_vex", "total_cex"):
            assert getattr(got, k) == pytest.approx(summary[k], rel=1e-12), k
        assert got.zero_gamma == pytest.approx(summary["flip"])
        assert (got.call_wall, got.put_wall, got.max_pain) == (670.0, 655.0, 662.0)
        assert got.regime == "negative"
        assert len(got.by_strike["strike"]) == len(spy.by_strike()) == 288
        assert got.by_strike["net_gex"] == pytest.approx(spy.by_strike()["net_gex"].tolist())
        assert got.profile["crossings"] == pytest.approx(summary["crossings"])
        assert got.params["skipped"] == {"no_iv": 469}
        latest = repo.latest("SPY")
        assert latest.id == second and latest.zero_gamma is None


def test_daily_aggregate_over_a_day_of_snapshots(db, variants):
    at = [dt.datetime(2025, 9, 25, h, 0, tzinfo=NY) for h in (10, 12, 15, 16)]
    day = [
        _at(variants["classic"], at[0], spot=655.0),  # negative
        _at(variants["inverse"], at[1], spot=660.0),  # positive: a regime change
        _at(variants["week"], at[2], spot=658.0),  # negative again: a second one
    ]
    totals = [r.summary()["total_gex"] for r in day]
    assert [r.levels.regime for r in day] == ["negative", "positive", "negative"]
    for r in day:  # one transaction per snapshot, as a live writer does
        with db.transaction() as s:
            save_snapshot(s, r)
            update_daily(s, r)
    with db.transaction() as s:
        (row,) = HistoricalGexRepository(s).between("SPY", DAY, DAY)
        assert (row.spot_open, row.spot_close) == (655.0, 658.0)
        assert row.total_gex_open == pytest.approx(totals[0])
        assert row.total_gex_close == pytest.approx(totals[2])
        assert row.total_gex_min == pytest.approx(min(totals))
        assert row.total_gex_max == pytest.approx(max(totals))
        assert row.total_gex_mean == pytest.approx(sum(totals) / 3)
        assert row.snapshot_count == 3
        assert row.regime_close == "negative"
        assert row.regime_changes == 2
        last = day[2]
        assert row.zero_gamma_close == pytest.approx(last.flip)
        assert (row.call_wall_close, row.put_wall_close) == (last.levels.call_wall,
                                                             last.levels.put_wall)
        assert row.max_pain_close == last.nearest_max_pain

    # a fourth snapshot in the same regime: no new change; the open stays
    fourth = _at(variants["ex_nearest"], at[3], spot=657.0)
    with db.transaction() as s:
        update_daily(s, fourth)
    totals.append(fourth.summary()["total_gex"])
    with db.transaction() as s:
        (row,) = HistoricalGexRepository(s).between("SPY", DAY, DAY)
        assert (row.spot_open, row.spot_close, row.snapshot_count) == (655.0, 657.0, 4)
        assert row.total_gex_open == pytest.approx(totals[0])
        assert row.total_gex_mean == pytest.approx(sum(totals) / 4)
        assert row.regime_changes == 2

    # the next New York day starts a new row; the evening snapshot (01:05 UTC on the 26th)
    # belongs to the 25th
    with db.transaction() as s:
        update_daily(s, variants["inverse"])  # 2025-09-26T01:05Z = 21:05 NY on the 25th
        nxt = _at(variants["inverse"], dt.datetime(2025, 9, 26, 10, 0, tzinfo=NY), spot=661.0)
        update_daily(s, nxt)
    with db.transaction() as s:
        rows = HistoricalGexRepository(s).between("SPY", DAY, DAY + dt.timedelta(days=1))
        assert [r.date for r in rows] == [DAY, DAY + dt.timedelta(days=1)]
        assert (rows[0].snapshot_count, rows[0].regime_changes) == (5, 3)
        assert rows[0].regime_close == "positive"
        new = rows[1]
        assert (new.snapshot_count, new.regime_changes, new.regime_close) == (1, 0, "positive")
        assert new.spot_open == new.spot_close == 661.0
        t = nxt.summary()["total_gex"]
        assert new.total_gex_open == new.total_gex_close == new.total_gex_min == pytest.approx(t)
        assert new.total_gex_max == new.total_gex_mean == pytest.approx(t)


def test_daily_rows_are_per_symbol(db, variants):
    qqq = dataclasses.replace(variants["classic"], exposure=dataclasses.replace(
        variants["classic"].exposure, underlying="QQQ"))
    with db.transaction() as s:
        update_daily(s, variants["classic"])
        update_daily(s, qqq)
        update_daily(s, qqq)
    with db.transaction() as s:
        repo = HistoricalGexRepository(s)
        assert [r.snapshot_count for r in repo.between("SPY", DAY, DAY)] == [1]
        assert [r.snapshot_count for r in repo.between("QQQ", DAY, DAY)] == [2]


# --------------------------------------------------------------------------- cache


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request):
    if request.param == "memory":
        yield MemoryCache("t", TTLS)
    else:
        ns = request.getfixturevalue("redis_namespace")
        c = make_cache(CacheConfig(redis_url=REDIS_URL, namespace=ns))
        assert c.backend == "redis"
        yield c
        c.close()


def test_cache_put_and_get(cache, spy):
    gc = GexCache(cache)
    assert gc.ttl_s == 300
    assert gc.get("SPY") is None
    assert gc.put(spy) is True
    got = gc.get("SPY")
    summary = spy.summary()
    assert got["underlying"] == "SPY" and got["as_of_ns"] == spy.as_of_ns
    assert got["total_gex"] == pytest.approx(summary["total_gex"], rel=1e-15)
    assert got["flip"] == pytest.approx(summary["flip"], rel=1e-15)
    assert (got["call_wall"], got["put_wall"], got["regime"]) == (670.0, 655.0, "negative")
    assert got["max_pain"] == summary["max_pain"]
    assert got["params"] == summary["params"]
    assert set(summary) <= set(got)
    assert len(got["by_strike"]["strike"]) == 288
    assert gc.get("QQQ") is None
    gc.delete("SPY")
    assert gc.get("SPY") is None


def test_cache_stores_nan_as_null(cache, spy):
    odd = dataclasses.replace(spy, profile=dataclasses.replace(spy.profile,
                                                               at_spot=float("nan")))
    gc = GexCache(cache)
    assert gc.put(odd) is True
    got = gc.get("SPY")
    assert got["profile_at_spot"] is None
    assert math.isfinite(got["total_gex"])


@pytest.mark.redis
def test_redis_entry_has_the_gex_ttl(redis_client, redis_namespace, spy):
    c = make_cache(CacheConfig(redis_url=REDIS_URL, namespace=redis_namespace))
    try:
        assert GexCache(c).put(spy)
        ttl = redis_client.ttl(f"{redis_namespace}:gex:SPY")
        assert 295 <= ttl <= 300
    finally:
        c.close()


def test_memory_entry_expires_after_the_ttl(spy):
    now = [1000.0]
    gc = GexCache(MemoryCache("t", TTLS, clock=lambda: now[0]))
    gc.put(spy)
    now[0] += 299
    assert gc.get("SPY") is not None
    now[0] += 2
    assert gc.get("SPY") is None
