"""Profile, flip and levels pinned on hand-built curves and chains."""

import itertools

import numpy as np
import pandas as pd
import pytest

from optix.core.chains import ChainSnapshot
from optix.gex import FlipRule, GexConfig, Sticky, compute_gex, crossings, max_pain, prepare
from optix.gex.profile import profile
from optix.quant import bsm_greeks

AS_OF = int(pd.Timestamp("2024-03-14 15:00", tz="America/New_York").value)


def chain(rows, spot=100.0):
    """rows: (expiry, strike, right, oi, iv)."""
    cols = list(zip(*rows, strict=True))
    return ChainSnapshot.from_columns(
        underlying="AAA", spot=spot, as_of_ns=AS_OF, expiry=list(cols[0]), strike=list(cols[1]),
        right=list(cols[2]), bid=[1.0] * len(rows), ask=[1.1] * len(rows),
        open_interest=list(cols[3]), iv=list(cols[4]))


def test_crossings_interpolate_linearly_and_ignore_touches():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert crossings(x, np.array([-2.0, 2.0, 3.0, 1.0, -1.0])) == (1.5, 4.5)
    assert crossings(x, np.array([1.0, 0.0, 1.0, 2.0, 3.0])) == ()  # touches zero only
    assert crossings(x, np.array([-1.0, 0.0, 0.0, 1.0, 2.0])) == (2.5,)  # flat zero stretch
    assert crossings(x, np.array([1.0, 2.0, 3.0, 4.0, 5.0])) == ()


def test_profile_is_the_sum_of_bsm_gamma_at_each_level():
    rows = [("2024-03-22", 100.0, 1, 1000, 0.2), ("2024-04-19", 90.0, -1, 2500, 0.3)]
    res = compute_gex(chain(rows))
    p = res.profile
    t = np.busday_count("2024-03-14", ["2024-03-22", "2024-04-19"]) / 262
    g = bsm_greeks(p.levels[:, None], np.array([100.0, 90.0]), t, 0, 0, np.array([0.2, 0.3]),
                   "c").gamma
    expect = (g * np.array([1000.0, -2500.0]) * 100).sum(axis=1) * p.levels ** 2 * 0.01
    assert p.total == pytest.approx(expect, rel=1e-12)
    assert p.call + p.put == pytest.approx(p.total)
    assert p.by_strike.sum(axis=1) == pytest.approx(p.total)
    assert list(p.strikes) == [90.0, 100.0]


def test_flip_rule_first_or_nearest_when_the_profile_crosses_twice():
    # put gamma dominates around 80 and 120, call gamma near 100: - + - over [80, 120]
    rows = [("2024-06-21", 80.0, -1, 30_000, 0.15), ("2024-06-21", 100.0, 1, 10_000, 0.15),
            ("2024-06-21", 120.0, -1, 30_000, 0.15)]
    first = compute_gex(chain(rows, spot=108.0), GexConfig(flip_rule=FlipRule.FIRST)).profile
    near = compute_gex(chain(rows, spot=108.0), GexConfig(flip_rule=FlipRule.NEAREST)).profile
    assert len(first.crossings) == 2
    lo, hi = first.crossings
    assert first.flip == lo and near.flip == hi  # spot 108 is nearer the upper crossing
    assert near.flip_rule is FlipRule.NEAREST


def test_no_sign_change_means_no_flip():
    res = compute_gex(chain([("2024-03-22", 100.0, 1, 1000, 0.2)]))
    assert res.profile.crossings == () and res.flip is None
    assert res.summary()["flip"] is None and res.summary()["flip_distance_pct"] is None


def test_sticky_moneyness_equals_sticky_strike_on_a_flat_smile_and_differs_on_a_skew():
    flat = [("2024-04-19", k, r, 1000 if r > 0 else 400, 0.2) for k in (90.0, 100.0, 110.0)
            for r in (1, -1)]
    a = compute_gex(chain(flat)).profile.total
    b = compute_gex(chain(flat), GexConfig(sticky=Sticky.MONEYNESS)).profile.total
    assert b == pytest.approx(a, rel=1e-12)
    skew = [("2024-04-19", k, r, 1000 if r > 0 else 400, 0.35 - 0.0015 * k)
            for k in (90.0, 100.0, 110.0) for r in (1, -1)]
    c = compute_gex(chain(skew)).profile
    d = compute_gex(chain(skew), GexConfig(sticky=Sticky.MONEYNESS)).profile
    mid = len(c.levels) // 2
    assert not np.allclose(c.total, d.total)
    # at the level nearest spot both read almost the same smile
    assert d.total[mid] == pytest.approx(c.total[mid], rel=0.05)
    assert not np.allclose(c.total[:10], d.total[:10], rtol=1e-3)


def test_max_pain_equals_brute_force_on_random_chains():
    rng = np.random.default_rng(5)
    for _ in range(50):
        k = np.sort(rng.choice(np.arange(50, 151, 5.0), size=12, replace=False))
        kk = np.concatenate([k, k])
        right = np.array([1] * 12 + [-1] * 12)
        oi = rng.integers(0, 5000, size=24)
        pay = [sum(o * (max(p - s, 0) if r > 0 else max(s - p, 0))
                   for s, r, o in zip(kk, right, oi, strict=True)) for p in k]
        assert max_pain(kk, right, oi) == k[int(np.argmin(pay))]
    assert max_pain(np.array([100.0]), np.array([1]), np.array([0])) is None


def test_walls_key_strike_regime_and_hedge_flow():
    rows = [("2024-04-19", 95.0, -1, 4000, 0.2), ("2024-04-19", 98.0, -1, 1000, 0.2),
            ("2024-04-19", 103.0, 1, 1000, 0.2), ("2024-04-19", 106.0, 1, 3000, 0.2),
            ("2024-04-19", 200.0, 1, 90_000, 0.2)]  # far outside +-15 %: never a wall
    res = compute_gex(chain(rows), GexConfig(gamma_source="model"))
    lv = res.levels
    by = res.by_strike().set_index("strike")
    assert lv.call_wall == by.loc[[103.0, 106.0], "call_gex"].idxmax()
    assert lv.put_wall == by.loc[[95.0, 98.0], "put_gex"].idxmin()
    assert lv.key_gamma_strike == by["net_gex"].abs().idxmax()
    tot = res.exposure.totals()
    expect = "positive" if tot["total_gex"] > 0.05 * tot["gross_gex"] else (
        "negative" if tot["total_gex"] < -0.05 * tot["gross_gex"] else "neutral")
    assert lv.regime == expect
    # dealers long gamma sell a rally: hedge flow is -GEX($/1%)
    assert lv.hedge_flow_usd_up_1pct == pytest.approx(-tot["total_gex"])
    assert lv.hedge_flow_shares_up_1pct == pytest.approx(-tot["total_gex"] / 100.0)


def test_regime_is_neutral_inside_the_band():
    rows = [("2024-04-19", 100.0, 1, 1000, 0.2), ("2024-04-19", 100.0, -1, 1010, 0.2)]
    assert compute_gex(chain(rows)).levels.regime == "neutral"
    assert compute_gex(chain(rows), GexConfig(neutral_share=0.0)).levels.regime == "negative"


def test_pin_risk_peaks_at_a_concentrated_strike_at_spot_on_expiry_day():
    strikes = np.arange(90.0, 111.0, 1.0)
    def rows(expiry, big):
        return [(expiry, k, r, 20_000 if k == big else 1000, 0.2) for k in strikes
                for r in (1, -1)]
    today = compute_gex(chain(rows("2024-03-14", 100.0))).levels.pin_risk[0]
    later = compute_gex(chain(rows("2024-03-22", 100.0))).levels.pin_risk[0]
    away = compute_gex(chain(rows("2024-03-14", 102.0))).levels.pin_risk[0]
    assert today.strike == 100.0 and today.business_days == 0
    assert today.score > 75 and later.score < today.score / 5 and away.score < today.score
    flat = [("2024-03-14", k, r, 1000, 0.2) for k in strikes for r in (1, -1)]
    assert compute_gex(chain(flat)).levels.pin_risk[0].score == 0.0


def test_heatmaps_sum_back_to_the_totals(spy_chain):
    res = compute_gex(spy_chain)
    se = res.heatmap_strike_expiry()
    assert se.to_numpy().sum() == pytest.approx(res.exposure.totals()["total_gex"])
    assert se.shape == (288, 11)
    ss = res.heatmap_strike_spot()
    assert ss.sum(axis=1).to_numpy() == pytest.approx(res.profile.total)


@pytest.mark.parametrize("unit,sign", list(itertools.product(["usd_per_1pct", "shares"],
                                                        ["dealer_long_calls_short_puts",
                                                         "dealer_short_calls_long_puts"])))
def test_profile_scales_with_unit_and_sign(spy_chain, unit, sign):
    base = compute_gex(spy_chain).profile
    p = compute_gex(spy_chain, GexConfig(unit=unit, sign=sign)).profile
    scale = 1.0 if unit == "usd_per_1pct" else 1 / (base.levels ** 2 * 0.01)
    s = 1.0 if sign == "dealer_long_calls_short_puts" else -1.0
    assert p.total == pytest.approx(s * scale * base.total, rel=1e-12)
    # dividing by L**2 bends the curve between levels: the interpolated crossing moves a hair
    assert p.crossings == pytest.approx(base.crossings, abs=0.05)


def test_profile_ignores_rows_without_iv(spy_chain):
    e = prepare(spy_chain)
    assert profile(e).by_strike.shape[1] == np.unique(e.strike[~np.isnan(e.iv)]).size


def test_pin_risk_of_an_expiry_without_usable_gamma_takes_its_days_from_the_dates():
    rows = [("2024-03-22", 100.0, 1, 1000, 0.2), ("2024-04-19", 100.0, 1, 5000, np.nan)]
    pins = {p.expiry: p for p in compute_gex(chain(rows)).levels.pin_risk}
    assert pins["2024-04-19"].business_days == np.busday_count("2024-03-14", "2024-04-19")
