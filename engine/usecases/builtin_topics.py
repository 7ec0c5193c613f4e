"""Built-in topics: external tasks that wuye's own in-process worker does, so that one mechanism
(the external-task queue: locks, retries, incidents, history) serves both the work of workers
outside wuye and wuye's own outgoing actions.

The registry ``BUILTIN_TOPICS`` names each kind of work: the topics it serves (fixed names under
``wuye.``, or, for messages between instances, the messages a deployed process correlates), the
worker name its events carry, and the function that does one task (it completes the task, in the
caller's transaction). The timer loop of ``wuye serve`` / ``wuye worker`` runs ``serve_builtin_topics``
after each sweep (``wuye messages`` runs it once). When the work fails (a domain error), the
transaction is rolled back and the failure recorded as a worker's would be: the task comes back
after 1, then 2 minutes, and after ``RETRIES`` attempts it is an incident an admin sees, retries
(``PUT /engine-rest/external-task/{id}/retries``) or resolves by hand (``wuye incident``).

The built-in topics today:
- messages between instances (a message throw whose message another process correlates by key),
- ``wuye.signal``: a signal throw or signal end event, broadcast to every instance waiting for it,
- ``wuye.letter``: a service task ``camunda:topic="wuye.letter"`` with the property
  ``letter=reminder|demand|urgent|lawyer`` issues that letter (numbered, hashed, in the history).

Adding one: a ``BuiltinTopic`` in ``BUILTIN_TOPICS`` and, for a fixed topic that a service task
names, its name in engine/deploy/event_meta.py's ``SERVICE_TOPICS`` (deploy refuses any other
name under ``wuye.``). Another helper's notifications may register their outbox's topic here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.clock import Clock, instant
from engine.deploy.event_meta import LETTER_TOPIC, REPORT_TOPIC, SIGNAL_TOPIC
from engine.errors import WuyeError
from engine.rules.permissions import SYSTEM, Actor
from engine.step import runtime
from engine.usecases.external_tasks import record_failure
from engine.usecases.messages import (
    MESSAGES_WORKER,
    SIGNALS_WORKER,
    broadcast_thrown_signal,
    correlated_topics,
    deliver_thrown_message,
    free_for_builtin_worker,
)
from engine.usecases.monthly_report import REPORTS, REPORTS_WORKER, make_report
from engine.usecases.runner import ChangedFirst, handle, reads, transactions, writes
from storage.models import ExternalTask, Instance
from storage.uow import Database, UnitOfWork

__all__ = ["BUILTIN_TOPICS", "RETRIES", "BuiltinFailed", "BuiltinTopic", "serve_builtin_topics"]

RETRIES = 3                 # attempts before a built-in task is an incident
FIRST_RETRY_MS = 60_000     # then twice as long each time
LETTERS_WORKER = "wuye-letters"


class BuiltinFailed(WuyeError):
    """The work cannot be done; ``retry`` False: trying again cannot help (an incident at once)."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class BuiltinTopic:
    key: str                                              # what it is, in logs and the README
    worker: str                                           # the actor of its events
    topics: Callable[[UnitOfWork], list[str]]             # the topics it serves now
    work: Callable[[UnitOfWork, Clock, str], dict[str, Any] | None]   # one task; None: not ours now


def _held(uow: UnitOfWork, clock: Clock, task_id: str, prop: str) -> tuple[Instance, ExternalTask, str] | None:
    """The open service task under the instance's lock, with its property ``prop``; None: not ours now."""
    found = uow.external_tasks.get(task_id)
    if found is None or found.state != "open":
        return None
    instance = runtime.get_instance(uow, found.instance_id, for_update=True)
    row = uow.external_tasks.locked(task_id)
    if not free_for_builtin_worker(row, clock):
        return None
    assert row is not None
    value = ((instance.definition.meta["elements"].get(row.activity_id) or {}).get("properties") or {}).get(prop)
    return instance, row, str(value or "")


def _issue_letter(uow: UnitOfWork, clock: Clock, task_id: str) -> dict[str, Any] | None:
    """Complete the service task: the step issues the letter its ``letter`` property names
    (engine/step/documents.py), in the same transaction."""
    held = _held(uow, clock, task_id, "letter")
    if held is None:
        return None
    instance, row, kind = held
    if not kind:
        raise BuiltinFailed(f"{row.activity_id} 没有 letter 属性 (a {LETTER_TOPIC} task needs the property "
                            "letter=reminder|demand|urgent|lawyer)", retry=False)
    runtime.step(uow, instance, SYSTEM, clock, lambda r: r.complete(task_id, {}), acted_task=task_id,
                 submitted={"letter": kind})
    return {"instance": row.instance_id, "topic": LETTER_TOPIC, "letter": kind}


def _make_report(uow: UnitOfWork, clock: Clock, task_id: str) -> dict[str, Any] | None:
    """Complete the service task with the figures its ``report`` property names."""
    held = _held(uow, clock, task_id, "report")
    if held is None:
        return None
    instance, row, kind = held
    if kind not in REPORTS:
        raise BuiltinFailed(f"{row.activity_id} 的 report 属性应为 {'|'.join(REPORTS)} (a {REPORT_TOPIC} task needs "
                            f"the property report={'|'.join(REPORTS)}, got {kind!r})", retry=False)
    make_report(uow, clock, instance, task_id, kind)
    return {"instance": row.instance_id, "topic": REPORT_TOPIC, "report": kind}


BUILTIN_TOPICS: tuple[BuiltinTopic, ...] = (
    BuiltinTopic("messages", MESSAGES_WORKER, correlated_topics,
                 lambda uow, clock, task_id: deliver_thrown_message(uow, actor=SYSTEM, clock=clock, task_id=task_id)),
    BuiltinTopic("signals", SIGNALS_WORKER, lambda uow: [SIGNAL_TOPIC], broadcast_thrown_signal),
    BuiltinTopic("letters", LETTERS_WORKER, lambda uow: [LETTER_TOPIC], _issue_letter),
    BuiltinTopic("reports", REPORTS_WORKER, lambda uow: [REPORT_TOPIC], _make_report),
)


def _served(uow: UnitOfWork) -> dict[str, BuiltinTopic]:
    out: dict[str, BuiltinTopic] = {}
    for entry in BUILTIN_TOPICS:
        for topic in entry.topics(uow):
            out.setdefault(topic, entry)
    return out


@reads
def builtin_work(uow: UnitOfWork, *, actor: Actor, clock: Clock, limit: int = 50) -> list[str]:
    """The open tasks of the built-in topics that are due (not locked, not waiting out a retry, no
    incident), most urgent first."""
    topics = sorted(_served(uow))
    return [r.id for r in uow.external_tasks.fetchable(topics, clock.now(), limit, skip_locked=False, lock=False)] \
        if topics else []


@writes
def do_builtin_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str) -> dict[str, Any] | None:
    row = uow.external_tasks.get(task_id)
    entry = _served(uow).get(row.topic) if row is not None else None
    return entry.work(uow, clock, task_id) if entry is not None else None


@writes
def fail_builtin_task(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str, message: str,
                      retry: bool) -> dict[str, Any] | None:
    """Record a failed attempt of the built-in worker, as a worker's ``failure`` would be."""
    found = uow.external_tasks.get(task_id)
    if found is None or found.state != "open":
        return None
    runtime.get_instance(uow, found.instance_id, for_update=True)
    row = uow.external_tasks.locked(task_id)
    entry = _served(uow).get(row.topic) if row is not None else None
    if row is None or entry is None or row.state != "open":
        return None
    left = max((row.retries if row.retries is not None else RETRIES) - 1, 0) if retry else 0
    wait = FIRST_RETRY_MS * 2 ** (RETRIES - 1 - left) if left else 0
    record_failure(uow, row, by=entry.worker, now=clock.now(), retries=left, wait_ms=wait, message=message[:500])
    out: dict[str, Any] = {"instance": row.instance_id, "topic": row.topic}
    out.update({"incident": message} if left == 0 else {"retries": left, "retry_in_ms": wait})
    return out


@transactions
def serve_builtin_topics(db: Database, *, clock: Clock, limit: int = 50) -> list[dict[str, Any]]:
    """Each due task of a built-in topic, in a transaction of its own; a task another server is
    doing at the same moment is left to it."""
    todo = handle(db, builtin_work, actor=SYSTEM, clock=clock, limit=limit)
    out = []
    for task_id in todo:
        now = instant(clock)
        try:
            done = handle(db, do_builtin_task, actor=SYSTEM, clock=now, task_id=task_id)
        except ChangedFirst:
            continue
        except WuyeError as e:              # rolled back: nothing of the attempt is kept but its failure
            done = handle(db, fail_builtin_task, actor=SYSTEM, clock=now, task_id=task_id, message=e.message,
                          retry=getattr(e, "retry", True))
        if done is not None:
            out.append(done)
    return out
