"""Demo work for `wuye init --demo`, so a first-time user opens an inbox with work in it: three
complaints, each at its deadline on purpose — one **overdue** (the call came in 40 minutes ago and
still waits for its intake, due within 5 minutes of receipt: the sweep records C1 and alerts the
dispatch supervisor), one **due soon** (classified 100 minutes ago, waiting for engineering to accept it
within the 20 minutes left of its 2 hours), one **fresh** (handled, its follow-up call due in 3 days) —
and the front desk's daily work of procedures.md §7 (a call waiting to be
handed on, a spare key out until the end of the shift, a parcel waiting for its owner). Every step
goes through the real use cases as the demo user whose lane it is in, so the history, deadlines
and audit chain are exactly what real work leaves behind."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from engine.clock import Clock, FixedClock, to_iso
from engine.usecases.runner import Database, handle, transactions
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import complete_task

OVERDUE_BY = timedelta(minutes=40)     # how long ago the overdue case's call came in
DUE_SOON_AGO = timedelta(minutes=100)  # the due-soon case was classified this long ago: 20 minutes of
                                       # engineering's 2 hours to accept it are left

_OWNERS = [
    ({"complainant": "张先生", "room": "3-2-1102", "phone": "13800000001", "channel": "phone",
      "content": "楼上装修噪音，晚上十点后仍在施工"}, "intake"),       # first: its steps are the earliest
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
        # the overdue case was recorded when its call came in, 40 minutes before the others
        ago = {"intake": OVERDUE_BY, "classified": DUE_SOON_AGO}.get(stage)
        received = FixedClock(clock.now() - ago) if ago else clock
        started = _as(db, received, "dispatcher", start_instance, process_id="complaint",
                      data={**start, "received_at": to_iso(received.now())})
        made.append(started["instance"])
        if stage == "intake":
            continue
        ready = _as(db, received, "dispatcher", complete_task, task_id=_task(started, "intake"),
                    data={"receiver": "调度员小王"})
        ready = _as(db, received, "butler", complete_task, task_id=_task(ready, "classify"),
                    data={"complaint_type": "valid", "severity": "general", "responsible_dept": "engineering",
                          "category": "access_control" if "门禁" in start["content"] else "corridor_light"})
        if stage == "classified":
            continue
        ready = _as(db, clock, "engineering", complete_task, task_id=_task(ready, "accept_engineering"),
                    data={"contact_note": "已电话联系业主，约定今天处理"})
        _as(db, clock, "engineering", complete_task, task_id=_task(ready, "handle_engineering"),
            data={"result": "已更换灯管三支，恢复照明"})
    return made


# (process, start data, the steps after it: (task, lane user, data)) — one instance each, the front desk's day
_DESK_WORK: list[tuple[str, Callable[[Clock], dict[str, Any]], list[tuple[str, str, dict[str, Any]]]]] = [
    ("reception", lambda c: {"visitor": "陈女士", "room": "2-1-0602", "contact": "13900000001", "channel": "phone",
                             "matter": "地下车库B1出口道闸抬杆很慢，早高峰排队", "received_at": to_iso(c.now())}, []),
    ("key_loan", lambda c: {"borrower": "刘工", "borrower_dept": "engineering", "contact": "13700000001",
                            "key_no": "B2-03", "key_name": "地下二层水泵房", "quantity": 1, "purpose": "水泵房例行检修",
                            "return_by": to_iso(c.now() + timedelta(hours=4))},
     [("approve", "dept_supervisor", {"approved": True, "approver": "工程部主管"}),
      ("lend", "front_desk", {"handed_quantity": 1})]),
    ("parcel_storage", lambda c: {"kind": "mail", "owner": "赵先生", "room": "6-2-1501", "phone": "13600000001",
                                  "items": "快递纸箱", "quantity": 2, "mail_no": "SF1234567890", "sender": "快递员",
                                  "sender_signed": True, "received_at": to_iso(c.now())},
     [("notify", "front_desk", {"notify_way": "phone"})]),
]


@transactions
def seed_demo_desk_work(db: Database, *, clock: Clock) -> list[int]:
    """One instance of each deployed desk procedure that has none yet; the ids started."""
    made = []
    for process, start, steps in _DESK_WORK:
        with db.uow(readonly=True) as uow:
            if uow.definitions.latest("bpmn", process) is None or uow.instances.search(process_id=process, limit=1):
                continue
        ready = _as(db, clock, "front_desk", start_instance, process_id=process, data=start(clock))
        made.append(ready["instance"])
        for task, user, data in steps:
            ready = _as(db, clock, user, complete_task, task_id=_task(ready, task), data=data)
    return made


def _as(db: Database, clock: Clock, user: str, use_case: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = handle(db, use_case, actor=user, clock=clock, **kwargs)
    return result


def _task(result: dict[str, Any], name: str) -> str:
    return str(next(t["id"] for t in result["ready"] if t["name"] == name))
