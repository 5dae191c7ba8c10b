"""Static-arbitrage checks for any fitted smiles: butterfly (per expiry) and calendar.

Both work on anything that follows :class:`~optix.quant.surface.smile.Smile` (raw SVI, SSVI
slices, or a user's own model) on a log-moneyness grid, and return an
:class:`ArbitrageReport` that says where each check fails (the expiry, the ``k`` interval,
the worst point and by how much), not only whether it does.

- Butterfly: the risk-neutral density is non-negative iff Gatheral-Jacquier's
  ``g(k) >= 0`` (:func:`~optix.quant.surface.smile.butterfly_g`).
- Calendar: total variance ``w(k, T)`` must be nondecreasing in ``T`` at every fixed ``k``
  (Gatheral & Jacquier 2014, Lemma 2.1, for deterministic rates and dividends).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optix.core.arrays import BoolArray, FloatArray
from optix.quant.surface.smile import Smile, butterfly_g

__all__ = [
    "ArbitrageReport",
    "ButterflyViolation",
    "CalendarViolation",
    "check_arbitrage",
    "check_butterfly",
    "check_calendar",
    "default_k_grid",
]


@dataclass(frozen=True)
class ButterflyViolation:
    """A ``k`` interval of one expiry where ``g(k) < 0`` (a negative risk-neutral density).

    Attributes
    ----------
    expiry : float
        Expiry in years.
    k_start, k_end : float
        First and last grid point of the failing run.
    k_worst : float
        Grid point with the most negative ``g``.
    amount : float
        ``g`` there (negative).
    """

    expiry: float
    k_start: float
    k_end: float
    k_worst: float
    amount: float


@dataclass(frozen=True)
class CalendarViolation:
    """A ``k`` interval where total variance decreases from one expiry to the next.

    Attributes
    ----------
    expiry_near, expiry_far : float
        The two consecutive expiries in years.
    k_start, k_end : float
        First and last grid point of the failing run.
    k_worst : float
        Grid point with the largest decrease.
    amount : float
        ``w(k, near) - w(k, far)`` there (positive).
    """

    expiry_near: float
    expiry_far: float
    k_start: float
    k_end: float
    k_worst: float
    amount: float


@dataclass(frozen=True)
class ArbitrageReport:
    """Outcome of the static-arbitrage checks on a ``k`` grid.

    Attributes
    ----------
    butterfly : tuple of ButterflyViolation
        Failing intervals of the butterfly check (empty if it passed or was not run).
    calendar : tuple of CalendarViolation
        Failing intervals of the calendar check (empty if it passed or was not run).
    expiries : tuple of float
        Expiries checked.
    k_min, k_max : float
        Range of the grid.
    n_grid : int
        Grid points per expiry.
    checked_butterfly, checked_calendar : bool
        Which checks ran.
    """

    butterfly: tuple[ButterflyViolation, ...]
    calendar: tuple[CalendarViolation, ...]
    expiries: tuple[float, ...]
    k_min: float
    k_max: float
    n_grid: int
    checked_butterfly: bool
    checked_calendar: bool

    @property
    def butterfly_free(self) -> bool:
        """No butterfly violation was found (vacuously True if the check did not run)."""
        return not self.butterfly

    @property
    def calendar_free(self) -> bool:
        """No calendar violation was found (vacuously True if the check did not run)."""
        return not self.calendar

    @property
    def arbitrage_free(self) -> bool:
        """Neither check found a violation."""
        return self.butterfly_free and self.calendar_free

    def summary(self) -> str:
        """One line per violation, or a single line saying the surface passed.

        Returns
        -------
        str
        """
        checks = [name for name, ran in (("butterfly", self.checked_butterfly),
                                          ("calendar", self.checked_calendar)) if ran]
        head = (f"{'/'.join(checks)} check on k in [{self.k_min:.4g}, {self.k_max:.4g}] "
                f"({self.n_grid} points), {len(self.expiries)} expiries")
        if self.arbitrage_free:
            return head + ": no arbitrage"
        lines = [head + ":"]
        lines += [f"  butterfly at T={v.expiry:.6g}: g<0 on k in [{v.k_start:.4g}, {v.k_end:.4g}]"
                  f", worst g={v.amount:.3g} at k={v.k_worst:.4g}" for v in self.butterfly]
        lines += [f"  calendar T={v.expiry_near:.6g}->{v.expiry_far:.6g}: w decreases on k in "
                  f"[{v.k_start:.4g}, {v.k_end:.4g}], worst by {v.amount:.3g} at k={v.k_worst:.4g}"
                  for v in self.calendar]
        return "\n".join(lines)


def default_k_grid(smiles: Sequence[Smile], n: int = 401, width: float = 6.0) -> FloatArray:
    """A symmetric grid of ``n`` points over ``width`` ATM standard deviations of the widest smile.

    The half-width is ``width * sqrt(max_t w_t(0))``: about +-6 sd of the longest expiry,
    proportionally further out for shorter ones.

    Parameters
    ----------
    smiles : sequence of Smile
        The smiles to be checked.
    n : int, default 401
        Number of points, at least 3.
    width : float, default 6.0
        Half-width in ATM standard deviations, positive.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        If ``smiles`` is empty, ``n < 3`` or ``width <= 0``.
    """
    if not smiles:
        raise ValueError("smiles must not be empty")
    if n < 3:
        raise ValueError(f"n must be >= 3, got {n}")
    if not (math.isfinite(width) and width > 0.0):
        raise ValueError(f"width must be positive and finite, got {width}")
    w0 = max(float(np.asarray(s.total_variance(0.0))) for s in smiles)
    half = width * math.sqrt(max(w0, 1e-12))
    return np.linspace(-half, half, n)


def _runs(mask: BoolArray) -> list[tuple[int, int]]:
    """Inclusive index ranges of the True runs of a 1-D mask."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _prepare(
    smiles: Sequence[Smile], expiries: npt.ArrayLike, k: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray]:
    exp = np.atleast_1d(np.asarray(expiries, dtype=np.float64)).ravel()
    if len(smiles) == 0:
        raise ValueError("smiles must not be empty")
    if exp.size != len(smiles):
        raise ValueError(f"expiries must have one entry per smile: {exp.size} != {len(smiles)}")
    if not (np.all(np.isfinite(exp) & (exp > 0.0)) and np.all(np.diff(exp) > 0.0)):
        raise ValueError("expiries must be positive, finite and strictly increasing")
    grid = default_k_grid(smiles) if k is None else np.asarray(k, dtype=np.float64).ravel()
    if grid.size < 1 or not np.all(np.isfinite(grid)):
        raise ValueError("k must be a non-empty finite grid")
    return exp, np.sort(grid)


def _butterfly(
    smiles: Sequence[Smile], exp: FloatArray, grid: FloatArray, tol: float
) -> list[ButterflyViolation]:
    out: list[ButterflyViolation] = []
    for t, smile in zip(exp, smiles, strict=True):
        w = smile.total_variance(grid)
        g = butterfly_g(grid, w, smile.dw_dk(grid), smile.d2w_dk2(grid))
        # w <= 0 is no smile at all: a density cannot exist there either.
        g = np.where(np.isfinite(g), g, -np.inf)
        for a, b in _runs(g < -tol):
            j = a + int(np.argmin(g[a:b + 1]))
            out.append(ButterflyViolation(float(t), float(grid[a]), float(grid[b]),
                                          float(grid[j]), float(g[j])))
    return out


def _calendar(
    smiles: Sequence[Smile], exp: FloatArray, grid: FloatArray, tol: float
) -> list[CalendarViolation]:
    out: list[CalendarViolation] = []
    ws = [s.total_variance(grid) for s in smiles]
    for i in range(len(smiles) - 1):
        drop = ws[i] - ws[i + 1]
        for a, b in _runs(drop > tol):
            j = a + int(np.argmax(drop[a:b + 1]))
            out.append(CalendarViolation(float(exp[i]), float(exp[i + 1]), float(grid[a]),
                                         float(grid[b]), float(grid[j]), float(drop[j])))
    return out


def _report(
    exp: FloatArray, grid: FloatArray, fly: list[ButterflyViolation] | None,
    cal: list[CalendarViolation] | None,
) -> ArbitrageReport:
    return ArbitrageReport(
        butterfly=tuple(fly or ()), calendar=tuple(cal or ()),
        expiries=tuple(float(t) for t in exp), k_min=float(grid[0]), k_max=float(grid[-1]),
        n_grid=int(grid.size), checked_butterfly=fly is not None,
        checked_calendar=cal is not None)


def _check_tol(tol: float) -> None:
    if not (math.isfinite(tol) and tol >= 0.0):
        raise ValueError(f"tol must be finite and >= 0, got {tol}")


def check_butterfly(
    smiles: Sequence[Smile],
    expiries: npt.ArrayLike,
    k: npt.ArrayLike | None = None,
    *,
    tol: float = 1e-12,
) -> ArbitrageReport:
    """Flag every ``k`` interval of every expiry where ``g(k) < -tol``.

    Parameters
    ----------
    smiles : sequence of Smile
        One smile per expiry.
    expiries : array_like
        Expiries in years, strictly increasing, one per smile.
    k : array_like, optional
        Log-moneyness grid; :func:`default_k_grid` by default.
    tol : float, default 1e-12
        Rounding allowance on ``g``.

    Returns
    -------
    ArbitrageReport

    Raises
    ------
    ValueError
        On empty or mismatched inputs, a bad grid or a bad ``tol``.
    """
    _check_tol(tol)
    exp, grid = _prepare(smiles, expiries, k)
    return _report(exp, grid, _butterfly(smiles, exp, grid, tol), None)


def check_calendar(
    smiles: Sequence[Smile],
    expiries: npt.ArrayLike,
    k: npt.ArrayLike | None = None,
    *,
    tol: float = 1e-12,
) -> ArbitrageReport:
    """Flag every ``k`` interval where ``w(k, T_i) - w(k, T_{i+1}) > tol``.

    Linear interpolation of total variance in ``T`` at fixed ``k`` (what
    :class:`~optix.quant.surface.surface.VolSurface` does) keeps this property between the
    slices, so checking consecutive slices checks the whole surface.

    Parameters
    ----------
    smiles : sequence of Smile
        One smile per expiry.
    expiries : array_like
        Expiries in years, strictly increasing, one per smile.
    k : array_like, optional
        Log-moneyness grid; :func:`default_k_grid` by default.
    tol : float, default 1e-12
        Rounding allowance on total variance.

    Returns
    -------
    ArbitrageReport

    Raises
    ------
    ValueError
        On empty or mismatched inputs, a bad grid or a bad ``tol``.
    """
    _check_tol(tol)
    exp, grid = _prepare(smiles, expiries, k)
    return _report(exp, grid, None, _calendar(smiles, exp, grid, tol))


def check_arbitrage(
    smiles: Sequence[Smile],
    expiries: npt.ArrayLike,
    k: npt.ArrayLike | None = None,
    *,
    tol: float = 1e-12,
) -> ArbitrageReport:
    """Run both the butterfly and the calendar check on one grid.

    Parameters
    ----------
    smiles : sequence of Smile
        One smile per expiry.
    expiries : array_like
        Expiries in years, strictly increasing, one per smile.
    k : array_like, optional
        Log-moneyness grid; :func:`default_k_grid` by default.
    tol : float, default 1e-12
        Rounding allowance on ``g`` and on total variance.

    Returns
    -------
    ArbitrageReport

    Raises
    ------
    ValueError
        On empty or mismatched inputs, a bad grid or a bad ``tol``.
    """
    _check_tol(tol)
    exp, grid = _prepare(smiles, expiries, k)
    return _report(exp, grid, _butterfly(smiles, exp, grid, tol),
                   _calendar(smiles, exp, grid, tol))
