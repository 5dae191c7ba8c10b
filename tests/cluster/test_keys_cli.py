"""optix keys create|list|revoke on the default SQLite file, through click's runner."""

import datetime as dt

import pytest

from optix.store import Database
from optix.store.repositories import ApiKeyRepository


@pytest.fixture
def database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / '.optix' / 'optix.db'}")
    yield db
    db.dispose()


@pytest.mark.parametrize("args", [["keys"], ["keys", "create"], ["keys", "list"],
                                  ["keys", "revoke"]])
def test_keys_commands_have_help(run, args):
    result = run(*args, "--help")
    assert result.exit_code == 0 and "Usage: " in result.output


def test_create_prints_the_key_once_and_stores_only_a_salted_digest(run, database):
    result = run("keys", "create", "--user", "ana", "--role", "trade", "--name", "laptop",
                 "--expires-days", "30")
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert raw.startswith("optx_") and "\n" not in raw
    assert "cannot be shown again" in result.stderr and raw not in result.stderr
    with database.transaction() as s:
        key = ApiKeyRepository(s).verify(raw, dt.datetime.now(dt.UTC))
        assert key is not None and key.user.username == "ana" and key.user.role == "trader"
        assert key.scopes == ["read", "trade"] and key.name == "laptop"
        assert key.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
        assert raw not in key.key_hash and len(key.salt) == 32


def test_list_shows_keys_without_secrets_and_filters_by_user(run):
    ana = run("keys", "create", "--user", "ana", "--role", "admin").stdout.strip()
    bob = run("keys", "create", "--user", "bob", "--role", "read", "--name", "ci").stdout.strip()
    out = run("keys", "list").stdout
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["PREFIX", "NAME", "USER", "ROLES"]
    assert ana[:11] in out and bob[:11] in out and "read,trade,admin" in out
    assert ana not in out and bob not in out and ana[11:20] not in out
    only_bob = run("keys", "list", "--user", "bob").stdout
    assert bob[:11] in only_bob and ana[:11] not in only_bob
    assert run("keys", "list", "--user", "nobody").exit_code == 1


def test_revoke_by_prefix_or_id(run, database):
    raw = run("keys", "create", "--user", "ana", "--role", "read").stdout.strip()
    other = run("keys", "create", "--user", "ana", "--role", "read").stdout.strip()
    result = run("keys", "revoke", raw[:11])
    assert result.exit_code == 0 and f"revoked key {raw[:11]}" in result.stdout
    assert "already revoked" in run("keys", "revoke", raw[:11]).stdout
    now = dt.datetime.now(dt.UTC)
    with database.transaction() as s:
        repo = ApiKeyRepository(s)
        assert repo.verify(raw, now) is None
        other_id = repo.verify(other, now).id
    assert run("keys", "revoke", str(other_id)).exit_code == 0
    with database.transaction() as s:
        assert ApiKeyRepository(s).verify(other, now) is None
    missing = run("keys", "revoke", "optx_zzzzzz")
    assert missing.exit_code == 1 and "no key" in missing.stderr


def test_create_rejects_an_unknown_role(run):
    assert run("keys", "create", "--user", "ana", "--role", "root").exit_code == 2
