"""``optix flow scan`` on a recorded tape prints the engine's events, one per line."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cluster.cli import cli
from optix.core.enums import Condition, OptionVenue
from optix.core.trades import OptionTradeBatch
from optix.data.synthetic import SyntheticConfig, SyntheticMarket
from optix.flow.engine import FlowEngine

_NAMED = ("ISO", "AUCTION", "MULTI_LEG", "LATE", "OUT_OF_SEQUENCE", "CANCEL", "OPENING")


def _write_tape(path):
    market = SyntheticMarket(SyntheticConfig(n_symbols=8, seed=5, start=dt.date(2024, 3, 5),
                                             chain_every_s=None, batch_seconds=60.0,
                                             equity_prints_per_option_trade=0.0))
    t = OptionTradeBatch.concat([b.trades for b in market.batches() if b.trades is not None])
    cond = [
        "|".join(n for n in _NAMED if int(c) & int(Condition[n])) for c in t.conditions
    ]
    pd.DataFrame({
        "ts": t.ts_ns, "seq": t.seq, "underlying": t.underlying,
        "expiry": pd.to_datetime(t.expiry).strftime("%Y-%m-%d"), "strike": t.strike,
        "right": np.where(t.right > 0, "C", "P"), "price": t.price, "size": t.size,
        "venue": [OptionVenue(v).name for v in t.venue], "bid": t.bid, "ask": t.ask,
        "conditions": cond,
    }).to_csv(path, index=False)
    return t


def test_scan_prints_the_same_events_as_the_engine_with_scores_and_ids(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    trades = _write_tape(tmp_path / "tape.csv")
    engine = FlowEngine()
    expected = engine.update(trades, int(trades.ts_ns[-1])) + engine.flush()
    assert len(expected) >= 10
    result = CliRunner().invoke(cli, ["flow", "scan", str(tmp_path / "tape.csv"), "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted((r["type"], tuple(r["seqs"])) for r in rows) == sorted(
        (e.type.value, e.seqs) for e in expected)
    ids = {r["id"] for r in rows}
    assert len(ids) == len(rows)
    assert {r["severity"] for r in rows} <= {"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
    first = rows[0]
    assert first["contract"].startswith(first["underlying"]) and first["venues"]
    # the plain form: one line per event, and the counts on stderr
    plain = CliRunner().invoke(cli, ["flow", "scan", str(tmp_path / "tape.csv")],
                               catch_exceptions=False)
    assert len(plain.stdout.splitlines()) == len(rows)
    assert "events:" in plain.stderr


@pytest.mark.slow
def test_scan_on_the_cluster_prints_exactly_what_one_process_prints(tmp_path, monkeypatch,
                                                                    ray_session):
    monkeypatch.chdir(tmp_path)
    _write_tape(tmp_path / "tape.csv")
    args = ["flow", "scan", str(tmp_path / "tape.csv"), "--json"]
    single = CliRunner().invoke(cli, args, catch_exceptions=False)
    on_cluster = CliRunner().invoke(cli, [*args, "--cluster", "--shards", "3"],
                                    catch_exceptions=False)
    assert on_cluster.exit_code == 0, on_cluster.output
    assert on_cluster.stdout == single.stdout
    assert len(single.stdout.splitlines()) >= 10
    assert on_cluster.stderr.splitlines()[-1] == single.stderr.splitlines()[-1]  # counts
    bad = CliRunner().invoke(cli, ["flow", "scan", "x.csv", "--address", "auto"])
    assert bad.exit_code == 2 and "--address needs --cluster" in bad.output
