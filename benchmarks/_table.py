"""One table format for the benchmark scripts: ours beside the reference, as a ratio."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    """One measured case: time per item for ours and for the reference, in microseconds."""

    case: str
    n: int
    ours_us: float
    ref_us: float | None
    ref_name: str
    target_us: float | None = None
    note: str = ""

    @property
    def speedup(self) -> float | None:
        return None if self.ref_us is None else self.ref_us / self.ours_us


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best wall time in seconds of ``repeat`` calls (the first call may also warm caches)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _fmt(us: float | None) -> str:
    if us is None:
        return "-"
    if us < 1.0:
        return f"{us * 1000:.0f} ns"
    if us < 1000.0:
        return f"{us:.2f} us"
    return f"{us / 1000:.2f} ms"


def print_table(rows: list[Row], title: str) -> None:
    """Print rows as an aligned text table with the target and whether it is met."""
    print(title)
    head = (f"{'case':<46}{'n':>10}{'ours/item':>12}{'reference/item':>16}{'ref/ours':>10}"
            f"{'target':>10}  {'met':<4}{'reference':<30}note")
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = "-" if r.speedup is None else f"{r.speedup:,.1f}x"
        met = "" if r.target_us is None else ("yes" if r.ours_us <= r.target_us else "NO")
        print(f"{r.case:<46}{r.n:>10,}{_fmt(r.ours_us):>12}{_fmt(r.ref_us):>16}{ratio:>10}"
              f"{_fmt(r.target_us):>10}  {met:<4}{r.ref_name:<30}{r.note}")
