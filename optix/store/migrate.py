"""Versioned schema migrations (Alembic), run programmatically; ``optix db upgrade`` calls these.

The migration scripts live in ``optix/store/migrations/versions``. Every schema change is a new
revision there, never ``create_all`` on a live database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from optix.store.db import Database

__all__ = ["current_revision", "downgrade", "head_revision", "history", "upgrade"]

_SCRIPTS = Path(__file__).with_name("migrations")


def _config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    # Alembic's Config is a ConfigParser: '%' (as in URL-quoted passwords) must be doubled.
    url = db.url.render_as_string(hide_password=False).replace("%", "%%")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(db: Database, revision: str = "head") -> str | None:
    """Migrate ``db`` forward to ``revision`` (default the newest); returns the new revision."""
    cfg = _config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(db)


def downgrade(db: Database, revision: str) -> str | None:
    """Migrate ``db`` back to ``revision`` (``'base'`` drops everything)."""
    cfg = _config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    return current_revision(db)


def current_revision(db: Database) -> str | None:
    """The revision ``db`` is at, or None for an empty database."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of OPTIX."""
    return ScriptDirectory(str(_SCRIPTS)).get_current_head()


def history() -> list[tuple[str, str]]:
    """Every shipped revision as ``(revision, message)``, oldest first."""
    script = ScriptDirectory(str(_SCRIPTS))
    revs = list(script.walk_revisions())
    return [(r.revision, r.doc or "") for r in reversed(revs)]
