"""Demo complaints for `wuye init --demo`, so a first-time user opens an inbox with work in it: one
just recorded, one classified and waiting for engineering, one handled and waiting for its
follow-up call. Every step goes through the real use cases as the demo user whose lane it is in,
so the history, deadlines and audit chain are exactly what real work leaves behind."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.clock import Clock, to_iso
from engine.usecases.runner import Database, handle, transactions
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task

_OWNERS = [
    ({"complainant": "张先生", "room": "3-2-1102", "phone": "13800000001", "channel": "phone",
      "content": "楼上装修噪音，晚上十点后仍在施工"}, "intake"),
    ({"complainant": "李女士", "room": "5-1-0801", "phone": "13800000002", "channel": "visit",
      "content": "单元门禁刷卡无反应，老人进出不便"}, "classified"),
    ({"complainant": "王先生", "room": "7-3-0203", "phone": "13800000003", "channel": "phone",
      "content": "地下车库B2照明灯坏了三盏"}, "handled"),
]


@transactions
def seed_demo_complaints(db: Database, *, clock: Clock) -> list[int]:
    """The demo instances' ids; nothing when complaint.bpmn is not deployed or complaints exist."""
    with db.uow(readonly=True) as uow:
        if uow.definitions.latest("bpmn", "complaint") is None or uow.instances.search(process_id="complaint", limit=1):
            return []
    made = []
    for start, stage in _OWNERS:
        started = _as(db, clock, "dispatcher", start_instance, process_id="complaint",
                      data={**start, "received_at": to_iso(clock.now())})
        made.append(started["instance"])
        if stage == "intake":
            continue
        ready = _as(db, clock, "dispatcher", complete_task, task_id=_task(started, "intake"),
                    data={"receiver": "调度员小王"})
        ready = _as(db, clock, "butler", complete_task, task_id=_task(ready, "classify"),
                    data={"complaint_type": "valid", "severity": "general", "responsible_dept": "engineering",
                          "category": "access_control" if "门禁" in start["content"] else "corridor_light"})
        if stage == "classified":
            continue
        ready = _as(db, clock, "engineering", complete_task, task_id=_task(ready, "accept_engineering"),
                    data={"contact_note": "已电话联系业主，约定今天处理"})
        _as(db, clock, "engineering", complete_task, task_id=_task(ready, "handle_engineering"),
            data={"result": "已更换灯管三支，恢复照明"})
    return made


def _as(db: Database, clock: Clock, user: str, use_case: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = handle(db, use_case, actor=user, clock=clock, **kwargs)
    return result


def _task(result: dict[str, Any], name: str) -> str:
    return str(next(t["id"] for t in result["ready"] if t["name"] == name))
