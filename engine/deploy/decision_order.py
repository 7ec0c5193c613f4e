"""The DMN that SpiffWorkflow is given: one file per decision, its hit policy made one it runs.

Why: SpiffWorkflow 3.2 reads only the first decision of a file (``dmn:decision[1]``), and runs
only UNIQUE, FIRST and COLLECT; any other policy silently behaves like FIRST. PRIORITY and OUTPUT
ORDER are orderings by the output values the table lists (``<outputValues>``, highest priority
first), so ordering the rules by them (stably: ties keep rule order) and running FIRST, resp.
COLLECT, gives exactly their result; RULE ORDER is COLLECT in rule order. The checks that make
this safe (every policy known, every output entry among the listed values) are in
engine/deploy/decision_tables.py."""
from __future__ import annotations

import copy

from lxml import etree

__all__ = ["AS_RUN", "output_values", "priority_of", "runnable_decisions"]

# the policy as written -> the one SpiffWorkflow runs it as (after ordering the rules)
AS_RUN = {"PRIORITY": "FIRST", "OUTPUT ORDER": "COLLECT", "RULE ORDER": "COLLECT"}


def _tag(node: etree._Element, local: str) -> str:
    return f"{{{etree.QName(node).namespace}}}{local}"


def output_values(output: etree._Element) -> list[str]:
    """The values an output column lists, in priority order (``"high","normal","low"``)."""
    text = output.findtext(f"{_tag(output, 'outputValues')}/{_tag(output, 'text')}") or ""
    return [v.strip() for v in _split(text) if v.strip()]


def _split(text: str) -> list[str]:
    """Comma-separated literals, commas inside quotes kept."""
    out, cur, quote = [], "", ""
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote, cur = ch, cur + ch
        elif ch == ",":
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return [*out, cur]


def priority_of(rule: etree._Element, columns: list[list[str]]) -> tuple[int, ...]:
    """A rule's place in priority order: for each output, the index of its entry among the listed
    values (an entry not listed sorts last; the deploy refuses such a table anyway)."""
    entries = [(e.findtext(_tag(rule, "text")) or "").strip() for e in rule.findall(_tag(rule, "outputEntry"))]
    return tuple(values.index(v) if v in values else len(values) for v, values in zip(entries, columns, strict=False))


def runnable_decisions(root: etree._Element) -> list[etree._Element]:
    """One copy of the file per decision table, with only that decision in it and its policy made
    one SpiffWorkflow runs."""
    out = []
    decisions = root.findall(_tag(root, "decision"))
    for index, decision in enumerate(decisions):
        if decision.find(_tag(root, "decisionTable")) is None:
            continue
        clean = copy.deepcopy(root)
        for other in [c for c in clean if isinstance(c.tag, str) and etree.QName(c).localname != "decision"]:
            clean.remove(other)     # BKMs, input data, decision services, the diagram: not run
        for i, other in enumerate(clean.findall(_tag(root, "decision"))):
            if i != index:
                clean.remove(other)
        for table in clean.iter(_tag(root, "decisionTable")):
            _as_run(table)
        out.append(clean)
    return out


def _as_run(table: etree._Element) -> None:
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in AS_RUN:
        return
    if policy in ("PRIORITY", "OUTPUT ORDER"):
        columns = [output_values(o) for o in table.findall(_tag(table, "output"))]
        rules = table.findall(_tag(table, "rule"))
        for rule in rules:
            table.remove(rule)
        for rule in sorted(rules, key=lambda r: priority_of(r, columns)):
            table.append(rule)
    table.set("hitPolicy", AS_RUN[policy])
