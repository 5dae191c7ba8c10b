"""The shard host without Ray: split parts, idempotent replay, gaps, checkpoint and restore."""

import itertools

from actors.placement import Placement
from actors.shard import ShardCore
from actors.split import split_batch
from optix.flow.engine import FlowEngine


class MemoryCheckpoints:
    backend = "memory"

    def __init__(self):
        self.saved = {}

    def save(self, shard, offset, state):
        self.saved[shard] = (offset, state)

    def load(self, shard):
        return self.saved.get(shard)

    def delete(self, shard):
        self.saved.pop(shard, None)


def test_the_core_equals_the_bare_flow_engine(tape, single):
    engine = FlowEngine()
    ids = []
    for b in tape:
        ids.append([a.alert_id for a in engine.score(engine.update(
            b.trades, b.end_ns, equities=b.equities, reference=b.reference, chains=b.chains))])
    assert ids == [f for f, _ in single[0]]
    assert sum(len(x) for x in ids) > 50


def test_parts_split_by_shard_give_the_same_alerts(tape, single):
    placement = Placement(("a", "b", "c"))
    cores = {s: ShardCore(s) for s in placement.all_shards}
    memo: dict = {}
    got = []
    prev = -1
    for b in tape:
        ids = []
        for shard, part in split_batch(b, placement, memo).items():
            ids += [a.alert_id for a in cores[shard].ingest(part, prev).flow]
        prev = b.offset
        got.append(sorted(ids))
    assert got == [sorted(f) for f, _ in single[0]]
    assert sum(c.trades for c in cores.values()) == sum(b.n_trades for b in tape)
    assert all(c.trades for c in cores.values())  # every shard had work


def test_a_replayed_part_is_a_no_op_and_a_gap_is_refused(tape):
    core = ShardCore("x")
    r0 = core.ingest(tape[0], -1)
    assert not r0.duplicate and core.applied == tape[0].offset
    again = core.ingest(tape[0], -1)
    assert again.duplicate and core.parts == 1
    gap = core.ingest(tape[2], tape[1].offset)
    assert gap.gap and core.applied == tape[0].offset


def test_restore_from_a_checkpoint_and_replay_gives_the_uninterrupted_result(tape, single):
    store = MemoryCheckpoints()
    core = ShardCore("s", store, checkpoint_every=7)
    ids = []
    crash_at = len(tape) // 2
    for b in tape[:crash_at]:
        ids += [a.alert_id for a in core.ingest(b, b.offset - 1 if b.offset else -1).flow]
    ckpt = store.load("s")[0]
    assert 0 <= ckpt < tape[crash_at - 1].offset
    core = ShardCore("s", store, checkpoint_every=7)  # the restarted process
    assert core.applied == ckpt and core.restored_from == ckpt
    for b in tape[ckpt + 1:]:
        ids += [a.alert_id for a in core.ingest(b, b.offset - 1 if b.offset else -1).flow]
    ids += [a.alert_id for a in core.flush().flow]
    want = list(itertools.chain.from_iterable(f for f, _ in single[0])) + single[1]
    assert list(dict.fromkeys(ids)) == want  # the same alerts once duplicates are dropped
    assert core.state_bytes() == single[2].state_bytes()


def test_queries_name_the_symbols_and_their_recent_alerts(single):
    core = single[2]
    syms = core.symbols()
    assert len(syms) >= 20
    busiest = max(syms, key=lambda s: len(core.summary(s)["recent_alerts"]))
    summ = core.summary(busiest)
    assert summ["recent_alerts"] and summ["flow_60m"]["prints"] >= 0
    st = core.status()
    assert st["applied"] == core.applied and st["trades"] == core.trades
