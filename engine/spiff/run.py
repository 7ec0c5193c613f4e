"""``Run``: one loaded workflow with the few operations wuye needs, in our own small types.

Why a seam: SpiffWorkflow is untyped and its script engine is unsafe by default. A Run always has
our sandboxed script engine attached (after every construction, including a load); everything the
rest of wuye reads from a workflow comes out as the small frozen views below."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime as _datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.spiff.boundary import fire_error_boundary
from engine.spiff.clock import current_now
from engine.spiff.limits import check_step_budget
from engine.spiff.state import ProcessSpec, StateRefused, dump_workflow, load_workflow
from engine.spiff.task_facts import cycles_left, due_of, enclosing, gateway_timer, kind_of, state_name
from engine.spiff.timers import CYCLE_CATCH_UP

# SpiffWorkflow is untyped: inside this module its objects are Any, and nothing of theirs leaves it.
SpiffTask = Any          # SpiffWorkflow.task.Task
SpiffSpec = Any          # SpiffWorkflow.specs.base.TaskSpec
ScriptEngine = Any       # SpiffWorkflow.bpmn.script_engine.PythonScriptEngine (ours: engine.spiff.sandbox)
_OPEN = (TaskState.READY, TaskState.STARTED, TaskState.WAITING)     # a branch that is under way
# task id -> (its spec, its state, cycles left for a cycle timer): what ``changes_since`` compares
Snapshot = dict[UUID, tuple[SpiffSpec, int, int | None]]


@dataclass(frozen=True)
class UserTaskView:
    id: str
    name: str            # BPMN element id
    title: str
    data: dict[str, Any]
    within: tuple[str, ...] = ()   # ids of the subprocess tasks it runs inside, innermost first


@dataclass(frozen=True)
class TimerView:
    task_id: str
    element_id: str
    due: _datetime
    guarded_task_id: str | None
    interrupting: bool


@dataclass(frozen=True)
class Change:
    task_id: str
    element_id: str | None     # None for SpiffWorkflow's internal tasks
    kind: str                  # 'userTask', 'boundaryEvent', 'intermediateCatchEvent', 'endEvent', ...
    old: str | None            # state name before ('READY', ...) or None if new
    new: str | None            # state name after, or None if it left the tree
    count: int = 1             # a cycle timer's firings in this change (several when it caught up)


class NotWaiting(Exception):
    """The workflow has no catch event waiting for that message."""


class TaskNotReady(Exception):
    """The task is not (or no longer) ready."""


class StepFailed(Exception):
    """A script, condition, decision table or timer expression failed while the workflow ran.
    ``element`` is the BPMN element id, when SpiffWorkflow knows it."""

    def __init__(self, message: str, element: str | None = None):
        super().__init__(message)
        self.message, self.element = message, element


@contextmanager
def _reported(what: str) -> Iterator[None]:
    """SpiffWorkflow raises its own exceptions, and sometimes a bare Exception ('Invalid duration')."""
    try:
        yield
    except (NotWaiting, TaskNotReady, StateRefused):
        raise
    except Exception as e:
        spec = getattr(e, "task_spec", None)
        element = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
        detail = getattr(e, "error_type", "") or type(e).__name__
        cause = e.__context__ if e.__context__ is not None and str(e.__context__) else None
        text = f"{what}: {detail}: {e}" + (f" ({cause})" if cause is not None and str(cause) not in str(e) else "")
        raise StepFailed(text, element) from e


class Run:
    """One workflow loaded for one step. Every method that may touch timers must run inside
    ``clock_context``; the script engine given here is attached after every construction."""

    def __init__(self, workflow: BpmnWorkflow, script_engine: ScriptEngine):
        self.wf = workflow
        self.attach(script_engine)

    def attach(self, script_engine: ScriptEngine) -> None:
        """Our sandboxed script engine, bound to this step's clock (a cached workflow is given the
        engine of each step that takes it)."""
        self.wf.script_engine = script_engine

    @classmethod
    def start(cls, spec: ProcessSpec, data: dict[str, Any], script_engine: ScriptEngine) -> Run:
        wf = BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=script_engine)
        start = wf.get_tasks(state=TaskState.READY)[0]
        start.data.update(data)
        return cls(wf, script_engine)

    @classmethod
    def load(cls, spec: ProcessSpec, state: str, script_engine: ScriptEngine) -> Run:
        return cls(load_workflow(spec, state), script_engine)

    def dump(self) -> str:
        """The state to store (compacted first: see ``state.compact``)."""
        return dump_workflow(self.wf)

    # -- stepping ---------------------------------------------------------------------------------

    def settle(self, now: Snapshot | None = None, max_rounds: int = 100) -> Snapshot:
        """Run engine tasks and fire due timers until nothing more can happen without a person, a
        message or the clock moving on. (do_engine_steps ends with refresh_timers, so a timer that
        just became due is only run by the next round.)

        ``now``: the caller's snapshot of the workflow as it is, if it has one. Returns the snapshot
        it ended on: a snapshot walks every task, and a step would otherwise take each one twice."""
        before = self.snapshot() if now is None else now
        for _ in range(max_rounds):
            with _reported("流程执行出错 (the process failed)"):
                check_step_budget()
                self.wf.do_engine_steps()
            # Done when nothing is left to run and no waiting timer is due (a cycle timer several
            # periods behind fires one period per refresh, and its branch may be a user task only;
            # a timer reached overdue in this round fires in the next), or when a due timer's round
            # changed nothing. Deciding from the tasks, not from a second round, saves that round.
            after = self.snapshot()
            pending = self._pending(current_now())
            if pending is None or (pending == "timer" and after == before):
                return after
            before = after
        raise RuntimeError(f"the workflow did not settle after {max_rounds} rounds (a timer loop?)")

    def _pending(self, now: _datetime) -> str | None:
        """What another round would run: 'engine' (a ready engine task), 'timer' (a waiting timer
        due by ``now``), or None."""
        pending = None
        for t in self._tasks():
            if t.state == TaskState.READY and not t.task_spec.manual:
                return "engine"
            if (pending is None and t.state == TaskState.WAITING
                    and isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)):
                due = due_of(t.internal_data.get("event_value"))
                if due is not None and due <= now:
                    pending = "timer"
        return pending

    def complete(self, task_id: str, data: dict[str, Any]) -> None:
        task = self._ready_user_task(task_id)
        task.data.update(data)
        with _reported("流程执行出错 (the process failed)"):
            task.run()

    def send_message(self, name: str, payload: dict[str, Any]) -> None:
        event = BpmnEvent(MessageEventDefinition(name), payload={"payload": dict(payload), "result_var": name})
        try:
            with _reported("消息处理出错 (the message failed)"):
                self.wf.send_event(event)
        except StepFailed as e:
            if isinstance(e.__cause__, WorkflowException) and "not waiting" in str(e.__cause__):
                raise NotWaiting(str(e.__cause__)) from None
            raise

    def throw_error(self, task_id: str, boundary_id: str, payload: dict[str, Any]) -> None:
        """A worker's BPMN error for external task ``task_id``, caught by its error boundary event
        ``boundary_id`` (engine/spiff/boundary.py); TaskNotReady when that cannot be."""
        self._ready_user_task(task_id)
        if not fire_error_boundary(self.wf, task_id, boundary_id, payload):
            raise TaskNotReady(task_id)

    def _ready_user_task(self, task_id: str) -> SpiffTask:
        try:
            task = self.wf.get_task_from_id(UUID(task_id))
        except (TaskNotFoundException, ValueError):
            task = None
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id)
        return task

    # -- reading ----------------------------------------------------------------------------------

    @property
    def status(self) -> str:
        if any(t.state == TaskState.ERROR for t in self._tasks()):
            return "error"
        if self.wf.is_completed():
            return "cancelled" if self.wf.is_completed() and not self.wf.success else "completed"
        return "running"

    @property
    def data(self) -> dict[str, Any]:
        """The instance's data as a person reads it: the workflow's once completed; while it runs,
        the last task's merged with every open task's (ready, started, waiting), the most recently
        changed last. Parallel branches (a deadline watcher, the daily audit beside the handling) each
        hold their own copy of the data, so a branch finishing last must not hide what another set —
        the complaint's category after 审核记录 was done beside it. While the path runs inside an
        embedded subprocess, its last task is the one that moved: the top workflow's ``last_task``
        stays at the subprocess's parent until the subprocess ends. With the process variables."""
        if self.wf.is_completed():
            data = dict(self.wf.data)
        else:
            running = [sp for sp in self.wf.subprocesses.values() if not sp.completed and sp.last_task is not None]
            last = max(running, key=lambda sp: sp.depth).last_task if running else self.wf.last_task
            branches = [t for t in self._tasks() if t.state in _OPEN and t is not last]
            data = {}
            for task in sorted([*branches, *([last] if last is not None else [])], key=lambda t: t.last_state_change):
                data.update(task.data)
        data.pop("data_objects", None)
        return {**data, **self.variables}

    @property
    def variables(self) -> dict[str, Any]:
        """The process's BPMN data objects (``bpmn:dataObject``): the one place a value is shared by
        every path and every event subprocess (fee_collection's ``balance``), since each task
        otherwise holds its own copy of the data. Tasks read and write them only through data
        associations; here they are read-only."""
        return dict(self.wf.data.get("data_objects") or {})

    def ready_user_tasks(self) -> list[UserTaskView]:
        return [UserTaskView(str(t.id), t.task_spec.bpmn_id, t.task_spec.bpmn_name or t.task_spec.bpmn_id,
                             t.data, enclosing(t))
                for t in self._tasks() if t.state == TaskState.READY and t.task_spec.manual]

    def waiting_timers(self) -> list[TimerView]:
        out: list[TimerView] = []
        for t in self._tasks():
            if t.state != TaskState.WAITING:
                continue
            definition = getattr(t.task_spec, "event_definition", None)
            gated = gateway_timer(t.task_spec)
            if not isinstance(definition, TimerEventDefinition) and gated is None:
                continue
            value = t.internal_data.get("event_value")
            due = due_of(value)
            if due is None:
                continue
            guarded = None
            if isinstance(t.parent.task_spec, BoundaryEventSplit):
                main = next((c for c in t.parent.children if not isinstance(c.task_spec, BoundaryEvent)), None)
                guarded = str(main.id) if main is not None else None
            out.append(TimerView(str(t.id), gated or t.task_spec.bpmn_id, due, guarded,
                                 bool(getattr(t.task_spec, "cancel_activity", True))))
        return out

    def recompute_date_timers(self) -> list[tuple[str, _datetime, _datetime]]:
        """Evaluate each waiting date timer's expression again (after the business calendar
        changed) and give it the new due time: ``(timer task id, old due, new due)`` of those that
        moved. Durations and cycles count from when they began, not from the calendar: unchanged."""
        moved = []
        for t in self._tasks():
            definition = getattr(t.task_spec, "event_definition", None)
            if t.state != TaskState.WAITING or not isinstance(definition, TimeDateEventDefinition):
                continue
            old = due_of(t.internal_data.get("event_value"))
            if old is None or t.internal_data.get("event_fired"):
                continue
            with _reported(t.task_spec.bpmn_id or t.task_spec.name):
                value = self.wf.script_engine.evaluate(t, definition.expression)
                new = TimerEventDefinition.parse_time_or_duration(value)
            if new != old:
                t.internal_data["event_value"] = value
                moved.append((str(t.id), old, new))
        return moved

    def waiting_messages(self) -> list[str]:
        return sorted({e.name for e in self.wf.waiting_events() if e.event_type == "MessageEventDefinition"})

    def waiting_signals(self) -> list[str]:
        return sorted({e.name for e in self.wf.waiting_events() if e.event_type == "SignalEventDefinition"})

    def send_signal(self, name: str, payload: dict[str, Any]) -> None:
        """A signal broadcast from outside; NotWaiting when nothing of this workflow catches it."""
        if name not in self.waiting_signals():
            raise NotWaiting(f"not waiting for signal {name}")
        with _reported("信号处理出错 (the signal failed)"):
            # caught into the catching task's data under the signal's name, as a message is
            self.wf.send_event(BpmnEvent(SignalEventDefinition(name), payload={name: dict(payload)}))

    def errors(self) -> list[str]:
        return [f"{t.task_spec.bpmn_id or t.task_spec.name}" for t in self._tasks() if t.state == TaskState.ERROR]

    def element_states(self) -> dict[str, str]:
        """BPMN element id -> 'active' (ready), 'waiting' (timer/message) or 'completed', for the
        instance diagram. An element met more than once (a loop) shows its liveliest state."""
        rank = {"completed": 0, "waiting": 1, "active": 2}
        out: dict[str, str] = {}
        for t in self._tasks():
            element = getattr(t.task_spec, "bpmn_id", None)
            if t.state == TaskState.COMPLETED:
                state = "completed"
            elif t.state in (TaskState.READY, TaskState.STARTED):
                state = "active"
            elif t.state == TaskState.WAITING:
                state = "waiting"
            else:
                continue
            if element and rank[state] >= rank.get(out.get(element, "completed"), 0):
                out[element] = state
        return out

    def snapshot(self) -> Snapshot:
        """task id -> (spec, state, cycles left): a cycle timer fires without changing state (it
        stays WAITING and spawns a branch), so its remaining-cycles counter is part of the picture."""
        return {t.id: (t.task_spec, t.state, cycles_left(t)) for t in self._tasks()}

    def _tasks(self) -> Iterator[SpiffTask]:
        """Every task of the workflow and its subprocesses, straight from the task dicts: a tree walk
        through SpiffWorkflow's filtering iterator costs several times more, and we do it often."""
        yield from self.wf.tasks.values()
        for sub in self.wf.subprocesses.values():
            yield from sub.tasks.values()

    def changes_since(self, before: Snapshot, now: Snapshot | None = None) -> list[Change]:
        """State changes since ``before`` (up to ``now``, a snapshot of the workflow as it is, taken
        here if not given). A cycle timer's firings are reported as changes to the pseudo-state
        ``FIRED`` (one per cycle used); its own end, when all cycles are used, is kind
        ``timer_cycle_end`` so nobody mistakes it for one more firing."""
        after = self.snapshot() if now is None else now
        out: list[Change] = []
        # in the order the tasks were created (the tree's), then those that left it: deterministic
        for key in [*after, *(k for k in before if k not in after)]:
            tid = str(key)
            spec = (after[key] if key in after else before[key])[0]
            old = before[key][1] if key in before else None
            new = after[key][1] if key in after else None
            cycle = isinstance(getattr(spec, "event_definition", None), CycleTimerEventDefinition)
            if cycle:
                was = before[key][2] if key in before else None
                left = after[key][2] if key in after else None
                if was is not None and left is not None and was - left > CYCLE_CATCH_UP:
                    out.append(Change(tid, spec.bpmn_id, "timer", "WAITING", "FIRED", count=was - left))
                elif was is not None and left is not None and left < was:
                    out.extend(Change(tid, spec.bpmn_id, "timer", "WAITING", "FIRED") for _ in range(was - left))
            if old != new:
                out.append(Change(tid, spec.bpmn_id, "timer_cycle_end" if cycle else kind_of(spec),
                                  state_name(old), state_name(new)))
        return out

    def timer_due(self, task_id: str) -> _datetime | None:
        """When a (date or duration) timer task falls or fell due; it keeps its value after firing, so
        a deadline that fired can be compared with who held the work at that moment."""
        try:
            task = self.wf.get_task_from_id(UUID(task_id))
        except (TaskNotFoundException, ValueError):
            return None
        return due_of(task.internal_data.get("event_value")) if task is not None else None

    def task_data(self, task_id: str) -> dict[str, Any]:
        try:
            task = self.wf.get_task_from_id(UUID(task_id))
        except (TaskNotFoundException, ValueError):
            return {}
        return dict(task.data) if task is not None else {}
