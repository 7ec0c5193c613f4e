"""The rule tables the engine reads, from the database: the latest deployed version of each
(penalties, move-in desks, the case library), read inside the caller's unit of work.

Why here: a step charges a violation from the penalty table, routes a move-in by the desk table and
shows the case library beside a complaint's form, and each must use the version in force at that
moment — the one a process owner just deployed in the browser — in the same transaction as the
step. A version is immutable, so its parsed form is kept per process, keyed by database, table and
version; a step asks only for the latest version numbers (one small query, made on first use). A
database on which no version of a table was deployed yet (tests that deploy processes only) reads
the table's seed file, as before."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from engine.rules import case_library, desks, penalties
from engine.rules.tables import join_file
from storage.uow import UnitOfWork

__all__ = ["RuleTables", "rule_tables"]

T = TypeVar("T")
_PARSED: dict[tuple[str, str, int], Any] = {}
_LIMIT = 64


class RuleTables:
    """What one unit of work reads of the rule tables (the latest versions, looked up once)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow
        self._latest: dict[str, int] | None = None

    def version(self, table: str) -> int | None:
        """The latest deployed version of ``table``; None while only its seed file exists."""
        if self._latest is None:
            self._latest = self._uow.rule_tables.latest_versions()
        return self._latest.get(table)

    def penalties(self) -> Mapping[str, penalties.PenaltyEntry]:
        return self._parsed("penalties", penalties.penalty_table, _penalties)

    def desks(self) -> desks.DeskTable:
        return self._parsed("move_in_desks", desks.desk_table, desks.desk_table_from)

    def case_library(self) -> Mapping[str, case_library.CaseEntry]:
        return self._parsed("case_library", case_library.library, case_library.checked_library)

    def _parsed(self, table: str, from_file: Callable[[], T], parse: Callable[[Any, str], T]) -> T:
        version = self.version(table)
        if version is None:
            return from_file()
        key = (self._uow.database, table, version)
        found = _PARSED.get(key)
        if found is None:
            stored = self._uow.rule_tables.version(table, version)
            assert stored is not None, f"{table} version {version} vanished inside a transaction"
            data = join_file(table, dict(stored.settings), [(r.key, dict(r.data)) for r in stored.rows])
            found = parse(data, f"{table} v{version}")
            if len(_PARSED) >= _LIMIT:
                _PARSED.clear()
            _PARSED[key] = found
        return cast(T, found)


def _penalties(data: dict[str, Any], _source: str) -> dict[str, penalties.PenaltyEntry]:
    return {k: v for k, v in data.items() if not k.startswith("_")}


def rule_tables(uow: UnitOfWork) -> RuleTables:
    return RuleTables(uow)
