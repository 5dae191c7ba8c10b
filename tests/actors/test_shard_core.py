"""The shard host without Ray: split parts, idempotent replay, gaps, checkpoint and restore."""

import itertools

import pytest

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


def test_gex_view_is_the_latest_result_and_recomputes_under_other_conventions(single):
    import dataclasses

    from optix.gex import GexError, compute_gex

    core = single[2]
    held = [s for s in core.symbols() if core.gex.latest(s) is not None]
    assert held
    sym = held[0]
    chain = core.gex.latest_chain(sym)
    assert chain is not None and chain.underlying == sym
    view = core.gex_view(sym, history=True)
    assert view["recomputed"] is False and view["shard"] == "single"
    assert view == {**compute_gex(chain, core.gex_config.gex).as_dict(), "shard": "single",
                    "recomputed": False, "history": view["history"],
                    "heatmap_strike_time": view["heatmap_strike_time"]}
    assert len(view["history"]["as_of_ns"]) == len(core.gex.history(sym))
    # unchanged conventions are not a recomputation; changed ones are, on the same chain
    assert core.gex_view(sym, {"unit": "usd_per_1pct"})["recomputed"] is False
    shares = core.gex_view(sym, {"unit": "shares", "levels": 30}, heatmaps=True)
    want = compute_gex(chain, dataclasses.replace(core.gex_config.gex, unit="shares", levels=30))
    assert shares["recomputed"] is True
    assert shares["summary"]["total_gex"] == want.summary()["total_gex"]
    assert len(shares["profile"]["levels"]) == 30 and "heatmap_strike_spot" in shares
    assert core.gex_view("NOSUCH") is None
    with pytest.raises(ValueError, match="not GEX conventions"):
        core.gex_view(sym, {"colour": "red"})
    with pytest.raises(ValueError, match="unit must be one of"):
        core.gex_view(sym, {"unit": "furlongs"})
    assert issubclass(GexError, ValueError)  # what the HTTP layer turns into a 422


def test_flow_aggregates_sum_the_window_per_symbol_and_for_the_shard(single):
    core = single[2]
    everything = core.flow_aggregates(top=5)
    agg = core.flow.aggregator.summary(("underlying",))
    assert len(everything["by_underlying"]) == len(agg)
    assert sum(r["premium"] for r in everything["by_underlying"]) == agg["premium"].sum()
    tops = [r["premium"] for r in everything["top_contracts"]]
    assert len(tops) == 5 and tops == sorted(tops, reverse=True)
    assert tops[0] == core.flow.aggregator.contracts()["premium"].max()
    sym = everything["by_underlying"][-1]["underlying"]
    mine = core.flow_aggregates(sym, top=3)
    assert [r["underlying"] for r in mine["by_underlying"]] == [sym]
    assert {r["underlying"] for r in mine["top_contracts"] + mine["events"]} <= {sym}
    assert mine["top_contracts"], "a quiet symbol still has its own busiest contracts"
