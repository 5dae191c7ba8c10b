import pytest
from pydantic import ValidationError

from optix.config import ConfigError, OptixSettings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No OPTIX_/APCA_ variables from the developer's shell, and no ./optix.toml."""
    import os

    for k in list(os.environ):
        if k.startswith(("OPTIX_", "APCA_")):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_the_embedded_ones():
    s = load_settings()
    assert s.database.url.get_secret_value() == "sqlite:///.optix/optix.db"
    assert s.cache.redis_url is None
    assert s.ray.address is None and s.ray.dashboard_port == 8265
    assert s.feed.source == "synthetic"
    assert s.broker.kind == "paper"
    assert (s.cache.gex_ttl_s, s.cache.prediction_ttl_s) == (300, 900)


def test_environment_sets_nested_fields(monkeypatch):
    monkeypatch.setenv("OPTIX_DATABASE_URL", "postgresql+psycopg://u:pw@db:5432/optix")
    monkeypatch.setenv("OPTIX_DATABASE_POOL_SIZE", "7")
    monkeypatch.setenv("OPTIX_SERVE_PORT", "9000")
    monkeypatch.setenv("OPTIX_RISK_MAX_TRADES_PER_DAY", "3")
    monkeypatch.setenv("OPTIX_CACHE_GEX_TTL_S", "60")
    s = load_settings()
    assert s.database.url.get_secret_value().endswith("@db:5432/optix")
    assert s.database.pool_size == 7
    assert s.serve.port == 9000
    assert s.risk.max_trades_per_day == 3
    assert s.cache.gex_ttl_s == 60


def test_documented_shorthands_work(monkeypatch):
    monkeypatch.setenv("OPTIX_REDIS_URL", "redis://127.0.0.1:6379/2")
    monkeypatch.setenv("APCA_API_KEY_ID", "AKTESTKEY")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "secret-value-123")
    monkeypatch.setenv("OPTIX_BROKER_KIND", "alpaca")
    s = load_settings()
    assert s.cache.redis_url is not None
    assert s.cache.redis_url.get_secret_value() == "redis://127.0.0.1:6379/2"
    assert s.broker.kind == "alpaca"
    assert s.broker.api_key is not None and s.broker.api_key.get_secret_value() == "AKTESTKEY"


def test_toml_file_is_read_and_environment_wins_over_it(monkeypatch, tmp_path):
    cfg = tmp_path / "custom.toml"
    cfg.write_text('[serve]\nport = 8100\nhost = "0.0.0.0"\n[feed]\nsymbols = 50\n')
    monkeypatch.setenv("OPTIX_SERVE_PORT", "8200")
    s = load_settings(cfg)
    assert s.serve.port == 8200
    assert s.serve.host == "0.0.0.0"
    assert s.feed.symbols == 50


def test_optix_toml_in_working_directory_is_picked_up(tmp_path):
    (tmp_path / "optix.toml").write_text("[alerts]\nmin_severity = 'HIGH'\n")
    assert load_settings().alerts.min_severity == "HIGH"


def test_optix_config_env_names_the_file(monkeypatch, tmp_path):
    f = tmp_path / "elsewhere.toml"
    f.write_text("[feed]\nseed = 42\n")
    monkeypatch.setenv("OPTIX_CONFIG", str(f))
    assert load_settings().feed.seed == 42


def test_keyword_overrides_win_over_everything(monkeypatch):
    monkeypatch.setenv("OPTIX_SERVE_PORT", "8200")
    assert load_settings(serve={"port": 8300}).serve.port == 8300


@pytest.mark.parametrize(
    ("env", "value", "fragment"),
    [
        ("OPTIX_SERVE_PORT", "70000", "serve.port: Input should be less than or equal to 65535"),
        ("OPTIX_DATABASE_POOL_SIZE", "many", "database.pool_size: Input should be a valid integer"),
        ("OPTIX_DATABASE_URL", "mysql://x", "database: url must start with sqlite:/// or"),
        ("OPTIX_FEED_SOURCE", "bloomberg", "feed.source: Input should be 'synthetic'"),
        ("OPTIX_CACHE_REDIS_URL", "http://x", "cache: redis_url must start with redis://"),
        ("OPTIX_ALERTS_QUIET_HOURS", "25:00-01:00", "alerts.quiet_hours: String should match"),
        ("OPTIX_SERVE_PROT", "1", "serve.prot: unknown setting"),
    ],
)
def test_invalid_value_names_the_field_and_the_reason(monkeypatch, env, value, fragment):
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert fragment in str(info.value)


def test_cross_field_rules_are_enforced(monkeypatch):
    monkeypatch.setenv("OPTIX_BROKER_KIND", "alpaca")
    with pytest.raises(ConfigError, match="needs api_key and secret_key"):
        load_settings()
    monkeypatch.delenv("OPTIX_BROKER_KIND")
    monkeypatch.setenv("OPTIX_FEED_SOURCE", "replay")
    with pytest.raises(ConfigError, match="needs path"):
        load_settings()


def test_every_problem_is_reported_at_once(monkeypatch):
    monkeypatch.setenv("OPTIX_SERVE_PORT", "0")
    monkeypatch.setenv("OPTIX_RISK_MAX_DAILY_LOSS_PCT", "2")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert len(info.value.problems) == 2


def test_secrets_never_show_in_repr_dump_or_errors(monkeypatch):
    monkeypatch.setenv("OPTIX_DATABASE_URL", "postgresql+psycopg://u:hunter2pw@db/x")
    monkeypatch.setenv("OPTIX_BROKER_API_KEY", "AKSECRETKEY")
    s = load_settings()
    assert "hunter2pw" not in repr(s)
    assert "hunter2pw" not in str(s.redacted())
    assert "AKSECRETKEY" not in str(s.redacted())
    monkeypatch.setenv("OPTIX_DATABASE_URL", "mysql://u:hunter2pw@db/x")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "hunter2pw" not in str(info.value)


def test_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_malformed_toml_is_a_config_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[serve\nport = 1\n")
    with pytest.raises(ConfigError):
        load_settings(bad)


def test_settings_are_frozen():
    s = load_settings()
    assert isinstance(s, OptixSettings)
    with pytest.raises(ValidationError, match="frozen"):
        s.serve = None  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        s.serve.port = 1  # type: ignore[misc]


def test_a_secret_given_where_a_section_belongs_is_not_echoed(tmp_path):
    f = tmp_path / "wrong.toml"
    f.write_text('database = "postgresql+psycopg://u:hunter2pw@h/db"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(f)
    assert "database: Input should be" in str(info.value)
    assert "hunter2pw" not in str(info.value)


def test_a_url_password_in_a_plain_field_is_masked_in_errors(monkeypatch):
    monkeypatch.setenv("OPTIX_CACHE_NAMESPACE", "redis://u:hunter2pw@h")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "cache.namespace" in str(info.value)
    assert "hunter2pw" not in str(info.value)


def test_a_misspelt_section_is_an_error_not_silently_ignored(monkeypatch):
    monkeypatch.setenv("OPTIX_DATABSE_URL", "postgresql+psycopg://u@h/db")
    with pytest.raises(ConfigError, match="OPTIX_DATABSE_URL: unknown setting"):
        load_settings()


def test_every_secret_setting_is_known_to_the_redaction(monkeypatch):
    from optix.config import CONNECTION_URLS, SECRET_FIELDS

    monkeypatch.setenv("OPTIX_DATABASE_URL", "postgresql+psycopg://u:pw1@h/db")
    monkeypatch.setenv("OPTIX_REDIS_URL", "redis://:pw2@h:6379/0")
    monkeypatch.setenv("OPTIX_BROKER_API_KEY", "key-3")
    monkeypatch.setenv("OPTIX_BROKER_SECRET_KEY", "secret-4")
    monkeypatch.setenv("OPTIX_ALERTS_WEBHOOK_URL", "https://hooks.example/t5")
    s = load_settings()
    assert len(SECRET_FIELDS) == 5 and set(SECRET_FIELDS) >= CONNECTION_URLS
    assert sorted(v.get_secret_value() for v in s.secrets()) == [
        "https://hooks.example/t5", "key-3", "secret-4"]
    assert sorted(v.get_secret_value() for v in s.secret_urls()) == [
        "postgresql+psycopg://u:pw1@h/db", "redis://:pw2@h:6379/0"]
