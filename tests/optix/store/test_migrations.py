from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from optix.store import current_revision, downgrade, head_revision, upgrade
from optix.store.migrate import history
from optix.store.models import Base

TABLES = {
    "trades", "positions", "performance_metrics", "learning_logs",
    "option_data", "gex_snapshots", "historical_gex_data", "alert_history",
    "alert_subscriptions",
    "users", "api_keys", "audit_logs", "shard_checkpoints",
}


def _tables(db):
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_migrations_build_every_table_from_empty(empty_db):
    assert current_revision(empty_db) is None
    assert upgrade(empty_db) == head_revision()
    assert _tables(empty_db) == TABLES


def test_migrated_schema_matches_the_models_exactly(empty_db):
    upgrade(empty_db)
    with empty_db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_upgrade_is_idempotent_and_downgrade_removes_everything(empty_db):
    upgrade(empty_db)
    upgrade(empty_db)
    assert current_revision(empty_db) == head_revision()
    downgrade(empty_db, "base")
    assert current_revision(empty_db) is None
    assert _tables(empty_db) == set()
    upgrade(empty_db)
    assert _tables(empty_db) == TABLES


def test_indexes_asked_for_by_the_design_exist(db):
    insp = inspect(db.engine)
    alert_ix = {tuple(ix["column_names"]) for ix in insp.get_indexes("alert_history")}
    assert ("severity", "alert_type") in alert_ix
    for table, cols in [("option_data", ("symbol", "ts")), ("gex_snapshots", ("symbol", "ts")),
                        ("trades", ("symbol", "opened_at"))]:
        assert cols in {tuple(ix["column_names"]) for ix in insp.get_indexes(table)}


def test_history_lists_the_shipped_revisions_in_order():
    revs = history()
    assert revs[0][0] == "0001"
    assert revs[-1][0] == head_revision()


def test_every_check_constraint_of_the_models_is_in_the_database(db):
    insp = inspect(db.engine)
    for table in Base.metadata.sorted_tables:
        wanted = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
        got = {c["name"] for c in insp.get_check_constraints(table.name)}
        assert wanted <= got, table.name


def test_a_failed_migration_leaves_nothing_behind(empty_db):
    import pytest
    from sqlalchemy import text

    with empty_db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE users (stray INTEGER)"))  # makes 0001 fail midway
    with pytest.raises(Exception, match="users"):
        upgrade(empty_db)
    assert _tables(empty_db) == {"users"}
    assert current_revision(empty_db) is None
    with empty_db.engine.begin() as conn:
        conn.execute(text("DROP TABLE users"))
    upgrade(empty_db)
    assert _tables(empty_db) == TABLES
