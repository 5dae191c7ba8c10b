"""The shared SPY chain reproduces the reference numbers of shared/flow-gex-data/README.md.

Classic convention: $ per 1 % move, calls +, puts -, vendor (CBOE) gamma for the totals; BS
gamma with r = q = 0 and T = business days / 262 (0DTE at 1/262) for the profile.
"""

import pytest

from optix.gex import GexConfig, compute_gex


@pytest.fixture(scope="module")
def result(spy_chain):
    return compute_gex(spy_chain, GexConfig())


def test_totals_match_the_reference_within_a_tenth_of_a_percent(result):
    s = result.summary()
    assert result.spot == 658.05
    assert s["total_gex"] == pytest.approx(-3.918e9, rel=1e-3)
    assert s["call_gex"] == pytest.approx(5.913e9, rel=1e-3)
    assert s["put_gex"] == pytest.approx(-9.830e9, rel=1e-3)


def test_per_strike_exposure_matches_the_reference(result):
    by = result.by_strike().set_index("strike")
    assert by.loc[650.0, "net_gex"] == pytest.approx(-597.8e6, rel=1e-3)
    assert by.loc[650.0, "call_gex"] == pytest.approx(211.6e6, rel=1e-3)
    assert by.loc[650.0, "put_gex"] == pytest.approx(-809.4e6, rel=1e-3)
    assert (by.loc[650.0, "call_oi"], by.loc[650.0, "put_oi"]) == (31_603, 110_820)
    assert by.loc[660.0, "net_gex"] == pytest.approx(-150.0e6, rel=1e-3)
    assert by.loc[665.0, "net_gex"] == pytest.approx(345.2e6, rel=1e-3)
    assert by.loc[670.0, "net_gex"] == pytest.approx(770.9e6, rel=1e-3)
    assert (by.loc[670.0, "call_oi"], by.loc[670.0, "put_oi"]) == (92_758, 5_215)


def test_profile_at_spot_and_flip_match_the_reference(result):
    assert result.profile.at_spot == pytest.approx(-4.22e9, rel=5e-3)
    assert result.flip == pytest.approx(668.5, abs=0.5)
    assert result.profile.crossings == (pytest.approx(668.5, abs=0.5),)
    assert len(result.profile.levels) == 60
    assert result.profile.levels[0] == pytest.approx(0.8 * 658.05)
    assert result.profile.levels[-1] == pytest.approx(1.2 * 658.05)


def test_max_pain_and_walls_are_exact(result):
    assert result.nearest_max_pain == 662.0
    assert result.levels.call_wall == 670.0
    assert result.levels.put_wall == 655.0
    assert result.levels.regime == "negative"


def test_rows_without_iv_are_counted_not_silently_dropped(result):
    # 469 CBOE rows carry IV 0: they count in the totals (vendor gamma) but not the profile
    assert result.exposure.skipped == {"no_iv": 469}
    assert len(result.exposure) == 3716
