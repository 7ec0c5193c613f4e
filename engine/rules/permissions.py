"""Who may do what. Every use case asks here; nothing else decides."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import NotPermitted
from engine.rules.groups import AUDITORS, SUPERVISORS


@dataclass(frozen=True)
class Actor:
    """The person (or the system: 'timer') on whose behalf a use case runs."""
    name: str
    groups: frozenset[str]

    @property
    def is_supervisor(self) -> bool:
        return bool(self.groups & SUPERVISORS)

    @property
    def is_auditor(self) -> bool:
        return bool(self.groups & AUDITORS)

    @property
    def working_groups(self) -> frozenset[str]:
        """Groups that let the actor act; membership in `quality` only lets them read."""
        return self.groups - AUDITORS


# A deployed process's meta (engine/deploy/meta.py ``process_meta``) as stored, JSON: read here for its
# "name", "start_groups" and "lanes" only.
ProcessMeta = Mapping[str, Any]

SYSTEM = Actor("system", frozenset())
TIMER = Actor("timer", frozenset())


def may_start(actor: Actor, meta: ProcessMeta) -> None:
    allowed = set(meta.get("start_groups") or [])
    if not (actor.working_groups & allowed) and "admin" not in actor.groups:
        raise NotPermitted(f"{actor.name} 无权发起流程 {meta.get('name')} (may not start it; groups allowed: "
                           f"{', '.join(sorted(allowed))})")


def may_work_on(actor: Actor, *, assignee: str | None, groups: list[str] | set[str]) -> None:
    """Complete, claim: the assignee, or any member of a candidate group while it is unassigned."""
    if assignee is not None:
        if assignee != actor.name:
            raise NotPermitted(f"任务已由 {assignee} 认领 (the task is claimed by {assignee})")
        return
    if not (actor.working_groups & set(groups)):
        raise NotPermitted(f"{actor.name} 不在此任务的处理组中 (not in the task's groups: {', '.join(sorted(groups))})")


def may_assign(actor: Actor) -> None:
    if not (actor.groups & SUPERVISORS):
        raise NotPermitted(f"{actor.name} 不是主管，不能分派任务 (only supervisors assign tasks)")


@dataclass(frozen=True)
class CaseTask:
    """One task of an instance as the case's permission sees it (engine.usecases.case_access)."""
    assignee: str | None
    groups: frozenset[str]
    completed_by: str | None


def may_view(actor: Actor, meta: ProcessMeta, tasks: Callable[[], Iterable[CaseTask]] = tuple) -> None:
    """The process's lanes and starters, supervisors, 品质部 and process owners see its instances;
    so does whoever may complete, or completed, one of the instance's tasks (``tasks``, read only
    when the groups do not already allow it): fee collection's 整改 is for engineering, security
    and cleaning, outside the process's lanes, and they must be able to open it and its case."""
    lanes = set(meta.get("lanes") or {}) | set(meta.get("start_groups") or [])
    if actor.groups & (lanes | SUPERVISORS | AUDITORS | {"process_owner"}):
        return
    for task in tasks():
        if actor.name in (task.assignee, task.completed_by) or (task.assignee is None
                                                                 and actor.working_groups & task.groups):
            return
    raise NotPermitted(f"{actor.name} 无权查看此流程实例 (may not view instances of {meta.get('name')})")


def may_read_history(actor: Actor, meta: ProcessMeta | None = None) -> None:
    """An instance's full history and the instance search over everyone's data: the quality group
    and supervisors (issue 10), whatever lanes the process has."""
    if can_read_history(actor):
        return
    raise NotPermitted(f"{actor.name} 不是品质部或主管，不能查看流程历史 (history is for quality and supervisors)")


def may_see_all_tasks(actor: Actor) -> None:
    if not (actor.groups & (SUPERVISORS | AUDITORS)):
        raise NotPermitted(f"{actor.name} 不是主管，不能查看所有任务 (--all is for supervisors)")


def may_deploy(actor: Actor) -> None:
    if not (actor.groups & {"process_owner", "admin"}):
        raise NotPermitted(f"{actor.name} 不是流程负责人，不能部署 (only process owners deploy)")


def can_read_history(actor: Actor) -> bool:
    return bool(actor.groups & (SUPERVISORS | AUDITORS))


def can_audit(actor: Actor) -> bool:
    return bool(actor.groups & (AUDITORS | SUPERVISORS | {"process_owner"}))


def may_audit(actor: Actor) -> None:
    if not can_audit(actor):
        raise NotPermitted(f"{actor.name} 无权查看审计 (audit is for quality and supervisors)")


def may_model(actor: Actor) -> None:
    """The modeler, the versions, their diff and migrations: process owners and administrators."""
    if not (actor.groups & {"process_owner", "admin"}):
        raise NotPermitted(f"{actor.name} 不是流程负责人，不能查看或修改流程定义 "
                           f"(only process owners and administrators manage process definitions)")


def may_edit_calendar(actor: Actor) -> None:
    """The holiday and 调休 table: administrators only (every deadline stands on it)."""
    if "admin" not in actor.groups and actor is not SYSTEM:
        raise NotPermitted(f"{actor.name} 不是系统管理员，不能修改工作日历 (only administrators change the calendar)")


def may_set_duty(actor: Actor) -> None:
    """Each group's head, supervisor and duty roster (whom a breach is charged to): administrators,
    the customer-service manager, and the command line's system actor."""
    if not (actor.groups & {"admin", "cs_manager"}) and actor is not SYSTEM:
        raise NotPermitted(f"{actor.name} 不能设置负责人和当班表 "
                           f"(only administrators and the service manager set them)")


def may_watch_calendar(actor: Actor) -> bool:
    """Who is warned when the calendar runs out of official data: administrators and supervisors."""
    return actor is SYSTEM or actor.is_supervisor or "admin" in actor.groups
