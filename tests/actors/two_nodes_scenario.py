"""Two Ray nodes on one machine: shards spread over both, one node removed mid-tape.

Run as a script (``python tests/actors/two_nodes_scenario.py``) in a process of its own: a
process can be connected to one Ray cluster only, and the test session already has one. It
builds a :class:`ray.cluster_utils.Cluster` of a head node and a worker node, places shard
actors round-robin over the nodes with soft affinity (as the pipeline does), routes a synthetic
tape through :class:`~actors.router.Router` with Redis checkpoints, removes the worker node
halfway, and checks the guarantee: the alerts of every batch and of the final flush equal the
single-process engines', each shard's final state equals an uninterrupted run of its parts, and
the lost shards now run on the surviving node.

Prints one line of JSON and exits 0 on success; exits 1 with the failed check otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import time
import traceback
import uuid
from typing import Any

N_SHARDS = 4
CHECKPOINT_EVERY = 10
OBJECT_STORE_BYTES = 200 * 1024 * 1024
# Notice a node that stops answering within about 3 s (the defaults take about 30 s).
SYSTEM_CONFIG = {"health_check_initial_delay_ms": 1000, "health_check_period_ms": 1000,
                 "health_check_timeout_ms": 1000, "health_check_failure_threshold": 3}


def build_tape() -> list[Any]:
    """The session of ``tests/actors/conftest.py`` (24 underlyings, chain snapshots), cut in
    60-second batches instead of 30 to halve the calls on a 2-core machine."""
    from optix.data.synthetic import SyntheticConfig, SyntheticMarket

    market = SyntheticMarket(SyntheticConfig(n_symbols=24, seed=11, start=dt.date(2024, 3, 5),
                                             batch_seconds=60.0, chain_every_s=1800.0,
                                             chain_symbols=4, planted_per_day=300))
    return list(market.batches())


def single_process(tape: list[Any]) -> tuple[list[list[str]], list[list[str]], list[str]]:
    """Flow and GEX alert ids per batch, and the flush's flow ids, of one ShardCore."""
    from actors.shard import ShardCore

    core = ShardCore("single", checkpoints=None)
    flow, gex = [], []
    for b in tape:
        r = core.ingest(b, b.offset - 1 if b.offset > 0 else -1)
        flow.append([a.alert_id for a in r.flow])
        gex.append(sorted(g.alert_id for g in r.gex))
    return flow, gex, [a.alert_id for a in core.flush().flow]


def uninterrupted_states(tape: list[Any], placement: Any) -> dict[str, bytes]:
    """Each shard's final state after an uninterrupted run of its parts (and a flush)."""
    from actors.shard import ShardCore
    from actors.split import split_batch

    cores = {s: ShardCore(s) for s in placement.all_shards}
    memo: dict[str, int] = {}
    prev = -1
    for b in tape:
        for s, part in split_batch(b, placement, memo).items():
            cores[s].ingest(part, prev)
        prev = b.offset
    out = {}
    for s, core in cores.items():
        core.flush()
        out[s] = core.state_bytes()
    return out


def check(cond: bool, msg: str) -> None:
    """An assertion that survives ``python -O``."""
    if not cond:
        raise AssertionError(msg)


def _statuses(handles: dict[str, Any]) -> dict[str, dict[str, Any]]:
    import ray

    return dict(zip(handles, ray.get([h.status.remote() for h in handles.values()]),
                    strict=True))


def run(cluster: Any, worker: Any, store: Any, tape: list[Any], graceful: bool,
        summary: dict[str, Any]) -> dict[str, Any]:
    """Shards on both nodes, the tape through the router, the worker node removed halfway."""
    import ray

    from actors.pipeline import shard_strategy
    from actors.placement import Placement
    from actors.router import Router
    from actors.shard import ShardActor

    head_id, worker_id = cluster.head_node.node_id, worker.node_id
    tag = uuid.uuid4().hex[:6]
    placement = Placement(tuple(f"s{i}" for i in range(N_SHARDS)))
    handles = {s: ShardActor.options(  # type: ignore[attr-defined]
        name=f"two-nodes-{tag}-{s}", lifetime="detached",
        scheduling_strategy=shard_strategy(i)).remote(s, store, CHECKPOINT_EVERY)
        for i, s in enumerate(placement.all_shards)}
    try:
        before = {s: st["node"] for s, st in _statuses(handles).items()}
        on_worker = sorted(s for s, n in before.items() if n == worker_id)
        on_head = sorted(s for s, n in before.items() if n == head_id)
        summary["shards_on_head"], summary["shards_on_worker"] = on_head, on_worker
        check(len(on_head) + len(on_worker) == len(handles), f"shards on unknown nodes: {before}")
        check(bool(on_worker) and bool(on_head), f"a node was left without shards: {before}")

        router = Router(placement, handles, restart_timeout_s=120.0)
        recoveries: list[tuple[str, float]] = []
        recover = router._recover

        def timed_recover(shard: str) -> None:  # how long each recovery holds the router up
            t = time.monotonic()
            recover(shard)
            recoveries.append((shard, round(time.monotonic() - t, 2)))

        router._recover = timed_recover  # type: ignore[method-assign]
        kill_at = len(tape) // 2
        results: list[Any] = []
        t_start = t_removed = time.monotonic()
        for i, b in enumerate(tape):
            router.submit(b)
            if i == kill_at:
                sts = _statuses(handles)
                cps = {s: sts[s]["checkpoint"] for s in on_worker}
                check(all(c >= 0 for c in cps.values()),
                      f"no checkpoint on the doomed shards before the removal: {cps}")
                summary["checkpoints_before_removal"] = cps
                summary["removed_at_offset"] = b.offset
                summary["before_removal_s"] = round(time.monotonic() - t_start, 2)
                t = time.monotonic()
                cluster.remove_node(worker, allow_graceful=graceful)
                t_removed = time.monotonic()
                summary["remove_node_s"] = round(t_removed - t, 2)
            results += router.completed()
        router.drain()
        results += router.completed()
        flush = router.flush()
        summary["after_removal_s"] = round(time.monotonic() - t_removed, 2)
        summary["recoveries"] = recoveries
        states = {s: ray.get(h.state.remote()) for s, h in handles.items()}
        after = _statuses(handles)
        summary["restored_from"] = {s: after[s]["restored_from"] for s in on_worker}
        summary["stats"] = dict(router.stats)
        # batches the router could not complete, and the shards it still waits for
        summary["stuck"] = {o: sorted(r.waiting) for o, r in router._results.items()}
        return {"results": results, "flush": flush, "states": states, "after": after,
                "stats": dict(router.stats), "on_worker": on_worker, "head_id": head_id}
    finally:
        for h in handles.values():
            ray.kill(h, no_restart=True)


def main(argv: list[str] | None = None) -> int:
    """Run the scenario; print a JSON summary; 0 on success.

    ``--graceful`` lets the worker node's processes shut down cleanly; by default they are
    killed (SIGKILL), as when a machine is lost, and the cluster notices by health checks.
    """
    import ray
    import redis
    from ray.cluster_utils import Cluster

    from actors.placement import Placement
    from optix.store.checkpoints import RedisCheckpoints
    from tests.conftest import REDIS_URL

    graceful = "--graceful" in (sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    t0 = time.monotonic()
    summary: dict[str, Any] = {"ok": False, "graceful": graceful}
    tape = build_tape()
    ref_flow, ref_gex, ref_flush = single_process(tape)
    placement = Placement(tuple(f"s{i}" for i in range(N_SHARDS)))
    ref_states = uninterrupted_states(tape, placement)
    summary["batches"] = len(tape)
    summary["reference_s"] = round(time.monotonic() - t0, 2)

    namespace = f"two-nodes-{uuid.uuid4().hex[:12]}"
    store = RedisCheckpoints(REDIS_URL, namespace)
    cluster = None
    code = 1
    try:
        cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "object_store_memory": OBJECT_STORE_BYTES,
            "include_dashboard": False, "_system_config": SYSTEM_CONFIG})
        worker = cluster.add_node(num_cpus=1, object_store_memory=OBJECT_STORE_BYTES)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, namespace="optix-two-nodes",
                 logging_level=logging.WARNING, configure_logging=False)
        got = run(cluster, worker, store, tape, graceful, summary)
        results, flush, stats = got["results"], got["flush"], got["stats"]
        got_offsets = [r.offset for r in results]
        missing = sorted({b.offset for b in tape} - set(got_offsets))
        check(got_offsets == [b.offset for b in tape],
              f"{len(missing)} batches missing (first {missing[:5]}; the router still waits "
              f"for {dict(list(summary['stuck'].items())[:3])}) or out of order")
        flow = [[a.alert_id for a in r.flow] for r in results]
        bad = [r.offset for r, f, ref in zip(results, flow, ref_flow, strict=True) if f != ref]
        check(not bad, f"flow alerts differ from the single process in batches {bad[:10]}")
        gex = [sorted(g.alert_id for g in r.gex) for r in results]
        bad = [r.offset for r, g, ref in zip(results, gex, ref_gex, strict=True) if g != ref]
        check(not bad, f"GEX alerts differ from the single process in batches {bad[:10]}")
        check([a.alert_id for a in flush.flow] == ref_flush, "flush alerts differ")
        for s, state in got["states"].items():
            check(state == ref_states[s], f"shard {s}: final state differs from the "
                                          f"uninterrupted run")
        check(stats["restarts"] >= 1, f"no restart seen: {stats}")
        check(stats["replayed_parts"] >= 1, f"nothing replayed: {stats}")
        for s in got["on_worker"]:
            check(got["after"][s]["restored_from"] is not None,
                  f"shard {s} did not restore a checkpoint")
        nodes = {s: st["node"] for s, st in got["after"].items()}
        check(set(nodes.values()) == {got["head_id"]},
              f"after recovery not every shard is on the surviving node: {nodes}")
        summary["alerts"] = sum(len(f) for f in flow) + sum(len(g) for g in gex)
        summary["flush_alerts"] = len(ref_flush)
        summary["ok"] = True
        code = 0
    except Exception as exc:
        summary["error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        try:
            ray.shutdown()
            if cluster is not None:
                cluster.shutdown()
        finally:
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(f"{namespace}:*"))
            if keys:
                client.delete(*keys)
            client.close()
    summary["total_s"] = round(time.monotonic() - t0, 2)
    print(json.dumps(summary, default=str), flush=True)
    return code


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    sys.exit(main())
