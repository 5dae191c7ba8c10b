import datetime as dt
import logging
import time
import uuid

import numpy as np
import pytest
import redis

from optix.config import CacheConfig
from optix.store.cache import CacheKind, MemoryCache, RedisCache, make_cache
from tests.conftest import REDIS_URL
from tests.optix.store.tcp_proxy import TcpProxy

TTLS = {CacheKind.GEX: 300, CacheKind.PREDICTION: 900, CacheKind.DEDUP: 60,
        CacheKind.GENERIC: 600}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request):
    if request.param == "memory":
        yield MemoryCache("t", TTLS)
    else:
        ns = request.getfixturevalue("redis_namespace")
        c = make_cache(CacheConfig(redis_url=REDIS_URL, namespace=ns, gex_ttl_s=300,
                                   prediction_ttl_s=900, dedup_ttl_s=60))
        yield c
        c.close()


def test_json_values_round_trip_including_numpy_and_dates(cache):
    value = {"spot": np.float64(658.05), "levels": np.array([1.5, 2.5]),
             "asof": dt.date(2025, 9, 25), "n": np.int64(3), "id": uuid.UUID(int=1)}
    assert cache.set(CacheKind.GEX, "SPY", value)
    assert cache.get(CacheKind.GEX, "SPY") == {
        "spot": 658.05, "levels": [1.5, 2.5], "asof": "2025-09-25", "n": 3,
        "id": "00000000-0000-0000-0000-000000000001"}
    assert cache.get(CacheKind.GEX, "QQQ") is None
    assert cache.stats.hits == 1 and cache.stats.misses == 1


def test_bytes_round_trip_and_delete(cache):
    cache.set_bytes(CacheKind.GENERIC, "blob", b"\x00\x01state")
    assert cache.get_bytes(CacheKind.GENERIC, "blob") == b"\x00\x01state"
    cache.delete(CacheKind.GENERIC, "blob")
    assert cache.get_bytes(CacheKind.GENERIC, "blob") is None


def test_kinds_do_not_collide(cache):
    cache.set(CacheKind.GEX, "SPY", 1)
    cache.set(CacheKind.PREDICTION, "SPY", 2)
    assert (cache.get(CacheKind.GEX, "SPY"), cache.get(CacheKind.PREDICTION, "SPY")) == (1, 2)


def test_claim_grants_a_dedup_key_once(cache):
    assert cache.claim(CacheKind.DEDUP, "alert-1") is True
    assert cache.claim(CacheKind.DEDUP, "alert-1") is False
    assert cache.claim(CacheKind.DEDUP, "alert-2") is True


def test_values_that_are_not_json_are_refused_before_writing(cache):
    with pytest.raises(TypeError, match="cannot encode"):
        cache.set(CacheKind.GENERIC, "x", object())
    with pytest.raises(ValueError):
        cache.set(CacheKind.GENERIC, "x", float("nan"))


@pytest.mark.redis
def test_redis_keys_are_namespaced_with_per_kind_ttl(redis_client, redis_namespace):
    c = make_cache(CacheConfig(redis_url=REDIS_URL, namespace=redis_namespace,
                               gex_ttl_s=300, prediction_ttl_s=900, dedup_ttl_s=45))
    c.set(CacheKind.GEX, "SPY", {"total": -3.9e9})
    c.set(CacheKind.PREDICTION, "SPY", 1)
    c.claim(CacheKind.DEDUP, "a1")
    c.set(CacheKind.GEX, "QQQ", 1, ttl_s=5)
    assert 295 <= redis_client.ttl(f"{redis_namespace}:gex:SPY") <= 300
    assert 895 <= redis_client.ttl(f"{redis_namespace}:prediction:SPY") <= 900
    assert 40 <= redis_client.ttl(f"{redis_namespace}:dedup:a1") <= 45
    assert 1 <= redis_client.ttl(f"{redis_namespace}:gex:QQQ") <= 5
    assert redis_client.get(f"{redis_namespace}:gex:SPY") == b'{"total":-3900000000.0}'
    c.close()


@pytest.mark.redis
def test_a_foreign_non_json_value_reads_as_a_miss(redis_client, redis_namespace):
    c = make_cache(CacheConfig(redis_url=REDIS_URL, namespace=redis_namespace))
    redis_client.set(f"{redis_namespace}:gex:SPY", b"\x80\x04pickled?")
    assert c.get(CacheKind.GEX, "SPY") is None
    c.close()


def test_memory_cache_expires_entries_by_kind_ttl():
    clock = FakeClock()
    c = MemoryCache("t", TTLS, clock=clock)
    c.set(CacheKind.GEX, "SPY", 1)
    c.set(CacheKind.PREDICTION, "SPY", 2)
    clock.now += 299
    assert c.get(CacheKind.GEX, "SPY") == 1
    clock.now += 2
    assert c.get(CacheKind.GEX, "SPY") is None
    assert c.get(CacheKind.PREDICTION, "SPY") == 2
    clock.now += 600
    assert c.get(CacheKind.PREDICTION, "SPY") is None
    assert len(c) == 0


def test_memory_cache_evicts_least_recently_used():
    c = MemoryCache("t", TTLS, max_entries=2)
    c.set(CacheKind.GEX, "a", 1)
    c.set(CacheKind.GEX, "b", 2)
    c.get(CacheKind.GEX, "a")
    c.set(CacheKind.GEX, "c", 3)
    assert c.get(CacheKind.GEX, "b") is None
    assert (c.get(CacheKind.GEX, "a"), c.get(CacheKind.GEX, "c")) == (1, 3)


def test_no_redis_url_gives_the_in_process_cache():
    assert make_cache(CacheConfig()).backend == "memory"


def test_unreachable_redis_degrades_to_misses_and_dropped_writes(caplog):
    c = make_cache(CacheConfig(redis_url="redis://127.0.0.1:1/0", retry_after_s=0))
    with caplog.at_level(logging.WARNING, logger="optix.store.cache"):
        t0 = time.perf_counter()
        for _ in range(20):
            assert c.get(CacheKind.GEX, "SPY") is None
            assert c.set(CacheKind.GEX, "SPY", 1) is False
            assert c.claim(CacheKind.DEDUP, "a") is True
            c.delete(CacheKind.GEX, "SPY")
        elapsed = time.perf_counter() - t0
    warnings = [r for r in caplog.records if "Redis cache unavailable" in r.message]
    assert len(warnings) == 1
    assert c.stats.dropped_writes == 20 and c.stats.errors == 80
    assert elapsed < 5


@pytest.mark.redis
def test_redis_going_away_mid_run_and_coming_back(redis_client, redis_namespace, caplog):
    host, port = "127.0.0.1", redis.Redis.from_url(REDIS_URL).connection_pool.connection_kwargs[
        "port"]
    proxy = TcpProxy((host, port))
    url = f"redis://127.0.0.1:{proxy.port}/0"
    c = make_cache(CacheConfig(redis_url=url, namespace=redis_namespace, retry_after_s=0.2,
                               socket_timeout_s=0.5))
    assert isinstance(c, RedisCache)
    assert c.set(CacheKind.GEX, "SPY", {"v": 1})
    assert c.get(CacheKind.GEX, "SPY") == {"v": 1}

    proxy.close()  # the server goes away with connections open
    with caplog.at_level(logging.WARNING, logger="optix.store.cache"):
        assert c.get(CacheKind.GEX, "SPY") is None
        assert c.set(CacheKind.GEX, "SPY", {"v": 2}) is False
        for _ in range(50):
            assert c.get(CacheKind.GEX, "SPY") is None
    assert len([r for r in caplog.records if "unavailable" in r.message]) == 1
    assert not c.ping()

    proxy = TcpProxy((host, port), port=proxy.port)  # back on the same address
    try:
        time.sleep(0.3)  # past the back-off window
        assert c.get(CacheKind.GEX, "SPY") == {"v": 1}
        assert c.set(CacheKind.GEX, "SPY", {"v": 3})
        assert redis_client.get(f"{redis_namespace}:gex:SPY") == b'{"v":3}'
    finally:
        c.close()
        proxy.close()


def test_ttl_and_namespace_arguments_are_validated():
    with pytest.raises(ValueError, match="ttls missing"):
        MemoryCache("t", {CacheKind.GEX: 1})
    with pytest.raises(ValueError, match="positive"):
        MemoryCache("t", {**TTLS, CacheKind.GEX: 0})
    with pytest.raises(ValueError, match="ttl_s must be positive"):
        MemoryCache("t", TTLS).set(CacheKind.GEX, "x", 1, ttl_s=0)


class YieldingLock:
    """A lock that yields to other threads right after each release, so that any gap
    between two locked sections (check, then write) is reliably hit by a competitor."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
        time.sleep(0.002)


def test_claim_has_exactly_one_winner_under_contention():
    import threading

    for trial in range(5):
        c = MemoryCache("t", TTLS)
        c._lock = YieldingLock()
        wins: list[bool] = []
        barrier = threading.Barrier(8)

        def race(c=c, wins=wins, barrier=barrier, trial=trial):
            barrier.wait()
            wins.append(c.claim(CacheKind.DEDUP, f"k{trial}"))

        threads = [threading.Thread(target=race) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert wins.count(True) == 1


def test_numpy_and_fractional_ttls_are_accepted_by_both_backends(cache):
    assert cache.set(CacheKind.GEX, "a", 1, ttl_s=np.int64(30))
    assert cache.set(CacheKind.GEX, "b", 1, ttl_s=1.5)
    assert cache.get(CacheKind.GEX, "a") == 1 and cache.get(CacheKind.GEX, "b") == 1


@pytest.mark.redis
def test_a_refused_call_does_not_put_the_cache_into_back_off(redis_namespace):
    c = make_cache(CacheConfig(redis_url=REDIS_URL, namespace=redis_namespace,
                               retry_after_s=60))
    assert c.get(CacheKind.GEX, "bad\udc80key") is None  # cannot be encoded
    assert c.available
    assert c.set(CacheKind.GEX, "SPY", 1) and c.get(CacheKind.GEX, "SPY") == 1
    c.close()


def test_a_hanging_redis_costs_one_timeout_then_nothing_during_back_off(caplog):
    import socket

    server = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    port = server.getsockname()[1]
    try:
        c = make_cache(CacheConfig(redis_url=f"redis://127.0.0.1:{port}/0",
                                   socket_timeout_s=0.3, retry_after_s=30))
        t0 = time.perf_counter()
        assert c.get(CacheKind.GEX, "SPY") is None
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(100):
            assert c.get(CacheKind.GEX, "SPY") is None
            assert c.set(CacheKind.GEX, "SPY", 1) is False
        rest = time.perf_counter() - t0
        assert 0.25 <= first < 2.0
        assert rest < 0.1
        c.close()
    finally:
        server.close()
