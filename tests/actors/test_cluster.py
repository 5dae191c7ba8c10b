"""Router and shard actors on real Ray: same alerts as one process, and recovery from a kill."""

import uuid

import pytest

from actors.placement import Placement
from actors.shard import ShardCore
from actors.split import split_batch

pytestmark = pytest.mark.slow


def _start(placement, store, checkpoint_every):
    from actors.shard import ShardActor

    tag = uuid.uuid4().hex[:6]
    return {s: ShardActor.options(name=f"test-{tag}-{s}", lifetime="detached").remote(
        s, store, checkpoint_every) for s in placement.all_shards}


def _stop(handles):
    import ray

    for h in handles.values():
        ray.kill(h, no_restart=True)


def _run(router, tape, kill=None):
    import ray

    got = []
    for i, b in enumerate(tape):
        router.submit(b)
        if kill is not None and i == kill[0]:
            ray.kill(kill[1], no_restart=False)  # the process dies; Ray restarts it
        got += router.completed()
    router.drain()
    got += router.completed()
    return got, router.flush()


def test_a_tape_through_router_and_shards_gives_the_single_process_alerts(ray_session, tape,
                                                                         single):
    from actors.router import Router

    placement = Placement(("s0", "s1", "s2"))
    handles = _start(placement, None, 0)
    router = Router(placement, handles, max_in_flight=3)
    try:
        results, flush = _run(router, tape)
    finally:
        _stop(handles)
    assert [r.offset for r in results] == [b.offset for b in tape]
    assert [[a.alert_id for a in r.flow] for r in results] == [f for f, _ in single[0]]
    assert [sorted(g.alert_id for g in r.gex) for r in results] == [sorted(g) for _, g in
                                                                     single[0]]
    assert router.stats["restarts"] == 0  # parts ran in order though calls overlapped
    assert set(router.buffered().values()) == {0}  # no checkpoint store: nothing to replay
    assert [a.alert_id for a in flush.flow] == single[1]


@pytest.mark.redis
def test_a_killed_shard_restores_replays_and_loses_nothing(ray_session, tape, single,
                                                          redis_namespace):
    import ray

    from actors.router import Router
    from optix.store.checkpoints import RedisCheckpoints
    from tests.conftest import REDIS_URL

    placement = Placement(("s0", "s1", "s2"))
    store = RedisCheckpoints(REDIS_URL, redis_namespace)
    handles = _start(placement, store, 10)
    victim = placement.all_shards[1]
    router = Router(placement, handles)
    try:
        results, flush = _run(router, tape, kill=(len(tape) // 2, handles[victim]))
        states = {s: ray.get(h.state.remote()) for s, h in handles.items()}
        status = ray.get(handles[victim].status.remote())
    finally:
        _stop(handles)
    assert router.stats["restarts"] >= 1 and router.stats["replayed_parts"] >= 1
    assert status["restored_from"] is not None
    # nothing lost, nothing twice: the same alerts in the same batches
    assert [[a.alert_id for a in r.flow] for r in results] == [f for f, _ in single[0]]
    assert [a.alert_id for a in flush.flow] == single[1]
    # and each shard's final state equals an uninterrupted run of its parts
    cores = {s: ShardCore(s) for s in placement.all_shards}
    memo: dict = {}
    prev = -1
    for b in tape:
        for s, part in split_batch(b, placement, memo).items():
            cores[s].ingest(part, prev)
        prev = b.offset
    for s, core in cores.items():
        core.flush()
        assert states[s] == core.state_bytes(), s


@pytest.mark.redis
def test_calls_that_reached_a_restarted_shard_before_the_router_noticed_are_not_lost(
        ray_session, redis_namespace):
    import datetime as dt
    import time

    import ray

    from actors.router import Router
    from actors.shard import ShardActor
    from optix.data.synthetic import SyntheticConfig, SyntheticMarket
    from optix.store.checkpoints import RedisCheckpoints
    from tests.conftest import REDIS_URL

    part = list(SyntheticMarket(SyntheticConfig(
        n_symbols=24, seed=11, start=dt.date(2024, 3, 5), batch_seconds=60.0,
        chain_every_s=1800.0, chain_symbols=4, planted_per_day=300)).batches())[:80]
    reference = ShardCore("ref")
    want = [[a.alert_id for a in reference.ingest(b, b.offset - 1 if b.offset else -1).flow]
            for b in part]
    placement = Placement(("s0",))
    store = RedisCheckpoints(REDIS_URL, redis_namespace)
    h = ShardActor.options(name=f"race-{uuid.uuid4().hex[:6]}", lifetime="detached").remote(
        "s0", store, 10, None, None, 5.0)
    router = Router(placement, {"s0": h}, max_in_flight=3)
    try:
        for b in part[:45]:
            router.submit(b)
        router.drain()
        ray.kill(h, no_restart=False)
        while True:  # Ray restarts it from the checkpoint at offset 39
            try:
                ray.get(h.applied.remote(), timeout=5)
                break
            except Exception:
                time.sleep(0.2)
        router.submit(part[45])  # reaches the new process, which waits for offsets 40..44
        time.sleep(2.0)  # the next calls also reach it, and still wait when the replay runs
        for b in part[46:]:
            router.submit(b)
        router.drain()
        done = router.completed()
    finally:
        ray.kill(h, no_restart=True)
    assert [r.offset for r in done] == [b.offset for b in part]
    assert [[a.alert_id for a in r.flow] for r in done] == want
