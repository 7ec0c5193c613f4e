"""A scratch database: an empty copy of the schema in a temporary SQLite file, with chosen rows of
another database copied into it (a re-execution runs the recorded inputs there, so nothing it does
can touch the real database, and every side effect it has stays in a file deleted after it).

The schema is made once per process (migrations take a second or two) and each scratch database is
a copy of that template file."""
from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import insert, select

from storage import schema
from storage.models import Base, Definition
from storage.uow import Database, UnitOfWork

_TEMPLATE: list[Path] = []
_LOCK = threading.Lock()
# who acted, with the groups they had; the business calendar the deadlines were counted with
COPIED_WHOLE = ("groups", "users", "user_groups", "calendar_days", "calendar_years", "calendar_changes")


def _template() -> Path:
    with _LOCK:
        if not _TEMPLATE:
            folder = Path(tempfile.mkdtemp(prefix="wuye-scratch-template-"))
            db = Database(f"sqlite:///{folder / 'template.sqlite3'}")
            schema.upgrade(db)
            db.dispose()                            # the WAL checkpointed into the file
            _TEMPLATE.append(folder / "template.sqlite3")
        return _TEMPLATE[0]


class Scratch:
    """``with Scratch(source_uow, definition_ids) as db:`` — a Database on a fresh copy of the schema
    holding the source's groups, users, business calendar and the given definitions (same ids),
    removed afterwards."""

    def __init__(self, source: UnitOfWork, definition_ids: Iterable[int]):
        self.source, self.definition_ids = source, list(definition_ids)
        self.folder = Path(tempfile.mkdtemp(prefix="wuye-scratch-"))
        self.db: Database | None = None

    def __enter__(self) -> Database:
        path = self.folder / "scratch.sqlite3"
        shutil.copyfile(_template(), path)
        self.db = Database(f"sqlite:///{path}")
        tables = Base.metadata.tables
        with self.db.engine.begin() as target:
            for name in COPIED_WHOLE:
                rows = [dict(r) for r in self.source.session.execute(select(tables[name])).mappings()]
                if rows:
                    target.execute(insert(tables[name]), rows)
            definitions = tables[Definition.__tablename__]
            rows = [dict(r) for r in self.source.session.execute(
                select(definitions).where(definitions.c.id.in_(self.definition_ids))).mappings()]
            if rows:
                target.execute(insert(definitions), rows)
        return self.db

    def __exit__(self, *exc: object) -> None:
        if self.db is not None:
            self.db.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)
