"""Deploy-time rules for forms and data labels: what people fill in and what they read.

Why: wuye renders the fields a BPMN file declares (``camunda:formData``), so a field it cannot
render or check (an unknown type or constraint, a default of the wrong type, an enum without
options) is refused here, as is a Camunda embedded or external form it cannot show at all."""
from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from engine.deploy.meta import CAMUNDA_NS, IDENTIFIER, NS, PROPERTIES, read_field
from engine.deploy.problems import Context, Finding
from engine.rules import case
from engine.rules.field_checks import check_problems
from engine.rules.fields import LABEL_PROPERTY
from engine.rules.register_file import lookup_problems
from engine.spiff.limits import SAFE_FUNCTIONS

__all__ = ["case_summary_is_valid", "data_labels_are_complete", "form_fields_are_not_named_like_functions",
           "form_fields_are_valid", "form_is_declared_here"]

_FIELDS = "bpmn:extensionElements/camunda:formData/camunda:formField"


def form_is_declared_here(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """userTask / startEvent: a camunda:formKey or formRef names a form that lives elsewhere."""
    key = node.get(f"{{{CAMUNDA_NS}}}formKey") or node.get(f"{{{CAMUNDA_NS}}}formRef")
    if key:
        yield Finding(node, f"外部表单 {key!r} 无法显示 (Camunda/embedded forms cannot be shown "
                            "here: declare the fields with camunda:formData)")


def form_fields_are_valid(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """userTask / startEvent: each field is read as the forms will read it (engine/deploy/meta.py)."""
    for ff in node.iterfind(_FIELDS, NS):
        try:
            read_field(ff)
        except ValueError as e:
            yield Finding(ff, f"表单字段有误 (form field): {e}")


def form_fields_are_not_named_like_functions(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """userTask / startEvent: a script sees the process data as its globals, so a field `date` would
    hide date() from every script after it, and the instance would fail there."""
    functions = ctx.function_names | set(SAFE_FUNCTIONS)
    for ff in node.iterfind(_FIELDS, NS):
        if ff.get("id") in functions:
            yield Finding(ff, f"表单字段 id {ff.get('id')!r} 与函数同名 (a form field may not "
                              "be named like a function scripts call; rename it)")


def data_labels_are_complete(ctx: Context, process: etree._Element) -> Iterator[Finding]:
    """process: `label:<variable>` properties name what people read for a variable only a script sets."""
    for prop in process.iterfind(PROPERTIES, NS):
        name = prop.get("name") or ""
        if name.startswith(LABEL_PROPERTY) and not (IDENTIFIER.fullmatch(name[len(LABEL_PROPERTY):])
                                                   and (prop.get("value") or "").strip()):
            yield Finding(prop, f"数据标签 {name!r} 需要变量名和显示名称 (a label property is "
                                "name=\"label:<variable>\" value=\"<what people read>\")")


def case_summary_is_valid(ctx: Context, process: etree._Element) -> Iterator[Finding]:
    """process: ``case:who`` / ``case:what`` / ``case:phones`` list variable names (engine/rules/case.py),
    the case every task page and inbox card shows."""
    props = {p.get("name") or "": p.get("value") for p in process.iterfind(PROPERTIES, NS)}
    node = next((p for p in process.iterfind(PROPERTIES, NS) if p.get("name") in case.CASE_PROPERTIES), process)
    for problem in case.bad_names(props):
        yield Finding(node, f"案件摘要属性有误：{problem}")
    for problem in lookup_problems({k: v or "" for k, v in props.items()}):
        yield Finding(node, f"登记册属性有误：{problem}")
    start = next(process.iterfind("bpmn:startEvent", NS), None)
    start_fields = ({f.get("id") or "" for f in start.iterfind(".//camunda:formField", NS)}
                    if start is not None else set())
    for problem in check_problems({k: v or "" for k, v in props.items()}, start_fields):
        yield Finding(node, f"开始表单检查属性有误：{problem}")
