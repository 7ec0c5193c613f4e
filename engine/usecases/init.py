"""initialize: create or upgrade the schema, the groups, every process file, and the demo users."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from engine.clock import Clock, to_iso
from engine.errors import BadInput
from engine.rules.groups import GROUPS
from engine.rules.passwords import generate_password_hash
from engine.rules.penalties import PROCESSES_DIR
from engine.rules.permissions import SYSTEM, Actor
from engine.step.search import index_missing
from engine.usecases.calendar import seed_calendar
from engine.usecases.demo import seed_demo_complaints, seed_demo_desk_work
from engine.usecases.deploy import deploy
from engine.usecases.rule_tables import seed_rule_tables
from engine.usecases.runner import handle, reads, transactions, writes
from engine.usecases.users import ensure_groups, new_user
from storage import schema
from storage.uow import Database, UnitOfWork


@transactions
def initialize(db: Database, *, clock: Clock, demo: bool = False, processes_dir: Path | None = None,
               simulation: bool = False) -> dict[str, Any]:
    """``simulation``: this database replays or simulates the past (tests, training, a simulated
    month): a clock earlier than today's is allowed on it. Set only when the database is new (no
    event yet), never cleared: a production database cannot become one to back-date a record."""
    before, after = schema.upgrade(db)
    if simulation:
        handle(db, _mark_simulation, actor=SYSTEM, clock=clock)
    handle(db, _groups_and_calendar, actor=SYSTEM, clock=clock)
    files = sorted(p for p in (processes_dir or PROCESSES_DIR).glob("*") if p.suffix in (".bpmn", ".dmn"))
    deployed = []
    if files:
        sources = [(p.name, p.read_bytes()) for p in files]
        deployed = handle(db, deploy, actor=SYSTEM, clock=clock, files=sources)["deployed"]
    rule_tables = handle(db, _rule_tables, actor=SYSTEM, clock=clock, folder=processes_dir)
    # instances made before the desk's search (migration 0021) get their search text, a batch at a time
    while handle(db, _index_missing, actor=SYSTEM, clock=clock):
        pass
    users = _add_demo_users(db, clock) if demo else []
    instances = [*seed_demo_complaints(db, clock=clock), *seed_demo_desk_work(db, clock=clock)] if demo else []
    return {"schema": {"from": before, "to": after}, "deployed": deployed, "rule_tables": rule_tables,
            "demo_users": users, "demo_instances": instances, "simulation": simulation or None}


@writes
def _mark_simulation(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> None:
    if uow.settings.get(SIMULATION) is None:
        if uow.merkle.size():
            raise BadInput("--simulation: 只能在新建的数据库上设置，这个数据库已有记录 "
                           "(only a new database can be made a simulation: this one has a history)")
        uow.settings.set(SIMULATION, "true", clock.now())


@writes
def _groups_and_calendar(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> None:
    ensure_groups(uow)
    seed_calendar(uow, clock)


@writes
def _rule_tables(uow: UnitOfWork, *, actor: Actor, clock: Clock, folder: Path | None) -> list[dict[str, Any]]:
    return seed_rule_tables(uow, clock=clock, folder=folder)


@writes
def _index_missing(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> int:
    return index_missing(uow)


def _add_demo_users(db: Database, clock: Clock) -> list[str]:
    """A user for each group, named after it (password = name), and ``demo`` in every group; the
    missing ones read first and their passwords hashed with no transaction open."""
    missing = handle(db, _missing_demo_users, actor=SYSTEM, clock=clock)
    hashes = {gid: generate_password_hash(gid) for gid in missing}
    return list(handle(db, _demo_users, actor=SYSTEM, clock=clock, hashes=hashes))


@reads
def _missing_demo_users(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> list[str]:
    return [gid for gid in [*GROUPS, "demo"] if uow.users.get(gid) is None]


@writes
def _demo_users(uow: UnitOfWork, *, actor: Actor, clock: Clock, hashes: dict[str, str]) -> list[str]:
    users = []
    for gid, password_hash in hashes.items():
        if uow.users.get(gid) is None:
            groups = list(GROUPS) if gid == "demo" else [gid]
            person, phone = DEMO_PEOPLE.get(gid, (gid, ""))
            new_user(uow, actor=actor, clock=clock, name=gid, groups=groups, password_hash=password_hash,
                     display_name=person, phone=phone)
            users.append(gid)
    return users


SIMULATION = "simulation"
# The demo users' real names and work phones (issue 11: pages show 王丽, not ``dispatcher``).
DEMO_PEOPLE: dict[str, tuple[str, str]] = {
    "front_desk": ("李静", "13900000101"), "dispatcher": ("王丽", "13900000102"),
    "dispatch_supervisor": ("赵强", "13900000103"), "butler": ("陈芳", "13900000104"),
    "cs_supervisor": ("刘洋", "13900000105"), "cs_manager": ("周敏", "13900000106"),
    "dept_supervisor": ("吴刚", "13900000107"), "engineering": ("张伟", "13900000108"),
    "security": ("孙磊", "13900000109"), "cleaning": ("黄秀英", "13900000110"),
    "finance": ("林娜", "13900000111"), "inspector": ("郑浩", "13900000112"),
    "archivist": ("何静", "13900000113"), "developer_cs": ("高峰", "13900000114"),
    "developer_engineering": ("马超", "13900000115"), "legal": ("罗律师", "13900000116"),
    "quality": ("梁审计", "13900000117"), "quality_officer": ("宋洁", "13900000118"),
    "process_owner": ("谢明", "13900000119"), "admin": ("韩冰", "13900000120"),
    "demo": ("演示用户", "13900000199"),
}


@reads
def is_simulation(uow: UnitOfWork, *, clock: Clock) -> bool:
    """Whether this database was created with `wuye init --simulation` (shown on every page)."""
    return uow.settings.get(SIMULATION) == "true"


def refuse_a_past_clock(now: datetime, today: datetime, simulation: bool) -> None:
    """A clock set earlier than the real one (``--now``) is for simulation databases only: on any
    other, a record could be back-dated by it."""
    if now < today and not simulation:
        raise BadInput(f"--now {to_iso(now)} 早于当前时间 {to_iso(today.replace(microsecond=0))}：只有模拟数据库"
                       "（wuye init --simulation 新建的）才能用过去的时间 (a clock in the past is for simulation "
                       "databases only)", fields={"--now": {"key": "clock.past", "message": "早于当前时间"}})
