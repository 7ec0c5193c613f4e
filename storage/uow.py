"""The unit of work: one database transaction, the repositories that work inside it, and the only
place that commits. It rolls back unless ``commit()`` was called."""
from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, session_factory
from storage.repositories import (DefinitionRepository, EventRepository, InstanceRepository,
                                  LetterRepository, TaskRepository, UserRepository, ViolationRepository)


class ConcurrentUpdate(Exception):
    """Someone else changed the same rows first; the caller's whole transaction was rolled back."""


class UnitOfWork:
    """``with uow: ... uow.commit()`` — everything in between is one transaction.

    ``readonly=True`` opens a plain (deferred) transaction on SQLite so readers never queue behind
    writers; writing units take the write lock at BEGIN (see storage.db)."""

    def __init__(self, factory: "Database", readonly: bool = False):
        self._factory = factory
        self.readonly = readonly
        self.session: Session | None = None

    @property
    def dialect(self) -> str:
        return self._factory.engine.dialect.name

    def __enter__(self) -> "UnitOfWork":
        self.session = (self._factory.read_sessions if self.readonly else self._factory.write_sessions)()
        s = self.session
        self.definitions = DefinitionRepository(s)
        self.instances = InstanceRepository(s)
        self.tasks = TaskRepository(s)
        self.events = EventRepository(s)
        self.violations = ViolationRepository(s)
        self.letters = LetterRepository(s)
        self.users = UserRepository(s)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self.session = None

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as e:
            raise ConcurrentUpdate(str(e)) from e

    def commit(self) -> None:
        if self.readonly:
            raise RuntimeError("commit() on a read-only unit of work")
        try:
            self.session.commit()
        except StaleDataError as e:
            self.session.rollback()
            raise ConcurrentUpdate(str(e)) from e


class Database:
    """Engine and session factories for one database URL; hands out units of work."""

    def __init__(self, url: str | None = None, engine: Engine | None = None):
        self.engine = engine or make_engine(url)
        self.write_sessions: sessionmaker = session_factory(self.engine)
        self.read_sessions: sessionmaker = session_factory(self.engine.execution_options(wuye_write=False))

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    def uow(self, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self, readonly=readonly)

    def dispose(self) -> None:
        self.engine.dispose()
