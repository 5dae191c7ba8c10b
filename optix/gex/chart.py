"""A PNG chart of one GEX result: exposure by strike above, the profile over spot below.

The top panel shows call and put gamma exposure per strike (all counted expiries summed) as
bars, with the net exposure as a line, over the strikes within ``wall_range`` of spot (the
window the walls are searched in, 15 % by default); spot, the flip and the call and put walls
are marked. The bottom panel shows the profile (total GEX if spot were at each level of the
grid), its call and put parts, the zero line, spot and every zero crossing (the flip bold),
with the negative-gamma stretch shaded red and the positive-gamma stretch green.

matplotlib is imported inside :func:`render_chart` (on the non-interactive Agg canvas, no
pyplot and no global state), so ``import optix.gex`` stays light.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from optix.core.arrays import FloatArray
from optix.gex.config import GexUnit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from optix.gex.result import GexResult

__all__ = ["render_chart", "unit_label"]

_SCALES = ((1e9, "bn"), (1e6, "mn"), (1e3, "k"))

_CALL = "#2e8b57"
_PUT = "#c0392b"
_NET = "#1f1f1f"
_FLIP = "#e67e22"
_SPOT = "#34495e"


def _scale(peak: float) -> tuple[float, str]:
    """Divisor and its name for values whose largest magnitude is ``peak``."""
    for div, name in _SCALES:
        if peak >= div:
            return div, name
    return 1.0, ""


def unit_label(unit: GexUnit, scale: str = "") -> str:
    """Axis label of a GEX unit, e.g. ``'$ bn per 1% move'`` or ``'shares mn per 1-pt move'``.

    Parameters
    ----------
    unit : GexUnit
    scale : str
        ``'bn'``, ``'mn'``, ``'k'`` or ``''``.

    Returns
    -------
    str
    """
    amount = " ".join(p for p in ("$" if unit is not GexUnit.SHARES else "shares", scale) if p)
    move = "1% move" if unit is GexUnit.USD_PER_1PCT else "1-point move"
    return f"{amount} per {move}"


def _as_of_text(as_of_ns: int) -> str:
    ts = dt.datetime.fromtimestamp(as_of_ns / 1e9, dt.UTC)
    try:
        from zoneinfo import ZoneInfo

        ts = ts.astimezone(ZoneInfo("America/New_York"))
    except Exception:  # no tz database: stay in UTC  # pragma: no cover
        pass
    return ts.strftime("%Y-%m-%d %H:%M %Z")


def _vline(ax: Axes, x: float | None, color: str, style: str, label: str,
           width: float = 1.2) -> None:
    if x is not None and np.isfinite(x):
        ax.axvline(x, color=color, linestyle=style, linewidth=width, label=label)


def _strike_span(k: FloatArray, gross: FloatArray, spot: float, marks: list[float | None],
                 width: float) -> tuple[float, float]:
    """X range of the strike panel.

    Spot, the strikes (already within the wall window) holding at least 1 % of the largest
    bar, and the marked levels, padded.
    """
    peak = float(gross.max()) if gross.size else 0.0
    keep = gross >= 0.01 * peak if peak > 0 else np.ones(k.size, dtype=bool)
    xs = [spot, *k[keep].tolist(), *(m for m in marks if m is not None and np.isfinite(m))]
    lo, hi = min(xs), max(xs)
    pad = max(0.02 * (hi - lo), width)
    return lo - pad, hi + pad


def render_chart(result: GexResult, path: Path | str, *, title: str | None = None) -> Path:
    """Write a two-panel PNG of a GEX result (module docstring) and return its path.

    Parameters
    ----------
    result : GexResult
        From :func:`~optix.gex.result.compute_gex`.
    path : Path or str
        Where to write the PNG (parent folders are created).
    title : str, optional
        Figure title (default: underlying, snapshot time in New York, spot and total GEX).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OSError
        If the file cannot be written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out = Path(path)
    cfg = result.config
    s = result.spot
    prof = result.profile
    lv = result.levels
    bs = result.by_strike()
    k = bs["strike"].to_numpy(dtype=np.float64)
    near = np.abs(k - s) <= cfg.wall_range * s
    k = k[near]
    call = bs["call_gex"].to_numpy(dtype=np.float64)[near]
    put = bs["put_gex"].to_numpy(dtype=np.float64)[near]
    net = bs["net_gex"].to_numpy(dtype=np.float64)[near]
    tot = result.exposure.totals()

    peak_bars = float(np.max(np.abs(np.r_[call, put, 0.0])))
    div_b, name_b = _scale(peak_bars)
    peak_prof = float(np.max(np.abs(np.r_[prof.total, prof.call, prof.put, 0.0])))
    div_p, name_p = _scale(peak_prof)
    div_t, name_t = _scale(abs(tot["total_gex"]))

    if title is None:
        title = (f"{result.underlying} dealer gamma exposure  {_as_of_text(result.as_of_ns)}  "
                 f"spot {s:,.2f}\ntotal GEX {tot['total_gex'] / div_t:+,.3f} {name_t} "
                 f"({unit_label(cfg.unit)}), regime {lv.regime}, {cfg.sign.value}")

    fig = Figure(figsize=(12, 9), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, height_ratios=[3, 2])
    fig.suptitle(title, fontsize=12)

    # --- top: exposure by strike
    width = 0.8 * float(np.min(np.diff(k))) if k.size > 1 else max(0.01 * s, 0.5)
    top.bar(k, call / div_b, width=width, color=_CALL, alpha=0.75, label="call GEX")
    top.bar(k, put / div_b, width=width, color=_PUT, alpha=0.75, label="put GEX")
    if k.size:
        top.plot(k, net / div_b, color=_NET, linewidth=1.0, marker=".", markersize=3,
                 label="net GEX")
    top.axhline(0.0, color="grey", linewidth=0.8)
    _vline(top, s, _SPOT, "--", f"spot {s:,.2f}", 1.5)
    _vline(top, result.flip, _FLIP, ":",
           f"flip {result.flip:,.2f}" if result.flip is not None else "", 2.0)
    _vline(top, lv.call_wall, _CALL, "-.",
           f"call wall {lv.call_wall:,.2f}" if lv.call_wall is not None else "", 1.5)
    _vline(top, lv.put_wall, _PUT, "-.",
           f"put wall {lv.put_wall:,.2f}" if lv.put_wall is not None else "", 1.5)
    top.set_xlim(*_strike_span(k, np.abs(call) + np.abs(put), s,
                               [result.flip, lv.call_wall, lv.put_wall], width))
    top.set_xlabel("strike")
    top.set_ylabel(f"GEX by strike ({unit_label(cfg.unit, name_b)})")
    top.set_title(f"exposure by strike, all counted expiries (window {cfg.expiry_window!s},"
                  f" strikes within {cfg.wall_range:.0%} of spot)", fontsize=10)
    top.grid(True, axis="y", alpha=0.3)
    top.legend(loc="upper left", fontsize=8, ncols=2)

    # --- bottom: profile over hypothetical spots
    x = prof.levels
    y = prof.total / div_p
    bottom.fill_between(x, y, 0.0, where=y < 0, interpolate=True, color=_PUT, alpha=0.18,
                        label="negative gamma (dealers amplify moves)")
    bottom.fill_between(x, y, 0.0, where=y > 0, interpolate=True, color=_CALL, alpha=0.18,
                        label="positive gamma (dealers damp moves)")
    bottom.plot(x, prof.call / div_p, color=_CALL, linewidth=0.9, alpha=0.7, label="calls")
    bottom.plot(x, prof.put / div_p, color=_PUT, linewidth=0.9, alpha=0.7, label="puts")
    bottom.plot(x, y, color=_NET, linewidth=1.8, label="total")
    bottom.axhline(0.0, color="grey", linewidth=0.8)
    _vline(bottom, s, _SPOT, "--", f"spot {s:,.2f}", 1.5)
    others = [c for c in prof.crossings if c != prof.flip]
    if others:
        bottom.plot(others, np.zeros(len(others)), linestyle="none", marker="o",
                    markersize=5, color=_FLIP, markerfacecolor="none",
                    label="other zero crossings")
    _vline(bottom, prof.flip, _FLIP, ":",
           f"flip {prof.flip:,.2f} ({prof.flip_rule.value})" if prof.flip is not None
           else "", 2.0)
    if prof.flip is None:
        bottom.text(0.99, 0.03, "no zero crossing on the grid", transform=bottom.transAxes,
                    ha="right", va="bottom", fontsize=8)
    bottom.set_xlim(float(x[0]), float(x[-1]))
    bottom.set_xlabel("hypothetical spot")
    bottom.set_ylabel(f"total GEX ({unit_label(cfg.unit, name_p)})")
    bottom.set_title(f"profile: {x.size} levels on [{cfg.grid_lo:g}, {cfg.grid_hi:g}] x spot,"
                     f" sticky {cfg.sticky.value}; at spot {prof.at_spot / div_p:+,.3f}"
                     f" {name_p}", fontsize=10)
    bottom.grid(True, alpha=0.3)
    bottom.legend(loc="best", fontsize=8, ncols=2)

    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    return out
