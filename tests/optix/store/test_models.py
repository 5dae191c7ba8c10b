"""Round trip of every model on SQLite and PostgreSQL, and all-or-nothing transactions."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError

from optix.store.models import (
    AlertHistory,
    ApiKey,
    AuditLog,
    GexSnapshot,
    HistoricalGexData,
    LearningLog,
    OptionData,
    PerformanceMetric,
    Position,
    Trade,
    User,
)

NY = dt.timezone(dt.timedelta(hours=-4))
T = dt.datetime(2025, 9, 25, 15, 30, 0, 123456, tzinfo=dt.UTC)


def _sample_rows():
    user = User(username="ana", email="ana@example.com", role="trader",
                preferences={"symbols": ["SPY", "QQQ"], "min_severity": "HIGH"})
    key = ApiKey(user=user, name="laptop", prefix="optx_abc123", key_hash="0" * 64,
                 scopes=["read", "trade"], expires_at=T + dt.timedelta(days=30))
    trade = Trade(symbol="SPY", strategy="put_credit_spread", status="open", opened_at=T,
                  params={"short_delta": -0.25, "dte": 30}, market_snapshot={"iv_rank": 0.41},
                  execution={"fill": 1.12}, risk={"max_loss": 388.0}, entry_credit=1.12,
                  max_loss=388.0, reason_tags=["high_iv"])
    legs = [
        Position(trade=trade, option_symbol="SPY251031P00640000", underlying="SPY",
                 option_type="P", strike=640.0, expiration=dt.date(2025, 10, 31), side="short",
                 quantity=1, entry_price=2.40, entry_delta=-0.25, opened_at=T),
        Position(trade=trade, option_symbol="SPY251031P00635000", underlying="SPY",
                 option_type="P", strike=635.0, expiration=dt.date(2025, 10, 31), side="long",
                 quantity=1, entry_price=1.28, entry_delta=-0.19, opened_at=T),
    ]
    return [
        user, key, trade, *legs,
        PerformanceMetric(period_type="day", period_start=T, period_end=T + dt.timedelta(days=1),
                          trade_count=3, total_pnl=234.5, win_rate=2 / 3, sharpe_ratio=1.4,
                          strategy_performance={"put_credit_spread": {"pnl": 234.5}},
                          error_counts={"rejected_orders": 1}),
        LearningLog(ts=T, update_type="parameter", strategy="put_credit_spread",
                    old_params={"short_delta": -0.25}, new_params={"short_delta": -0.22},
                    reason="lower delta won more", confidence=0.7, trades_analyzed=40,
                    expected_improvement=0.03),
        OptionData(symbol="SPY", ts=T, option_symbol="SPY251001P00500000",
                   expiration=dt.date(2025, 10, 1), strike=500.0, option_type="P", spot=658.05,
                   bid=0.01, ask=0.02, last=0.01, volume=10, open_interest=27000,
                   implied_volatility=0.55, gamma=0.0001, source="cboe"),
        GexSnapshot(symbol="SPY", ts=T, spot=658.05, total_gex=-3.918e9, call_gex=5.913e9,
                    put_gex=-9.830e9, zero_gamma=668.5, call_wall=670.0, put_wall=655.0,
                    max_pain=662.0, regime="negative", unit="usd_per_1pct",
                    sign_convention="dealer_long_calls_short_puts",
                    by_strike={"650": -597.8e6, "670": 770.9e6},
                    profile={"spots": [600.0, 700.0], "gex": [-1e9, 1e9]}),
        HistoricalGexData(symbol="SPY", date=dt.date(2025, 9, 25), total_gex_close=-3.918e9,
                          snapshot_count=12, regime_close="negative"),
        AlertHistory(id="a" * 64, ts=T, source="flow", alert_type="sweep", severity="HIGH",
                     score=57.5, symbol="SPY", title="SPY 670C sweep",
                     message="4 legs on 3 venues", payload={"legs": 4, "premium": 1.2e6},
                     channels=["console", "webhook"]),
        AuditLog(ts=T, action="login", resource="/auth", ip_address="127.0.0.1",
                 details={"method": "api_key"}),
    ]


def test_every_model_round_trips_with_its_values(db):
    rows = _sample_rows()
    with db.transaction() as s:
        s.add_all(rows)
    expected = {type(r): {c.key: getattr(r, c.key) for c in r.__table__.columns} for r in rows}
    with db.transaction() as s:
        for model, values in expected.items():
            pk = model.__mapper__.primary_key[0].key
            got = s.get(model, values[pk])
            assert got is not None, model.__name__
            for key, value in values.items():
                assert getattr(got, key) == value, f"{model.__name__}.{key}"
        trade = s.scalars(select(Trade)).one()
        assert {p.side for p in trade.positions} == {"short", "long"}
        assert s.scalars(select(User)).one().api_keys[0].scopes == ["read", "trade"]


def test_timestamps_come_back_timezone_aware_utc(db):
    with db.transaction() as s:
        s.add(AlertHistory(id="tz", ts=T.astimezone(NY), source="gex", alert_type="flip",
                           severity="LOW", title="t"))
    with db.transaction() as s:
        ts = s.get(AlertHistory, "tz").ts
    assert ts.tzinfo is not None and ts.utcoffset() == dt.timedelta(0)
    assert ts == T


def test_naive_timestamps_are_refused(db):
    with pytest.raises(StatementError, match="naive datetime"), db.transaction() as s:
        s.add(AlertHistory(id="naive", ts=dt.datetime(2025, 1, 1), source="gex",
                           alert_type="flip", severity="LOW", title="t"))
        s.flush()


def test_failed_transaction_leaves_nothing_half_written(db):
    with pytest.raises(IntegrityError), db.transaction() as s:
        trade = Trade(symbol="QQQ", strategy="iron_condor", status="open", opened_at=T)
        s.add(trade)
        s.add(Position(trade=trade, option_symbol="QQQ251031C00600000", underlying="QQQ",
                       option_type="C", strike=600.0, expiration=dt.date(2025, 10, 31),
                       side="short", quantity=1, entry_price=1.0, opened_at=T))
        s.flush()  # trade and first leg are written inside the transaction ...
        s.add(Position(trade=trade, option_symbol="QQQ251031C00610000", underlying="QQQ",
                       option_type="C", strike=610.0, expiration=dt.date(2025, 10, 31),
                       side="long", quantity=0, entry_price=0.5, opened_at=T))
        s.flush()  # ... and this leg violates quantity > 0
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Trade)) == 0
        assert s.scalar(select(func.count()).select_from(Position)) == 0


def test_an_exception_in_the_block_rolls_everything_back(db):
    with pytest.raises(RuntimeError), db.transaction() as s:
        s.add(User(username="ghost"))
        s.flush()
        raise RuntimeError("broker call failed")
    with db.transaction() as s:
        assert s.scalars(select(User)).all() == []


@pytest.mark.parametrize(
    "bad",
    [
        lambda: AlertHistory(id="x", ts=T, source="flow", alert_type="sweep", severity="URGENT",
                             title="t"),
        lambda: User(username="u", role="god"),
        lambda: OptionData(symbol="SPY", ts=T, option_symbol="X", expiration=dt.date(2025, 1, 1),
                           strike=-1.0, option_type="P"),
        lambda: Trade(symbol="SPY", strategy="s", status="maybe"),
    ],
)
def test_check_constraints_guard_enumerations_and_ranges(db, bad):
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(bad())


def test_deleting_a_trade_cascades_to_its_positions_and_user_delete_keeps_audit(db):
    with db.transaction() as s:
        s.add_all(_sample_rows())
    with db.transaction() as s:
        s.delete(s.scalars(select(Trade)).one())
        user = s.scalars(select(User)).one()
        s.add(AuditLog(ts=T, user_id=user.id, action="order", resource="/orders"))
    with db.transaction() as s:
        s.delete(s.scalars(select(User)).one())
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Position)) == 0
        assert s.scalar(select(func.count()).select_from(ApiKey)) == 0
        logs = s.scalars(select(AuditLog)).all()
        assert len(logs) == 2 and all(log.user_id is None for log in logs)


def test_uuid_primary_keys_are_generated(db):
    with db.transaction() as s:
        u = User(username="gen")
        s.add(u)
        s.flush()
        assert isinstance(u.id, uuid.UUID)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_floats_are_refused_on_every_backend(db, bad):
    with pytest.raises(StatementError, match="non-finite"), db.transaction() as s:
        s.add(GexSnapshot(symbol="SPY", ts=T, spot=bad, total_gex=0.0, call_gex=0.0,
                          put_gex=0.0, unit="u", sign_convention="c"))
        s.flush()


def test_nan_inside_json_is_refused_on_every_backend(db):
    with pytest.raises((StatementError, ValueError), match="not JSON compliant"), \
            db.transaction() as s:
        s.add(GexSnapshot(symbol="SPY", ts=T, spot=1.0, total_gex=0.0, call_gex=0.0,
                          put_gex=0.0, unit="u", sign_convention="c",
                          by_strike={"650": float("nan")}))
        s.flush()


def test_json_columns_take_numpy_values_like_the_cache(db):
    import numpy as np

    with db.transaction() as s:
        s.add(GexSnapshot(symbol="SPY", ts=T, spot=1.0, total_gex=0.0, call_gex=0.0,
                          put_gex=0.0, unit="u", sign_convention="c",
                          by_strike={"650": np.float64(-597.8e6)},
                          profile={"gex": np.array([1.5, -2.5]), "n": np.int64(2)}))
    with db.transaction() as s:
        snap = s.scalars(select(GexSnapshot)).one()
        assert snap.by_strike == {"650": -597.8e6}
        assert snap.profile == {"gex": [1.5, -2.5], "n": 2}
