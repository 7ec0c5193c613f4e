"""The unit of work: one database transaction, the repositories that work inside it, and the only
place that commits. It rolls back unless ``commit()`` was called.

A transaction may ``signal_on_commit(channel)`` (the engine does when it moves an instance's next
timer earlier): only if it commits are the channel's listeners told (see storage.signals)."""
from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from types import TracebackType

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from storage.attachments import AttachmentRepository
from storage.calendar import CalendarRepository
from storage.db import make_engine, session_factory
from storage.duty import DutyRepository
from storage.errors import ConcurrentUpdate as ConcurrentUpdate  # re-exported: callers catch it from here
from storage.events import EventRepository
from storage.external_tasks import ExternalTaskRepository
from storage.logins import LoginAttemptRepository
from storage.merkle import CheckpointRepository, MerkleRepository
from storage.notify import NotificationRepository
from storage.register import RegisterRepository
from storage.repositories import (
    DefinitionRepository,
    InstanceRepository,
    LetterRepository,
    TaskRepository,
    ViolationRepository,
)
from storage.rule_tables import RuleTableRepository
from storage.schedules import ScheduleRepository
from storage.seals import DerivedRows, SealRepository
from storage.search import SearchRepository
from storage.settings import SettingsRepository
from storage.signals import signal_listeners
from storage.step_rows import StepRowRepository
from storage.users import UserRepository


class UnitOfWork:
    """``with uow: ... uow.commit()`` — everything in between is one transaction.

    ``readonly=True`` opens a plain (deferred) transaction on SQLite so readers never queue behind
    writers; writing units take the write lock at BEGIN (see storage.db)."""

    def __init__(self, factory: Database, readonly: bool = False):
        self._factory = factory
        self.readonly = readonly
        self._session: Session | None = None
        self._signals: set[str] = set()
        self._after_commit: list[Callable[[], None]] = []
        self._committed: list[Callable[[], None]] = []      # the callbacks of a commit, run at the end

    @property
    def session(self) -> Session:
        """The transaction's session (only inside ``with``)."""
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._session

    @property
    def database(self) -> str:
        """Which database this unit of work talks to (its URL without the password): what is kept
        per process about stored rows (the workflow cache) is kept per database."""
        return self._factory.key

    @property
    def database_file(self) -> str | None:
        """The SQLite database's file (None for a server database): what is kept beside it."""
        url = self._factory.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return url.database

    @property
    def dialect(self) -> str:
        return self._factory.engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        self._session = (self._factory.read_sessions if self.readonly else self._factory.write_sessions)()
        self._signals = set()
        self._after_commit = []
        self._committed = []
        for name in _REPOSITORIES:      # made on first use (a step needs a few of the twenty)
            self.__dict__.pop(name, None)
        return self

    # -- the repositories, each made once per transaction when first asked for --------------------

    @cached_property
    def definitions(self) -> DefinitionRepository:
        return DefinitionRepository(self.session)

    @cached_property
    def instances(self) -> InstanceRepository:
        return InstanceRepository(self.session)

    @cached_property
    def tasks(self) -> TaskRepository:
        return TaskRepository(self.session)

    @cached_property
    def events(self) -> EventRepository:
        return EventRepository(self.session)

    @cached_property
    def violations(self) -> ViolationRepository:
        return ViolationRepository(self.session)

    @cached_property
    def letters(self) -> LetterRepository:
        return LetterRepository(self.session)

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self.session)

    @cached_property
    def merkle(self) -> MerkleRepository:
        return MerkleRepository(self.session)

    @cached_property
    def checkpoints(self) -> CheckpointRepository:
        return CheckpointRepository(self.session)

    @cached_property
    def seals(self) -> SealRepository:
        return SealRepository(self.session)

    @cached_property
    def derived(self) -> DerivedRows:
        return DerivedRows(self.session)

    @cached_property
    def settings(self) -> SettingsRepository:
        return SettingsRepository(self.session)

    @cached_property
    def logins(self) -> LoginAttemptRepository:
        return LoginAttemptRepository(self.session)

    @cached_property
    def step_rows(self) -> StepRowRepository:
        return StepRowRepository(self.session)

    @cached_property
    def external_tasks(self) -> ExternalTaskRepository:
        return ExternalTaskRepository(self.session)

    @cached_property
    def register(self) -> RegisterRepository:
        return RegisterRepository(self.session)

    @cached_property
    def rule_tables(self) -> RuleTableRepository:
        return RuleTableRepository(self.session)

    @cached_property
    def calendar(self) -> CalendarRepository:
        return CalendarRepository(self.session)

    @cached_property
    def schedules(self) -> ScheduleRepository:
        return ScheduleRepository(self.session)

    @cached_property
    def search(self) -> SearchRepository:
        return SearchRepository(self.session)

    @cached_property
    def attachments(self) -> AttachmentRepository:
        return AttachmentRepository(self.session)

    @cached_property
    def duty(self) -> DutyRepository:
        return DutyRepository(self.session)

    @cached_property
    def notifications(self) -> NotificationRepository:
        return NotificationRepository(self.session)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self._session = None
        callbacks, self._committed = self._committed, []
        for callback in callbacks:      # after close: the objects they keep belong to no session now
            callback()
        if isinstance(exc, StaleDataError):
            # an autoflush inside any query met a stale version: the same conflict as at commit
            raise ConcurrentUpdate(str(exc)) from exc

    def flush(self) -> None:
        self.events.write()
        try:
            self.session.flush()
        except StaleDataError as e:
            raise ConcurrentUpdate(str(e)) from e

    def signal_on_commit(self, channel: str) -> None:
        """Tell the listeners of ``channel`` (this process's and, on PostgreSQL, every process's)
        once this transaction has committed; nothing is said if it rolls back."""
        self._signals.add(channel)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this transaction has committed (never if it rolls back), when the
        unit of work ends: e.g. keep a loaded workflow, or the instance's row object, for the next
        step only once the state it belongs to is stored and no session holds that object."""
        self._after_commit.append(callback)

    def commit(self) -> None:
        if self.readonly:
            raise RuntimeError("commit() on a read-only unit of work")
        signals, self._signals = self._signals, set()
        try:
            self.events.write()
            if signals and self.dialect == "postgresql":
                for channel in sorted(signals):
                    self.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})
            self.session.commit()
        except StaleDataError as e:
            self.session.rollback()
            raise ConcurrentUpdate(str(e)) from e
        if signals:
            signal_listeners(signals)
        self._committed += self._after_commit
        self._after_commit = []


_REPOSITORIES = ("definitions", "instances", "tasks", "events", "violations", "letters", "users", "merkle",
                 "checkpoints", "seals", "derived", "settings", "logins", "step_rows", "external_tasks", "register",
                 "rule_tables", "calendar", "schedules", "search", "attachments", "duty", "notifications")


class Database:
    """Engine and session factories for one database URL; hands out units of work."""

    def __init__(self, url: str | None = None, engine: Engine | None = None):
        self.engine = engine or make_engine(url)
        self.key = self.engine.url.render_as_string(hide_password=True)
        self.write_sessions: sessionmaker[Session] = session_factory(self.engine)
        self.read_sessions: sessionmaker[Session] = session_factory(self.engine.execution_options(wuye_write=False))

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    def uow(self, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self, readonly=readonly)

    def dispose(self) -> None:
        self.engine.dispose()
