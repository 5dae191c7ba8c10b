"""Symbol -> shard placement: stable, minimal movement, pins (pure code, no Ray)."""

import subprocess
import sys

import pytest

from actors.placement import Placement, key_group

SYMBOLS = [f"S{i:04d}" for i in range(5000)]


def test_key_group_is_stable_across_processes():
    here = [key_group(s, 4096) for s in ("SPY", "AAPL", "qqq")]
    code = ("from actors.placement import key_group;"
            "print([key_group(s, 4096) for s in ('SPY', 'AAPL', 'qqq')])")
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": "123", "PATH": ""},
                           cwd=".").stdout.strip()
    assert str(here) == there
    assert key_group("qqq", 4096) == key_group("QQQ", 4096)


def test_groups_spread_evenly_over_shards():
    p = Placement(tuple(f"shard-{i}" for i in range(8)))
    counts = {s: 0 for s in p.shards}
    for g in range(p.n_groups):
        counts[p.group_shard(g)] += 1
    assert min(counts.values()) > 0.8 * p.n_groups / 8
    assert max(counts.values()) < 1.2 * p.n_groups / 8


def test_adding_a_shard_moves_only_its_share_and_only_onto_it():
    before = Placement(tuple(f"shard-{i}" for i in range(8)))
    after = before.with_shards([*before.shards, "shard-8"])
    moved = [s for s in SYMBOLS if before.shard_of(s) != after.shard_of(s)]
    assert all(after.shard_of(s) == "shard-8" for s in moved)
    assert 0.08 < len(moved) / len(SYMBOLS) < 0.14  # about 1/9
    # removing it again restores every symbol
    back = after.with_shards(before.shards)
    assert all(back.shard_of(s) == before.shard_of(s) for s in SYMBOLS)


def test_a_pinned_symbol_has_a_shard_of_its_own():
    p = Placement(("a", "b"), pinned={"spy": "spy-shard"})
    assert p.shard_of("SPY") == "spy-shard"
    assert all(p.shard_of(s) in ("a", "b") for s in SYMBOLS)
    assert p.all_shards == ("a", "b", "spy-shard")
    assert p.with_pin("QQQ", "qqq-shard").shard_of("qqq") == "qqq-shard"
    split = p.split(["SPY", "S0001", "SPY"])
    assert split["spy-shard"] == [0, 2]


def test_placement_rejects_bad_setups():
    with pytest.raises(ValueError, match="at least one shard"):
        Placement(())
    with pytest.raises(ValueError, match="unique"):
        Placement(("a", "a"))
    with pytest.raises(ValueError, match="also general"):
        Placement(("a",), pinned={"SPY": "a"})
    with pytest.raises(ValueError, match="own"):
        Placement(("a",), pinned={"SPY": "x", "QQQ": "x"})
