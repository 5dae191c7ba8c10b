"""Engine and transactions: SQLite (embedded default) or PostgreSQL through psycopg 3."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from optix.config import DatabaseConfig
from optix.store import jsonio

__all__ = ["Database"]


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, open transactions (see _sqlite_begin), so DDL
    # is transactional too and a failed migration leaves nothing behind.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


class Database:
    """One database: an engine, a session factory and a transaction helper.

    Parameters
    ----------
    config : DatabaseConfig or str or SecretStr
        The ``database`` settings section, or just a URL.
    search_path : str, optional
        PostgreSQL schema to work in (created by the caller); every table, and Alembic's
        version table, then lives there. Tests use one schema per test.

    Examples
    --------
    >>> db = Database("sqlite:///:memory:")
    >>> with db.transaction() as s:
    ...     _ = s.execute(text("select 1"))
    """

    def __init__(
        self, config: DatabaseConfig | str | SecretStr, search_path: str | None = None
    ) -> None:
        cfg = config if isinstance(config, DatabaseConfig) else DatabaseConfig(
            url=config if isinstance(config, SecretStr) else SecretStr(config)
        )
        self.url: URL = make_url(cfg.url.get_secret_value())
        self.search_path = search_path
        kwargs: dict[str, Any] = {"echo": cfg.echo, "json_serializer": jsonio.dumps}
        if self.url.get_backend_name() == "sqlite":
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs.update(pool_size=cfg.pool_size, pool_pre_ping=True, max_overflow=cfg.pool_size)
            connect_args: dict[str, Any] = {"connect_timeout": cfg.connect_timeout_s}
            if search_path:
                if not search_path.replace("_", "").isalnum():
                    raise ValueError(f"search_path {search_path!r} must be an identifier")
                connect_args["options"] = f"-csearch_path={search_path}"
            kwargs["connect_args"] = connect_args
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.url.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``'sqlite'`` or ``'postgresql'``."""
        return self.url.get_backend_name()

    @property
    def safe_url(self) -> str:
        """The URL with its password masked, for logs and messages."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any exception.

        Nothing of a failed block is left written.
        """
        with self.sessions.begin() as session:
            yield session

    def ping(self) -> bool:
        """True when the database answers ``SELECT 1``."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.safe_url!r})"
