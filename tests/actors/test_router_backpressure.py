"""A slow shard slows the feed: the router never has more than max_in_flight calls per shard."""

import time

import pytest

from actors.placement import Placement
from actors.shard import ShardReply

pytestmark = pytest.mark.slow


def test_a_slow_shard_blocks_submit_instead_of_queueing_without_bound(ray_session, tape):
    import ray

    from actors.router import Router

    @ray.remote(num_cpus=0)
    class SlowShard:
        def __init__(self, name, delay):
            self.name, self.delay, self.applied = name, delay, -1

        def ingest(self, part, prev):
            time.sleep(self.delay)
            self.applied = part.offset
            return ShardReply(self.name, part.offset, part.offset, part.offset)

        def flush(self):
            return ShardReply(self.name, self.applied, self.applied, self.applied)

    placement = Placement(("fast", "slow"))
    shards = {"fast": SlowShard.remote("fast", 0.0), "slow": SlowShard.remote("slow", 0.2)}
    router = Router(placement, shards, max_in_flight=2)
    t0 = time.perf_counter()
    most = 0
    for b in tape[:8]:
        router.submit(b)
        most = max(most, *(len(f) for f in router._flight.values()))
    elapsed = time.perf_counter() - t0
    router.drain()
    done = router.completed()
    assert most <= 2
    assert router.stats["waits"] >= 5
    assert elapsed >= 6 * 0.2 * 0.9  # the feed ran at the slow shard's pace
    assert [r.offset for r in done] == [b.offset for b in tape[:8]]
    assert router.buffered() == {"fast": 0, "slow": 0}  # every part covered by a "checkpoint"
    for h in shards.values():
        ray.kill(h)
