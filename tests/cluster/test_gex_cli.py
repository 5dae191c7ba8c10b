"""``optix gex FILE``: the reference numbers of the real SPY chain, the flags, bad input."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from cluster.cli import GEX_CHOICES, cli
from tests.shared_data import SPY_CHAIN, TBBO_SAMPLE, require

# reference numbers of the SPY chain of 2025-09-25 under the classic defaults
SPOT = 658.05
TOTAL, CALLS, PUTS = -3.918e9, 5.913e9, -9.830e9
AT_SPOT = -4.22e9
FLIP = 668.5


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no optix.toml of the checkout's


def gex(*args):
    return CliRunner().invoke(cli, ["gex", *map(str, args)])


def gex_json(*args):
    require(SPY_CHAIN)
    result = gex(SPY_CHAIN, "--json", *args)
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()  # one JSON object on one line
    return json.loads(line)


@pytest.fixture(scope="module")
def classic():
    return gex_json()


def test_json_reproduces_the_reference_numbers(classic):
    s = classic
    assert s["underlying"] == "SPY" and s["spot"] == SPOT
    assert s["total_gex"] == pytest.approx(TOTAL, rel=1e-3)
    assert s["call_gex"] == pytest.approx(CALLS, rel=1e-3)
    assert s["put_gex"] == pytest.approx(PUTS, rel=1e-3)
    assert s["profile_at_spot"] == pytest.approx(AT_SPOT, rel=5e-3)
    assert s["flip"] == pytest.approx(FLIP, abs=0.5)
    assert s["crossings"] == [s["flip"]] and s["flip_rule"] == "first"
    assert s["max_pain_nearest"] == 662.0
    assert s["call_wall"] == 670.0 and s["put_wall"] == 655.0
    assert s["regime"] == "negative"
    assert s["unit"] == "usd_per_1pct" and s["sign_convention"] == "dealer_long_calls_short_puts"
    assert s["params"]["levels"] == 60 and s["params"]["expiry_window"] == "all"
    assert isinstance(s["skipped"], dict)


def test_human_output_has_the_key_lines(classic):
    require(SPY_CHAIN)
    result = gex(SPY_CHAIN)
    assert result.exit_code == 0, result.output
    out = result.stdout
    lines = {ln[2:19].strip(): ln[19:] for ln in out.splitlines()[1:]}  # "  name  text"
    assert out.splitlines()[0].startswith("SPY GEX at 2025-09-25 21:05 EDT ($ per 1% move")
    assert lines["spot"] == "658.05"
    assert lines["total GEX"] == "-3.918 bn"
    assert lines["call GEX"] == "+5.913 bn"
    assert lines["put GEX"] == "-9.830 bn"
    assert lines["profile at spot"].startswith("-4.22")
    assert lines["flip"].startswith("668.50") and "rule first" in lines["flip"]
    assert "crossings 668.50" in lines["flip"]
    assert "662.00" in lines["max pain"] and "2025-10-01" in lines["max pain"]
    assert lines["max pain"].startswith("662.00")
    assert lines["call wall"] == "670.00" and lines["put wall"] == "655.00"
    assert lines["regime"].startswith("negative")
    assert "3,716 counted" in lines["contracts"] and "skipped:" in lines["contracts"]
    for name, n in classic["skipped"].items():
        assert f"{name} {n:,}" in lines["contracts"]


def test_chart_writes_a_png(tmp_path):
    require(SPY_CHAIN)
    out = tmp_path / "charts" / "spy.png"
    result = gex(SPY_CHAIN, "--chart", out)
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    assert str(out) in result.stdout
    # with --json the chart note goes to stderr and stdout stays one JSON object
    again = gex(SPY_CHAIN, "--json", "--chart", tmp_path / "b.png")
    assert again.exit_code == 0
    json.loads(again.stdout)
    assert (tmp_path / "b.png").read_bytes()[:4] == b"\x89PNG"


def test_inverse_sign_mirrors_every_exposure(classic):
    inv = gex_json("--sign", "dealer_short_calls_long_puts")
    assert inv["total_gex"] == pytest.approx(-classic["total_gex"], rel=1e-12)
    assert inv["call_gex"] == pytest.approx(-classic["call_gex"], rel=1e-12)
    assert inv["put_gex"] == pytest.approx(-classic["put_gex"], rel=1e-12)
    assert inv["regime"] == "positive"
    assert inv["sign_convention"] == "dealer_short_calls_long_puts"


def test_units_differ_by_powers_of_spot(classic):
    shares = gex_json("--unit", "shares")
    point = gex_json("--unit", "usd_per_point")
    s = classic["spot"]
    for key in ("total_gex", "call_gex", "put_gex"):
        assert shares[key] * s * s * 0.01 == pytest.approx(classic[key], rel=1e-12)
        assert point[key] * s * 0.01 == pytest.approx(classic[key], rel=1e-12)
    assert shares["unit"] == "shares"
    # the profile is scaled by a positive factor per level (L**2 * 0.01, L or 1): the sign
    # changes between the same two levels, only the linear interpolation inside moves a little
    assert shares["flip"] == pytest.approx(classic["flip"], abs=0.5)
    assert point["flip"] == pytest.approx(classic["flip"], abs=0.5)


def test_flip_rule_window_and_levels_reach_the_engine(classic):
    near = gex_json("--flip-rule", "nearest", "--levels", "30", "--expiry-window", "<=7",
                    "--zero-dte", "exclude", "--sticky", "moneyness", "--gamma-source", "model",
                    "--r", "0.04", "--q", "0.01", "--settled", "floor")
    p = near["params"]
    assert (p["flip_rule"], p["levels"], p["expiry_window"], p["zero_dte"], p["sticky"],
            p["gamma_source"], p["r"], p["q"], p["settled"]) == (
        "nearest", 30, "<=7d", "exclude", "moneyness", "model", 0.04, 0.01, "floor")
    assert near["flip_rule"] == "nearest"
    assert near["total_gex"] != classic["total_gex"]  # fewer expiries, model gamma
    assert near["skipped"].get("outside_window", 0) > 0


def test_choices_match_the_engine_enums():
    from optix.gex import (
        FlipRule,
        GammaSource,
        GexUnit,
        SettledPolicy,
        SignConvention,
        Sticky,
        ZeroDtePolicy,
    )

    enums = {"unit": GexUnit, "sign": SignConvention, "zero_dte": ZeroDtePolicy,
             "settled": SettledPolicy, "flip_rule": FlipRule, "sticky": Sticky,
             "gamma_source": GammaSource}
    assert {k: set(v) for k, v in GEX_CHOICES.items()} == {
        k: {e.value for e in enum} for k, enum in enums.items()}


def _fails_cleanly(result, *words):
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    err = result.stderr.strip()
    for w in words:
        assert w in err, err
    return err


def test_a_trades_file_is_not_a_chain():
    require(TBBO_SAMPLE)
    err = _fails_cleanly(gex(TBBO_SAMPLE), "not an option chain file")
    assert err.count("\n") == 0 and err.startswith("error: ")


def test_random_text_and_binary_are_not_chains(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\nworld\n")
    _fails_cleanly(gex(tmp_path / "notes.txt"), "notes.txt", "not an option chain file")
    (tmp_path / "blob.parquet").write_bytes(bytes(range(256)) * 8)
    _fails_cleanly(gex(tmp_path / "blob.parquet"), "not an option chain file")
    (tmp_path / "empty.csv").write_text("")
    _fails_cleanly(gex(tmp_path / "empty.csv"), "not an option chain file")


def test_missing_file_and_folder(tmp_path):
    _fails_cleanly(gex(tmp_path / "nope.csv"), "nope.csv", "no such file")
    _fails_cleanly(gex(tmp_path), "is a folder")


def _chain_without_greeks(tmp_path):
    require(SPY_CHAIN)
    lines = SPY_CHAIN.read_text().splitlines()
    rows = list(csv.reader(lines[4:54]))
    for r in rows:
        for i in (7, 8, 9, 18, 19, 20):  # IV, delta, gamma of the call and the put
            r[i] = ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path = tmp_path / "spy_nogreeks_quotedata.csv"
    path.write_text("\n".join(lines[:4]) + "\n" + buf.getvalue())
    return path


def test_a_chain_without_usable_gamma_says_why(tmp_path):
    _fails_cleanly(gex(_chain_without_greeks(tmp_path)), "no contract has a usable gamma",
                   "no gamma")


def test_a_broken_chain_file_says_where(tmp_path):
    require(SPY_CHAIN)
    lines = SPY_CHAIN.read_text().splitlines()
    lines[2] = '"Date: sometime",Bid: 1'
    (tmp_path / "bad_date.csv").write_text("\n".join(lines[:10]) + "\n")
    _fails_cleanly(gex(tmp_path / "bad_date.csv"), "bad_date.csv:3", "snapshot date")


def test_flow_inventory_needs_an_inventory():
    require(SPY_CHAIN)
    _fails_cleanly(gex(SPY_CHAIN, "--sign", "flow_inventory"), "dealer inventory")


@pytest.mark.parametrize("args, words", [
    (["--unit", "furlongs"], ["--unit"]),
    (["--flip-rule", "last"], ["--flip-rule"]),
    (["--expiry-window", "soon"], ["--expiry-window"]),
    (["--levels", "1"], ["levels must be at least 2"]),
    (["--levels", "many"], ["--levels"]),
    (["--r", "nan"], ["r must be finite"]),
])
def test_invalid_flag_values_exit_2(args, words):
    result = gex(SPY_CHAIN, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for w in words:
        assert w in result.output


def test_gex_is_listed_with_help():
    result = CliRunner().invoke(cli, ["--help"])
    assert "  gex " in result.output
    result = CliRunner().invoke(cli, ["gex", "--help"])
    assert result.exit_code == 0
    for flag in ("--json", "--chart", "--unit", "--sign", "--expiry-window", "--zero-dte",
                 "--settled", "--flip-rule", "--sticky", "--gamma-source", "--r", "--q",
                 "--levels"):
        assert flag in result.output
