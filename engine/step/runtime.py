"""The persisted step: load an instance's workflow, act on it, settle it, record what changed —
all in the caller's transaction.

Loading takes the workflow from the per-process cache when its version is the one just locked
(engine/step/cache.py), else restores it from the stored state with our spec and the sandboxed script
engine attached. Recording is a pipeline of stages with one job each, in this order:

1. ``history.record_completion`` — the actor's task_completed event;
2. ``history.record_caught`` — timers fired (each charged by ``deadlines``), messages caught;
3. ``projection.close_finished`` — rows of tasks that left the ready state;
4. ``documents.issue_letters`` — letters of the elements that completed;
5. ``projection.open_ready`` / ``close_vanished`` — rows of the ready tasks;
6. ``external.sync`` — rows of the external tasks (service and send tasks workers do);
7. ``state.save`` — the instance's row: status, state, next timer, read projections;
8. ``notices.tell`` — the outbox rows of the tasks made ready (new task, assigned, escalated).

No stage changes the workflow: the action given to ``step`` is the only thing that does."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.clock import Clock, to_iso
from engine.errors import BadInput, Conflict, NotFound, WuyeError
from engine.rules.calendar import BusinessCalendar
from engine.rules.functions import expression_functions
from engine.rules.permissions import TIMER, Actor
from engine.spiff import ProcessSpec, Run, Snapshot, StepFailed, TaskNotReady, clock_context, load_spec
from engine.spiff.limits import step_budget
from engine.spiff.sandbox import sandbox_script_engine
from engine.step import documents, external, history, notices, projection, state
from engine.step.cache import workflows
from engine.step.calendar import DEFAULT_CALENDAR, calendar_for
from engine.step.context import StepContext
from engine.step.rule_tables import rule_tables
from engine.step.state import TIMERS_CHANNEL
from storage.events import EventRow
from storage.models import Instance
from storage.step_rows import TaskRow
from storage.uow import UnitOfWork

__all__ = ["CALENDAR", "TIMERS_CHANNEL", "ProcessFailed", "StepResult", "get_instance", "load_run",
           "locked_instance", "spec_of", "start_run", "step", "timers_due"]

CALENDAR = DEFAULT_CALENDAR   # chinese-calendar's data: for callers with no database (previews of a model)


class ProcessFailed(WuyeError):
    """The process itself failed on this step (a script, condition or timer expression): nothing
    was saved; the message names the element."""
    exit_code = 1
    http_status = 422


class StepResult(list[EventRow]):
    """The events a step wrote (a list, oldest first), and the instance's ready task rows after it."""

    def __init__(self, events: list[EventRow], ready: list[TaskRow]):
        super().__init__(events)
        self.ready = ready


def script_engine(clock: Clock, uow: UnitOfWork | None = None, calendar: BusinessCalendar | None = None) -> Any:
    """``uow``: where the business calendar and the rule tables an expression reads (the move-in
    desks) come from; None counts with chinese-calendar's data and reads the tables' seed files (a
    workflow restored only to be looked at). ``calendar``: another calendar (what a change of the
    table would do to waiting timers)."""
    calendar = calendar or (calendar_for(uow) if uow is not None else CALENDAR)
    desk_table = rule_tables(uow).desks if uow is not None else None
    return sandbox_script_engine(expression_functions(clock, calendar, desk_table))


def get_instance(uow: UnitOfWork, instance_id: int, *, for_update: bool = False) -> Instance:
    """The instance; ``for_update``: row-locked until the transaction ends (see ``locked_instance``)."""
    if for_update:
        version = uow.instances.lock(int(instance_id))
        if version is None:
            raise NotFound(f"没有此流程实例 (no instance {instance_id})")
        return locked_instance(uow, int(instance_id), version)
    instance = uow.instances.get(int(instance_id))
    if instance is None:
        raise NotFound(f"没有此流程实例 (no instance {instance_id})")
    return instance


def locked_instance(uow: UnitOfWork, instance_id: int, version: int) -> Instance:
    """The object of an instance whose row this transaction has locked at ``version``: the one the
    last committed step of this process left, when it is of that version, else loaded. Kept again
    for the next step once this transaction commits (engine/step/cache.py)."""
    key = (uow.database, instance_id)
    kept = workflows.instances.take(key, version)
    instance = uow.instances.adopt(kept) if kept is not None else None
    if instance is None:
        instance = uow.instances.get(instance_id)
        if instance is None:         # the row was locked: it exists (a lock on no row would be None)
            raise NotFound(f"没有此流程实例 (no instance {instance_id})")
    held = instance
    uow.after_commit(lambda: workflows.instances.put(key, held.version, held))
    return instance


def spec_of(instance: Instance) -> ProcessSpec:
    definition = instance.definition
    return load_spec(definition.id, definition.content_hash, lambda: definition.spec)


def load_run(instance: Instance, clock: Clock, calendar: BusinessCalendar | None = None) -> Run:
    """The instance's workflow restored from its stored state (for reading: the cache is the step's)."""
    with clock_context(clock):
        return Run.load(spec_of(instance), instance.state, script_engine(clock, calendar=calendar))


def start_run(instance: Instance, data: dict[str, Any], clock: Clock, uow: UnitOfWork | None = None) -> Run:
    """A new workflow for a new instance, its start event holding ``data``."""
    return Run.start(spec_of(instance), data, script_engine(clock, uow))


def timers_due(instance: Instance, clock: Clock) -> bool:
    """Whether a timer of the instance fell due (or an incident waits for its retry): then a step
    first fires what fell due before the action."""
    return instance.error is not None or (instance.next_timer_at is not None and instance.next_timer_at <= clock.now())


def refuse_going_back(uow: UnitOfWork, instance: Instance, clock: Clock) -> None:
    """An instance's events are in time order: nothing is recorded at a time before its last event
    (a completion back-dated before the task existed, a claim before the step that made the task)."""
    last, now = uow.events.last_at(instance.id), clock.now()
    if last is not None and now < last:
        raise BadInput(f"时间不能倒退：流程实例 {instance.id} 的最后一条记录在 {to_iso(last)}，本次操作的时间 "
                       f"{to_iso(now)} 早于它 (the instance's last event is at {to_iso(last)}; nothing can be "
                       f"recorded at {to_iso(now)}, before it)",
                       fields={"--now": {"key": "clock.before_last_event", "message": "早于此实例的最后一条记录"}})


def _checkout(uow: UnitOfWork, instance: Instance, clock: Clock) -> Run:
    run = workflows.take((uow.database, instance.id), instance.version)
    engine = script_engine(clock, uow)
    if run is None:
        return Run.load(spec_of(instance), instance.state, engine)
    run.attach(engine)
    return run


def step(uow: UnitOfWork, instance: Instance, actor: Actor, clock: Clock, action: Callable[[Run], None], *,
         run: Run | None = None, acted_task: str | None = None, submitted: dict[str, Any] | None = None,
         catch_up: bool = True, open_rows: list[TaskRow] | None = None) -> StepResult:
    """Load (unless ``run`` is given: a new instance's), fire what fell due, act, settle, record;
    returns the events written and the ready rows. Raises ProcessFailed, with nothing written, when
    the process itself fails. The caller holds the instance's row lock; ``open_rows``: the
    instance's ready task rows, if the caller has read them under it.

    Timers that fell due before this moment fire first, recorded as the timer's doing: a task done
    late, before the sweep came round, must not cancel its own deadline unrecorded (and a task an
    interrupting deadline took away is not completed: TaskNotReady). ``catch_up=False`` is for a
    workflow that was only just created."""
    written: list[EventRow] = []
    if run is None:
        refuse_going_back(uow, instance, clock)
    try:
        with clock_context(clock), step_budget():
            run = run or _checkout(uow, instance, clock)
            before = run.snapshot()
            if catch_up and timers_due(instance, clock):
                caught_up = run.settle(before)
                if caught_up != before:
                    written += record(uow, instance, run, before, TIMER, clock, after=caught_up,
                                      open_rows=open_rows).written
                    open_rows = None                  # the catch-up changed them
                    before = run.snapshot()       # taken again: saving may have compacted the tree
            action(run)
            after = run.settle()
    except StepFailed as e:
        raise ProcessFailed(f"{e.message}" + (f" [element {e.element}]" if e.element else "")) from e
    except TaskNotReady:
        raise Conflict("任务已不在待办状态（可能已到期转交）(the task is no longer ready)") from None
    ctx = record(uow, instance, run, before, actor, clock, after=after, acted_task=acted_task, submitted=submitted,
                 open_rows=open_rows)
    kept, key = run, (uow.database, instance.id)

    def keep() -> None:                                   # the version as committed
        workflows.put(key, instance.version, kept)
        workflows.instances.put(key, instance.version, instance)
    uow.after_commit(keep)
    return StepResult(written + ctx.written, ctx.ready)


def record(uow: UnitOfWork, instance: Instance, run: Run, before: Snapshot, actor: Actor, clock: Clock, *,
           after: Snapshot | None = None, acted_task: str | None = None,
           submitted: dict[str, Any] | None = None, open_rows: list[TaskRow] | None = None) -> StepContext:
    """Events, projections and state for what changed from snapshot ``before`` to ``after`` (the
    workflow as it is; taken here if not given)."""
    ctx = StepContext(uow=uow, instance=instance, run=run, actor=actor, now=clock.now(),
                      changes=run.changes_since(before, after),
                      open_rows={t.id: t for t in (uow.step_rows.open_tasks(instance.id) if open_rows is None
                                                   else open_rows)},
                      timers=run.waiting_timers(), acted_task=acted_task, submitted=submitted)
    history.record_completion(ctx)
    history.record_caught(ctx)
    projection.close_finished(ctx)
    documents.issue_letters(ctx)
    projection.open_ready(ctx)
    projection.close_vanished(ctx)
    external.sync(ctx)
    state.save(ctx)
    notices.tell(ctx)
    return ctx
