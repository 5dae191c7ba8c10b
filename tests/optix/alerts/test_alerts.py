"""The pure alert layer: records, filters, dedup, subscriptions, console lines, persistence."""

import datetime as dt
import io
import logging
import math

import pytest

from optix.alerts import (
    AlertBook,
    AlertFilter,
    ConsoleChannel,
    SeenIds,
    format_alert_line,
    normalize_record,
    parse_severity,
    store_alerts,
)
from optix.flow.events import EventType, FlowEvent
from optix.flow.scoring import Severity, score_event
from optix.gex.alerts import GexAlert, GexAlertType
from optix.store.repositories import AlertRepository


def flow(premium=1_200_000.0, n=8, confidence=0.8, symbol="SPY", kind=EventType.SWEEP, seq0=0):
    ev = FlowEvent(kind, symbol, dt.date(2024, 6, 21), 450.0, 1, 1_000, 2_000 + seq0,
                   tuple(range(seq0, seq0 + n)), "option", (1, 2, 3), 10 * n, premium, 1, 1,
                   confidence)
    return score_event(ev).as_record()


def gex(score=55.0, symbol="SPY", as_of_ns=1_718_900_000_000_000_000, key=""):
    return GexAlert(GexAlertType.FLIP_PROXIMITY, symbol, as_of_ns, key, score,
                    Severity.HIGH if score >= 50 else Severity.MEDIUM,
                    f"{symbol} spot 0.40% from the gamma flip", "message",
                    {"spot": 450.0, "flip": math.nan, "expiry": dt.date(2024, 6, 21)}).as_record()


def test_parse_severity_accepts_names_numbers_and_members():
    assert parse_severity("high") is Severity.HIGH
    assert parse_severity(4) is Severity.CRITICAL
    assert parse_severity(Severity.LOW) is Severity.LOW
    for bad in ("urgent", 9, True, None):
        with pytest.raises(ValueError, match="severity"):
            parse_severity(bad)


def test_normalize_gives_gex_records_a_timestamp_and_json_payload():
    r = normalize_record(gex())
    assert r["ts_ns"] == 1_718_900_000_000_000_000 and r["source"] == "gex"
    assert r["payload"]["flip"] is None and r["payload"]["expiry"] == "2024-06-21"
    f = normalize_record(flow())
    assert f["ts_ns"] == 2_000 and f["severity"] == "CRITICAL"


@pytest.mark.parametrize(("change", "match"), [
    ({"id": None}, "'id'"), ({"id": "x" * 65}, "longer"), ({"source": "web"}, "source"),
    ({"severity": "URGENT"}, "severity"), ({"title": ""}, "title"),
    ({"ts_ns": None, "payload": {}}, "ts_ns"),
])
def test_normalize_rejects_bad_records(change, match):
    with pytest.raises(ValueError, match=match):
        normalize_record({**flow(), **change})


def test_filter_by_severity_symbol_and_type_or_source():
    hi, med = normalize_record(gex(55.0)), normalize_record(gex(35.0, symbol="QQQ"))
    sweep = normalize_record(flow())
    assert AlertFilter().matches(med)
    assert not AlertFilter.of("high").matches(med) and AlertFilter.of("HIGH").matches(hi)
    assert AlertFilter.of(symbols=["QQQ"]).matches(med)
    assert not AlertFilter.of(symbols=["QQQ"]).matches(hi)
    assert AlertFilter.of(types=["sweep"]).matches(sweep)
    assert not AlertFilter.of(types=["sweep"]).matches(hi)
    assert AlertFilter.of(types=["gex"]).matches(hi)
    assert AlertFilter.of("LOW", ["SPY"], ["flip_proximity"]).describe() == {
        "min_severity": "LOW", "symbols": ["SPY"], "types": ["flip_proximity"],
        "min_premium": 0.0, "min_dte": None, "max_dte": None}


def _at(record, day):
    """``record`` stamped at 15:00 New York on ``day`` (19:00 UTC in June)."""
    ts = int(dt.datetime(day.year, day.month, day.day, 19, tzinfo=dt.UTC).timestamp() * 1e9)
    return normalize_record({**record, "ts_ns": ts, "payload": {**record["payload"],
                                                                  "ts_ns": ts}})


def test_filter_by_premium_excludes_alerts_without_one():
    big, small = normalize_record(flow(1_200_000.0)), normalize_record(flow(90_000.0, seq0=50))
    assert AlertFilter.of(min_premium=1e6).matches(big)
    assert not AlertFilter.of(min_premium=1e6).matches(small)
    assert AlertFilter.of(min_premium=90_000.0).matches(small)  # the bound is inclusive
    assert not AlertFilter.of(min_premium=1.0).matches(normalize_record(gex()))
    assert AlertFilter.of(min_premium=0.0).matches(normalize_record(gex()))


def test_filter_by_dte_counts_days_from_the_alerts_new_york_date():
    # expiry 2024-06-21; stamped on the 14th it is 7 days out, on expiry day 0 (0DTE)
    week, zero = _at(flow(), dt.date(2024, 6, 14)), _at(flow(), dt.date(2024, 6, 21))
    assert AlertFilter.of(min_dte=7, max_dte=7).matches(week)
    assert not AlertFilter.of(max_dte=6).matches(week)
    assert not AlertFilter.of(min_dte=8).matches(week)
    assert AlertFilter.of(max_dte=0).matches(zero) and not AlertFilter.of(min_dte=1).matches(zero)
    # 01:00 UTC on the 21st is still the 20th in New York: 1 day out
    late = normalize_record({**flow(), "ts_ns": int(dt.datetime(
        2024, 6, 21, 1, tzinfo=dt.UTC).timestamp() * 1e9)})
    assert AlertFilter.of(min_dte=1, max_dte=1).matches(late)
    no_expiry = normalize_record({**gex(), "payload": {"spot": 450.0, "as_of_ns": 1}})
    assert not AlertFilter.of(max_dte=30).matches(no_expiry)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"min_premium": -1.0}, "min_premium"), ({"min_premium": math.nan}, "min_premium"),
    ({"min_dte": -1}, "min_dte"), ({"min_dte": 5, "max_dte": 2}, "above max_dte"),
])
def test_filter_rejects_bad_bounds(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AlertFilter.of(**kwargs)


def test_seen_ids_are_bounded_oldest_first():
    s = SeenIds(2)
    assert s.add("a") and s.add("b") and not s.add("a")
    assert s.add("c") and "a" not in s and "b" in s and len(s) == 2


def test_book_dedups_within_and_across_batches():
    book = AlertBook()
    a, b = flow(seq0=0), flow(seq0=100)
    assert [r["id"] for r in book.publish([a, a, b])] == [a["id"], b["id"]]
    assert book.publish([b, a]) == []
    st = book.stats()
    assert (st["received"], st["new"], st["duplicates"], st["persisted"]) == (5, 2, 3, 0)
    assert st["by_severity"]["CRITICAL"] == 2


def test_book_counts_store_refusals_as_duplicates_and_forgets_a_failed_batch():
    book = AlertBook()
    a, b = flow(seq0=0), flow(seq0=100)
    assert book.publish([a, b], persist=lambda rs: {rs[1]["id"]}) == [normalize_record(b)]
    assert book.stats()["duplicates"] == 1 and book.stats()["persisted"] == 1

    def boom(rs):
        raise RuntimeError("database down")

    c = flow(seq0=200)
    with pytest.raises(RuntimeError):
        book.publish([c], persist=boom)
    assert book.stats()["received"] == 2
    assert len(book.publish([c], persist=lambda rs: {r["id"] for r in rs})) == 1


def test_bad_record_rejects_the_whole_batch_before_anything_changes():
    book = AlertBook()
    with pytest.raises(ValueError):
        book.publish([flow(), {**flow(seq0=9), "source": "nope"}])
    assert book.stats()["received"] == 0 and len(book.publish([flow()])) == 1


def test_subscriptions_queue_matching_alerts_and_sinks_get_them_live():
    book = AlertBook(max_queue=2)
    got = []
    book.subscribe("live", AlertFilter.of("HIGH"), sink=got.append)
    book.subscribe("qqq", AlertFilter.of(symbols=["QQQ"]))
    book.subscribe("sweeps", AlertFilter.of(types=["sweep"]))
    alerts = [flow(seq0=0), gex(35.0, symbol="QQQ"), flow(symbol="QQQ", seq0=50),
              flow(seq0=100, premium=10_000.0, n=1, confidence=0.1)]
    book.publish(alerts)
    assert [r["id"] for r in got] == [alerts[0]["id"], alerts[2]["id"]]
    assert [r["id"] for r in book.drain("qqq")] == [alerts[1]["id"], alerts[2]["id"]]
    assert book.drain("qqq") == []
    sweeps = book.drain("sweeps")  # three matched, the queue holds two: the oldest dropped
    assert [r["id"] for r in sweeps] == [alerts[2]["id"], alerts[3]["id"]]
    subs = {s["name"]: s for s in book.subscriptions()}
    assert subs["sweeps"]["dropped"] == 1 and subs["live"]["kind"] == "sink"
    assert book.unsubscribe("qqq") and not book.unsubscribe("qqq")
    with pytest.raises(KeyError):
        book.drain("qqq")


def test_a_failing_sink_does_not_stop_the_others():
    book = AlertBook()

    def bad(_r):
        raise RuntimeError("boom")

    book.subscribe("bad", sink=bad)
    book.subscribe("q")
    assert len(book.publish([flow()])) == 1
    assert len(book.drain("q")) == 1
    assert {s["name"]: s["errors"] for s in book.subscriptions()}["bad"] == 1


def test_recent_is_newest_first_and_filtered():
    book = AlertBook(max_recent=3)
    rs = [flow(seq0=i * 10) for i in range(4)] + [gex(35.0, symbol="QQQ")]
    book.publish(rs)
    assert [r["id"] for r in book.recent()] == [rs[4]["id"], rs[3]["id"], rs[2]["id"]]
    assert [r["id"] for r in book.recent(1, symbol="SPY")] == [rs[3]["id"]]
    assert all(r["severity"] == "CRITICAL" for r in book.recent(min_severity="HIGH"))


def test_console_line_and_channel():
    r = normalize_record(flow())
    line = format_alert_line(r)
    assert line.startswith("ALERT CRITICAL [flow] SPY sweep 2024-06-21 450C $1.2M bought score=")
    assert line.endswith(f"id={r['id']}")
    out = io.StringIO()
    logger = logging.getLogger("optix.alerts.test-unconfigured")
    logger.propagate = False
    ConsoleChannel(logger, out)(r)  # nobody would show the log line: printed instead
    assert out.getvalue() == line + "\n"
    seen = io.StringIO()
    shown = logging.getLogger("optix.alerts.test-configured")
    shown.propagate = False
    shown.setLevel(logging.INFO)
    shown.addHandler(logging.StreamHandler(seen))
    out2 = io.StringIO()
    ConsoleChannel(shown, out2)(r)
    assert seen.getvalue() == line + "\n" and out2.getvalue() == ""


def test_store_alerts_inserts_once_on_each_backend(db):
    recs = [normalize_record(flow()), normalize_record(gex())]
    assert store_alerts(db, recs) == {r["id"] for r in recs}
    assert store_alerts(db, recs) == set()
    with db.transaction() as s:
        rows = {a.id: a for a in AlertRepository(s).query()}
    assert set(rows) == {r["id"] for r in recs}
    g = rows[recs[1]["id"]]
    assert g.source == "gex" and g.severity == "HIGH" and g.payload["flip"] is None
    assert g.ts.replace(tzinfo=dt.UTC) == dt.datetime(2024, 6, 20, 16, 13, 20, tzinfo=dt.UTC)
