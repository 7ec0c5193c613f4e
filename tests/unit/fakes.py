"""A fake database and unit of work in memory (the cosmicpython way), for the use cases that need no
workflow: the repositories hold plain dicts and lists of our own model objects, and only what a unit
of work commits reaches the fake database, so a refused or failed use case visibly leaves nothing.

Only the repository methods those use cases call are here. A fake of storage, never of a use case."""
from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

from engine.rules.groups import GROUPS
from storage.models import ApiToken, Definition, Group, Task, User
from storage.repositories import InboxKey
from storage.uow import ConcurrentUpdate

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


class FakeDatabase:
    """What is committed: users, tokens, events, definitions, tasks; and how often it was committed."""

    def __init__(self):
        self.groups = {gid: Group(id=gid, name=name) for gid, name in GROUPS.items()}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, ApiToken] = {}
        self.events: list[dict] = []
        self.definitions: list[Definition] = []
        self.tasks: dict[str, tuple[Task, int]] = {}          # id -> (row, definition id)
        self.commits = 0
        self.conflict_on_commit = False                       # someone else commits the same rows first
        self.units: list[FakeUnitOfWork] = []
        self.login_attempts: dict[str, tuple[datetime, int]] = {}     # key -> (window start, attempts)
        self._ids = count(1)

    def uow(self, readonly: bool = False) -> FakeUnitOfWork:
        unit = FakeUnitOfWork(self, readonly)
        self.units.append(unit)
        return unit

    # -- seeding (as if committed earlier) ----------------------------------------------------------

    def add_user(self, name: str, groups: list[str], *, password_hash: str = "!", active: bool = True) -> User:
        user = User(id=next(self._ids), name=name, display_name=name, password_hash=password_hash, active=active,
                    created_at=T0)
        user.groups = [self.groups[g] for g in groups]
        self.users[name] = user
        return user

    def add_definition(self, key: str, meta: dict, version: int = 1) -> Definition:
        definition = Definition(id=next(self._ids), kind="bpmn", key=key, name=meta.get("name", key),
                                version=version, content_hash=f"h{version}", file_name=f"{key}.bpmn", meta=meta,
                                deployed_by="system", deployed_at=T0)
        self.definitions.append(definition)
        return definition

    def add_task(self, definition: Definition, task_id: str, *, lane: str, due_at: datetime | None,
                 created_at: datetime = T0, instance_id: int = 1) -> Task:
        row = Task(id=task_id, instance_id=instance_id, process_id=definition.key, name="work", title=task_id,
                   lane=lane, candidate_groups=lane, state="ready", priority=0, room="3-2-1102", due_at=due_at,
                   created_at=created_at, assignee=None)
        self.tasks[task_id] = (row, definition.id)
        return row


class FakeUnitOfWork:
    """``with db.uow() as uow: ... uow.commit()``: what the repositories were given is kept only on commit."""

    def __init__(self, db: FakeDatabase, readonly: bool):
        self.db, self.readonly = db, readonly
        self.committed = False

    def __enter__(self) -> FakeUnitOfWork:
        self.users = FakeUsers(self.db)
        self.events = FakeEvents()
        self.definitions = FakeDefinitions(self.db)
        self.instances = FakeInstances(self.db)
        self.tasks = FakeTasks(self.db)
        self.logins = FakeLogins(self.db)
        self.calendar = FakeCalendar()
        return self

    def __exit__(self, *exc) -> None:
        pass                                    # rolled back: whatever was not committed is dropped

    def commit(self) -> None:
        if self.readonly:
            raise RuntimeError("commit() on a read-only unit of work")
        if self.db.conflict_on_commit:
            raise ConcurrentUpdate("the instance's version moved on")     # as storage.uow raises it
        self.db.users.update(self.users.added)
        self.db.tokens.update(self.users.tokens)
        self.db.events += self.events.appended
        self.db.login_attempts = self.logins.rows
        self.users.added, self.users.tokens, self.events.appended = {}, {}, []
        self.db.commits += 1
        self.committed = True


class FakeCalendar:
    """A database whose calendar table was never filled: the engine counts with chinese-calendar's data."""

    def version(self) -> int:
        return 0


class FakeUsers:
    def __init__(self, db: FakeDatabase):
        self.db = db
        self.added: dict[str, User] = {}
        self.tokens: dict[str, ApiToken] = {}

    def get(self, name: str) -> User | None:
        return self.added.get(name) or self.db.users.get(name)

    def active_groups(self, name: str, generation: int | None = None) -> frozenset[str] | None:
        user = self.get(name)
        if user is None or not user.active or generation not in (None, user.session_generation or 0):
            return None
        return frozenset(user.group_ids)

    def add(self, user: User) -> User:
        user.id = next(self.db._ids)
        self.added[user.name] = user
        return user

    def group(self, group_id: str) -> Group | None:
        return self.db.groups.get(group_id)

    def add_token(self, token: ApiToken) -> None:
        self.tokens[token.token_hash] = token

    def by_token(self, token_hash: str, now: datetime) -> tuple[str, frozenset[str]] | None:
        """As UserRepository.by_token: the active user's name and group ids, or None."""
        token = self.tokens.get(token_hash) or self.db.tokens.get(token_hash)
        if token is None or not token.expires_at > now:
            return None
        user = next((u for u in [*self.db.users.values(), *self.added.values()] if u.id == token.user_id), None)
        if user is None or not user.active:
            return None
        return user.name, frozenset(user.group_ids)


class FakeLogins:
    """As LoginAttemptRepository, over a copy of the committed counts (kept only on commit)."""

    def __init__(self, db: FakeDatabase):
        self.rows = dict(db.login_attempts)

    def count(self, limits, now: datetime, window) -> datetime | None:
        current = {key: (s, n) if (s, n) != (None, 0) and s > now - window else (now, 0)
                   for key, _ in limits for s, n in [self.rows.get(key, (None, 0))]}
        blocked = [current[key][0] + window for key, most in limits if current[key][1] >= most]
        if blocked:
            return max(blocked)
        self.rows.update({key: (s, n + 1) for key, (s, n) in current.items()})
        return None

    def blocked(self, limits, now: datetime, window) -> datetime | None:
        ends = [s + window for key, most in limits for s, n in [self.rows.get(key, (None, 0))]
                if s is not None and s > now - window and n >= most]
        return max(ends) if ends else None

    def forgive(self, cleared: str, lowered) -> None:
        self.rows.pop(cleared, None)
        for key in lowered:
            if key in self.rows and self.rows[key][1] > 0:
                self.rows[key] = (self.rows[key][0], self.rows[key][1] - 1)


class FakeEvents:
    def __init__(self):
        self.appended: list[dict] = []

    def append(self, *, type: str, actor: str, at: datetime, instance_id: int | None = None,
               task_id: str | None = None, data: dict | None = None) -> dict:
        event = {"type": type, "actor": actor, "at": at, "instance_id": instance_id, "task_id": task_id,
                 "data": data or {}}
        self.appended.append(event)
        return event


class FakeDefinitions:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def get(self, definition_id: int) -> Definition | None:
        return next((d for d in self.db.definitions if d.id == definition_id), None)

    def latest(self, kind: str, key: str) -> Definition | None:
        versions = [d for d in self.db.definitions if (d.kind, d.key) == (kind, key)]
        return max(versions, key=lambda d: d.version, default=None)


class FakeInstances:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def definition_ids(self, instance_ids) -> dict[int, int]:
        by_instance = {row.instance_id: definition for row, definition in self.db.tasks.values()}
        return {i: by_instance[i] for i in instance_ids}


class FakeTasks:
    """The inbox in its order (due soonest, undated last; then created, id), one keyset page at a time."""

    def __init__(self, db: FakeDatabase):
        self.db = db

    @staticmethod
    def _key(row: Task) -> tuple:
        return (row.due_at is None, row.due_at or T0, row.created_at, row.id)

    def inbox(self, *, user: str, groups, every_group: bool = False, limit: int = 500,
              after: InboxKey | None = None, overdue_at: datetime | None = None, **filters) -> list[Task]:
        assert not any(filters.values()), f"the fake inbox does not filter by {filters}"
        rows = [row for row, _ in self.db.tasks.values() if row.state == "ready"
                and (every_group or row.assignee == user or row.lane in set(groups))
                and (overdue_at is None or (row.due_at is not None and row.due_at < overdue_at))]
        rows.sort(key=self._key)
        if after is not None:
            start = (after.due_at is None, after.due_at or T0, after.created_at, after.id)
            rows = [row for row in rows if self._key(row) > start]
        return rows[:limit]

