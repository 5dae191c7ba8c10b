import datetime as dt

import pytest

from optix.data.synthetic import SyntheticConfig, SyntheticMarket


@pytest.fixture(scope="session")
def tape():
    """A synthetic session of 24 underlyings in 30-second batches, with chain snapshots."""
    market = SyntheticMarket(SyntheticConfig(n_symbols=24, seed=11, start=dt.date(2024, 3, 5),
                                             batch_seconds=30.0, chain_every_s=1800.0,
                                             chain_symbols=4, planted_per_day=300))
    return list(market.batches())


@pytest.fixture(scope="session")
def single(tape):
    """Alert ids, per batch, of the single-process engines on the same tape."""
    from actors.shard import ShardCore

    core = ShardCore("single", checkpoints=None)
    per_batch = []
    for b in tape:
        r = core.ingest(b, b.offset - 1 if b.offset > 0 else -1)
        per_batch.append(([a.alert_id for a in r.flow], [g.alert_id for g in r.gex]))
    flush = [a.alert_id for a in core.flush().flow]
    return per_batch, flush, core
