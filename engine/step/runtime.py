"""Loading, stepping and saving one instance inside a unit of work.

A step is: load the state (spec from our own store, sandboxed script engine attached), act, settle
(engine tasks and due timers run), then derive events by diffing task states, rewrite the task
projection and the next-timer column, and store the new state — all in the caller's transaction."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from engine.rules import letters, penalties
from engine.step import projection
from engine.spiff import run as bpmn
from engine.spiff.run import Run, StepFailed
from engine.rules.calendar import BusinessCalendar
from engine.clock import Clock, to_iso
from engine.errors import Conflict, NotFound, NotPermitted, WuyeError
from engine.rules.functions import expression_functions
from engine.rules.permissions import SYSTEM, TIMER, Actor
from engine.spiff.sandbox import sandbox_script_engine
from storage.models import Event, Instance, Task, Violation
from storage.uow import UnitOfWork

CALENDAR = BusinessCalendar()
# Signalled on commit when a step moves an instance's next timer earlier (cli/timer_loop.py listens).
TIMERS_CHANNEL = "wuye_timers"
PRIORITY = {"major": 2, "important": 1}


class ProcessFailed(WuyeError):
    """The process itself failed on this step (a script, condition or timer expression): nothing
    was saved; the message names the element."""
    exit_code = 1
    http_status = 422


def script_engine(clock: Clock):
    return sandbox_script_engine(expression_functions(clock, CALENDAR))


def get_instance(uow: UnitOfWork, instance_id: int, *, for_update: bool = False) -> Instance:
    instance = uow.instances.get(int(instance_id), for_update=for_update)
    if instance is None:
        raise NotFound(f"没有此流程实例 (no instance {instance_id})")
    return instance


def spec_of(instance: Instance) -> bpmn.ProcessSpec:
    definition = instance.definition
    return bpmn.load_spec(definition.id, definition.content_hash, lambda: definition.spec)


def load_run(instance: Instance, clock: Clock) -> Run:
    with bpmn.clock_context(clock):
        return Run.load(spec_of(instance), instance.state, script_engine(clock))


def step(uow: UnitOfWork, instance: Instance, actor: Actor, clock: Clock, action: Callable[[Run], None], *,
         run: Run | None = None, acted_task: str | None = None, submitted: dict | None = None,
         catch_up: bool = True) -> list[Event]:
    """Load (unless ``run`` is given), fire what fell due, act, settle, record; returns the events
    written. Raises ProcessFailed, with nothing written, when the process itself fails.

    Timers that fell due before this moment fire first, recorded as the timer's doing: a task done
    late, before the sweep came round, must not cancel its own deadline unrecorded (and a task an
    interrupting deadline took away is not completed: TaskNotReady). ``catch_up=False`` is for a
    workflow that was only just created."""
    written: list[Event] = []
    try:
        with bpmn.clock_context(clock):
            run = run or Run.load(spec_of(instance), instance.state, script_engine(clock))
            before = run.snapshot()
            if catch_up and run.settle(before) != before:
                written += record(uow, instance, run, before, TIMER, clock)
                before = run.snapshot()       # taken again: saving may have compacted the tree
            action(run)
            after = run.settle()
    except StepFailed as e:
        raise ProcessFailed(f"{e.message}" + (f" [element {e.element}]" if e.element else "")) from e
    except bpmn.TaskNotReady:
        raise Conflict("任务已不在待办状态（可能已到期转交）(the task is no longer ready)") from None
    return written + record(uow, instance, run, before, actor, clock, after=after, acted_task=acted_task,
                            submitted=submitted)


def record(uow: UnitOfWork, instance: Instance, run: Run, before: dict, actor: Actor, clock: Clock, *,
           after: dict | None = None, acted_task: str | None = None, submitted: dict | None = None) -> list[Event]:
    """Events, projections and state for what changed from snapshot ``before`` to ``after`` (the
    workflow as it is; taken here if not given)."""
    now = clock.now()
    meta = instance.definition.meta
    elements = meta.get("elements", {})
    changes = run.changes_since(before, after)
    open_rows = {t.id: t for t in uow.tasks.for_instance(instance.id, states=["ready"])}
    timers = run.waiting_timers()
    due_by_task: dict[str, datetime] = {}
    for tm in timers:
        if tm.guarded_task_id:
            due_by_task[tm.guarded_task_id] = min(tm.due, due_by_task.get(tm.guarded_task_id, tm.due))

    def due_at(view) -> datetime | None:
        """The earliest timer guarding the task itself or a subprocess it runs in."""
        return min((due_by_task[i] for i in (view.id, *view.within) if i in due_by_task), default=None)

    written: list[Event] = []

    def emit(type_: str, task_id: str | None = None, **data):
        written.append(uow.events.append(type=type_, actor=actor.name, at=now, instance_id=instance.id,
                                         task_id=task_id, data=data))

    finished = {c.task_id: c for c in changes if c.kind == "userTask" and c.old == "READY"}
    acted_row = None
    if acted_task in finished and finished[acted_task].new == "COMPLETED":
        emit("task_completed", acted_task, name=finished[acted_task].element_id, data=submitted or {})
        acted_row = open_rows.get(acted_task)
    for c in changes:
        # A timer completes only by firing; one already overdue when reached is created and fired in
        # the same step (old None or predicted), and that is a breach like any other.
        if c.kind == "timer" and (c.new == "FIRED" or (c.new == "COMPLETED" and c.old != "COMPLETED")):
            el = elements.get(c.element_id, {})
            emit("timer_fired", c.task_id, name=c.element_id, title=el.get("name", c.element_id))
            late = _late_holder(uow, instance, acted_row, actor, run.timer_due(c.task_id))
            _violation(uow, instance, el, c, open_rows, now, emit, actor, late_holder=late)
        elif c.kind == "message" and c.new == "COMPLETED" and c.old in ("WAITING", "READY"):
            emit("message_received", c.task_id, name=c.element_id)
    for tid, c in finished.items():
        row = open_rows.pop(tid, None)
        state = "completed" if c.new == "COMPLETED" else "cancelled"
        if tid != acted_task:
            emit(f"task_{state}", tid, name=c.element_id)
        if row is not None:
            uow.tasks.close(row, state=state, at=now, by=actor.name if state == "completed" else None)
    letters.issue_letters(uow, instance_id=instance.id, run=run, changes=changes, elements=elements,
                          actor=actor.name, now=now, emit=emit)   # elements with a `letter` property

    data_now = run.data
    for view in run.ready_user_tasks():
        el = elements.get(view.name, {})
        row = open_rows.pop(view.id, None)
        if row is None:
            row = Task(id=view.id, instance_id=instance.id, process_id=instance.process_id, name=view.name,
                       title=el.get("name") or view.title, lane=el.get("lane"),
                       candidate_groups=",".join(el.get("groups", [])), state="ready", room=instance.room,
                       priority=PRIORITY.get(str(view.data.get("severity")), 0), created_at=now)
            uow.tasks.add(row, el.get("groups", []))
            emit("task_ready", view.id, name=view.name, title=row.title, lane=row.lane,
                 due_at=to_iso(due_at(view)) if due_at(view) else None)
            if view.assignee is None and el.get("assignee"):   # a named assignee in the BPMN
                run.set_assignee(view.id, el["assignee"])
        row.assignee = run.assignee_of(view.id)
        row.values = projection.form_values(view.data, el.get("form", []))
        # the task's deadline is the earliest one it ever had: a non-interrupting deadline that fired
        # leaves the task overdue, it does not move its due time on to the next reminder
        row.due_at = min((d for d in (row.due_at, due_at(view)) if d is not None), default=None)
    for row in open_rows.values():        # no longer in the tree at all
        uow.tasks.close(row, state="cancelled", at=now, by=None)

    status = run.status
    if status != instance.status:
        if status in ("completed", "cancelled"):
            instance.ended_at = now
        emit(f"instance_{status}", None, **({"errors": run.errors()} if status == "error" else {}))
    instance.status = status
    instance.data = projection.jsonable(data_now)
    instance.waiting = projection.waiting_of(run, elements)
    instance.diagram = run.element_states()
    instance.state = run.dump()
    instance.serializer_version = bpmn.SERIALIZER_VERSION
    previous_due = instance.next_timer_at
    instance.next_timer_at = min((t.due for t in timers), default=None) if status == "running" else None
    if instance.next_timer_at is not None and (previous_due is None or instance.next_timer_at < previous_due):
        uow.signal_on_commit(TIMERS_CHANNEL)    # a timer loop may be sleeping past this new due time
    instance.updated_at = now
    instance.error = None
    if data_now.get("room") and not instance.room:
        instance.room = str(data_now["room"])[:64]
    uow.flush()
    return written


def _late_holder(uow, instance, acted: Task | None, actor: Actor, due: datetime | None) -> str | None:
    """Who held the work when a deadline passed that was already past as a person's action reached
    its timer: the task this step completed, if it was open by then; else, going back, the task
    whose completion opened it (a step completes one user task, and the tasks it opens are created
    at that same instant). None when the chain leaves the recorded tasks (e.g. a timer opened it)."""
    if acted is None or due is None or actor in (TIMER, SYSTEM):
        return None
    holder, by = acted, actor.name
    completed_at: dict[datetime, Task] | None = None
    while holder.created_at > due:
        if completed_at is None:
            completed_at = {r.completed_at: r for r in uow.tasks.for_instance(instance.id, states=["completed"])}
        holder = completed_at.get(holder.created_at)
        if holder is None or not holder.completed_by:
            return None
        by = holder.completed_by
    return by


def _violation(uow, instance, el: dict, change, open_rows: dict, now: datetime, emit, actor: Actor, *,
               late_holder: str | None = None) -> None:
    """A timer that carries a ``deadline`` property records a violation when it fires.

    Responsible: the assignee of the guarded task, else the ``responsible`` property, else the lane.
    A guarded user task reached only after its deadline (a deadline counted from receipt, on a later
    step: C4, C11) was not late by the hands of who just got it: the person holding the work when
    the deadline passed (``late_holder``, see _late_holder) is responsible.
    An intermediate timer guards no task: when it is already overdue as a person's action reaches
    it (e.g. a result reported the day after it was done), that person made it late."""
    props = el.get("properties") or {}
    deadline = props.get("deadline")
    if not deadline:
        return
    guarded = el.get("attached_to")
    row = next((r for r in open_rows.values() if r.name == guarded), None)
    elements = instance.definition.meta.get("elements", {})
    if row is not None and row.assignee:
        responsible, kind = row.assignee, "user"
    elif (row is None and late_holder and not props.get("responsible")
          and elements.get(guarded or "", {}).get("type") == "userTask"):
        responsible, kind = late_holder, "user"
    elif guarded is None and not props.get("responsible") and actor not in (TIMER, SYSTEM):
        responsible, kind = actor.name, "user"
    else:
        lane = (props.get("responsible") or (row.lane if row else None)
                or elements.get(guarded or "", {}).get("lane") or el.get("lane"))
        responsible, kind = lane or "unknown", "group"
    amount = penalties.amount_for(deadline, props)
    uow.violations.add(Violation(instance_id=instance.id, process_id=instance.process_id, deadline_id=deadline,
                                 element_id=change.element_id, task_id=row.id if row else None,
                                 responsible=responsible, responsible_kind=kind, amount=amount, at=now,
                                 description=props.get("description") or penalties.describe(deadline) or el.get("name", "")))
    emit("violation", change.task_id, deadline=deadline, responsible=responsible, amount=amount)
