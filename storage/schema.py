"""Create or upgrade the schema with Alembic (the only way the schema changes)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.uow import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> tuple[str | None, str | None]:
    """Bring the schema to the newest revision; returns (revision before, revision after)."""
    cfg = _config(db)
    before = current_revision(db)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
    return before, ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(db: Database) -> bool:
    return current_revision(db) == ScriptDirectory.from_config(_config(db)).get_current_head()
