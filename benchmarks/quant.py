"""Quant core speed: every part of optix.quant beside QuantLib, measured in the same run.

Run from the repository root: ``.venv/bin/python benchmarks/quant.py [part ...]`` with parts
``core american heston mc surface`` (default: all). Times are per option (per path-step for Monte
Carlo) on one core; QuantLib is timed on a smaller sample of the same inputs in the same run.
Numba-compiled kernels are marked in the notes; their compilation happens before timing.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys

from _table import print_table

PARTS = {
    "core": "BSM Greeks and implied volatility",
    "american": "American options",
    "heston": "Heston pricing and calibration",
    "mc": "Monte Carlo",
    "surface": "Volatility surfaces",
}


def main(argv: list[str]) -> None:
    parts = argv or list(PARTS)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise SystemExit(f"unknown part(s) {unknown}; choose from {list(PARTS)}")
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, one core used\n")
    for part in parts:
        module = importlib.import_module(f"quant_{part}")
        print_table(module.rows(), f"{PARTS[part]} (benchmarks/quant_{part}.py)")
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
