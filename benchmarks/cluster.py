"""The flow pipeline on Ray: router + shard actors, against one FlowEngine in one process.

Three measurements, each beside a single-process reference taken in the same run (Ray is started
locally with ``num_cpus=2``; no checkpoint store, supervisor off):

1. **Throughput**: the default universe (500 underlyings) for one synthetic session, re-batched
   into feed batches of 10,000 option trades (with the equity prints of the same interval),
   submitted through :class:`actors.pipeline.Pipeline` as fast as the router accepts them, timed
   from the first submit until :meth:`Pipeline.flush` returns (every shard drained, windows
   closed, the hub holding every alert). With 1 and 2 shards; alert hub on (console off, alerts
   in memory). Reference: :class:`optix.flow.engine.FlowEngine` with the same config
   (``FlowConfig(validate=False)``, views on) on the same batches in the driver, update + score,
   then flush. Target: 500,000 trades/s (2 us per trade).
2. **Latency**: 1,000 trades every 100 ms of wall time (10,000 trades/s) through 2 shards, hub on.
   For every batch whose processing produced alerts: the time from ``Pipeline.submit`` (the batch
   entering the router) until (a) the router holds every shard's reply (``Pipeline.latency_s``)
   and (b) the hub has acknowledged ``publish`` of those alerts (``ray.get`` of the publish
   reference returns). Between batches the driver blocks in ``ray.wait`` on the calls in flight,
   so a completion is seen when it happens, not at the next submit. Target: p99 of (b) <= 50 ms.
   Reference: the single-process engine's time per 1,000-trade batch (update + score).
3. **Memory**: 5,000 underlyings for one session (1 M option trades, every underlying printing)
   through 2 shards, hub off, drained but not flushed, so every underlying has live windows.
   Memory per symbol = (private RSS of the shard processes after the tape - after a warm-up tape
   of 8 underlyings on the day before) / 5,000; RssAnon from ``/proc/<pid>/status`` (the shards'
   pids from the GCS actor table), so object-store pages mapped by the process are not counted;
   the whole VmRSS is printed too. Checkpoint size per symbol: the shards' ``state()`` (zlib JSON)
   and its uncompressed size. Reference: the same warm-up and tape through one FlowEngine in one
   Ray worker process (a plain task), measured the same way.

``--profile`` also runs the 2-shard throughput case under cProfile and prints the driver's top
functions.
"""

from __future__ import annotations

import cProfile
import dataclasses
import datetime as dt
import gc
import io
import json
import os
import pstats
import sys
import time
import zlib
from typing import Any

import numpy as np
import ray
from _table import Row, print_table

from actors.pipeline import Pipeline, PipelineConfig
from optix.core.equities import EquityPrintBatch
from optix.core.trades import OptionTradeBatch
from optix.data.feed import FeedBatch
from optix.data.synthetic import SyntheticConfig, SyntheticMarket
from optix.flow.engine import FlowConfig, FlowEngine

DAY = dt.date(2026, 3, 31)
WARM_DAY = dt.date(2026, 3, 30)
THROUGHPUT_TRADES = 3_000_000  # per session over 500 underlyings (the default is 5 M)
MEMORY_SYMBOLS = 5_000
MEMORY_TRADES = 1_000_000
PACED_BATCHES = 300  # x 1,000 trades, one every 100 ms


# --------------------------------------------------------------------------- tapes
def session(n_symbols: int, trades_per_day: int, day: dt.date) -> list[FeedBatch]:
    cfg = SyntheticConfig(n_symbols=n_symbols, start=day, batch_seconds=60, chain_every_s=None,
                          option_trades_per_day=trades_per_day)
    return list(SyntheticMarket(cfg).batches())


def rebatch(batches: list[FeedBatch], size: int, first_offset: int = 0) -> list[FeedBatch]:
    """The same tape as feed batches of ``size`` option trades (equity prints cut alongside)."""
    trades = OptionTradeBatch.concat([b.trades for b in batches if b.trades is not None])
    eqs = EquityPrintBatch.concat([b.equities for b in batches if b.equities is not None])
    ref = next(b.reference for b in batches if b.reference is not None)
    cuts = [*range(0, len(trades), size), len(trades)]
    out = []
    start = batches[0].start_ns
    eq_lo = 0
    for i in range(len(cuts) - 1):
        part = trades.take(slice(cuts[i], cuts[i + 1]))
        end = int(part.ts_ns[-1]) + 1
        eq_hi = int(np.searchsorted(eqs.ts_ns, end)) if i < len(cuts) - 2 else len(eqs)
        out.append(FeedBatch(first_offset + i, start, end, part, eqs.take(slice(eq_lo, eq_hi)),
                             (), ref if i == 0 else None))
        start, eq_lo = end, eq_hi
    return out


def warm_tape() -> list[FeedBatch]:
    """8 underlyings on the day before (both shards compile and touch every code path)."""
    return rebatch(session(8, 40_000, WARM_DAY), 10_000)


def shift(batches: list[FeedBatch], first_offset: int) -> list[FeedBatch]:
    return [FeedBatch(first_offset + i, b.start_ns, b.end_ns, b.trades, b.equities, b.chains,
                      b.reference) for i, b in enumerate(batches)]


# --------------------------------------------------------------------------- processes
def proc_kib(pid: int) -> dict[str, int]:
    """VmRSS and RssAnon of a process, KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon"):
                out[key] = int(value.split()[0])
    return out


def shard_pids(pipe: Pipeline) -> dict[str, int]:
    """Shard name -> pid, from the GCS actor table (the state API needs the dashboard)."""
    table = ray._private.state.actors()  # Pid, without a dashboard
    return {v["Name"]: int(v["Pid"]) for v in table.values()
            if v["Name"] in pipe.shards and v["State"] == "ALIVE"}


def shards_kib(pipe: Pipeline) -> dict[str, int]:
    total = {"VmRSS": 0, "RssAnon": 0}
    for pid in shard_pids(pipe).values():
        for k, v in proc_kib(pid).items():
            total[k] += v
    return total


def start(prefix: str, shards: int, hub: bool) -> Pipeline:
    pipe = Pipeline(PipelineConfig(prefix=prefix, shards=shards, hub=hub, console=False,
                                   supervisor=False))
    ray.get([h.applied.remote() for h in pipe.shards.values()])
    if pipe.hub is not None:
        ray.get(pipe.hub.stats.remote())
    return pipe


def feed(pipe: Pipeline, batches: list[FeedBatch]) -> None:
    for b in batches:
        pipe.submit(b)
    pipe.router.drain()
    pipe.drain_hub()


# --------------------------------------------------------------------------- throughput
def single_process(batches: list[FeedBatch], warm: list[FeedBatch]) -> tuple[float, int, list]:
    """Seconds for the tape through one engine (after the warm tape), alerts, per-batch times."""
    engine = FlowEngine(FlowConfig(validate=False))
    for b in warm:
        engine.score(engine.update(b.trades, b.end_ns, equities=b.equities,
                                   reference=b.reference))
    alerts = 0
    times = []
    t0 = time.perf_counter()
    for b in batches:
        t1 = time.perf_counter()
        alerts += len(engine.score(engine.update(b.trades, b.end_ns, equities=b.equities,
                                                 reference=b.reference)))
        times.append(time.perf_counter() - t1)
    alerts += len(engine.score(engine.flush()))
    return time.perf_counter() - t0, alerts, times


def through_cluster(batches: list[FeedBatch], warm: list[FeedBatch], shards: int,
                    profile: bool = False) -> tuple[float, int, dict[str, Any], str]:
    pipe = start(f"bench-tp{shards}{'p' if profile else ''}", shards, hub=True)
    try:
        feed(pipe, warm)
        warm_alerts = pipe.alerts
        busy: dict[str, float] = dict.fromkeys(pipe.shards, 0.0)
        accept = pipe.router._accept

        def counting(shard: str, reply: Any) -> None:  # the shards' own time per part
            busy[shard] += reply.busy_s
            accept(shard, reply)

        pipe.router._accept = counting  # type: ignore[method-assign]
        prof = cProfile.Profile() if profile else None
        t0 = time.perf_counter()
        if prof is not None:
            prof.enable()
        for b in batches:
            pipe.submit(b)
        pipe.flush()  # its alerts reach Pipeline.alerts through on_result
        if prof is not None:
            prof.disable()
        wall = time.perf_counter() - t0
        view = pipe.cluster_view()
        view["busy_s"] = busy
        text = ""
        if prof is not None:
            s = io.StringIO()
            pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(25)
            s.write("\n")
            pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(25)
            text = s.getvalue()
        return wall, pipe.alerts - warm_alerts, view, text
    finally:
        pipe.shutdown()


# --------------------------------------------------------------------------- latency
def paced(batches: list[FeedBatch], warm: list[FeedBatch], every_s: float = 0.1
          ) -> tuple[np.ndarray, list[tuple[int, float]], np.ndarray, float]:
    """Router latency (s) and (offset, hub latency) of the batches with alerts, router latency
    of every batch, and the achieved trades/s.

    ``batches[0]`` is the session's contract reference on its own (published before the open,
    as open interest is): it is fed, untimed, before the paced trades."""
    pipe = start("bench-lat", 2, hub=True)
    hub_s: list[tuple[int, float]] = []
    done_s: list[float] = []
    try:
        feed(pipe, [*warm, batches[0]])
        batches = batches[1:]
        pipe.latency_s.clear()

        def on_result(res: Any) -> None:
            done_s.append(time.perf_counter() - res.submitted_s)
            pipe._on_result(res)  # the pipeline's own handler
            if res.flow or res.gex:
                ray.get(pipe._publishing[-1])
                hub_s.append((res.offset, time.perf_counter() - res.submitted_s))

        pipe.router.on_result = on_result
        router = pipe.router
        t0 = time.perf_counter()
        for i, b in enumerate(batches):
            while (wait := t0 + i * every_s - time.perf_counter()) > 0:
                refs = [r for f in router._flight.values() for _, r in f]
                if not refs:
                    time.sleep(wait)
                    break
                ray.wait(refs, num_returns=len(refs), timeout=wait, fetch_local=False)
                router.completed()
            pipe.submit(b)
        router.drain()
        wall = time.perf_counter() - t0
        return (np.array(pipe.latency_s), hub_s, np.array(done_s),
                sum(b.n_trades for b in batches) / wall)
    finally:
        pipe.shutdown()


# --------------------------------------------------------------------------- memory
@ray.remote(num_cpus=1)
def _reference_memory(warm_refs: list[Any], tape_refs: list[Any]) -> dict[str, Any]:
    def mine() -> dict[str, int]:
        return proc_kib(os.getpid())

    engine = FlowEngine(FlowConfig(validate=False))

    def feed(refs: list[Any]) -> dict[str, int]:
        for r in refs:
            b = ray.get(r)
            engine.score(engine.update(b.trades, b.end_ns, equities=b.equities,
                                       reference=b.reference))
            del b
        gc.collect()
        return mine()

    before = feed(warm_refs)
    after = feed(tape_refs)
    raw = json.dumps(engine.snapshot(), separators=(",", ":")).encode()
    return {"before": before, "after": after, "json": len(raw),
            "zlib": len(zlib.compress(raw, 1))}


def memory(warm: list[FeedBatch]) -> list[str]:
    tape = shift(rebatch(session(MEMORY_SYMBOLS, MEMORY_TRADES, DAY), 10_000), len(warm))
    n_sym = len({s for b in tape for s in b.trades.underlying.tolist()})
    n_trades = sum(b.n_trades for b in tape)
    pipe = start("bench-mem", 2, hub=False)
    try:
        feed(pipe, warm)
        base = shards_kib(pipe)
        t0 = time.perf_counter()
        feed(pipe, tape)
        wall = time.perf_counter() - t0
        after = shards_kib(pipe)
        blobs = ray.get([h.state.remote() for h in pipe.shards.values()])
        per_shard = {st["shard"]: st["trades"] for st in pipe.cluster_view()["shards"]}
    finally:
        pipe.shutdown()
    ref = ray.get(_reference_memory.remote([ray.put(b) for b in warm],
                                           [ray.put(b) for b in tape]))
    z = sum(len(b) for b in blobs)
    raw = sum(len(zlib.decompress(b)) for b in blobs)
    anon = (after["RssAnon"] - base["RssAnon"]) / n_sym
    ref_anon = (ref["after"]["RssAnon"] - ref["before"]["RssAnon"]) / n_sym
    return [
        f"memory, {n_sym:,} underlyings with live windows ({n_trades:,} option trades, one "
        f"session, 2 shards, hub off; fed in {wall:.1f} s; trades per shard {per_shard}):",
        f"  shards' private RSS (RssAnon) {after['RssAnon'] / 1024:.0f} MiB total, "
        f"{base['RssAnon'] / 1024:.0f} MiB after the warm-up -> {anon:.1f} KiB per underlying; "
        f"reference (one FlowEngine, one process) {ref_anon:.1f} KiB per underlying "
        f"(ratio {anon / ref_anon:.2f})",
        f"  shards' total VmRSS {after['VmRSS'] / 1024:.0f} MiB "
        f"({base['VmRSS'] / 1024:.0f} MiB after the warm-up, incl. mapped object-store pages); "
        f"reference process VmRSS {ref['after']['VmRSS'] / 1024:.0f} MiB",
        f"  checkpoint per underlying: {z / n_sym / 1024:.2f} KiB zlib JSON "
        f"({raw / n_sym / 1024:.1f} KiB uncompressed); reference engine snapshot "
        f"{ref['zlib'] / n_sym / 1024:.2f} KiB zlib, {ref['json'] / n_sym / 1024:.1f} KiB JSON",
    ]


# --------------------------------------------------------------------------- main
def main(profile: bool = False) -> None:
    t_start = time.perf_counter()
    ray.init(address="local", num_cpus=2, include_dashboard=False, namespace="optix-bench",
             logging_level="ERROR", log_to_driver=False)
    try:
        warm = warm_tape()
        day = session(500, THROUGHPUT_TRADES, DAY)
        tape = shift(rebatch(day, 10_000), len(warm))
        n = sum(b.n_trades for b in tape)

        ref_s, ref_alerts, _ = single_process(tape, warm)
        ref_us = ref_s / n * 1e6
        rows = []
        for shards in (1, 2):
            wall, alerts, view, _ = through_cluster(tape, warm, shards)
            busy = " + ".join(f"{b:.1f}" for b in view["busy_s"].values())
            rows.append(Row(f"end to end, {shards} shard{'s' if shards > 1 else ''}, hub on", n,
                            wall / n * 1e6, ref_us, "1 FlowEngine, same tape", 2.0,
                            f"{n / wall / 1e3:,.0f} k trades/s vs {n / ref_s / 1e3:,.0f} k; "
                            f"{alerts:,} alerts (ref {ref_alerts:,}); wall {wall:.1f} s, "
                            f"shards busy {busy} s; router waited {view['router']['waits']}x"))

        lat = rebatch(day, 1_000)[:PACED_BATCHES]
        # open interest is published before the open: the reference comes in a batch of its own
        pre = FeedBatch(0, lat[0].start_ns, lat[0].start_ns, None, None, (), lat[0].reference)
        lat_tape = shift([pre, dataclasses.replace(lat[0], reference=None), *lat[1:]],
                         len(warm))
        _, _, ref_times = single_process(lat_tape, warm)
        ref_times = ref_times[1:]  # the reference batch is not timed on either side
        router_s, hub, all_s, rate = paced(lat_tape, warm)
        lat_tape = lat_tape[1:]
        hub_s = np.array([x for _, x in hub])
        later = np.array([x for off, x in hub if off != lat_tape[0].offset])
        ref_p99 = float(np.quantile(ref_times, 0.99))
        for name, lat in (("paced 10k/s, submit -> hub has alerts, p99", hub_s),
                          ("paced 10k/s, submit -> router has replies, p99", router_s)):
            rows.append(Row(name, len(lat), float(np.quantile(lat, 0.99)) * 1e6, ref_p99 * 1e6,
                            "1 FlowEngine, p99 per batch",
                            50_000.0 if "hub" in name else None,
                            f"p50 {np.median(lat) * 1e3:.1f} ms, max {lat.max() * 1e3:.1f} ms; "
                            f"n = batches with alerts of {len(lat_tape)} x 1,000 trades at "
                            f"{rate / 1e3:.1f} k trades/s"
                            + (f"; without the session's first trade batch p99 "
                               f"{np.quantile(later, 0.99) * 1e3:.1f} ms"
                               if "hub" in name and len(later) else "")))
        rows.append(Row("paced 10k/s, submit -> router, every batch, p99", len(all_s),
                        float(np.quantile(all_s, 0.99)) * 1e6, ref_p99 * 1e6,
                        "1 FlowEngine, p99 per batch", None,
                        f"p50 {np.median(all_s) * 1e3:.1f} ms, max {all_s.max() * 1e3:.1f} ms; "
                        f"ref p50 {np.median(ref_times) * 1e3:.1f} ms, max "
                        f"{max(ref_times) * 1e3:.1f} ms (the reference data came before, "
                        "untimed)"))

        print_table(rows, f"Flow pipeline on Ray, {os.cpu_count()} cores, num_cpus=2 "
                          "(benchmarks/cluster.py); n: trades, or batches for latency rows")
        for line in memory(warm):
            print(line)
        if profile:
            _, _, _, text = through_cluster(tape, warm, 2, profile=True)
            print("\ndriver profile, 2 shards:\n" + text)
        print(f"total {time.perf_counter() - t_start:.0f} s")
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main(profile="--profile" in sys.argv[1:])
