"""Who is told what: notices written to the outbox in the transaction of whatever caused them.

Each notice is one row per (event key, recipient, channel) — the table's unique key — so a step or
a sweep that runs twice writes nothing twice. In-app notices are delivered as they are written;
SMS and e-mail go to the users whose contact settings give a phone or an address, held until the
end of their quiet hours; group robots (WeCom, DingTalk) speak for the groups their channel lists.
No channel is called here: sending is the worker's (a failed channel never blocks a step)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from engine.clock import SHANGHAI
from storage.uow import UnitOfWork

KINDS = {"new_task": "新任务", "assigned": "指派给您", "due_soon": "30分钟内到期", "overdue": "已超时",
         "escalated": "已升级"}
PERSONAL = ("sms", "email")          # channels that reach one person at their own address
GROUP_ROBOTS = ("wecom", "dingtalk")  # channels that post to a group's chat
DUE_SOON = timedelta(minutes=30)
# an escalation task that passes its own deadline goes on up (notified; the process itself records
# the violation): the next level of each supervising group
NEXT_LEVEL = {"cs_supervisor": "cs_manager", "dispatch_supervisor": "cs_manager", "dept_supervisor": "cs_manager"}
NOTICES_CHANNEL = "wuye_timers"      # the timer loop's own wake-up: it is also the outbox's worker


def is_escalation(element_id: str) -> bool:
    """The escalation tasks of a process (complaint's C7 ladder: ``escalate_supervisor`` …)."""
    return element_id.startswith("escalate_")


def in_quiet_hours(quiet_from: str, quiet_to: str, at: datetime) -> datetime | None:
    """When the quiet hours that hold ``at`` end (local time), or None when ``at`` is outside them
    (or none are set). A window may pass midnight (22:00–07:30)."""
    if not (quiet_from and quiet_to) or quiet_from == quiet_to:
        return None
    start, end = time.fromisoformat(quiet_from), time.fromisoformat(quiet_to)
    local = at.astimezone(SHANGHAI)
    now_t = local.time()
    inside = start <= now_t < end if start < end else (now_t >= start or now_t < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def write(uow: UnitOfWork, *, kind: str, key: str, users: Iterable[str], groups: Iterable[str], title: str,
          body: str, now: datetime, instance_id: int | None, task_id: str | None,
          marker: str | None = None) -> int:
    """The notices of one event: in-app and personal channels for ``users``, group robots for
    ``groups``. ``marker``: a recipient that records the event even when nobody is told (the due
    sweep looks for it). Returns how many rows were new; signals the worker when any goes out."""
    people = sorted({u for u in users if u and u != "system"})
    base = {"key": key, "kind": kind, "title": title[:200], "body": body, "created_at": now,
            "instance_id": instance_id, "task_id": task_id}
    rows: list[dict[str, Any]] = [{**base, "recipient": u, "channel": "inapp", "address": "", "sent_at": now}
                                  for u in people]
    if marker:
        rows.append({**base, "recipient": marker, "channel": "inapp", "address": "", "sent_at": now, "read_at": now})
    outgoing = 0
    channels = [c for c in uow.notifications.channels(enabled_only=True)
                if kind in (c.settings.get("kinds") or list(KINDS))]
    if channels:
        contacts = uow.notifications.contacts(people) if any(c.kind in PERSONAL for c in channels) else {}
        wanted = set(groups)
        for c in channels:
            if c.kind in PERSONAL:
                for u in people:
                    contact = contacts.get(u)
                    address = (contact.phone if c.kind == "sms" else contact.email) if contact else ""
                    if address:
                        held = in_quiet_hours(contact.quiet_from, contact.quiet_to, now) if contact else None
                        rows.append({**base, "recipient": u, "channel": c.name, "address": address,
                                     "next_attempt_at": held or now})
                        outgoing += 1
            elif c.kind in GROUP_ROBOTS:
                for g in sorted(wanted & set(c.settings.get("groups") or wanted)):
                    rows.append({**base, "recipient": f"group:{g}", "channel": c.name, "address": "",
                                 "next_attempt_at": now})
                    outgoing += 1
    new = uow.notifications.add_new(rows)
    if outgoing and new:
        uow.signal_on_commit(NOTICES_CHANNEL)
    return new


def describe(process_name: str, instance_id: int, room: str | None, due_at: datetime | None) -> str:
    """The line under a notice's title: the case and its deadline, in local time."""
    parts = [f"{process_name} #{instance_id}"]
    if room:
        parts.append(f"房号 {room}")
    if due_at is not None:
        parts.append("期限 " + due_at.astimezone(SHANGHAI).strftime("%m月%d日 %H:%M"))
    return "，".join(parts)


def members(uow: UnitOfWork, groups: Iterable[str]) -> list[str]:
    wanted = sorted(set(groups))
    return [name for name, _ in uow.users.members(wanted)] if wanted else []
