"""render_chart writes a readable two-panel PNG of a GEX result."""

import sys

import pytest

from optix.gex import GexConfig, GexUnit, compute_gex
from optix.gex.chart import render_chart, unit_label

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    # IHDR: width and height, big-endian, right after the 8-byte magic and the chunk header
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"), len(data)


def test_spy_chart_is_a_png_of_real_size(spy_chain, tmp_path):
    result = compute_gex(spy_chain)
    out = render_chart(result, tmp_path / "sub" / "spy.png")
    assert out == tmp_path / "sub" / "spy.png"
    width, height, size = _png_size(out)
    assert width >= 1000 and height >= 800
    assert size > 50_000  # bars, two curves, shading: far from a blank canvas


@pytest.mark.parametrize("config", [
    GexConfig(unit=GexUnit.SHARES, flip_rule="nearest"),
    GexConfig(sign="dealer_short_calls_long_puts", grid_lo=0.98, grid_hi=1.02, levels=5),
])
def test_other_conventions_and_a_custom_title_render(spy_chain, tmp_path, config):
    result = compute_gex(spy_chain, config)
    out = render_chart(result, str(tmp_path / "c.png"), title="custom")
    assert _png_size(out)[2] > 20_000


def test_a_profile_without_flip_renders(spy_chain, tmp_path):
    # a narrow grid below the flip keeps one sign: no crossing to mark
    result = compute_gex(spy_chain, GexConfig(grid_lo=0.95, grid_hi=1.001, levels=10))
    assert result.flip is None
    assert _png_size(render_chart(result, tmp_path / "noflip.png"))[2] > 20_000


def test_unit_labels():
    assert unit_label(GexUnit.USD_PER_1PCT, "bn") == "$ bn per 1% move"
    assert unit_label(GexUnit.USD_PER_POINT) == "$ per 1-point move"
    assert unit_label(GexUnit.SHARES, "mn") == "shares mn per 1-point move"


def test_chart_module_keeps_matplotlib_out_of_the_import():
    import subprocess

    code = ("import sys, optix.gex, optix.gex.chart\n"
            "sys.exit(1 if any(m.startswith('matplotlib') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
