"""Where the steering side's reference files live, for every test that reads them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["SHARED", "SPY_CHAIN", "TBBO_SAMPLE", "require"]


def _shared_data() -> Path:
    """Find ``shared/flow-gex-data``.

    $OPTIX_SHARED_DIR, else ``shared/`` beside the checkout or any folder above it, else the
    workplace's ``/work/shared``.
    """
    repo = Path(__file__).resolve().parents[1]
    candidates = [Path(os.environ["OPTIX_SHARED_DIR"])] if "OPTIX_SHARED_DIR" in os.environ else []
    candidates += [p / "shared" for p in repo.parents] + [Path("/work/shared")]
    for c in candidates:
        if (c / "flow-gex-data").is_dir():
            return c / "flow-gex-data"
    return candidates[0] / "flow-gex-data"


SHARED = _shared_data()
SPY_CHAIN = SHARED / "spy_quotedata_snap2025-09-25.csv"
TBBO_SAMPLE = SHARED / "opra_tbbo_AAPL250221C250_2025-02-20_sample.csv"


def require(*paths: Path) -> None:
    """Fail (not skip) with where we looked when a reference file is missing."""
    for p in paths:
        if not p.is_file():
            pytest.fail(f"reference data not found at {p} (set OPTIX_SHARED_DIR to the folder "
                        "holding flow-gex-data/)")
