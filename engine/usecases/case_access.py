"""Who may see one instance (its page, history, letters, a task page of it): the process's own
groups, or whoever may complete or completed one of its tasks (engine.rules.permissions.may_view)."""
from __future__ import annotations

from engine.rules.permissions import SYSTEM, Actor, CaseTask, may_view
from storage.models import Instance
from storage.uow import UnitOfWork


def may_view_case(uow: UnitOfWork, actor: Actor, instance: Instance) -> None:
    if actor is SYSTEM:
        return
    may_view(actor, instance.definition.meta, lambda: [
        CaseTask(t.assignee, frozenset(g for g in t.candidate_groups.split(",") if g), t.completed_by)
        for t in uow.tasks.for_instance(instance.id)])
