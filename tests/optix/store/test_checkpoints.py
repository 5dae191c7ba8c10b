from optix.store.repositories import CheckpointRepository


def test_a_checkpoint_is_saved_replaced_and_loaded_per_shard(db):
    with db.transaction() as s:
        repo = CheckpointRepository(s)
        assert repo.load("shard-0") is None
        repo.save("shard-0", 4, b"\x00state-4")
        repo.save("shard-1", 2, b"other")
    with db.transaction() as s:
        CheckpointRepository(s).save("shard-0", 9, b"\x01state-9")
    with db.transaction() as s:
        repo = CheckpointRepository(s)
        assert repo.load("shard-0") == (9, b"\x01state-9")
        assert repo.load("shard-1") == (2, b"other")


def _roundtrip(store):
    store.delete("t-shard")
    assert store.load("t-shard") is None
    store.save("t-shard", 3, b"\x00\xffabc")
    store.save("t-shard", 7, b"\x01xyz")
    assert store.load("t-shard") == (7, b"\x01xyz")
    store.delete("t-shard")
    assert store.load("t-shard") is None


def test_database_checkpoint_store(empty_db):
    from optix.store.checkpoints import DatabaseCheckpoints

    _roundtrip(DatabaseCheckpoints(empty_db))


def test_redis_checkpoint_store(redis_namespace):
    from optix.store.checkpoints import RedisCheckpoints
    from tests.conftest import REDIS_URL

    _roundtrip(RedisCheckpoints(REDIS_URL, redis_namespace))


def test_the_settings_pick_redis_when_configured_else_the_database(tmp_path):
    from pydantic import SecretStr

    from optix.config import CacheConfig, DatabaseConfig
    from optix.store.checkpoints import make_checkpoints
    from tests.conftest import REDIS_URL

    db = DatabaseConfig(url=SecretStr(f"sqlite:///{tmp_path}/x.db"))
    assert make_checkpoints(CacheConfig(), db).backend == "database"
    assert make_checkpoints(CacheConfig(redis_url=SecretStr(REDIS_URL)), db).backend == "redis"
