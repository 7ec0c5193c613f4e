"""Database engines: the SQLite file by default, PostgreSQL (psycopg 3) through WUYE_DATABASE_URL."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from storage.chain import stored_json

DEFAULT_SQLITE = "sqlite:///instance/wuye.sqlite3"


def database_url(url: str | None = None) -> str:
    """The URL to use: explicit, else WUYE_DATABASE_URL, else the SQLite file under ./instance/.

    ``postgresql://`` is rewritten to the psycopg 3 driver, which is the one we install."""
    url = url or os.environ.get("WUYE_DATABASE_URL") or DEFAULT_SQLITE
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None, **kwargs: object) -> Engine:
    url = database_url(url)
    parsed = make_url(url)
    kwargs.setdefault("json_serializer", stored_json)     # canonical: the audit hashes event data as stored
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    """WAL so readers never wait for the writer, foreign keys on, and transactions we begin
    ourselves: a writing unit of work takes the write lock up front (BEGIN IMMEDIATE), so two
    writers are serialised instead of failing on a stale snapshot half-way through a step."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None           # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("wuye_write", True)
        # on the driver itself: SQLAlchemy's statement machinery around one keyword costs more than it
        driver = conn.connection.driver_connection
        assert driver is not None                 # a connection that is beginning is open
        driver.execute("BEGIN IMMEDIATE" if mode else "BEGIN")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
