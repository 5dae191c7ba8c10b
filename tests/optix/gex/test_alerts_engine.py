"""GEX alerts (each rule on both sides of its threshold) and the stateful engine."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from optix.core.chains import ChainSnapshot
from optix.flow.scoring import Severity
from optix.gex import (
    GexAlertConfig,
    GexAlertType,
    GexConfig,
    GexEngine,
    GexEngineConfig,
    SignConvention,
    compute_gex,
    gex_alerts,
)

AS_OF = int(pd.Timestamp("2024-03-14 15:00", tz="America/New_York").value)
MIN = 60 * 10**9


def chain(rows, spot=100.0, as_of=AS_OF, underlying="AAA"):
    """rows: (expiry, strike, right, oi, iv)."""
    cols = list(zip(*rows, strict=True))
    return ChainSnapshot.from_columns(
        underlying=underlying, spot=spot, as_of_ns=as_of, expiry=list(cols[0]),
        strike=list(cols[1]), right=list(cols[2]), bid=[1.0] * len(rows),
        ask=[1.1] * len(rows), open_interest=list(cols[3]), iv=list(cols[4]))


def types(alerts):
    return [a.type for a in alerts]


def test_flip_proximity_fires_within_the_limit_only(spy_chain):
    res = compute_gex(spy_chain)  # flip 668.5, spot 658.05: 1.59 % away
    dist = abs(res.flip / res.spot - 1) * 100
    near = GexConfig(alerts=GexAlertConfig(flip_proximity_pct=dist + 0.01))
    far = GexConfig(alerts=GexAlertConfig(flip_proximity_pct=dist - 0.01))
    assert GexAlertType.FLIP_PROXIMITY in types(gex_alerts(compute_gex(spy_chain, near)))
    assert GexAlertType.FLIP_PROXIMITY not in types(gex_alerts(compute_gex(spy_chain, far)))


def test_concentration_fires_at_its_share():
    rows = [("2024-04-19", 100.0, 1, 3000, 0.2), ("2024-04-19", 110.0, 1, 1000, 0.2)]
    res = compute_gex(chain(rows))
    by = res.by_strike()
    share = by["net_gex"].abs().max() / by["net_gex"].abs().sum()
    on = compute_gex(chain(rows), GexConfig(alerts=GexAlertConfig(concentration_share=share)))
    off = compute_gex(chain(rows), GexConfig(
        alerts=GexAlertConfig(concentration_share=min(share + 1e-6, 1.0))))
    (a,) = [x for x in gex_alerts(on) if x.type is GexAlertType.CONCENTRATION]
    assert a.key == "100" and a.detail["share"] == pytest.approx(share)
    assert GexAlertType.CONCENTRATION not in types(gex_alerts(off))


def test_pin_risk_needs_the_score_and_few_days_left():
    strikes = np.arange(90.0, 111.0, 1.0)
    rows = [("2024-03-14", k, r, 20_000 if k == 100.0 else 1000, 0.2) for k in strikes
            for r in (1, -1)]
    res = compute_gex(chain(rows))
    (pin,) = [a for a in gex_alerts(res) if a.type is GexAlertType.PIN_RISK]
    assert pin.key == "2024-03-14@100" and pin.score == pytest.approx(
        res.levels.pin_risk[0].score)
    assert pin.severity is Severity.CRITICAL
    strict = GexConfig(alerts=GexAlertConfig(pin_score=pin.score + 0.1))
    assert GexAlertType.PIN_RISK not in types(gex_alerts(compute_gex(chain(rows), strict)))
    later = [("2024-03-19", *r[1:]) for r in rows]  # 3 business days: over pin_days = 1
    assert GexAlertType.PIN_RISK not in types(gex_alerts(compute_gex(chain(later))))


def test_regime_change_against_the_previous_snapshot(spy_chain):
    res = compute_gex(spy_chain)  # negative
    (a,) = [x for x in gex_alerts(res, "positive") if x.type is GexAlertType.REGIME_CHANGE]
    assert a.key == "positive->negative" and a.severity is Severity.HIGH
    assert GexAlertType.REGIME_CHANGE not in types(gex_alerts(res, "negative"))
    assert GexAlertType.REGIME_CHANGE not in types(gex_alerts(res, None))


def test_destabilizing_fires_on_strong_negative_gamma_below_the_flip(spy_chain):
    res = compute_gex(spy_chain)  # net -3.9 of gross 15.7 bn: 24.9 %, spot below flip
    tot = res.exposure.totals()
    share = abs(tot["total_gex"]) / tot["gross_gex"]
    on = GexConfig(alerts=GexAlertConfig(destabilizing_share=share))
    off = GexConfig(alerts=GexAlertConfig(destabilizing_share=share + 1e-6))
    (a,) = [x for x in gex_alerts(compute_gex(spy_chain, on))
            if x.type is GexAlertType.DESTABILIZING]
    assert a.detail["hedge_flow_usd_up_1pct"] > 0  # short gamma dealers buy a rally
    assert GexAlertType.DESTABILIZING not in types(gex_alerts(compute_gex(spy_chain, off)))
    inverse = compute_gex(spy_chain, dataclasses.replace(on, sign=SignConvention.INVERSE))
    assert GexAlertType.DESTABILIZING not in types(gex_alerts(inverse))  # positive gamma


def test_alert_records_fit_alert_history_and_ids_are_deterministic(spy_chain):
    cfg = GexConfig(alerts=GexAlertConfig(flip_proximity_pct=2.0))
    a = gex_alerts(compute_gex(spy_chain, cfg), "positive")
    b = gex_alerts(compute_gex(spy_chain, cfg), "positive")
    assert [x.alert_id for x in a] == [x.alert_id for x in b]
    assert len({x.alert_id for x in a}) == len(a) >= 2
    for x in a:
        rec = x.as_record()
        assert rec["source"] == "gex" and rec["severity"] in Severity.__members__
        assert len(rec["id"]) <= 64 and len(rec["title"]) <= 200
        json.dumps(rec)


def _flat_chain(as_of, spot, underlying="AAA"):
    rows = [("2024-06-21", k, r, 1000 if r > 0 else 3000, 0.2) for k in (90.0, 100.0, 110.0)
            for r in (1, -1)]
    return chain(rows, spot=spot, as_of=as_of, underlying=underlying)


def test_engine_alerts_on_edges_not_every_snapshot():
    eng = GexEngine(GexEngineConfig(gex=GexConfig(
        alerts=GexAlertConfig(destabilizing_share=0.01))))
    first = eng.update(_flat_chain(AS_OF, 100.0), AS_OF)
    assert GexAlertType.DESTABILIZING in types(first)
    again = eng.update(_flat_chain(AS_OF + MIN, 100.0), AS_OF + MIN)
    assert GexAlertType.DESTABILIZING not in types(again)  # still holding: no repeat
    assert len(eng.history("AAA")) == 2


def test_engine_regime_change_and_history_heatmap():
    eng = GexEngine()
    calls_only = chain([("2024-06-21", 100.0, 1, 1000, 0.2)], as_of=AS_OF)
    puts_only = chain([("2024-06-21", 100.0, -1, 1000, 0.2)], as_of=AS_OF + MIN)
    eng.update(calls_only, AS_OF)
    alerts = eng.update(puts_only, AS_OF + MIN)
    assert [a.key for a in alerts if a.type is GexAlertType.REGIME_CHANGE] == [
        "positive->negative"]
    h = eng.history("AAA")
    assert h["regime"].tolist() == ["positive", "negative"]
    hm = eng.history_heatmap("AAA")
    assert hm.shape == (2, 1) and hm.iloc[0, 0] > 0 > hm.iloc[1, 0]


def test_engine_snapshot_restore_continues_identically():
    snaps = [_flat_chain(AS_OF + i * MIN, 100.0 + 2 * np.sin(i), u) for i in range(6)
             for u in ("AAA", "BBB")]
    cfg = GexEngineConfig(gex=GexConfig(alerts=GexAlertConfig(flip_proximity_pct=5.0)))
    whole = GexEngine(cfg)
    ids = [a.alert_id for s in snaps for a in whole.update(s, s.as_of_ns)]
    part = GexEngine(cfg)
    got = [a.alert_id for s in snaps[:5] for a in part.update(s, s.as_of_ns)]
    part = GexEngine.restore(json.loads(json.dumps(part.snapshot())), cfg)
    got += [a.alert_id for s in snaps[5:] for a in part.update(s, s.as_of_ns)]
    assert got == ids and len(ids) >= 2
    assert part.history("AAA").equals(whole.history("AAA"))
    with pytest.raises(ValueError, match="version"):
        GexEngine.restore({"version": 99, "underlyings": {}})


def test_engine_keeps_the_reason_a_chain_was_unusable_and_bounds_history():
    eng = GexEngine(GexEngineConfig(history=3))
    bad = chain([("2024-06-21", 100.0, 1, 1000, np.nan)])
    assert eng.update(bad, AS_OF) == []
    assert "no contract has a usable gamma" in eng.errors["AAA"]
    for i in range(5):
        eng.update(_flat_chain(AS_OF + i * MIN, 100.0), AS_OF)
    assert "AAA" not in eng.errors and len(eng.history("AAA")) == 3
    assert eng.latest("AAA") is not None and eng.latest("ZZZ") is None
    with pytest.raises(ValueError, match="history"):
        GexEngineConfig(history=0)
