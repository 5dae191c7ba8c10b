"""GEX engine speed: ``compute_gex`` on an SPX-sized chain and on the shared SPY chain, one core.

Ours: :func:`optix.gex.compute_gex` (per-contract exposure, the 60-level profile with BSM gamma
recomputed at every level and at spot, the flip, and the levels: walls, key gamma strike, max pain
and pin risk per expiry), and its parts :func:`~optix.gex.prepare`, :func:`~optix.gex.profile` and
:func:`~optix.gex.levels`, each timed best of several calls after one warm-up call (so the numba
compile of ``gamma_grid`` is excluded; the first, cold call of the process is given in the note).

Chains: a synthetic SPX-like chain of 10,000 contracts (spot 5,800, 12 expiries from 0DTE to one
year, strikes every 5 points, calls and puts, a skewed smile, open interest heavier near the money,
on round strikes and on monthlies, vendor gamma and delta from :func:`optix.quant.bsm_greeks`; a
fixed seed), and the real SPY CBOE quotedata snapshot of 2025-09-25 (3,716 contracts) from
``shared/flow-gex-data``.

References, measured in the same run:

- the public recipe the seed followed: a per-row pandas ``DataFrame.apply`` computing BS gamma
  exposure with ``scipy.stats.norm`` for the calls and for the puts at each of the 60 levels. It
  is slow, so it is timed on a 500-contract subset (250 strike/expiry rows, call and put; the
  seed's own target was "GEX calculation < 2 seconds for 500 contracts") and scaled per contract.
  It computes the profile only (no exposures by strike, flip or levels);
- a vectorized numpy profile (the 60 x n gamma matrix in plain numpy, no numba) on the full chain.

Both references are checked against our profile before timing (1e-9 relative), so the comparison
is like-for-like: same levels (0.8 S .. 1.2 S), T = business days / 262 floored at 1/262,
r = q = 0, $ per 1 % move at each level, dealers long calls and short puts.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _table import Row, best_of, print_table
from scipy.stats import norm

from optix.core.chains import ChainSnapshot
from optix.data.feed import SourceStats
from optix.data.replay import read_cboe_quotedata
from optix.gex import GexConfig, compute_gex, levels, prepare, profile
from optix.quant import bsm_greeks

SPOT = 5_800.0
AS_OF = pd.Timestamp("2026-03-18 14:30", tz="America/New_York")  # a Wednesday, before the close
# 0DTE, dailies, the March monthly (third Friday), the quarter end, monthlies out to one year
EXPIRIES = ["2026-03-18", "2026-03-19", "2026-03-20", "2026-03-23", "2026-03-27", "2026-03-31",
            "2026-04-17", "2026-05-15", "2026-06-18", "2026-09-18", "2026-12-18", "2027-03-19"]
MONTHLY = {"2026-03-20", "2026-04-17", "2026-05-15", "2026-06-18", "2026-09-18", "2026-12-18",
           "2027-03-19"}
N_CONTRACTS = 10_000
N_REF = 500  # contracts in the per-row reference's subset (the seed's target size)
TARGET_MS = 50.0  # whole compute_gex on the 10k chain


def _shared_data() -> Path:
    """``shared/flow-gex-data`` as the tests find it: $OPTIX_SHARED_DIR, ``shared/`` above the
    checkout, else ``/work/shared``."""
    repo = Path(__file__).resolve().parents[1]
    cands = [Path(os.environ["OPTIX_SHARED_DIR"])] if "OPTIX_SHARED_DIR" in os.environ else []
    cands += [p / "shared" for p in repo.parents] + [Path("/work/shared")]
    for c in cands:
        if (c / "flow-gex-data").is_dir():
            return c / "flow-gex-data"
    return cands[0] / "flow-gex-data"


def _years(as_of_date: np.datetime64, expiry: np.ndarray) -> np.ndarray:
    """T = business days / 262, 0DTE floored at one business day (the public recipe)."""
    t = np.busday_count(as_of_date, expiry.astype("datetime64[D]")) / 262.0
    return np.where(t == 0, 1.0 / 262.0, t)


def synthetic_chain(seed: int = 7) -> ChainSnapshot:
    """SPX-like chain of N_CONTRACTS contracts; call and put of a strike are adjacent rows."""
    rng = np.random.default_rng(seed)
    today = np.datetime64(AS_OF.date(), "D")
    exp = np.array(EXPIRIES, dtype="datetime64[D]")
    t = _years(today, exp)
    # strike range per expiry ~ +-4.5 sigma of a 16 % vol, at least +-3 %; scaled to N_CONTRACTS
    width = np.maximum(4.5 * 0.16 * np.sqrt(t), 0.03)
    pairs = width / width.sum() * (N_CONTRACTS // 2)
    n_k = np.floor(pairs).astype(int)
    n_k[np.argsort(n_k - pairs)[: N_CONTRACTS // 2 - n_k.sum()]] += 1  # largest remainders
    atm = round(SPOT / 5) * 5
    cols: dict[str, list[np.ndarray]] = {c: [] for c in ("expiry", "strike", "t", "monthly")}
    for e, te, m in zip(exp, t, n_k.tolist(), strict=True):
        k = atm + 5.0 * (np.arange(m) - m // 2)
        cols["expiry"].append(np.full(m, e))
        cols["strike"].append(k)
        cols["t"].append(np.full(m, te))
        cols["monthly"].append(np.full(m, str(e) in MONTHLY))
    e, k, t, monthly = (np.repeat(np.concatenate(cols[c]), 2) for c in cols)
    right = np.tile(np.array([1, -1], dtype=np.int8), e.size // 2)
    # smile: ATM term structure, skew and convexity in standardized moneyness
    atm_vol = 0.13 + 0.05 * np.exp(-t * 12.0)
    z = np.log(k / SPOT) / (atm_vol * np.sqrt(t))
    iv = np.clip(atm_vol * (1.0 - 0.10 * z + 0.015 * z * z), 0.06, 1.5)
    iv *= 1.0 + 0.01 * rng.standard_normal(e.size)
    # open interest: near the money and out of it (calls above spot, puts below), on round
    # strikes and monthlies, puts a bit heavier
    bump = np.exp(-0.5 * ((z - np.where(right > 0, 0.7, -1.2)) / 1.5) ** 2) + 0.03
    round_k = 1.0 + 1.5 * (k % 25 == 0) + 2.0 * (k % 100 == 0)
    oi = 4_000 * bump * round_k * np.where(monthly, 3.0, 1.0) * np.where(right < 0, 1.2, 1.0)
    oi = np.floor(oi * rng.lognormal(0.0, 0.6, e.size)).astype(np.int64)
    g = bsm_greeks(SPOT, k, t, 0.0, 0.0, iv, right)
    half = np.maximum(0.05, 0.01 * g.price)
    bid = np.maximum(np.round(g.price - half, 2), 0.0)
    ask = np.round(g.price + half, 2)
    chain = ChainSnapshot.from_columns(
        underlying="SPX", spot=SPOT, as_of_ns=AS_OF.value, expiry=e, strike=k, right=right,
        bid=bid, ask=ask, open_interest=oi, iv=iv, gamma=g.gamma, delta=g.delta)
    v = chain.validate()
    assert len(v.clean) == N_CONTRACTS, f"synthetic chain rejected {len(v.rejected)} rows"
    return v.clean


def spy_chain() -> ChainSnapshot:
    """The shared SPY CBOE snapshot (3,716 contracts)."""
    return read_cboe_quotedata(_shared_data() / "spy_quotedata_snap2025-09-25.csv", SourceStats())


def subset(chain: ChainSnapshot, n: int = N_REF) -> ChainSnapshot:
    """n contracts: n/2 (expiry, strike) rows with their call and put, spread over the chain,
    from expiries still live at the snapshot (so both sides count the same contracts)."""
    today = chain.as_of_date.astype("datetime64[D]")
    key = pd.DataFrame({"e": chain.expiry, "k": chain.strike})
    live = chain.expiry > today
    both = key[live].groupby(["e", "k"]).size()
    both = both[both == 2].index.to_frame(index=False)
    pick = both.iloc[np.linspace(0, len(both) - 1, n // 2).round().astype(int)]
    rows = key.reset_index().merge(pick, on=["e", "k"])["index"].to_numpy()
    return chain.take(np.sort(rows))


# --- reference 1: the public per-row recipe (pandas apply + scipy.stats.norm) ----------------

def _gamma_ex(s: float, k: float, vol: float, t: float, r: float, q: float, is_call: bool,
              oi: float) -> float:
    """$ gamma exposure per 1 % of one row at hypothetical spot s (BS gamma, scalar scipy)."""
    if t == 0 or vol == 0 or vol != vol:
        return 0.0
    sd = vol * np.sqrt(t)
    d1 = (np.log(s / k) + (r - q + 0.5 * vol * vol) * t) / sd
    if is_call:
        gamma = np.exp(-q * t) * norm.pdf(d1) / (s * sd)
    else:  # the put side written with d2, as the recipe does (the same number)
        gamma = k * np.exp(-r * t) * norm.pdf(d1 - sd) / (s * s * sd)
    return oi * 100 * s * s * 0.01 * gamma


def recipe_frame(chain: ChainSnapshot) -> pd.DataFrame:
    """One row per (expiry, strike) with call and put IV and open interest, T in years."""
    long = pd.DataFrame({"expiry": chain.expiry, "strike": chain.strike,
                         "side": np.where(chain.right > 0, "call", "put"),
                         "iv": np.nan_to_num(chain.iv), "oi": chain.open_interest})
    wide = long.pivot_table(index=["expiry", "strike"], columns="side", values=["iv", "oi"],
                            aggfunc="sum", fill_value=0.0)
    wide.columns = [f"{side}_{v}" for v, side in wide.columns]
    wide = wide.reset_index()
    wide["t"] = _years(chain.as_of_date.astype("datetime64[D]"), wide["expiry"].to_numpy())
    return wide


def recipe_profile(df: pd.DataFrame, lv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Call and put (negative) GEX at each level, one ``apply`` per side per level."""
    call, put = [], []
    for s in lv:
        c = df.apply(lambda row, s=s: _gamma_ex(s, row["strike"], row["call_iv"], row["t"], 0.0,
                                                0.0, True, row["call_oi"]), axis=1)
        p = df.apply(lambda row, s=s: _gamma_ex(s, row["strike"], row["put_iv"], row["t"], 0.0,
                                                0.0, False, row["put_oi"]), axis=1)
        call.append(c.sum())
        put.append(-p.sum())
    return np.array(call), np.array(put)


# --- reference 2: plain numpy over the 60 x n matrix ------------------------------------------

def numpy_inputs(chain: ChainSnapshot) -> tuple[np.ndarray, ...]:
    """Strike, T, IV and signed OI of the rows with an IV, from expiries still live."""
    today = chain.as_of_date.astype("datetime64[D]")
    after_close = pd.Timestamp(chain.as_of_ns, unit="ns", tz="UTC").tz_convert(
        "America/New_York").hour >= 16
    live = (chain.expiry > today) | ((chain.expiry == today) & (not after_close))
    ok = live & np.isfinite(chain.iv) & (chain.iv > 0) & (chain.open_interest >= 0)
    w = chain.open_interest[ok] * np.where(chain.right[ok] > 0, 1.0, -1.0)
    return chain.strike[ok], _years(today, chain.expiry[ok]), chain.iv[ok], w


def numpy_profile(k: np.ndarray, t: np.ndarray, iv: np.ndarray, w: np.ndarray,
                  lv: np.ndarray) -> np.ndarray:
    """Total GEX at each level: the (levels x n) BS gamma matrix in plain numpy."""
    sd = iv * np.sqrt(t)
    s = lv[:, None]
    d1 = (np.log(s / k) + 0.5 * iv * iv * t) / sd
    gamma = np.exp(-0.5 * d1 * d1) / (np.sqrt(2.0 * np.pi) * s * sd)
    return (gamma * w).sum(axis=1) * 100.0 * lv * lv * 0.01  # no BLAS: one core


def _close(ours: np.ndarray, ref: np.ndarray, what: str, rtol: float = 1e-9) -> None:
    """Elementwise relative check, with the scale of the whole curve as the floor near 0."""
    err = np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), np.max(np.abs(ref))))
    assert err <= rtol, f"{what}: ours differs from the reference by {err:.2e} relative"


def _time_parts(chain: ChainSnapshot, repeat: int) -> dict[str, float]:
    """Best seconds of compute_gex and of each part (after the caller's warm-up)."""
    exp = prepare(chain)
    return {"whole": best_of(lambda: compute_gex(chain), repeat),
            "prepare": best_of(lambda: prepare(chain), repeat),
            "profile": best_of(lambda: profile(exp), repeat),
            "levels": best_of(lambda: levels(exp), repeat)}


def rows() -> list[Row]:
    cfg = GexConfig()
    spx = synthetic_chain()
    t0 = time.perf_counter()
    res = compute_gex(spx)  # cold: numba load (or compile) of the kernels, pandas paths
    cold_ms = (time.perf_counter() - t0) * 1e3
    spy = spy_chain()
    compute_gex(spy)
    out: list[Row] = []
    for name, chain, repeat in (("SPX-like synthetic", spx, 15), ("SPY CBOE 2025-09-25", spy, 15)):
        n = len(chain)
        lv = np.linspace(cfg.grid_lo * chain.spot, cfg.grid_hi * chain.spot, cfg.levels)
        # reference 1 on the 500-contract subset, checked against our profile of the same rows
        sub = subset(chain)
        df = recipe_frame(sub)
        ref_call, ref_put = recipe_profile(df, lv)
        p_sub = compute_gex(sub).profile
        _close(p_sub.call, ref_call, f"{name}: call profile vs the per-row recipe")
        _close(p_sub.put, ref_put, f"{name}: put profile vs the per-row recipe")
        _close(p_sub.total, ref_call + ref_put, f"{name}: total profile vs the per-row recipe")
        rec_us = best_of(lambda df=df, lv=lv: recipe_profile(df, lv), 2) / len(sub) * 1e6
        # reference 2 on the full chain
        args = numpy_inputs(chain)
        prof = compute_gex(chain).profile
        _close(prof.total, numpy_profile(*args, lv), f"{name}: profile vs numpy")
        np_us = best_of(lambda a=args, lv=lv: numpy_profile(*a, lv), 5) / n * 1e6
        sub_us = best_of(lambda s=sub: compute_gex(s), 15) / len(sub) * 1e6
        parts = _time_parts(chain, repeat)
        whole_ms = parts["whole"] * 1e3
        is_spx = chain is spx
        note = (f"{whole_ms:.1f} ms per chain; first (cold) call {cold_ms:.0f} ms incl. numba "
                f"load/compile; recipe timed on {len(sub)} contracts, scaled" if is_spx else
                f"{whole_ms:.1f} ms per chain; recipe timed on {len(sub)} contracts, scaled")
        out.append(Row(f"compute_gex, {name}", n, parts["whole"] / n * 1e6, rec_us,
                       "pandas apply + scipy, 60 lv", TARGET_MS * 1e3 / N_CONTRACTS if is_spx
                       else None, note))
        for part in ("prepare", "profile", "levels"):
            ref = np_us if part == "profile" else None
            out.append(Row(f"  {part}", n, parts[part] / n * 1e6, ref,
                           "numpy 60 x n matrix" if ref else "",
                           note=f"{parts[part] * 1e3:.2f} ms" + (
                               "; ref: numpy profile only, no heatmap" if ref else "")))
        out.append(Row(f"compute_gex, {name}, {len(sub)} subset", len(sub), sub_us,
                       rec_us, "pandas apply + scipy, 60 lv", 2e6 / N_REF,
                       f"{sub_us * len(sub) / 1e3:.1f} ms vs recipe {rec_us * len(sub) / 1e6:.2f}"
                       f" s; target: the seed's < 2 s for {N_REF} contracts"))
    assert res.flip is not None  # the synthetic chain crosses zero inside the grid
    return out


if __name__ == "__main__":
    print_table(rows(), "GEX engine (benchmarks/gex.py), per contract, one core; "
                        "profiles checked against both references to 1e-9")
