"""The pipeline on real Ray: hub persistence, supervisor on the market clock, queries."""

import uuid

import pytest

from actors.pipeline import Pipeline, PipelineConfig

pytestmark = pytest.mark.slow


def test_the_pipeline_persists_alerts_once_runs_the_schedule_and_answers_queries(
        ray_session, tape, single, tmp_path):
    import ray

    from optix.store import Database
    from optix.store.repositories import AlertRepository

    url = f"sqlite:///{tmp_path}/alerts.db"
    cfg = PipelineConfig(prefix=f"t-{uuid.uuid4().hex[:6]}", shards=2, console=False)
    pipe = Pipeline(cfg, database_url=url)
    try:
        part = tape[: len(tape) // 3]
        for b in part:
            pipe.submit(b)
        pipe.router.drain()
        pipe.drain_hub()
        view = pipe.cluster_view()
        hub_stats = ray.get(pipe.hub.stats.remote())
        runs = ray.get(pipe.supervisor.status.remote())
        symbol = next(iter(sorted({t for b in part if b.trades is not None
                                   for t in b.trades.underlying.tolist()})))
        summary = pipe.summary(symbol)
    finally:
        pipe.shutdown()
    expect = sum(len(f) + len(g) for f, g in single[0][: len(part)])
    assert pipe.alerts == expect > 0
    assert hub_stats["new"] == expect and hub_stats["duplicates"] == 0
    with Database(url).transaction() as s:
        stored = AlertRepository(s).query(limit=100_000)
    assert len(stored) == expect
    assert {v["shard"] for v in view["shards"]} == set(cfg.placement().all_shards)
    assert all(v["lag_batches"] >= 0 and v["applied"] <= part[-1].offset for v in view["shards"])
    assert sum(v["trades"] for v in view["shards"]) == sum(b.n_trades for b in part)
    assert view["router"]["batches"] == len(part)
    # the supervisor follows the market clock of the batches
    assert runs["market_time_ns"] == part[-1].end_ns
    assert summary["symbol"] == symbol and summary["shard"] == cfg.placement().shard_of(symbol)
