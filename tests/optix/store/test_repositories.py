import datetime as dt

import numpy as np
import pytest

from optix.core import ChainSnapshot
from optix.store.models import AlertHistory, ApiKey, GexSnapshot, Position, Trade, User
from optix.store.repositories import (
    AlertRepository,
    ApiKeyRepository,
    AuditLogRepository,
    GexSnapshotRepository,
    HistoricalGexRepository,
    OptionDataRepository,
    PositionRepository,
    TradeRepository,
    UserRepository,
    hash_api_key,
)

T = dt.datetime(2025, 9, 25, 14, 0, tzinfo=dt.UTC)


def _alert(i: int, severity: str, alert_type: str = "sweep", symbol: str = "SPY"):
    return AlertHistory(id=f"id{i}", ts=T + dt.timedelta(minutes=i), source="flow",
                        alert_type=alert_type, severity=severity, symbol=symbol, title=f"a{i}")


def test_alert_record_is_idempotent_on_its_deterministic_id(db):
    with db.transaction() as s:
        repo = AlertRepository(s)
        assert repo.record(_alert(1, "HIGH")) is True
        assert repo.record(_alert(1, "HIGH")) is False
        assert repo.count() == 1


def test_alert_query_filters_by_minimum_severity_type_symbol_and_time(db):
    with db.transaction() as s:
        repo = AlertRepository(s)
        for i, sev in enumerate(["INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]):
            repo.record(_alert(i, sev))
        repo.record(_alert(10, "CRITICAL", alert_type="gamma_flip", symbol="QQQ"))
    with db.transaction() as s:
        repo = AlertRepository(s)
        assert [a.severity for a in repo.query(min_severity="HIGH", symbol="SPY")] == [
            "CRITICAL", "HIGH"]
        assert [a.id for a in repo.query(alert_types=["gamma_flip"])] == ["id10"]
        assert len(repo.query(since=T + dt.timedelta(minutes=3))) == 3
        assert repo.acknowledge("id3", T) is True
        assert repo.acknowledge("missing", T) is False
        assert repo.get("id3").acknowledged_at == T
        with pytest.raises(ValueError, match="min_severity"):
            repo.query(min_severity="SEVERE")


def test_trade_and_position_queries(db):
    with db.transaction() as s:
        trades = TradeRepository(s)
        t1 = trades.add(Trade(symbol="SPY", strategy="pcs", status="open", opened_at=T))
        trades.add(Trade(symbol="SPY", strategy="pcs", status="closed", opened_at=T,
                         closed_at=T + dt.timedelta(days=3), pnl=120.0))
        trades.add(Trade(symbol="QQQ", strategy="ic", status="open",
                         opened_at=T + dt.timedelta(days=1)))
        PositionRepository(s).add(Position(
            trade_id=t1.id, option_symbol="SPY251031P00640000", underlying="SPY",
            option_type="P", strike=640.0, expiration=dt.date(2025, 10, 31), side="short",
            quantity=2, entry_price=2.4, opened_at=T))
    with db.transaction() as s:
        trades = TradeRepository(s)
        assert len(trades.by_symbol("SPY")) == 2
        assert len(trades.by_symbol("SPY", start=T + dt.timedelta(hours=1))) == 0
        assert [t.symbol for t in trades.with_status("open")] == ["SPY", "QQQ"]
        closed = trades.closed_between(T, T + dt.timedelta(days=7))
        assert [t.pnl for t in closed] == [120.0]
        positions = PositionRepository(s)
        assert [p.quantity for p in positions.open_positions("SPY")] == [2]
        assert len(positions.for_trade(t1.id)) == 1


def test_chain_snapshot_is_stored_in_bulk_and_read_back(db):
    as_of = int(np.datetime64("2025-09-25T20:00:00", "ns").astype(np.int64))
    chain = ChainSnapshot.from_columns(
        underlying="SPY", spot=658.05, as_of_ns=as_of,
        expiry=["2025-10-01", "2025-10-01"], strike=[500.0, 670.0], right=["P", "C"],
        bid=[0.01, 3.1], ask=[0.02, 3.2], open_interest=[27000, 92758], volume=[10, 5000],
        iv=[0.55, np.nan], gamma=[0.0001, 0.02],
    )
    with db.transaction() as s:
        repo = OptionDataRepository(s)
        assert repo.add_chain(chain, source="cboe") == 2
        assert repo.add_chain(chain, source="cboe") == 0  # same snapshot again: no duplicates
    with db.transaction() as s:
        repo = OptionDataRepository(s)
        ts = repo.latest_ts("SPY")
        rows = repo.chain_at("SPY", ts)
        assert [r.option_symbol for r in rows] == ["SPY251001P00500000", "SPY251001C00670000"]
        assert rows[1].implied_volatility is None and rows[1].gamma == 0.02
        assert rows[1].open_interest == 92758


def test_snapshot_time_is_truncated_to_the_microsecond_like_pandas(db):
    import pandas as pd

    from optix.store.repositories.analytics import ns_to_datetime

    rng = np.random.default_rng(3)
    for ns in rng.integers(1_700_000_000 * 10**9, 1_800_000_000 * 10**9, 1000):
        expected = pd.Timestamp(int(ns), tz="UTC").floor("us").to_pydatetime()
        assert ns_to_datetime(int(ns)) == expected


def test_gex_latest_and_range(db):
    with db.transaction() as s:
        repo = GexSnapshotRepository(s)
        for i in range(3):
            repo.add(GexSnapshot(symbol="SPY", ts=T + dt.timedelta(minutes=5 * i), spot=658.0,
                                 total_gex=float(i), call_gex=1.0, put_gex=-1.0,
                                 unit="usd_per_1pct", sign_convention="classic"))
    with db.transaction() as s:
        repo = GexSnapshotRepository(s)
        assert repo.latest("SPY").total_gex == 2.0
        assert repo.latest("QQQ") is None
        assert len(repo.between("SPY", T, T + dt.timedelta(minutes=10))) == 2


def test_historical_gex_upsert_replaces_the_day(db):
    day = dt.date(2025, 9, 25)
    with db.transaction() as s:
        repo = HistoricalGexRepository(s)
        repo.upsert_day("SPY", day, spot_open=655.0, total_gex_close=-1.0, snapshot_count=1)
        repo.upsert_day("SPY", day, total_gex_close=-3.9e9, snapshot_count=12)
        repo.upsert_day("SPY", day + dt.timedelta(days=1), total_gex_close=1.0)
    with db.transaction() as s:
        rows = HistoricalGexRepository(s).between("SPY", day, day + dt.timedelta(days=1))
        assert [(r.total_gex_close, r.snapshot_count) for r in rows] == [(-3.9e9, 12), (1.0, 0)]
        assert rows[0].spot_open == 655.0  # a column the update did not name keeps its value
        with pytest.raises(ValueError, match="unknown historical_gex_data columns"):
            HistoricalGexRepository(s).upsert_day("SPY", day, total_gamma=1.0)


def test_api_keys_are_stored_hashed_and_verified(db):
    with db.transaction() as s:
        user = UserRepository(s).add(User(username="ana", role="trader"))
        keys = ApiKeyRepository(s)
        raw, record = keys.issue(user, "laptop", scopes=["read"],
                                 expires_at=T + dt.timedelta(days=1))
        expired_raw, _ = keys.issue(user, "old", expires_at=T - dt.timedelta(days=1))
        revoked_raw, revoked = keys.issue(user, "revoked")
        keys.revoke(revoked.id, T)
        key_id = record.id
    assert raw.startswith("optx_") and len(raw) > 40
    with db.transaction() as s:
        keys = ApiKeyRepository(s)
        stored = keys.get(key_id)
        assert len(stored.salt) == 32 and stored.prefix == raw[:11]
        assert stored.key_hash == hash_api_key(raw, stored.salt) and raw not in stored.key_hash
        assert stored.key_hash != hash_api_key(raw, "")  # salted, not a plain sha256
        assert keys.verify(raw, T).id == key_id
        assert keys.get(key_id).last_used_at == T
        assert keys.verify(raw + "x", T) is None
        assert keys.verify(expired_raw, T) is None
        assert keys.verify(revoked_raw, T) is None
        assert UserRepository(s).by_username("ana").api_keys[0].name in {"laptop", "old",
                                                                          "revoked"}


def test_api_keys_get_their_own_salt_and_reject_unknown_roles(db):
    with db.transaction() as s:
        user = UserRepository(s).add(User(username="ana"))
        keys = ApiKeyRepository(s)
        _, a = keys.issue(user, "a", scopes=["read", "trade"])
        _, b = keys.issue(user, "b")
        assert a.salt != b.salt
        with pytest.raises(ValueError, match="unknown roles"):
            keys.issue(user, "c", scopes=["root"])


def test_keys_issued_before_salts_still_verify(db):
    import hashlib

    raw = "optx_" + "legacy-key-for-the-test-only-0123456789abc"
    with db.transaction() as s:
        user = UserRepository(s).add(User(username="old"))
        ApiKeyRepository(s).add(ApiKey(user_id=user.id, name="old", prefix=raw[:11],
                                       key_hash=hashlib.sha256(raw.encode()).hexdigest()))
    with db.transaction() as s:
        key = ApiKeyRepository(s).verify(raw, T)
        assert key is not None and key.salt == ""


def test_api_keys_are_found_by_prefix_or_id_and_listed_per_user(db):
    with db.transaction() as s:
        users = UserRepository(s)
        ana, bob = users.add(User(username="ana")), users.add(User(username="bob"))
        keys = ApiKeyRepository(s)
        raw, rec = keys.issue(ana, "a")
        keys.issue(bob, "b")
        assert [k.id for k in keys.find(raw[:11])] == [rec.id]
        assert [k.id for k in keys.find(str(rec.id))] == [rec.id]
        assert keys.find("optx_nope00") == []
        assert [k.name for k in keys.for_user(ana)] == ["a"]
        assert len(keys.for_user()) == 2


def test_inactive_user_keys_do_not_verify(db):
    with db.transaction() as s:
        user = UserRepository(s).add(User(username="bob", is_active=False))
        raw, _ = ApiKeyRepository(s).issue(user, "k")
    with db.transaction() as s:
        assert ApiKeyRepository(s).verify(raw, T) is None


def test_audit_log_appends_and_lists_newest_first(db):
    with db.transaction() as s:
        user = UserRepository(s).add(User(username="ana"))
        audit = AuditLogRepository(s)
        audit.record("login", "/auth", user_id=user.id, ts=T)
        audit.record("order", "/orders/1", user_id=user.id, status_code=201,
                     details={"qty": 1}, ts=T + dt.timedelta(seconds=1))
        uid = user.id
    with db.transaction() as s:
        entries = AuditLogRepository(s).for_user(uid)
        assert [e.action for e in entries] == ["order", "login"]
        assert entries[0].details == {"qty": 1}
