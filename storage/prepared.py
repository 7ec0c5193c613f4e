"""Statements a workflow step runs every time, compiled once per dialect and run on the driver.

SQLAlchemy Core spends about 90 µs around each statement it executes (execution context, parameter
and result processing set up anew each time) where the driver itself needs under 10 µs, and a step
runs a dozen of them. A ``Prepared`` statement is a Core statement compiled once for the database's
dialect: its SQL text, its parameters in the driver's order, and the type processors SQLAlchemy
itself would apply (UTC datetimes, JSON) — the same types, looked up once. It runs on the driver's
cursor of the session's own connection, so inside the unit of work's transaction like any other
statement. Only statements with plain bound parameters (no expanding ``IN``) are prepared."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any]


class Prepared:
    """One Core statement, compiled lazily once per dialect."""

    def __init__(self, statement: Select[Any] | UpdateBase):
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, session: Session) -> tuple[_Compiled, Any]:
        dialect, driver = driver_of(session)
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _Compiled(self.statement, dialect)
        return compiled, driver

    def execute(self, session: Session, params: Mapping[str, Any]) -> int:
        """Run once; the number of rows it changed."""
        compiled, driver = self._for(session)
        cursor = driver.cursor()
        try:
            cursor.execute(compiled.sql, compiled.bind(params))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def execute_many(self, session: Session, rows: Iterable[Mapping[str, Any]]) -> None:
        compiled, driver = self._for(session)
        batch = [compiled.bind(row) for row in rows]
        if not batch:
            return
        cursor = driver.cursor()
        try:
            cursor.executemany(compiled.sql, batch)
        finally:
            cursor.close()

    def rows(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The rows a SELECT returns, each value as its column's type gives it (as SQLAlchemy would)."""
        compiled, driver = self._for(session)
        cursor = driver.cursor()
        try:
            cursor.execute(compiled.sql, compiled.bind(params))
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        return [compiled.result(row) for row in fetched]


def driver_of(session: Session) -> tuple[Dialect, Any]:
    """The dialect and the driver's connection of the session's transaction (begun if it has not
    begun), kept in the session for as long as that transaction lasts: asking the session for its
    connection each time costs more than many a statement."""
    transaction = session.get_transaction()
    kept = session.info.get(_DRIVER)
    if kept is not None and transaction is not None and kept[0] is transaction:
        return kept[1], kept[2]
    connection = session.connection()           # begins the transaction if it has not begun
    kept = (session.get_transaction(), connection.dialect, connection.connection.driver_connection)
    session.info[_DRIVER] = kept
    return kept[1], kept[2]


_DRIVER = "wuye.prepared.driver"


class _Compiled:
    def __init__(self, statement: Select[Any] | UpdateBase, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.names: Sequence[str] | None = compiled.positiontup      # None: the driver takes names
        self.bind_processors: dict[str, Processor] = {}
        self.literals: dict[str, Any] = {}      # values written into the statement (state = 'ready')
        for name, bind in compiled.binds.items():
            if bind.expanding:
                raise ValueError(f"an expanding parameter ({name}) cannot be prepared")
            if not bind.required:
                self.literals[name] = bind.value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.bind_processors[name] = processor
        self.result_processors: list[Processor | None] = (
            [column.type.dialect_impl(dialect).result_processor(dialect, None)
             for column in statement.selected_columns]
            if isinstance(statement, Select) else [])

    def bind(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = {name: (self.bind_processors[name](value) if name in self.bind_processors else value)
                  for name, value in {**self.literals, **params}.items()}
        return values if self.names is None else [values[name] for name in self.names]

    def result(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(value if processor is None or value is None else processor(value)
                     for processor, value in zip(self.result_processors, row, strict=True))
