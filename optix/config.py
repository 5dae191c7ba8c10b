"""OPTIX settings: one pydantic-settings tree.

Sources, highest priority first:

1. keyword arguments to :func:`load_settings` / :class:`OptixSettings`;
2. environment variables with prefix ``OPTIX_``: a section and a field joined by one underscore
   (``OPTIX_DATABASE_URL``, ``OPTIX_SERVE_PORT``, ``OPTIX_RISK_MAX_TRADES_PER_DAY``), plus the
   shorthands ``OPTIX_REDIS_URL`` (= ``OPTIX_CACHE_REDIS_URL``) and Alpaca's own
   ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY``;
3. a TOML file: the path given to :func:`load_settings`, else ``$OPTIX_CONFIG``, else
   ``./optix.toml`` when it exists; one table per section (``[database]``, ``[cache]`` ...);
4. the embedded defaults: local Ray, SQLite file, in-process cache, synthetic market, paper broker.

Secrets (database and Redis URLs, which may carry passwords, API keys, webhook URLs) are
:class:`~pydantic.SecretStr` and never appear in ``repr``, logs or :meth:`OptixSettings.redacted`.
An invalid value raises :class:`ConfigError` naming the field, the reason and the value given.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from optix.log import redact

__all__ = [
    "AlertsConfig",
    "BrokerConfig",
    "CacheConfig",
    "ConfigError",
    "DatabaseConfig",
    "FeedConfig",
    "LoggingConfig",
    "OptixSettings",
    "RayConfig",
    "RiskConfig",
    "ServeConfig",
    "load_settings",
]

ENV_PREFIX = "OPTIX_"
DEFAULT_TOML = Path("optix.toml")


class ConfigError(ValueError):
    """The configuration is invalid; ``str()`` lists every bad field with its reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid OPTIX configuration:\n  " + "\n  ".join(problems))


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class DatabaseConfig(_Section):
    """Relational store.

    Attributes
    ----------
    url : SecretStr
        SQLAlchemy URL. Default: a SQLite file ``.optix/optix.db`` under the working directory.
        PostgreSQL: ``postgresql+psycopg://user:password@host:5432/dbname``.
    pool_size : int
        Connections kept open per process (PostgreSQL).
    connect_timeout_s : int
        Give up connecting to PostgreSQL after this long (health checks must not hang).
    echo : bool
        Log every SQL statement (debugging).
    """

    url: SecretStr = SecretStr("sqlite:///.optix/optix.db")
    pool_size: int = Field(5, ge=1, le=100)
    connect_timeout_s: int = Field(5, ge=1, le=300)
    echo: bool = False

    @model_validator(mode="after")
    def _known_driver(self) -> DatabaseConfig:
        url = self.url.get_secret_value()
        if not url.startswith(("sqlite:///", "sqlite+pysqlite:///", "postgresql+psycopg://")):
            raise ValueError(
                "url must start with sqlite:/// or postgresql+psycopg:// (psycopg 3 driver)"
            )
        return self


class CacheConfig(_Section):
    """Hot, expirable results.

    Attributes
    ----------
    redis_url : SecretStr or None
        ``redis://host:6379/0``; None (default) uses the in-process cache.
    namespace : str
        Prefix of every key, so several deployments can share one Redis.
    gex_ttl_s, prediction_ttl_s, dedup_ttl_s, default_ttl_s : int
        Time to live of each kind of entry in seconds (GEX 5 min, predictions 15 min).
    socket_timeout_s : float
        Redis connect/read timeout; a slow or dead Redis costs a read at most this long.
    retry_after_s : float
        After a Redis failure, calls skip Redis (miss / drop) for this long before trying again.
    warn_interval_s : float
        At most one warning per this interval while Redis is unreachable.
    max_local_entries : int
        Bound of the in-process cache (least recently used entries are evicted).
    """

    redis_url: SecretStr | None = None
    namespace: str = Field("optix", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    gex_ttl_s: int = Field(300, gt=0)
    prediction_ttl_s: int = Field(900, gt=0)
    dedup_ttl_s: int = Field(3600, gt=0)
    default_ttl_s: int = Field(600, gt=0)
    socket_timeout_s: float = Field(0.5, gt=0, le=30)
    retry_after_s: float = Field(2.0, ge=0)
    warn_interval_s: float = Field(60.0, gt=0)
    max_local_entries: int = Field(100_000, ge=1)

    @model_validator(mode="after")
    def _redis_scheme(self) -> CacheConfig:
        if self.redis_url is not None and not self.redis_url.get_secret_value().startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ValueError("redis_url must start with redis://, rediss:// or unix://")
        return self


class RayConfig(_Section):
    """Ray cluster.

    Attributes
    ----------
    address : str or None
        ``None`` starts a local Ray instance; ``auto`` or ``host:port`` joins a running cluster.
    namespace : str
        Ray namespace of OPTIX's named actors and Serve application.
    dashboard_host, dashboard_port :
        Where a locally started Ray serves its dashboard.
    num_cpus : int or None
        CPUs a local instance may use (None: all).
    """

    address: str | None = None
    namespace: str = "optix"
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = Field(8265, ge=1, le=65535)
    num_cpus: int | None = Field(None, ge=1)


class ServeConfig(_Section):
    """The HTTP API (Ray Serve).

    Attributes
    ----------
    host, port :
        Where the Serve HTTP proxy listens.
    app_name : str
        Name of the Serve application.
    config : Path or None
        Serve config file (the ``serve build`` format) whose deployment options ``optix up``
        applies; None: the one shipped in ``serve/config.yaml``.
    rate_per_s, rate_burst : float
        Each API key's token bucket: sustained requests per second and largest burst.
    throughput_optimized : bool
        Start a local Ray with Serve's throughput-optimized mode
        (``RAY_SERVE_THROUGHPUT_OPTIMIZED=1``: direct ingress, gRPC between replicas); about
        3x the requests per second of the default proxy here (``benchmarks/serve.py``).
    haproxy : bool
        Serve's HAProxy ingress in front of the replicas (``RAY_SERVE_ENABLE_HA_PROXY=1``): one
        port for clients with direct ingress. On a cluster that ``optix up --address`` joins,
        these two are exported on every node before ``ray start`` instead.
    """

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    app_name: str = Field("optix", pattern=r"^[A-Za-z0-9_-]+$")
    config: Path | None = None
    rate_per_s: float = Field(50.0, gt=0)
    rate_burst: float = Field(100.0, ge=1)
    throughput_optimized: bool = True
    haproxy: bool = True


class FeedConfig(_Section):
    """Market data source.

    Attributes
    ----------
    source : {'synthetic', 'replay', 'alpaca'}
        Synthetic market (embedded default), recorded files, or Alpaca.
    symbols : int
        Size of the synthetic universe.
    seed : int
        Seed of the synthetic market (same seed, same day).
    speed : float
        Pace relative to real time; 0 runs as fast as possible.
    path : Path or None
        File or folder to replay (``source='replay'``).
    """

    source: Literal["synthetic", "replay", "alpaca"] = "synthetic"
    symbols: int = Field(500, ge=1, le=100_000)
    seed: int = 7
    speed: float = Field(1.0, ge=0)
    path: Path | None = None

    @model_validator(mode="after")
    def _replay_needs_path(self) -> FeedConfig:
        if self.source == "replay" and self.path is None:
            raise ValueError("source 'replay' needs path (OPTIX_FEED_PATH)")
        return self


class BrokerConfig(_Section):
    """Order execution.

    Attributes
    ----------
    kind : {'paper', 'alpaca'}
        Built-in paper broker (default) or Alpaca.
    api_key, secret_key : SecretStr or None
        Alpaca credentials (also read from ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY``).
    alpaca_paper : bool
        Use Alpaca's paper-trading endpoint.
    url_override : str or None
        Base URL override for Alpaca (tests point it at a local stand-in server).
    starting_cash : float
        Cash of a new paper account.
    """

    kind: Literal["paper", "alpaca"] = "paper"
    api_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    alpaca_paper: bool = True
    url_override: str | None = None
    starting_cash: float = Field(100_000.0, gt=0)

    @model_validator(mode="after")
    def _alpaca_needs_keys(self) -> BrokerConfig:
        if self.kind == "alpaca" and (self.api_key is None or self.secret_key is None):
            raise ValueError(
                "kind 'alpaca' needs api_key and secret_key (OPTIX_BROKER_API_KEY/"
                "OPTIX_BROKER_SECRET_KEY or APCA_API_KEY_ID/APCA_API_SECRET_KEY)"
            )
        return self


_HHMM_RANGE = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"

Severity = Literal["INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]


class AlertsConfig(_Section):
    """Alert dispatch.

    Attributes
    ----------
    min_severity : str
        Alerts below this severity are recorded but not dispatched.
    dedup_window_s : int
        An alert with the same id within this window is dispatched once.
    rate_limit_per_minute : int
        Most alerts dispatched per channel per minute.
    quiet_hours : str or None
        ``HH:MM-HH:MM`` in exchange time during which only CRITICAL alerts go out.
    webhook_url : SecretStr or None
        Webhook channel target.
    """

    min_severity: Severity = "LOW"
    dedup_window_s: int = Field(300, ge=0)
    rate_limit_per_minute: int = Field(60, ge=1)
    quiet_hours: str | None = Field(None, pattern=_HHMM_RANGE)
    webhook_url: SecretStr | None = None


class RiskConfig(_Section):
    """Trading risk limits (fractions of account equity unless stated).

    Attributes
    ----------
    max_trades_per_day : int
    max_daily_loss_pct : float
        Stop opening trades after losing this fraction of equity in a day.
    max_position_pct : float
        Largest risk of one trade.
    max_positions_per_symbol : int
    max_portfolio_heat_pct : float
        Sum of the max loss of open positions.
    max_symbol_concentration_pct : float
    risk_per_trade_pct : float
        Fixed-fractional sizing.
    kelly_fraction : float
        Fraction of full Kelly used by Kelly sizing.
    """

    max_trades_per_day: int = Field(10, ge=0)
    max_daily_loss_pct: float = Field(0.05, gt=0, le=1)
    max_position_pct: float = Field(0.20, gt=0, le=1)
    max_positions_per_symbol: int = Field(2, ge=1)
    max_portfolio_heat_pct: float = Field(0.30, gt=0, le=1)
    max_symbol_concentration_pct: float = Field(0.30, gt=0, le=1)
    risk_per_trade_pct: float = Field(0.01, gt=0, le=1)
    kelly_fraction: float = Field(0.25, gt=0, le=1)


class LoggingConfig(_Section):
    """Logging.

    Attributes
    ----------
    level : str
        Root level of the ``optix`` loggers.
    json : bool
        JSON lines instead of human-readable lines.
    """

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_lines: bool = Field(False, alias="json")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


_toml_path: ContextVar[Path | None] = ContextVar("optix_toml_path", default=None)

_SHORTHANDS: dict[str, tuple[str, str]] = {
    "OPTIX_REDIS_URL": ("cache", "redis_url"),
    "APCA_API_KEY_ID": ("broker", "api_key"),
    "APCA_API_SECRET_KEY": ("broker", "secret_key"),
}


class _ShorthandEnvSource(PydanticBaseSettingsSource):
    """The documented shorthand variables (``OPTIX_REDIS_URL``, Alpaca's ``APCA_*``)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, dict[str, str]] = {}
        for var, (section, field) in _SHORTHANDS.items():
            value = os.environ.get(var)
            if value:
                out.setdefault(section, {})[field] = value
        return out


class OptixSettings(BaseSettings):
    """The whole OPTIX configuration; see the module docstring for where values come from."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    database: DatabaseConfig = DatabaseConfig()
    cache: CacheConfig = CacheConfig()
    ray: RayConfig = RayConfig()
    serve: ServeConfig = ServeConfig()
    feed: FeedConfig = FeedConfig()
    broker: BrokerConfig = BrokerConfig()
    alerts: AlertsConfig = AlertsConfig()
    risk: RiskConfig = RiskConfig()
    logging: LoggingConfig = LoggingConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments, ``OPTIX_*`` env, shorthand env, then the TOML file (if any)."""
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            _FilteredEnvSource(settings_cls),
            _ShorthandEnvSource(settings_cls),
        ]
        toml = _toml_path.get()
        if toml is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)

    def _secret_values(self, connection_urls: bool) -> list[SecretStr]:
        values = (getattr(getattr(self, section), name) for section, name in SECRET_FIELDS)
        return [
            v for (section, name), v in zip(SECRET_FIELDS, values, strict=True)
            if v is not None and ((section, name) in CONNECTION_URLS) == connection_urls
        ]

    def secrets(self) -> list[SecretStr]:
        """Every secret value set, whole (to register with the log redaction)."""
        return self._secret_values(connection_urls=False)

    def secret_urls(self) -> list[SecretStr]:
        """Connection URLs set; only their password part is secret."""
        return self._secret_values(connection_urls=True)

    def redacted(self) -> dict[str, Any]:
        """The settings as plain data with every secret shown as ``'**********'``."""
        return self.model_dump(mode="json", by_alias=True)


class _FilteredEnvSource(EnvSettingsSource):
    """``OPTIX_*`` variables, minus the shorthands and ``OPTIX_CONFIG`` (handled elsewhere)."""

    _skip = frozenset({"optix_config", "optix_redis_url"})

    def _load_env_vars(self) -> dict[str, str | None]:
        env = super()._load_env_vars()
        return {k: v for k, v in env.items() if k.lower() not in self._skip}


def _resolve_toml(config_file: Path | str | None) -> Path | None:
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError([f"config file {path}: not found"])
        return path
    env = os.environ.get("OPTIX_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError([f"OPTIX_CONFIG={env}: file not found"])
        return path
    return DEFAULT_TOML if DEFAULT_TOML.is_file() else None


def _describe(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "(root)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown setting"
    given = err.get("input")
    secret = tuple(str(p) for p in err["loc"][-2:]) in SECRET_FIELDS
    if len(err["loc"]) <= 1 or isinstance(given, dict) or secret:
        return f"{loc}: {msg}"  # a whole section, or a secret field: never echo the value
    return f"{loc}: {msg} (got {redact(repr(given))})"


def _secret_fields() -> tuple[tuple[str, str], ...]:
    """(section, field) of every field annotated ``SecretStr`` or ``SecretStr | None``."""
    return tuple(
        (section, name)
        for section, info in OptixSettings.model_fields.items()
        for name, field in cast(type[BaseModel], info.annotation).model_fields.items()
        if field.annotation is SecretStr or SecretStr in get_args(field.annotation)
    )


SECRET_FIELDS = _secret_fields()
"""Every secret setting as (section, field), read off the annotations."""

CONNECTION_URLS = frozenset({("database", "url"), ("cache", "redis_url")})
"""Secret settings that are connection URLs: only their password is masked in logs."""


def _unknown_env_sections() -> list[str]:
    """``OPTIX_*`` variables that name no section (a typo would otherwise be ignored)."""
    sections = tuple(f"{ENV_PREFIX}{name.upper()}_" for name in OptixSettings.model_fields)
    known = {"OPTIX_CONFIG", *_SHORTHANDS}
    return [
        f"{var}: unknown setting (no section of that name; sections are "
        f"{', '.join(OptixSettings.model_fields)})"
        for var in sorted(os.environ)
        if var.startswith(ENV_PREFIX) and var not in known and not var.startswith(sections)
    ]


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> OptixSettings:
    """Build the settings from keyword overrides, the environment, a TOML file and defaults.

    Parameters
    ----------
    config_file : Path or str, optional
        TOML file to read; default ``$OPTIX_CONFIG`` or ``./optix.toml`` if present.
    **overrides
        Section values by name (``database={'url': ...}``), highest priority.

    Returns
    -------
    OptixSettings

    Raises
    ------
    ConfigError
        If any value is invalid or unknown; the message names each field and the reason.
    """
    unknown = _unknown_env_sections()
    token = _toml_path.set(_resolve_toml(config_file))
    try:
        settings = OptixSettings(**overrides)
    except ValidationError as exc:
        raise ConfigError(unknown + [_describe(e) for e in exc.errors()]) from None
    except ValueError as exc:  # malformed TOML or env JSON
        raise ConfigError([*unknown, str(exc)]) from None
    finally:
        _toml_path.reset(token)
    if unknown:
        raise ConfigError(unknown)
    return settings
