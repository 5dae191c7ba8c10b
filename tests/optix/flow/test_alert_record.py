"""ScoredAlert.as_record: the alert_history row of a flow alert, in the GEX record's shape."""

import datetime as dt
import json
import math

import numpy as np

from optix.flow.events import EventType, FlowEvent
from optix.flow.scoring import score_event
from optix.gex.alerts import GexAlert, GexAlertType

GEX_KEYS = set(GexAlert(GexAlertType.PIN_RISK, "SPY", 1, "", 50.0, score_event(
    FlowEvent(EventType.BLOCK, "SPY", None, 1.0, 1, 0, 0, (1,), "option", (), 1, 1.0, 0, 0,
              0.0)).severity, "t", "m").as_record())


def _sweep(**kw):
    args = dict(type=EventType.SWEEP, underlying="SPY", expiry=dt.date(2024, 6, 21),
                strike=450.0, right=1, first_ts_ns=1_000, last_ts_ns=2_000,
                seqs=tuple(range(8)), stream="option", venues=(1, 2, 3), size=800,
                premium=1_200_000.0, side=1, sentiment=1, confidence=0.8, detail={"iso": True})
    args.update(kw)
    return FlowEvent(**args)


def test_record_has_the_gex_shape_plus_ts_ns():
    a = score_event(_sweep())
    r = a.as_record()
    assert set(r) == GEX_KEYS | {"ts_ns"}
    assert r["id"] == a.alert_id and r["source"] == "flow" and r["alert_type"] == "sweep"
    assert r["severity"] == a.severity.name == "CRITICAL"
    assert r["score"] == a.score and r["symbol"] == "SPY" and r["ts_ns"] == 2_000
    assert r["title"] == "SPY sweep 2024-06-21 450C $1.2M bought"
    assert "8 prints on 3 venues" in r["message"] and "bullish" in r["message"]


def test_payload_is_the_event_plus_score_parts_and_strict_json():
    a = score_event(_sweep())
    p = a.as_record()["payload"]
    assert {k: p[k] for k in a.event.as_dict()} == a.event.as_dict()
    assert p["premium_score"] == a.premium_score and p["count_score"] == a.count_score
    assert p["confidence_score"] == a.confidence_score and p["score"] == a.score
    assert p["first_ts_ns"] == 1_000 and p["ts_ns"] == 2_000
    json.dumps(a.as_record(), allow_nan=False)


def test_equity_put_and_nan_values_give_a_valid_record():
    dark = score_event(_sweep(type=EventType.DARK_POOL, expiry=None, strike=math.nan, right=0,
                              stream="equity", size=50_000, premium=2_500_000.0, side=-1,
                              detail={"ratio": np.float64(np.nan), "n": np.int64(3)}))
    r = dark.as_record()
    assert r["title"] == "SPY dark_pool 50,000 sh $2.5M sold"
    assert r["payload"]["strike"] is None and r["payload"]["detail"] == {"ratio": None, "n": 3}
    json.dumps(r, allow_nan=False)
    put = score_event(_sweep(right=-1, strike=97.5, premium=45_000.0, side=0)).as_record()
    assert put["title"] == "SPY sweep 2024-06-21 97.5P $45.0K"
