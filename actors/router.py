"""The router: feed batches in, one part per shard per call, bounded in flight, replay on restart.

For each feed batch (:class:`~optix.data.feed.FeedBatch`, numbered by ``offset``) the router
splits the rows by shard (:func:`actors.split.split_batch`) and sends each shard its part in one
actor call. At most ``max_in_flight`` calls per shard are outstanding: when a shard is that far
behind, :meth:`Router.submit` waits for its oldest call, so a slow shard slows its feed instead
of growing memory.

Every part stays in the shard's **replay buffer** until a checkpoint of that shard covers its
offset (each reply says which offset the shard's latest checkpoint covers). If a call fails
because the shard's process died, the router waits for Ray to restart it (the shard restores
its checkpoint in its constructor), asks which offset it has applied, and resends the buffered
parts after it, in order. Parts already applied are ignored by the shard, and the alerts of a
replayed part carry the same ids as the first time, so :meth:`Router.completed` drops them:
an acknowledged trade is never lost and no alert is passed on twice.

Results come back per feed batch in offset order (:meth:`Router.completed`): the flow alerts of
every shard for that batch, sorted the way the single-process engine orders them, so a tape
through the cluster prints exactly what ``optix flow scan`` prints.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import (
    ActorDiedError,
    ActorUnavailableError,
    ObjectLostError,
    RayActorError,
)

from actors.placement import Placement
from actors.shard import ShardReply
from actors.split import split_batch
from optix.data.feed import FeedBatch
from optix.flow.scoring import ScoredAlert
from optix.gex.alerts import GexAlert

__all__ = ["BatchResult", "Router"]

log = logging.getLogger("optix.router")

_LOST = (RayActorError, ActorDiedError, ActorUnavailableError, ObjectLostError)


@dataclass(slots=True)
class BatchResult:
    """Everything the shards said about one feed batch.

    Attributes
    ----------
    offset : int
    end_ns : int
    flow : list of ScoredAlert
        In the single-process engine's order (first print time, type, sequence numbers).
    gex : list of GexAlert
    trades : int
    submitted_s : float
        ``time.perf_counter()`` when the batch entered the router (for latency).
    """

    offset: int
    end_ns: int
    flow: list[ScoredAlert] = field(default_factory=list)
    gex: list[GexAlert] = field(default_factory=list)
    trades: int = 0
    submitted_s: float = 0.0
    waiting: set[str] = field(default_factory=set)


def _order(a: ScoredAlert) -> tuple[int, str, tuple[int, ...], str]:
    ev = a.event
    return (ev.first_ts_ns, ev.type.value, ev.seqs, ev.underlying)


class Router:
    """Routes feed batches to shard actors (see the module docstring).

    Parameters
    ----------
    placement : Placement
        Symbol -> shard.
    shards : mapping of str to ActorHandle
        A :class:`~actors.shard.ShardActor` handle per shard of ``placement.all_shards``.
    max_in_flight : int
        Outstanding calls per shard (2: one running, one queued).
    on_result : callable, optional
        Called with each completed :class:`BatchResult`, in offset order (e.g. forward the
        alerts to the hub); results are also kept for :meth:`completed` unless ``keep`` is
        False.
    keep : bool
        Keep completed results until :meth:`completed` takes them.
    restart_timeout_s : float
        How long to wait for a lost shard to come back before giving up.
    """

    def __init__(self, placement: Placement, shards: Mapping[str, Any], max_in_flight: int = 2,
                 on_result: Callable[[BatchResult], None] | None = None, keep: bool = True,
                 restart_timeout_s: float = 120.0) -> None:
        missing = set(placement.all_shards) - set(shards)
        if missing:
            raise ValueError(f"no actor for shards {sorted(missing)}")
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {max_in_flight}")
        self.placement = placement
        self.shards = dict(shards)
        self.max_in_flight = max_in_flight
        self.on_result = on_result
        self.keep = keep
        self.restart_timeout_s = restart_timeout_s
        self._memo: dict[str, int] = {}
        self._flight: dict[str, deque[tuple[int, Any]]] = {s: deque() for s in shards}
        self._buffer: dict[str, deque[tuple[int, FeedBatch]]] = {s: deque() for s in shards}
        self._last_sent: dict[str, int] = {s: -1 for s in shards}
        self._results: dict[int, BatchResult] = {}
        self._done: deque[BatchResult] = deque()
        self._next = -1  # next offset to complete (set by the first batch)
        self._seen: dict[str, None] = {}  # alert ids already passed on (insertion-ordered)
        self.max_seen = 2_000_000
        self.stats = {"batches": 0, "trades": 0, "replayed_parts": 0, "restarts": 0,
                      "duplicate_alerts": 0, "waits": 0}

    # ------------------------------------------------------------------ ingest
    def submit(self, batch: FeedBatch) -> None:
        """Split ``batch`` and send each shard its part (waits while a shard is too far behind).

        Batches must come in increasing ``offset`` order.
        """
        now = time.perf_counter()
        if self._next < 0:
            self._next = batch.offset
        parts = split_batch(batch, self.placement, self._memo)
        self._results[batch.offset] = BatchResult(batch.offset, batch.end_ns,
                                                  trades=batch.n_trades, submitted_s=now,
                                                  waiting=set(parts))
        self.stats["batches"] += 1
        self.stats["trades"] += batch.n_trades
        for shard, part in parts.items():
            flight = self._flight[shard]
            while len(flight) >= self.max_in_flight:
                self.stats["waits"] += 1
                self._collect_oldest(shard)
            prev = self._last_sent[shard]
            self._buffer[shard].append((prev, part))
            self._last_sent[shard] = part.offset
            flight.append((part.offset, self.shards[shard].ingest.remote(part, prev)))
        self._poll()

    def _poll(self) -> None:
        """Collect every reply that is already done (never blocks)."""
        refs = [ref for f in self._flight.values() for _, ref in f]
        if not refs:
            return
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0, fetch_local=False)
        ready_set = set(ready)
        for shard, flight in self._flight.items():
            while flight and flight[0][1] in ready_set:
                self._collect_oldest(shard)

    def _collect_oldest(self, shard: str) -> None:
        _, ref = self._flight[shard][0]
        try:
            reply: ShardReply = ray.get(ref)
        except _LOST as exc:
            log.warning("shard %s lost (%s); waiting for its restart to replay",
                        shard, type(exc).__name__)
            self._recover(shard)
            return
        if reply.gap:
            log.warning("shard %s restarted at offset %d; replaying", shard, reply.applied)
            self._recover(shard)
            return
        self._flight[shard].popleft()
        self._accept(shard, reply)

    def _accept(self, shard: str, reply: ShardReply) -> None:
        buf = self._buffer[shard]
        while buf and buf[0][1].offset <= reply.checkpoint:
            buf.popleft()
        res = self._results.get(reply.offset)
        if res is None or reply.duplicate or shard not in res.waiting:
            return
        res.flow += reply.flow
        res.gex += reply.gex
        res.waiting.discard(shard)
        while self._next in self._results and not self._results[self._next].waiting:
            done = self._results.pop(self._next)
            self._finish(done)
            self._next += 1

    def _finish(self, res: BatchResult) -> None:
        res.flow = sorted(self._fresh_flow(res.flow), key=_order)
        res.gex = sorted((g for g in res.gex if self._fresh(g.alert_id)),
                         key=lambda g: (g.as_of_ns, g.underlying))
        if self.on_result is not None:
            self.on_result(res)
        if self.keep:
            self._done.append(res)

    def _fresh_flow(self, alerts: list[ScoredAlert]) -> list[ScoredAlert]:
        return [a for a in alerts if self._fresh(a.alert_id)]

    def _fresh(self, alert_id: str) -> bool:
        if alert_id in self._seen:
            self.stats["duplicate_alerts"] += 1
            return False
        self._seen[alert_id] = None
        if len(self._seen) > self.max_seen:  # forget the oldest half (the hub dedups too)
            for k in list(self._seen)[: self.max_seen // 2]:
                del self._seen[k]
        return True

    def _recover(self, shard: str) -> None:
        """Wait for ``shard`` to come back, then replay its buffered parts after its offset.

        A shard that dies again during the replay is recovered again (up to
        ``restart_timeout_s`` in all).
        """
        self.stats["restarts"] += 1
        deadline = time.monotonic() + self.restart_timeout_s
        stale = [ref for _, ref in self._flight[shard]]
        self._flight[shard].clear()
        while True:
            applied = self._wait_alive(shard, deadline)
            try:
                self._replay(shard, applied)
                break
            except _LOST:
                log.warning("shard %s lost again during its replay", shard)
        # Calls sent before the recovery may have reached the restarted process and waited
        # for their turn; the replay let them run, so their replies (not the replay's
        # duplicates) carry those parts' alerts.
        for ref in stale:
            try:
                reply: ShardReply = ray.get(ref, timeout=max(deadline - time.monotonic(), 1.0))
            except (*_LOST, ray.exceptions.GetTimeoutError):
                continue
            if not reply.gap and not reply.duplicate:
                self._accept(shard, reply)

    def _wait_alive(self, shard: str, deadline: float) -> int:
        """The offset ``shard`` has applied, once it answers again."""
        while True:
            try:
                return int(ray.get(self.shards[shard].applied.remote(), timeout=30))
            except (*_LOST, ray.exceptions.GetTimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"shard {shard} did not come back within "
                                       f"{self.restart_timeout_s:.0f} s") from None
                time.sleep(0.2)

    def _replay(self, shard: str, applied: int) -> None:
        handle = self.shards[shard]
        prev = applied
        for sent_prev, part in list(self._buffer[shard]):
            if part.offset <= applied:
                continue
            self.stats["replayed_parts"] += 1
            reply: ShardReply = ray.get(handle.ingest.remote(part, sent_prev))
            if reply.gap:  # the buffer does not reach back far enough: data would be lost
                raise RuntimeError(f"shard {shard} restored at offset {reply.applied}, but "
                                   f"the replay buffer does not reach back to it")
            prev = part.offset
            self._accept(shard, reply)
        log.info("shard %s restored at offset %d and replayed to %d", shard, applied, prev)

    def drain(self) -> None:
        """Wait for every outstanding call."""
        for shard in self._flight:
            while self._flight[shard]:
                self._collect_oldest(shard)

    def flush(self) -> BatchResult:
        """End of tape: drain, then close every shard's windows; returns their alerts."""
        self.drain()
        res = BatchResult(self._next, 0, submitted_s=time.perf_counter())
        replies = ray.get([self.shards[s].flush.remote() for s in self.placement.all_shards])
        for r in replies:
            res.flow += r.flow
        res.flow = sorted(self._fresh_flow(res.flow), key=_order)
        if self.on_result is not None:
            self.on_result(res)
        return res

    def completed(self) -> list[BatchResult]:
        """Completed batches since the last call, in offset order."""
        self._poll()
        out = list(self._done)
        self._done.clear()
        return out

    def last_sent(self) -> dict[str, int]:
        """The offset of the last part sent to each shard (-1: none yet)."""
        return dict(self._last_sent)

    def buffered(self) -> dict[str, int]:
        """Parts held for replay, per shard."""
        return {s: len(b) for s, b in self._buffer.items()}
