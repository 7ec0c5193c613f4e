"""The repository of sign-in attempts: the login rate limit's counts, kept in the database so that
every server process counts against the same limit, and counted *before* the password is hashed.

A key is a digest (of a user name and an address, or of an address alone), so an attacker's
megabyte of user name costs one fixed-size row. A row counts the attempts of one window, which
starts with the first attempt counted; a row whose window has passed starts a new one when its key
comes back, and is deleted when another key is counted."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import LoginAttempt


class LoginAttemptRepository:
    def __init__(self, session: Session):
        self.s = session

    def count(self, limits: Sequence[tuple[str, int]], now: datetime, window: timedelta) -> datetime | None:
        """Count one attempt under every key of ``limits`` (key, most attempts per window) at once,
        atomically: the rows are locked (on SQLite the writing transaction already holds the database),
        so parallel attempts are counted one after the other and never all pass the check. Returns
        None when counted; when any key is at its limit, counts nothing and returns when the last
        full window ends (the moment the attempt may be made again)."""
        keys = sorted({key for key, _ in limits})
        self.s.execute(delete(LoginAttempt).where(LoginAttempt.window_start <= now - window,
                                                  LoginAttempt.key.not_in(keys)))
        rows = self._locked(keys, now)
        current = {key: (start, n) if start > now - window else (now, 0) for key, (start, n) in rows.items()}
        blocked = [current[key][0] + window for key, most in limits if current[key][1] >= most]
        if blocked:
            return max(blocked)
        for key, (start, n) in current.items():
            self.s.execute(update(LoginAttempt).where(LoginAttempt.key == key)
                           .values(window_start=start, attempts=n + 1))
        return None

    def blocked(self, limits: Sequence[tuple[str, int]], now: datetime, window: timedelta) -> datetime | None:
        """When the last full window of ``limits`` ends, if any key is at its limit; else None. A
        plain read (no lock, no write): most attempts of an attack are refused here, and on SQLite a
        refusal then never queues for the write lock. ``count`` decides, atomically, for the others."""
        keys = sorted({key for key, _ in limits})
        rows = {key: (start, n) for key, start, n in self.s.execute(
            select(LoginAttempt.key, LoginAttempt.window_start, LoginAttempt.attempts)
            .where(LoginAttempt.key.in_(keys), LoginAttempt.window_start > now - window))}
        ends = [rows[key][0] + window for key, most in limits if key in rows and rows[key][1] >= most]
        return max(ends) if ends else None

    def _locked(self, keys: list[str], now: datetime) -> dict[str, tuple[datetime, int]]:
        """The rows of ``keys``, made if missing and locked (in key order: no deadlock between two
        attempts). A row another transaction deleted between our insert and our select is made again."""
        rows: dict[str, tuple[datetime, int]] = {}
        for _ in range(3):
            missing = [key for key in keys if key not in rows]
            if not missing:
                break
            insert = pg_insert if self.s.get_bind().dialect.name == "postgresql" else sqlite_insert
            self.s.execute(insert(LoginAttempt).values([{"key": key, "window_start": now, "attempts": 0}
                                                        for key in missing])
                           .on_conflict_do_nothing(index_elements=["key"]))
            found = self.s.execute(select(LoginAttempt.key, LoginAttempt.window_start, LoginAttempt.attempts)
                                   .where(LoginAttempt.key.in_(missing)).order_by(LoginAttempt.key)
                                   .with_for_update())
            rows.update({key: (start, n) for key, start, n in found})
        if len(rows) != len(keys):
            raise RuntimeError("login attempt rows vanished three times in a row")
        return rows

    def forgive(self, cleared: str, lowered: Sequence[str]) -> None:
        """A right password: the count of key ``cleared`` starts again from nothing, and the counts of
        ``lowered`` lose the attempt that has just succeeded (it was counted as it began)."""
        self.s.execute(delete(LoginAttempt).where(LoginAttempt.key == cleared))
        self.s.execute(update(LoginAttempt).where(LoginAttempt.key.in_(list(lowered)), LoginAttempt.attempts > 0)
                       .values(attempts=LoginAttempt.attempts - 1))

    def tracked(self) -> int:
        """How many keys have a row (expired ones included until they are swept)."""
        return len(self.s.scalars(select(LoginAttempt.key)).all())
