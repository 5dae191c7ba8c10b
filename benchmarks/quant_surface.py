"""Volatility surfaces: SVI/SSVI calibration and implied/local-vol evaluation beside QuantLib.

Data: the four liquid expiries of the CBOE SPY snapshot in the shared folder (OTM quotes within
-2.5..+1.5 ATM sd, vendor IVs), or, if that file is absent, the same number of quotes from a
known SVI surface with 20 bp noise. QuantLib references, same run: ``SviInterpolatedSmileSection``
(Levenberg-Marquardt SVI calibration in vol space) for a slice fit; ``BlackVarianceSurface``
(bicubic on a 0.5-strike x 4-day grid sampled from our surface) and ``LocalVolSurface`` on it
for per-point evaluation, called point by point from Python as a QuantLib user would.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import QuantLib as ql
from _table import Row, best_of, print_table

from optix.quant.surface import SviParams, VolSurface, fit_chain, fit_svi

TODAY = ql.Date(25, 9, 2025)
DC = ql.Actual365Fixed()
LIQUID = ("2025-10-03", "2025-10-10", "2025-10-17", "2025-10-31")


def _spy_file() -> Path | None:
    roots = [Path(os.environ["OPTIX_SHARED_DIR"])] if "OPTIX_SHARED_DIR" in os.environ else []
    here = Path(__file__).resolve().parent
    roots += [p / "shared" for p in here.parents] + [Path("/work/shared")]
    for r in roots:
        f = r / "flow-gex-data" / "spy_quotedata_snap2025-09-25.csv"
        if f.is_file():
            return f
    return None


def _chain():
    """(S, r, K, T, iv, right, source) of the liquid SPY expiries, or a synthetic stand-in."""
    path = _spy_file()
    if path is None:
        truth = [SviParams(-0.0008, 0.016, 0.13, 0.039, 0.064),
                 SviParams(-0.0010, 0.024, 0.11, 0.041, 0.059),
                 SviParams(-0.0015, 0.033, 0.08, 0.045, 0.066),
                 SviParams(-0.0017, 0.040, -0.09, 0.043, 0.076)]
        ts = np.array([0.0213, 0.0405, 0.0597, 0.0980])
        S, r = 658.34, 0.0407
        rng = np.random.default_rng(1)
        K, T, iv, right = [], [], [], []
        for t, p, n in zip(ts, truth, (48, 67, 84, 112), strict=True):
            k = np.linspace(-2.5, 1.5, n) * 0.13 * math.sqrt(t)
            K.append(S * math.exp(r * t) * np.exp(k))
            T.append(np.full(n, t))
            iv.append(p.implied_vol(k, t) + 0.002 * rng.standard_normal(n))
            right.append(np.where(k < 0, -1.0, 1.0))
        return S, r, *(np.concatenate(x) for x in (K, T, iv, right)), "synthetic SVI"
    from optix.data.feed import SourceStats
    from optix.data.replay import read_cboe_quotedata

    snap = read_cboe_quotedata(path, SourceStats())
    as_of = pd.Timestamp(snap.as_of_ns, tz="UTC")
    close = (pd.to_datetime(snap.expiry.astype(str)).tz_localize("America/New_York")
             + pd.Timedelta(hours=16))
    t_all = (close - as_of).total_seconds().to_numpy() / (365.0 * 86400.0)
    keep = np.isin(snap.expiry.astype(str), LIQUID)
    # Effective spot and carry from put-call parity (see tests/optix/quant/test_surface.py).
    return (658.3408, 0.040658, snap.strike[keep], t_all[keep], snap.iv[keep],
            snap.right[keep].astype(np.float64), "SPY 2025-09-25")


def _ql_black_surface(surf: VolSurface) -> tuple[ql.BlackVarianceSurface, ql.LocalVolSurface]:
    ql.Settings.instance().evaluationDate = TODAY
    dates = [TODAY + ql.Period(d, ql.Days) for d in range(2, 60)]
    times = np.array([DC.yearFraction(TODAY, d) for d in dates])
    strikes = np.arange(560.0, 720.5, 0.5)
    vols = surf.implied_vol(strikes[:, None], times[None, :])
    matrix = ql.Matrix(len(strikes), len(dates))
    for i in range(len(strikes)):
        for j in range(len(dates)):
            matrix[i][j] = float(vols[i, j])
    bvs = ql.BlackVarianceSurface(TODAY, ql.NullCalendar(), dates, list(strikes), matrix, DC)
    bvs.setInterpolation("bicubic")
    bvs.enableExtrapolation()
    rts = ql.YieldTermStructureHandle(ql.FlatForward(TODAY, surf.r, DC))
    qts = ql.YieldTermStructureHandle(ql.FlatForward(TODAY, surf.q, DC))
    lvs = ql.LocalVolSurface(ql.BlackVolTermStructureHandle(bvs), rts, qts,
                             ql.QuoteHandle(ql.SimpleQuote(surf.spot)))
    lvs.enableExtrapolation()
    return bvs, lvs


def rows() -> list[Row]:
    S, r, K, tt, iv, right, source = _chain()
    out: list[Row] = []

    # --- one slice: the monthly expiry --------------------------------------------------
    t17 = float(np.unique(tt)[2])
    F = S * math.exp(r * t17)
    m = (tt == t17) & (iv > 0) & np.where(right > 0, K >= F, K < F)
    k = np.log(K[m] / F)
    atm = iv[m][np.argmin(np.abs(k))]
    z = k / (atm * math.sqrt(t17))
    sel = (z >= -2.5) & (z <= 1.5)
    k, vols, strikes = k[sel], iv[m][sel], K[m][sel]
    order = np.argsort(strikes)
    k, vols, strikes = k[order], vols[order], strikes[order]
    w = vols**2 * t17
    fit_svi(k, w, T=t17)  # compile / load the numba cache
    raw = fit_svi(k, w, T=t17, no_arbitrage=False)
    t_raw = best_of(lambda: fit_svi(k, w, T=t17, no_arbitrage=False), 10)
    clean = fit_svi(k, w, T=t17)
    t_clean = best_of(lambda: fit_svi(k, w, T=t17), 10)

    ql.Settings.instance().evaluationDate = TODAY
    exp_date = TODAY + round(t17 * 365)

    def ql_fit() -> ql.SviInterpolatedSmileSection:
        sec = ql.SviInterpolatedSmileSection(
            exp_date, float(F), [float(x) for x in strikes], False, float(atm),
            [float(v) for v in vols], 0.05 * atm**2 * t17, 0.1, 0.1, -0.5, 0.0,
            False, False, False, False, False, False)
        sec.volatility(float(F))  # the calibration runs on first use
        return sec

    sec = ql_fit()
    t_ql = best_of(ql_fit, 10)
    ql_rmse = math.sqrt(np.mean([(sec.volatility(float(x)) - v) ** 2
                                 for x, v in zip(strikes, vols, strict=True)]))
    note = f"{source}, {k.size} quotes, numba; ours multi-start global, QL one LM run"
    out.append(Row("SVI slice fit, least squares", 1, t_raw * 1e6, t_ql * 1e6,
                   "ql.SviInterpolatedSmileSection",
                   note=f"{note}; IV RMSE ours {raw.rmse_iv * 1e4:.1f} bp (min g "
                        f"{raw.min_g:.2g}), QL {ql_rmse * 1e4:.1f} bp"))
    out.append(Row("SVI slice fit, butterfly-free", 1, t_clean * 1e6, t_ql * 1e6,
                   "ql.SviInterpolatedSmileSection",
                   note=f"{note}; IV RMSE {clean.rmse_iv * 1e4:.1f} bp, min g "
                        f"{clean.min_g:.2g} (QL: not enforced)"))

    # --- whole chain: per-expiry SVI with calendar floors, and SSVI ----------------------
    def chain(model: str):
        return fit_chain(S, K, tt, r, 0.0, iv, right, model=model, moneyness_sd=(-2.5, 1.5))

    svi_chain = chain("svi")
    t_chain = best_of(lambda: chain("svi"), 3)
    ssvi_chain = chain("ssvi")
    t_ssvi = best_of(lambda: chain("ssvi"), 3)
    ssvi = ssvi_chain.ssvi_fit
    assert ssvi is not None
    out.append(Row("chain -> SVI surface (4 expiries), arb-free", 1, t_chain * 1e6, None, "-",
                   note=f"{svi_chain.n_used} quotes; "
                        f"arbitrage-free: {svi_chain.arbitrage.arbitrage_free}, numba"))
    out.append(Row("chain -> SSVI surface (SVI thetas + joint fit)", 1, t_ssvi * 1e6, None, "-",
                   note=f"IV RMSE {ssvi.rmse_iv * 1e4:.0f} bp; GJ conditions "
                        f"{ssvi.conditions.arbitrage_free}; no QuantLib SSVI"))

    # --- evaluation per point ------------------------------------------------------------
    surf = svi_chain.surface
    bvs, lvs = _ql_black_surface(surf)
    rng = np.random.default_rng(3)
    n = 100_000
    Kq = rng.uniform(600.0, 700.0, n)
    Tq = rng.uniform(0.025, 0.095, n)
    ours_iv = best_of(lambda: surf.implied_vol(Kq, Tq), 5) / n * 1e6
    ours_lv = best_of(lambda: surf.local_vol(Kq, Tq), 5) / n * 1e6
    ns = 2000
    pts = [(float(t), float(kk)) for t, kk in zip(Tq[:ns], Kq[:ns], strict=True)]
    ql_iv = best_of(lambda: [bvs.blackVol(t, kk) for t, kk in pts], 3) / ns * 1e6
    ql_lv = best_of(lambda: [lvs.localVol(t, kk) for t, kk in pts], 3) / ns * 1e6
    # Agreement away from the fitted expiries (QuantLib's bicubic-in-T rounds off the kinks
    # of our piecewise-linear total variance there, ringing for a few days either side).
    away = np.min(np.abs(Tq[:ns, None] - surf.expiries[None, :]), axis=1) > 5.0 / 365.0
    lv_ref = np.array([lvs.localVol(t, kk) for t, kk in pts])
    dev = np.abs(lv_ref / surf.local_vol(Kq[:ns], Tq[:ns]) - 1.0)
    iv_ref = np.array([bvs.blackVol(t, kk) for t, kk in pts])
    dev_iv = np.abs(iv_ref / surf.implied_vol(Kq[:ns], Tq[:ns]) - 1.0)
    out.append(Row("implied_vol(K, T), SVI surface", n, ours_iv, ql_iv,
                   "ql.BlackVarianceSurface",
                   note=f"numpy batch vs per-point QL; rel diff median {np.median(dev_iv):.0e}"
                        f", max {dev_iv[away].max():.0e} >5d from expiries"))
    out.append(Row("local_vol(K, T), SVI surface (Dupire)", n, ours_lv, ql_lv,
                   "ql.LocalVolSurface",
                   note=f"numpy batch vs per-point QL; rel diff median {np.median(dev):.0e}, "
                        f"max {dev[away].max():.0e} >5d from expiries"))
    one = best_of(lambda: surf.local_vol(650.0, 0.05), 200) * 1e6
    out.append(Row("local_vol, one point per call", 1, one, ql_lv, "ql.LocalVolSurface",
                   note="Python call overhead on both sides"))
    return out


if __name__ == "__main__":
    print_table(rows(), "Volatility surfaces (benchmarks/quant_surface.py)")
