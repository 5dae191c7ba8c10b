"""Flow engine throughput: option trades per second through every detector, one core.

Ours: one synthetic session of the default universe (500 underlyings, ~4.7 M option trades,
~4.7 M equity prints) fed to :class:`optix.flow.engine.FlowEngine` in batches of 10,000 trades
(with the equity prints of the same interval), timed per batch; p50/p99 per batch; state per
underlying (JSON snapshot bytes and traced memory). Three rows: every detector on batches a source
has validated (the target's case), the same with the engine validating, and with the
60-minute aggregation and dealer positioning kept up to date as well.

Reference: a straightforward per-trade Python loop in the style of the flow seed (a dict of recent
prints per contract, a simplified sweep rule and the block rule checked on every print), timed on
200,000 trades of the same tape in the same run. It does a fraction of the engine's work (two
simplified rules of nine detectors), so it is a generous upper bound on a per-trade Python engine;
the seed itself targeted 10,000 trades/s.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import tracemalloc
from collections import defaultdict, deque

import numpy as np
from _table import Row, print_table

from optix.core.equities import EquityPrintBatch
from optix.core.trades import OptionTradeBatch
from optix.data.synthetic import SyntheticConfig, SyntheticMarket
from optix.flow.engine import FlowConfig, FlowEngine


def tape():
    market = SyntheticMarket(SyntheticConfig(start=dt.date(2026, 3, 30), batch_seconds=60,
                                             chain_every_s=None))
    batches = list(market.batches())
    trades = OptionTradeBatch.concat([b.trades for b in batches if b.trades is not None])
    eqs = EquityPrintBatch.concat([b.equities for b in batches if b.equities is not None])
    refs = [b.reference for b in batches if b.reference is not None]
    labels = [lab for b in batches for lab in b.labels]
    return trades, eqs, refs[0], labels


def run_engine(trades, eqs, ref, validate: bool, views: bool = False, batch: int = 10_000):
    engine = FlowEngine(FlowConfig(validate=validate, views=views))
    eq_cut = np.searchsorted(eqs.ts_ns, trades.ts_ns[np.arange(batch, len(trades), batch)])
    eq_edges = [0, *eq_cut.tolist(), len(eqs)]
    times = []
    found: list = []
    for i, lo in enumerate(range(0, len(trades), batch)):
        part = trades.take(slice(lo, lo + batch))
        epart = eqs.take(slice(eq_edges[i], eq_edges[i + 1]))
        t0 = time.perf_counter()
        events = engine.update(part, int(part.ts_ns[-1]), equities=epart,
                               reference=ref if i == 0 else None)
        times.append(time.perf_counter() - t0)
        found += events
    t0 = time.perf_counter()
    found += engine.flush()
    times.append(time.perf_counter() - t0)
    return engine, np.array(times), found


def precision_recall(events, labels) -> str:
    """Per event type: precision and recall against the synthetic labels (seqs equal)."""
    parts = []
    for kind in ("sweep", "split", "repeated_hits", "block", "unusual_volume", "dark_pool",
                 "spread"):
        truth = {lab.seqs for lab in labels if lab.kind is not None and lab.kind.value == kind}
        got = {e.seqs for e in events if e.type.value == kind}
        tp = len(truth & got)
        parts.append(f"{kind} {tp / max(len(got), 1):.3f}/{tp / max(len(truth), 1):.3f} "
                     f"(n={len(truth)})")
    return "precision/recall vs labels: " + ", ".join(parts)


def reference(trades, n: int) -> float:
    """Per-trade Python: recent prints per contract, sweep and block rules on every print."""
    recent: dict[tuple, deque] = defaultdict(deque)
    events = 0
    cols = (trades.ts_ns[:n].tolist(), trades.underlying[:n].tolist(),
            trades.expiry[:n].astype(str).tolist(), trades.strike[:n].tolist(),
            trades.right[:n].tolist(), trades.price[:n].tolist(), trades.size[:n].tolist(),
            trades.venue[:n].tolist(), trades.bid[:n].tolist(), trades.ask[:n].tolist())
    t0 = time.perf_counter()
    for ts, und, exp, k, r, p, sz, v, b, a in zip(*cols, strict=True):
        side = 1 if p >= a - 1e-3 else (-1 if p <= b + 1e-3 else 0)
        prem = p * sz * 100
        if sz >= 100 and prem >= 100_000:
            events += 1
        if side == 0 or prem < 10_000:
            continue
        q = recent[(und, exp, k, r, side)]
        q.append((ts, v))
        while q and ts - q[0][0] > 2_000_000_000:
            q.popleft()
        if len(q) >= 4 and len({x[1] for x in q}) >= 2:
            events += 1
    return time.perf_counter() - t0


def memory(trades, eqs, ref, labels=None) -> str:
    """Traced memory of an engine with views after the day (a separate, untimed run)."""
    n_sym = len(set(trades.underlying.tolist()))
    tracemalloc.start()
    engine, _, _ = run_engine(trades, eqs, ref, False, True)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    busy = len(json.dumps(engine.snapshot())) / n_sym
    # idle: two hours with no prints, then the state an idle underlying still costs
    engine.update(None, int(trades.ts_ns[-1]) + 2 * 3600 * 10**9)
    idle = len(json.dumps(engine.snapshot())) / n_sym
    return (f"memory: {current / n_sym / 1024:.1f} KiB traced per underlying at the end of the "
            f"day with views ({n_sym} underlyings; peak {peak / 2**20:.0f} MiB incl. batches); "
            f"JSON state per underlying {busy / 1024:.1f} KiB busy, {idle / 1024:.1f} KiB after "
            f"two idle hours")


def rows(data=None, events_out: list | None = None) -> list[Row]:
    trades, eqs, ref, _ = data or tape()
    n = len(trades)
    n_ref = 200_000
    ref_us = reference(trades, n_ref) / n_ref * 1e6
    out = []
    n_sym = len(set(trades.underlying.tolist()))
    for validate, views in ((False, False), (True, False), (True, True)):
        engine, times, events = run_engine(trades, eqs, ref, validate, views)
        n_events = len(events)
        total = float(times.sum())
        snap = len(json.dumps(engine.snapshot()))
        label = ("detectors" if not validate else "detectors + validation") + (
            " + aggregation + positioning" if views else "")
        out.append(Row(label, n, total / n * 1e6, ref_us,
                       "per-trade Python, 2 rules", 1.0 if not views else None,
                       f"{n / total / 1e6:.2f} M trades/s; p50 {np.median(times) * 1e3:.1f} ms, "
                       f"p99 {np.quantile(times, 0.99) * 1e3:.1f} ms per batch; {n_events:,} "
                       f"events; state {snap / n_sym / 1024:.1f} KiB JSON per underlying"))
        if events_out is not None:
            events_out[:] = events
    return out


if __name__ == "__main__":
    data = tape()
    found: list = []
    print_table(rows(data, found), "Flow engine, one core (benchmarks/flow.py)")
    print(precision_recall(found, data[3]))
    print(memory(*data[:3]))
