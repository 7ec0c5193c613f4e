"""Which deploy-time rule applies to which BPMN element, and the one walk that applies them.

Why a table: the rules live in modules that say what they check (expressions, timers, people,
forms, structure); this is the one place that lists them all, so a reader sees every rule an
element is held to, and a new rule is one function plus one entry here. The walk goes through each
runnable process in document order, so a refusal's lines follow the file."""
from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace

from lxml import etree

from engine.deploy import correlation, expressions, forms, paths, people, structure, timers
from engine.deploy.meta import BPMN_NS, lane_of
from engine.deploy.problems import Context, Finding, Rule

__all__ = ["ELEMENT_RULES", "EVERY_ELEMENT", "FILE_RULES", "bpmn_findings"]

_PERSON: tuple[Rule, ...] = (people.assignee_is_a_user_name, people.person_task_has_someone,
                             people.candidate_groups_are_known)
_FORM: tuple[Rule, ...] = (forms.form_is_declared_here, forms.form_fields_are_valid,
                           forms.form_fields_are_not_named_like_functions)
_TIMER: tuple[Rule, ...] = (timers.timer_is_not_cron, timers.timer_is_not_empty, timers.timer_is_within_bounds,
                            timers.timer_runs_in_the_sandbox)
_CONDITION: tuple[Rule, ...] = (expressions.condition_is_not_empty, expressions.condition_runs_in_the_sandbox)
_UNSUPPORTED: tuple[Rule, ...] = (structure.element_is_supported,)
_EXTERNAL: tuple[Rule, ...] = (structure.service_is_external,)

# The file's <definitions>: rules about the file as a whole.
FILE_RULES: tuple[Rule, ...] = (structure.has_an_executable_process, correlation.correlations_run_in_the_sandbox)
# BPMN element (local name) -> its rules, in the order their findings are listed.
ELEMENT_RULES: Mapping[str, tuple[Rule, ...]] = {
    "process": (people.starter_groups_are_known, forms.data_labels_are_complete, forms.case_summary_is_valid,
                paths.every_path_reaches_an_end),
    **{c: (paths.every_path_reaches_an_end,) for c in paths.CONTAINERS if c != "process"},
    "lane": (people.lane_is_a_known_group,),
    "userTask": _PERSON + _FORM,
    "manualTask": _PERSON,
    "startEvent": _FORM,
    "timeDuration": _TIMER,
    "timeDate": _TIMER,
    "timeCycle": _TIMER,
    "conditionExpression": _CONDITION,
    "completionCondition": _CONDITION,
    "condition": _CONDITION,                     # a conditional event's
    "loopCardinality": (expressions.loop_cardinality_runs_in_the_sandbox,),
    "multiInstanceLoopCharacteristics": (expressions.collection_is_a_variable,),
    "extensionElements": (expressions.io_mapping_is_not_ignored,),
    "scriptTask": (expressions.script_is_python, expressions.script_is_not_empty, expressions.script_is_safe),
    "businessRuleTask": (structure.decision_is_not_java, structure.decision_has_a_table),
    **dict.fromkeys(structure.UNSUPPORTED, _UNSUPPORTED),
    **dict.fromkeys(structure.EXTERNAL, _EXTERNAL),
    "messageEventDefinition": (structure.message_throw_is_external,),
    "sequenceFlow": (structure.flow_connects_two_elements,),
}
# Every BPMN element of a runnable process, after its own rules.
EVERY_ELEMENT: tuple[Rule, ...] = (structure.listeners_are_runnable, paths.flow_leads_on,
                                   paths.deadline_names_a_penalty_row)


def bpmn_findings(tree: etree._Element, *, known_groups: Collection[str], function_names: Collection[str],
                  penalty_rows: Collection[str] | None = None) -> Iterator[Finding]:
    """Every problem of one BPMN file. ``tree`` is the copy SpiffWorkflow will parse: the expression
    rules leave it runnable (ISO timer literals quoted, JUEL translated). ``penalty_rows``: the
    deadline ids of the penalty table in force (None: deadlines are not checked against it)."""
    base = Context(frozenset(known_groups), frozenset(function_names),
                   penalty_rows=None if penalty_rows is None else frozenset(penalty_rows))
    for rule in FILE_RULES:
        yield from rule(base, tree)
    for process in structure.runnable_processes(tree):
        ctx = replace(base, lanes=lane_of(process))
        for node in process.iter():
            if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN_NS:
                continue
            for rule in ELEMENT_RULES.get(etree.QName(node).localname, ()) + EVERY_ELEMENT:
                yield from rule(ctx, node)
