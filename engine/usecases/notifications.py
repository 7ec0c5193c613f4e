"""The notification use cases: a user's in-app list and marking it read; the due sweep (due in 30
minutes, overdue, an escalation passing its own deadline) and the worker that sends the outbox,
both run by the timer loop.

**Sending, exactly once per recipient and event.** The outbox row is unique per (event key,
recipient, channel), written in the transaction of the step or sweep that caused it, so nothing is
queued twice. The worker sends each in three short transactions, never holding a lock (nor, on
SQLite, the write lock) across the network: (1) claim the row — attempts + 1 and a lease (the row's
next attempt moved LEASE ahead), committed; (2) send; (3) mark it sent, or schedule the retry after
1, 2, 4 … minutes (at most an hour), giving up after MAX_ATTEMPTS. A crash between (2) and (3) leaves
the lease to expire and the notice is sent again: delivery is **at least once** on every outgoing
channel. The retry carries the same idempotency key where the channel has one (Aliyun's ``OutId``,
the e-mail's ``Message-ID``); neither Aliyun SMS nor the group robots refuse a repeat, so a
receiver that must never see one de-duplicates by that key. A channel that fails delays only its own
notices: the step that wrote them committed long before."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine.clock import Clock, to_iso
from engine.errors import NotPermitted
from engine.notify import channels as wire
from engine.notify import outbox
from engine.rules.permissions import Actor
from engine.usecases.runner import handle, reads, transactions, writes
from storage.models import Notification
from storage.uow import Database, UnitOfWork

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=1)
SWEEP_BATCH = 200


def retry_after(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** min(max(attempts, 1) - 1, 10)), MAX_BACKOFF)


def notice_json(n: Notification) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "kind_name": outbox.KINDS.get(n.kind, n.kind), "title": n.title,
            "body": n.body, "instance": n.instance_id, "task": n.task_id, "at": to_iso(n.created_at),
            "read": n.read_at is not None}


@reads
def list_notifications(uow: UnitOfWork, *, actor: Actor, clock: Clock, limit: int = 100) -> dict[str, Any]:
    """The actor's in-app notices, newest first, and how many are unread."""
    return {"unread": uow.notifications.unread(actor.name),
            "notifications": [notice_json(n) for n in uow.notifications.inbox(actor.name, limit)]}


@writes
def mark_notifications_read(uow: UnitOfWork, *, actor: Actor, clock: Clock,
                            ids: list[int] | None = None) -> dict[str, Any]:
    """Mark the actor's notices ``ids`` (all of them when None) read; only their own."""
    marked = uow.notifications.mark_read(actor.name, ids, clock.now())
    return {"marked": marked, "unread": uow.notifications.unread(actor.name)}


# -- the timer loop's part -------------------------------------------------------------------------------

@transactions
def notify_due_tasks(db: Database, *, clock: Clock) -> int:
    """Due-soon and overdue notices of the ready tasks (their rows carry the deadlines): to the
    holder, else the task's groups; an escalation task that passes its own deadline also goes up
    to the next level (outbox.NEXT_LEVEL). Returns how many notices were written. Nothing owed
    (the usual case): one read, no write lock."""
    if not handle(db, _anything_due, actor=None, clock=clock):
        return 0
    written: int = handle(db, _notify_due, actor=None, clock=clock)
    return written


@reads
def _anything_due(uow: UnitOfWork, *, clock: Clock) -> bool:
    now = clock.now()
    return bool(uow.notifications.tasks_due_by(now, now + outbox.DUE_SOON, 1))


@writes
def _notify_due(uow: UnitOfWork, *, clock: Clock) -> int:
    now = clock.now()
    written = 0
    tasks = uow.notifications.tasks_due_by(now, now + outbox.DUE_SOON, SWEEP_BATCH)
    names = {d.key: d.name for d in uow.definitions.latest_all("bpmn")}
    soon_keys = uow.notifications.keys_present([f"due_soon:{t.id}" for t in tasks])
    for t in tasks:
        groups = [g for g in t.candidate_groups.split(",") if g]
        users = [t.assignee] if t.assignee else outbox.members(uow, groups)
        body = outbox.describe(names.get(t.process_id, t.process_id), t.instance_id, t.room, t.due_at)
        assert t.due_at is not None
        soon = t.due_at > now
        if soon and f"due_soon:{t.id}" in soon_keys:
            continue
        kind = "due_soon" if soon else "overdue"
        title = f"30分钟内到期：{t.title}" if soon else f"已超时：{t.title}"
        written += outbox.write(uow, kind=kind, key=f"{kind}:{t.id}", users=users, groups=groups, title=title,
                                body=body, now=now, instance_id=t.instance_id, task_id=t.id, marker=f"task:{t.id}")
        if not soon and outbox.is_escalation(t.name):
            up = sorted({outbox.NEXT_LEVEL[g] for g in groups if g in outbox.NEXT_LEVEL})
            if up:
                written += outbox.write(uow, kind="escalated", key=f"escalated_again:{t.id}",
                                        users=outbox.members(uow, up), groups=up, title=f"升级任务已超时：{t.title}",
                                        body=body, now=now, instance_id=t.instance_id, task_id=t.id)
    return written


@reads
def next_notice_due(uow: UnitOfWork, *, clock: Clock) -> datetime | None:
    """When the outbox's next notice is due to be sent (the timer loop sleeps no longer)."""
    return uow.notifications.next_due()


@transactions
def deliver_notifications(db: Database, *, clock: Clock, limit: int = 20) -> list[dict[str, Any]]:
    """Send the outgoing notices due now (at most ``limit``); returns what happened to each."""
    ids = handle(db, _due_notices, actor=None, clock=clock, limit=limit)
    return [done for done in (_deliver_one(db, notice_id, clock) for notice_id in ids) if done]


@reads
def _due_notices(uow: UnitOfWork, *, clock: Clock, limit: int) -> list[int]:
    return list(uow.notifications.due(clock.now(), limit))


def _deliver_one(db: Database, notice_id: int, clock: Clock) -> dict[str, Any] | None:
    """Three short transactions, none open while the provider is asked: claim, send, mark."""
    claimed = handle(db, _claim_notice, actor=None, clock=clock, notice_id=notice_id)        # (1) claim
    if claimed is None or isinstance(claimed, dict):
        return claimed                                           # taken meanwhile, or its channel is gone
    kind, settings, outgoing, attempts, now = claimed
    error, provider_id = None, ""
    try:                                                         # (2) send, holding nothing
        provider_id = wire.send(kind, settings, outgoing, now)
    except wire.SendFailed as e:
        error = str(e)
    channel_name: str = handle(db, _mark_notice, actor=None, clock=clock, notice_id=notice_id,   # (3) mark
                               attempts=attempts, error=error)
    out: dict[str, Any] = {"id": notice_id, "channel": channel_name, "attempts": attempts}
    out |= {"sent": provider_id} if error is None else {"error": error}
    return out


@writes
def _claim_notice(uow: UnitOfWork, *, clock: Clock, notice_id: int) -> Any:
    """None (sent or taken meanwhile), the failure of a notice whose channel is gone, or what to send."""
    now = clock.now()
    n = uow.notifications.claim(notice_id, now)
    if n is None:
        return None
    channel = uow.notifications.channel(n.channel)
    n.attempts += 1
    n.next_attempt_at = now + LEASE
    if channel is None or not channel.enabled:
        n.failed_at, n.error = now, "渠道已删除或停用 (the channel is gone or disabled)"
        return {"id": notice_id, "channel": n.channel, "failed": n.error}
    mentions = tuple(c.phone for c in uow.notifications.contacts(
        [n.recipient] if not n.recipient.startswith("group:") else []).values() if c.phone)
    outgoing = wire.Outgoing(key=n.key, address=n.address, title=n.title, body=n.body, mentions=mentions)
    return channel.kind, dict(channel.settings), outgoing, n.attempts, now


@writes
def _mark_notice(uow: UnitOfWork, *, clock: Clock, notice_id: int, attempts: int, error: str | None) -> str:
    n = uow.notifications.get(notice_id)
    assert n is not None
    now = clock.now()
    if error is None:
        n.sent_at, n.error = now, None
    elif attempts >= MAX_ATTEMPTS:
        n.failed_at, n.error = now, error
    else:
        n.next_attempt_at, n.error = now + retry_after(attempts), error
    return str(n.channel)


def may_configure(actor: Actor) -> None:
    if "admin" not in actor.groups:
        raise NotPermitted(f"{actor.name} 不是系统管理员，不能设置通知渠道 "
                           f"(only administrators configure notifications)")
