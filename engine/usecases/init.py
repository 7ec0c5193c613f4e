"""initialize: create or upgrade the schema, the groups, every process file, and the demo users."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.clock import Clock
from engine.rules.groups import GROUPS
from engine.rules.penalties import PROCESSES_DIR
from engine.rules.permissions import SYSTEM
from engine.usecases.demo import seed_demo_complaints
from engine.usecases.deploy import deploy
from engine.usecases.runner import transactions
from engine.usecases.users import add_user, ensure_groups
from storage import schema
from storage.uow import Database


@transactions
def initialize(db: Database, *, clock: Clock, demo: bool = False, processes_dir: Path | None = None) -> dict[str, Any]:
    before, after = schema.upgrade(db)
    with db.uow() as uow:
        ensure_groups(uow)
        uow.commit()
    files = sorted(p for p in (processes_dir or PROCESSES_DIR).glob("*") if p.suffix in (".bpmn", ".dmn"))
    deployed = []
    if files:
        with db.uow() as uow:
            sources = [(p.name, p.read_bytes()) for p in files]
            deployed = deploy(uow, actor=SYSTEM, clock=clock, files=sources)["deployed"]
            uow.commit()
    users = []
    if demo:
        with db.uow() as uow:
            for gid in [*GROUPS, "demo"]:
                if uow.users.get(gid) is None:
                    groups = list(GROUPS) if gid == "demo" else [gid]
                    added = add_user(uow, actor=SYSTEM, clock=clock, name=gid, groups=groups, password=gid)
                    users.append(added["name"])
            uow.commit()
    instances = seed_demo_complaints(db, clock=clock) if demo else []
    return {"schema": {"from": before, "to": after}, "deployed": deployed, "demo_users": users,
            "demo_instances": instances}
