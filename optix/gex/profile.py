"""GEX profile over hypothetical spots, and the zero-gamma flip.

The profile is total gamma exposure if the underlying were at each of ``levels`` spots evenly
spaced on ``[grid_lo * S, grid_hi * S]`` (default 60 on ``[0.8 S, 1.2 S]``), with gamma
recomputed at each level by BSM from each contract's implied vol (rows without an IV cannot be
moved and are left out; :class:`~optix.gex.exposure.Exposure` counts them as ``no_iv``). The unit
is evaluated at the level too (``S**2 * 0.01`` becomes ``L**2 * 0.01``), as the public recipe does.

Vol dynamics: ``sticky strike`` keeps each contract's IV; ``sticky moneyness`` gives a contract
of strike ``K`` at level ``L`` the IV its expiry's smile has today at ``K * S / L`` (linear in
strike between listed strikes, flat beyond; the smile is the out-of-the-money side, calls above
spot and puts below, falling back to any IV at a strike that has only one side).

The flip is where the profile changes sign, by linear interpolation between the two levels
around the change (``L_i - y_i (L_{i+1} - L_i) / (y_{i+1} - y_i)``). Every crossing is
reported; :class:`~optix.gex.config.FlipRule` picks the lowest (``first``, the public recipe) or
the one nearest spot. A profile with no sign change has no flip (``None``), which is itself
information: dealers are long (or short) gamma over the whole range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optix.core.arrays import FloatArray
from optix.gex.config import FlipRule, Sticky
from optix.gex.exposure import Exposure, unit_factor
from optix.quant import gamma_grid

__all__ = ["Profile", "crossings", "profile"]


@dataclass(frozen=True, slots=True, eq=False)
class Profile:
    """Total GEX over hypothetical spots, with the flip.

    Attributes
    ----------
    levels : ndarray
        Hypothetical spots, ascending.
    total, call, put : ndarray
        GEX at each level (``total = call + put``), in the config's unit.
    at_spot : float
        The profile read at the current spot: linear interpolation between the two levels
        around ``S`` (what a chart of the profile shows, and the public recipe's number).
    at_spot_exact : float
        Total GEX with model gamma evaluated at ``S`` itself (differs from ``at_spot`` by the
        grid's curvature error, about 1 % on a 60-level grid).
    crossings : tuple of float
        Every zero crossing, ascending.
    flip : float or None
        The crossing chosen by ``flip_rule``; None when the profile keeps one sign.
    flip_rule : FlipRule
    by_strike : ndarray, shape (len(levels), len(strikes))
        GEX of each strike at each level (the strike x spot heatmap).
    strikes : ndarray
        Strikes of ``by_strike``'s columns.
    """

    levels: FloatArray
    total: FloatArray
    call: FloatArray
    put: FloatArray
    at_spot: float
    at_spot_exact: float
    crossings: tuple[float, ...]
    flip: float | None
    flip_rule: FlipRule
    by_strike: FloatArray
    strikes: FloatArray


def crossings(levels: FloatArray, values: FloatArray) -> tuple[float, ...]:
    """Zero crossings of a piecewise-linear curve, ascending.

    A level where the curve is exactly 0 between a negative and a positive side is a crossing;
    a curve that only touches 0 is not.
    """
    y = np.asarray(values, dtype=np.float64)
    x = np.asarray(levels, dtype=np.float64)
    nz = np.flatnonzero(y != 0)
    out: list[float] = []
    for a, b in zip(nz[:-1].tolist(), nz[1:].tolist(), strict=True):
        if np.sign(y[a]) == np.sign(y[b]):
            continue
        if b == a + 1:
            out.append(float(x[b] - y[b] * (x[b] - x[a]) / (y[b] - y[a])))
        else:  # exact zeros between a and b: the middle of the flat zero stretch
            out.append(float(0.5 * (x[a + 1] + x[b - 1])))
    return tuple(out)


def _sticky_moneyness_vols(exp: Exposure, rows: np.ndarray, levels: FloatArray) -> FloatArray:
    """IV of each contract at each level under sticky moneyness (module docstring)."""
    s = exp.spot
    out = np.empty((levels.size, rows.size), dtype=np.float64)
    expiry, strike, right, iv = (exp.expiry[rows], exp.strike[rows], exp.right[rows],
                                 exp.iv[rows])
    otm = ((right > 0) & (strike >= s)) | ((right < 0) & (strike < s))
    for e in np.unique(expiry):
        cols = np.flatnonzero(expiry == e)
        ks, vs, o = strike[cols], iv[cols], otm[cols]
        uk = np.unique(ks)
        # OTM IV per strike, else the mean of what the strike has
        smile = np.array([vs[(ks == u) & o].mean() if ((ks == u) & o).any()
                          else vs[ks == u].mean() for u in uk])
        for i, lv in enumerate(levels.tolist()):
            out[i, cols] = np.interp(ks * s / lv, uk, smile)
    return out


def profile(exp: Exposure) -> Profile:
    """The GEX profile and flip of an exposure, with the config's grid, sticky rule and flip rule.

    Parameters
    ----------
    exp : Exposure
        From :func:`~optix.gex.exposure.prepare`.

    Returns
    -------
    Profile
    """
    cfg = exp.config
    s = exp.spot
    levels = np.linspace(cfg.grid_lo * s, cfg.grid_hi * s, cfg.levels)
    rows = np.flatnonzero(~np.isnan(exp.iv))
    grid = np.append(levels, s)  # the last row is spot itself
    k, t = exp.strike[rows], exp.t[rows]
    if cfg.sticky is Sticky.MONEYNESS and rows.size:
        vol = _sticky_moneyness_vols(exp, rows, grid)
    else:
        vol = exp.iv[rows]
    g = gamma_grid(grid, k, t, cfg.r, cfg.q, vol) if rows.size else np.zeros((grid.size, 0))
    scale = 100.0 * np.asarray(unit_factor(cfg.unit, grid), dtype=np.float64)
    w = exp.weight[rows]
    calls = exp.right[rows] > 0
    cell = g * (w * 1.0)[None, :]
    call = cell[:, calls].sum(axis=1) * scale
    put = cell[:, ~calls].sum(axis=1) * scale
    total = call + put
    strikes, inv = np.unique(k, return_inverse=True)
    by_strike = np.zeros((levels.size, strikes.size), dtype=np.float64)
    if rows.size:
        order = np.argsort(inv, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(inv[order]) != 0])
        by_strike = np.add.reduceat(cell[:-1, order], starts, axis=1) * scale[:-1, None]
    cross = crossings(levels, total[:-1])
    flip: float | None = None
    if cross:
        flip = (cross[0] if cfg.flip_rule is FlipRule.FIRST
                else min(cross, key=lambda x: (abs(x - s), x)))
    return Profile(levels=levels, total=total[:-1], call=call[:-1], put=put[:-1],
                   at_spot=float(np.interp(s, levels, total[:-1])),
                   at_spot_exact=float(total[-1]), crossings=cross, flip=flip,
                   flip_rule=cfg.flip_rule, by_strike=by_strike, strikes=strikes)
