"""Deploy-time rules for who does the work: lanes, candidate groups, starter groups, assignees.

Why: a lane's id is the group whose members see its tasks (engine/rules/groups.py), and
SpiffWorkflow runs a user task, a plain task and a manual task alike as work waiting for a person.
A task nobody can see, or a group nobody belongs to, would deploy and then sit in no one's inbox."""
from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from engine.deploy.meta import CAMUNDA_NS, split_names
from engine.deploy.problems import Context, Finding

__all__ = ["PERSON_TASKS", "assignee_is_a_user_name", "candidate_groups_are_known", "lane_is_a_known_group",
           "person_task_has_someone", "starter_groups_are_known"]

# Both wait for a person (a plain bpmn:task passes straight through, as in Camunda).
PERSON_TASKS = {"userTask": ("用户任务", "user task"), "manualTask": ("人工任务", "manual task")}
# camunda:assignee="zhangsan" (as Camunda 7 models often have) names the one user who gets the task
_STATIC_ASSIGNEE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,63}$")


def _assignee(node: etree._Element) -> str:
    return (node.get(f"{{{CAMUNDA_NS}}}assignee") or "").strip()


def _candidate_groups(node: etree._Element) -> set[str]:
    return split_names(node.get(f"{{{CAMUNDA_NS}}}candidateGroups"))


def lane_is_a_known_group(ctx: Context, lane: etree._Element) -> Iterator[Finding]:
    if lane.get("id") not in ctx.known_groups:
        yield Finding(lane, f"泳道 id 不是已知的用户组 (lane id is not a known group; known: "
                            f"{', '.join(sorted(ctx.known_groups))})")


def starter_groups_are_known(ctx: Context, process: etree._Element) -> Iterator[Finding]:
    for group in sorted(split_names(process.get(f"{{{CAMUNDA_NS}}}candidateStarterGroups")) - ctx.known_groups):
        yield Finding(process, f"未知的发起组 (unknown candidateStarterGroups group) {group}")


def assignee_is_a_user_name(ctx: Context, task: etree._Element) -> Iterator[Finding]:
    """An expression assignee (``${initiator}``) has nothing here to compute it."""
    assignee = _assignee(task)
    if assignee and not _STATIC_ASSIGNEE.match(assignee):
        yield Finding(task, f"无法计算的处理人 {assignee!r} (an expression assignee cannot run "
                            "here: name a user, or use a lane or camunda:candidateGroups)")


def person_task_has_someone(ctx: Context, task: etree._Element) -> Iterator[Finding]:
    """A lane, a candidate group or an assignee, else (a warning, as Camunda and Flowable deploy
    such tasks) the task waits in the queue of unassigned tasks until a supervisor assigns it."""
    if task.get("id") not in ctx.lanes and not _candidate_groups(task) and not _assignee(task):
        zh, en = PERSON_TASKS[etree.QName(task).localname]
        yield Finding(task, f"{zh}不在任何泳道中，将进入“待分派”队列，由主管分派 ({en} is in no lane and has no "
                            "candidate groups: it waits in the unassigned queue until a supervisor assigns it; put it "
                            "in a lane whose id is a group, or add camunda:candidateGroups)", warning=True)


def candidate_groups_are_known(ctx: Context, task: etree._Element) -> Iterator[Finding]:
    for group in sorted(_candidate_groups(task) - ctx.known_groups):
        yield Finding(task, f"未知的候选组 (unknown candidate group) {group}")
