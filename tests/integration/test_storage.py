"""Storage on SQLite and PostgreSQL: the schema comes from the migrations and upgrading is idempotent;
one unit of work is one transaction (nothing without commit, everything with it); times are stored
in UTC; the event chain's head follows every append; SQLite runs in WAL with foreign keys on."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from engine.clock import parse_instant
from storage import schema
from storage.chain import GENESIS, event_hash
from storage.models import ChainHead, Event, Instance

AT = parse_instant("2026-11-20T09:00:00+08:00")


def test_upgrading_an_up_to_date_schema_changes_nothing(db):
    assert schema.is_current(db)
    head = schema.current_revision(db)
    assert schema.upgrade(db) == (head, head)
    tables = set(inspect(db.engine).get_table_names())
    assert {"definitions", "instances", "tasks", "task_candidates", "events", "chain_head", "violations",
            "users", "groups", "alembic_version"} <= tables
    indexes = {i["name"] for i in inspect(db.engine).get_indexes("instances")}
    assert "ix_instance_next_timer" in indexes


def test_the_migrations_build_exactly_the_schema_the_models_declare(db):
    """A column or index added to storage/models/ without its Alembic revision (or the reverse)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base
    from storage.models.desk import unmodelled
    opts = {"compare_type": True, "include_name": lambda name, kind, parent: not unmodelled(name)}
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert differences == []


def test_nothing_is_written_without_commit_and_everything_with_it(db):
    with db.uow() as uow:
        uow.events.append(type="probe", actor="test", at=AT, data={"n": 1})
        uow.flush()
    with db.uow(readonly=True) as uow:
        assert [e for e in uow.events.all() if e.type == "probe"] == []
        before = uow.events.head()
        before = (before.seq, before.hash) if before else (0, GENESIS)
    with db.uow() as uow:
        first = uow.events.append(type="probe", actor="test", at=AT, data={"n": 1})
        second = uow.events.append(type="probe", actor="test", at=AT + timedelta(seconds=1), data={"n": 2})
        uow.commit()
    assert (first.seq, second.seq) == (before[0] + 1, before[0] + 2)
    assert first.prev_hash == before[1] and second.prev_hash == first.hash
    assert second.hash == event_hash(seq=second.seq, instance_id=None, type="probe", actor="test",
                                     at=AT + timedelta(seconds=1), task_id=None, data={"n": 2},
                                     prev_hash=first.hash)
    with db.uow(readonly=True) as uow:
        head = uow.session.get(ChainHead, 1)
        assert (head.seq, head.hash) == (second.seq, second.hash)


def test_an_exception_inside_a_unit_of_work_rolls_everything_back(db):
    class Boom(Exception):
        pass

    try:
        with db.uow() as uow:
            uow.events.append(type="probe", actor="test", at=AT)
            uow.flush()
            raise Boom
    except Boom:
        pass
    with db.uow(readonly=True) as uow:
        assert [e.type for e in uow.events.all()].count("probe") == 0


def test_times_are_stored_in_utc_and_read_back_aware(db):
    with db.uow() as uow:
        ev = uow.events.append(type="probe", actor="test", at=AT)
        uow.commit()
        seq = ev.seq
    with db.uow(readonly=True) as uow:
        stored = uow.session.scalar(select(Event.at).where(Event.seq == seq))
    assert stored == AT and stored.utcoffset() == timedelta(0)
    with db.engine.connect() as conn:
        raw = conn.execute(text("SELECT at FROM events WHERE seq = :s"), {"s": seq}).scalar()
    if isinstance(raw, str):                                      # SQLite keeps text
        assert raw.startswith(("2026-11-20 01:00:00", "2026-11-20T01:00:00"))
    else:
        assert raw.astimezone(UTC).replace(tzinfo=None) == datetime(2026, 11, 20, 1, 0, tzinfo=UTC).replace(tzinfo=None)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_an_instance_needs_an_existing_definition(db):
    with pytest.raises(IntegrityError), db.uow() as uow:
        uow.instances.add(Instance(definition_id=424242, process_id="ghost", status="running", state="",
                                   serializer_version="", started_by="t", started_at=AT, updated_at=AT,
                                   retries=0))
    with db.uow(readonly=True) as uow:
        assert uow.instances.search(process_id="ghost") == []
