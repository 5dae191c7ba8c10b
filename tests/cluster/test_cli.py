"""The optix command, in-process through click's runner (no Ray started)."""

import json

import pytest


@pytest.mark.parametrize(
    "args",
    [[], ["up"], ["db"], ["db", "upgrade"], ["db", "downgrade"], ["db", "current"],
     ["db", "history"], ["config"], ["config", "show"]],
)
def test_every_command_has_help(run, args):
    result = run(*args, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output


def test_help_lists_the_commands(run):
    out = run("--help").output
    for cmd in ("up", "db", "config"):
        assert f"  {cmd} " in out


def test_db_upgrade_then_current_on_the_default_sqlite_file(run, tmp_path):
    from optix.store import head_revision

    head = head_revision()
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"at revision {head}" in result.output
    assert (tmp_path / ".optix" / "optix.db").is_file()
    assert f"at {head}, head {head}" in run("db", "current").output
    assert "at revision base" in run("db", "downgrade", "base").output


def test_db_upgrade_on_postgres_masks_the_password(run, pg_schema):
    from tests.conftest import PG_URL

    # a password that URL quoting turns into %-escapes (trust auth ignores it)
    url = PG_URL.replace("postgres@", "postgres:p%40ss%25w@")
    env = {"OPTIX_DATABASE_URL": url, "PGOPTIONS": f"-csearch_path={pg_schema}"}
    result = run("db", "upgrade", env=env)
    assert result.exit_code == 0, result.output
    assert "p%40ss" not in result.output and "p@ss" not in result.output
    assert "postgres:***@" in result.output


def test_config_show_prints_json_with_secrets_masked(run):
    env = {"OPTIX_REDIS_URL": "redis://:pw-shh-123@cache:6379/0", "OPTIX_SERVE_PORT": "8123"}
    result = run("config", "show", env=env)
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["serve"]["port"] == 8123
    assert data["cache"]["redis_url"] == "**********"
    assert "pw-shh-123" not in result.output


def test_invalid_configuration_exits_2_naming_the_field(run):
    result = run("config", "show", env={"OPTIX_SERVE_PORT": "99999"})
    assert result.exit_code == 2
    assert "serve.port" in result.output
    assert "less than or equal to 65535" in result.output


def test_up_with_a_bad_serve_config_exits_2_before_starting_anything(run, tmp_path):
    bad = tmp_path / "serve.yaml"
    bad.write_text("applications:\n  - name: optix\n    import_path: serve.app:app_builder\n"
                   "    deployments:\n      - {name: pricing, max_ongoing_requests: 0}\n")
    result = run("up", "--serve-config", str(bad))
    assert result.exit_code == 2
    assert "max_ongoing_requests" in result.output and str(bad) in result.output
    assert not (tmp_path / "optix.db").exists()  # failed before migrating or starting Ray
    missing = run("up", env={"OPTIX_SERVE_CONFIG": str(tmp_path / "none.yaml")})
    assert missing.exit_code == 2 and "none.yaml" in missing.output


def test_log_json_flag_switches_the_log_format(run):
    result = run("--log-json", "db", "upgrade")
    assert result.exit_code == 0
    records = [json.loads(ln) for ln in result.stderr.splitlines() if ln.startswith("{")]
    assert any(r["logger"] == "optix.cli" and "migrated" in r["msg"] for r in records)
    text = run("--log-text", "db", "upgrade")
    assert "INFO    optix.cli: migrated" in text.stderr


def test_version_option(run):
    import optix

    assert optix.__version__ in run("--version").output
