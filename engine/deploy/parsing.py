"""Deploy-time parsing and validation of BPMN and DMN files (SpiffWorkflow's CamundaParser).

Everything a process owner can get wrong is found here, before anything is stored, and reported as
``file:line: element: reason`` — one line per problem. What passes is turned into our own
``ParsedProcess``: the serialized SpiffWorkflow spec plus the metadata (lanes, candidate groups,
forms, extension properties) the rest of wuye reads instead of SpiffWorkflow's objects."""
from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.parser.node_parser import NodeParser
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.deploy.decision_tables import decision_table_problems, without_comments
from engine.errors import BadInput
from engine.rules.fields import LABEL_PROPERTY
from engine.deploy.meta import (BPMN_NS, CAMUNDA_NS, IDENTIFIER, NS, PROPERTIES, lane_of, process_meta,
                              read_field, split_names)
from engine.spiff.juel import translate_expression
from engine.spiff.expressions import check_expression
from engine.spiff.limits import SAFE_FUNCTIONS, SandboxError
from engine.spiff.scripts import check_script
from engine.spiff.run import spec_to_dict

def _resolve_data_object_ref(self, ref):
    """SpiffWorkflow 3.2's version steps to ``self.process_parser.parent`` on every turn instead of
    ``current.parent``, so a data object defined two or more levels up hangs the deploy forever.
    The same search, walking up correctly (one documented patch, like the clock in engine/spiff/run.py)."""
    current = self.process_parser if ref is not None else None
    while current is not None:
        found = current.spec.data_objects.get(ref.get("dataObjectRef"))
        if found is not None:
            return found
        current = current.parent
    return None


NodeParser._resolve_data_object_ref = _resolve_data_object_ref


DMN_NAMESPACES = ("http://www.omg.org/spec/DMN/20151101/dmn.xsd", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "https://www.omg.org/spec/DMN/20191111/MODEL/", "https://www.omg.org/spec/DMN/20230324/MODEL/")
# camunda:assignee="zhangsan" (as Camunda 7 models often have) names the one user who gets the task
STATIC_ASSIGNEE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{1,63}$")
# Quartz/cron (`0/5 0/1 * 1/1 * ?`): Camunda accepts it in timeCycle; we only run ISO 8601 intervals.
_CRON = re.compile(r"^(?=.*[*?])[0-9*?/,-]+(\s+[0-9*?/,LW#A-Za-z-]+){4,6}$")
_ISO_LITERAL = re.compile(r"^(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
                          r"|\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)(/.*)?$")
# Camunda implementations we cannot run: a Java class, a bean, an external worker, a connector.
_JAVA_ATTRS = ("class", "delegateExpression", "expression", "type")
# SpiffWorkflow runs all three as tasks that wait for a person (a plain bpmn:task too, unlike
# Camunda's pass-through): each needs someone who can see it.
PERSON_TASKS = {"userTask": ("用户任务", "user task"), "task": ("无类型任务", "task without a type"),
                "manualTask": ("人工任务", "manual task")}
UNSUPPORTED = {"serviceTask": "服务任务 (service task)", "sendTask": "发送任务 (send task)",
               "complexGateway": "复杂网关 (complex gateway)"}


@dataclass
class SourceFile:
    name: str
    data: bytes
    root: etree._Element
    kind: str                   # 'bpmn' | 'dmn'

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ParsedProcess:
    process_id: str
    name: str
    file: SourceFile
    spec: dict
    meta: dict
    decisions: dict[str, str] = field(default_factory=dict)   # decision id -> content hash used

    @property
    def content_hash(self) -> str:
        """Versions change when the BPMN file or any DMN table it was built with changes."""
        h = hashlib.sha256(self.file.data)
        for decision, digest in sorted(self.decisions.items()):
            h.update(f"\0{decision}\0{digest}".encode())
        return h.hexdigest()


class Problems:
    """Collects ``file:line: element: reason`` lines; raises them all at once."""

    def __init__(self):
        self.lines: list[str] = []

    def add(self, file: str, node, message: str) -> None:
        """The line is the node's own; the element named is the node or, when it has no id (a
        ``timeDuration``, an execution listener), the nearest enclosing element that has one."""
        line = getattr(node, "sourceline", None) or "?"
        ident, owner = None, node
        while owner is not None and hasattr(owner, "get") and not ident:
            ident, owner = owner.get("id"), owner.getparent()
        self.lines.append(f"{file}:{line}: {ident + ': ' if ident else ''}{message}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise BadInput("\n".join(self.lines))


def load_source(name: str, data: bytes) -> SourceFile:
    from engine.deploy.safe_xml import parse_xml
    root = parse_xml(data, name)
    ns = etree.QName(root).namespace
    local = etree.QName(root).localname
    if ns == BPMN_NS and local == "definitions":
        return SourceFile(name, data, root, "bpmn")
    if ns in DMN_NAMESPACES and local == "definitions":
        return SourceFile(name, data, root, "dmn")
    raise BadInput(f"{name}:{root.sourceline}: not a BPMN 2.0 or DMN file (the root element is "
                   f"<{local}> in namespace {ns or 'none'})")


def decision_ids(source: SourceFile) -> list[str]:
    return [d.get("id") for d in source.root.iter("{%s}decision" % etree.QName(source.root).namespace)]


def parse_processes(bpmn_files: list[SourceFile], dmn_files: list[SourceFile], *, known_groups: set[str],
                    function_names: set[str]) -> list[ParsedProcess]:
    """Validate and parse every executable process of ``bpmn_files`` (DMN tables from ``dmn_files``)."""
    problems = Problems()
    prepared = {}
    for src in bpmn_files:
        tree = copy.deepcopy(src.root)
        _prepare_expressions(src.name, tree, problems, function_names)
        _check_structure(src.name, tree, problems, known_groups, set(function_names) | set(SAFE_FUNCTIONS))
        prepared[src.name] = tree
    problems.raise_if_any()

    parser = CamundaParser()
    dmn_hashes: dict[str, str] = {}
    for src in dmn_files:
        for node, message in decision_table_problems(src.root, function_names):
            problems.add(src.name, node, message)
        try:
            parser.add_dmn_xml(without_comments(src.root), filename=src.name)
        except (ValidationException, SpiffWorkflowException, etree.LxmlError, KeyError, ValueError) as e:
            problems.add(src.name, src.root, f"DMN 无法解析 (cannot parse the decision table): {e}")
        for d in decision_ids(src):
            dmn_hashes[d] = src.content_hash
    out = []
    for src in bpmn_files:
        tree = prepared[src.name]
        processes = tree.findall("bpmn:process", NS)
        executable = [p for p in processes if p.get("isExecutable", "false").lower() == "true"]
        if not executable:
            node = processes[0] if processes else tree
            problems.add(src.name, node, "没有可执行的流程 (no process has isExecutable=\"true\")")
            continue
        try:
            parser.add_bpmn_xml(tree, filename=src.name)
        except ValidationException as e:
            problems.add(src.name, _node_for(tree, e), str(e))
            continue
        except (SpiffWorkflowException, etree.LxmlError, KeyError, ValueError, TypeError, AttributeError) as e:
            # SpiffWorkflow's parser reads attributes it assumes are there (e.g. camunda:decisionRef)
            problems.add(src.name, tree, f"BPMN 无法解析 (cannot parse the file): {type(e).__name__}: {e}")
            continue
        for proc in executable:
            pid = proc.get("id")
            try:
                spec = parser.get_spec(pid)
                subprocesses = parser.get_subprocess_specs(pid)
            except ValidationException as e:
                problems.add(src.name, _node_for(tree, e), str(e))
                continue
            except (SpiffWorkflowException, KeyError, ValueError, TypeError) as e:
                problems.add(src.name, proc, f"流程无法解析 (cannot parse the process): {e}")
                continue
            used = {b.get(f"{{{CAMUNDA_NS}}}decisionRef") for b in proc.iter(f"{{{BPMN_NS}}}businessRuleTask")}
            out.append(ParsedProcess(pid, proc.get("name") or pid, src, spec_to_dict(spec, subprocesses),
                                     process_meta(tree, proc),
                                     {d: dmn_hashes.get(d, "") for d in sorted(used - {None})}))
    problems.raise_if_any()
    return out


def _node_for(tree, e: ValidationException):
    if e.id:
        found = tree.xpath("//*[@id=$id]", id=e.id)
        if found:
            return found[0]
    return tree


# -- expressions: Camunda's habits made runnable, then checked in the sandbox ---------------------

def runnable_processes(tree) -> list:
    """The processes wuye will run: the executable ones and any process a call activity calls.
    The rest (a customer's pool in a collaboration, a documentation-only diagram) never runs, so the
    rules for running (known lanes, sandboxed expressions) are not applied to it."""
    called = {c.get("calledElement") for c in tree.iter(f"{{{BPMN_NS}}}callActivity")}
    return [p for p in tree.findall("bpmn:process", NS)
            if p.get("isExecutable", "false").lower() == "true" or p.get("id") in called]


def _prepare_expressions(file: str, tree, problems: Problems, function_names: set[str]) -> None:
    for proc in runnable_processes(tree):
        _prepare_process_expressions(file, proc, problems, function_names)


def _prepare_process_expressions(file: str, tree, problems: Problems, function_names: set[str]) -> None:
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for node in tree.iter(f"{{{BPMN_NS}}}{tag}"):
            text = (node.text or "").strip()
            if _ISO_LITERAL.match(text):
                node.text = f'"{text}"'       # Camunda writes PT2H; SpiffWorkflow evaluates it
            elif _CRON.match(text):
                problems.add(file, node, f"不支持 cron 表达式 {text!r} (cron timers are not supported: use an "
                                         "ISO 8601 repeating interval such as R/PT5M)")
            else:
                node.text = _translated(file, node, text, problems, function_names, "定时表达式 (timer)")
    for node in tree.iter(f"{{{BPMN_NS}}}conditionExpression", f"{{{BPMN_NS}}}completionCondition"):
        node.text = _translated(file, node, (node.text or "").strip(), problems, function_names,
                                "条件表达式 (condition)")
    for node in tree.iter(f"{{{BPMN_NS}}}scriptTask"):
        fmt = (node.get("scriptFormat") or "python").lower()
        script = node.find("bpmn:script", NS)
        if fmt not in ("python", "py"):
            problems.add(file, node, f"脚本语言 {fmt} 不受支持，只能用 Python (only python scripts run here)")
        elif script is None or not (script.text or "").strip():
            problems.add(file, node, "脚本任务没有脚本 (the script task has no script)")
        else:
            try:
                check_script(script.text)
            except SandboxError as e:
                problems.add(file, node, f"脚本不安全或有误 (script refused): {e.message}")


def _translated(file, node, text, problems, function_names, what) -> str:
    if not text:
        problems.add(file, node.getparent() if node.getparent() is not None else node, f"{what}为空 (empty expression)")
        return text
    try:
        expr = translate_expression(text)
        check_expression(expr, function_names)
        return expr
    except SandboxError as e:
        owner = node.getparent() if not node.get("id") and node.getparent() is not None else node
        problems.add(file, owner, f"{what}无法在沙箱中运行 (refused): {text!r}: {e.message}")
        return text


# -- structure: lanes, groups, forms, unsupported elements -----------------------------------------

def _check_structure(file: str, tree, problems: Problems, known_groups: set[str], function_names: set[str]) -> None:
    for proc in runnable_processes(tree):
        lanes = lane_of(proc)
        for lane in proc.iter(f"{{{BPMN_NS}}}lane"):
            if lane.get("id") not in known_groups:
                problems.add(file, lane, f"泳道 id 不是已知的用户组 (lane id is not a known group; known: "
                                         f"{', '.join(sorted(known_groups))})")
        starters = split_names(proc.get(f"{{{CAMUNDA_NS}}}candidateStarterGroups"))
        for g in starters - known_groups:
            problems.add(file, proc, f"未知的发起组 (unknown candidateStarterGroups group) {g}")
        for prop in proc.iterfind(PROPERTIES, NS):
            name = prop.get("name") or ""
            if name.startswith(LABEL_PROPERTY) and not (IDENTIFIER.fullmatch(name[len(LABEL_PROPERTY):])
                                                       and (prop.get("value") or "").strip()):
                problems.add(file, prop, f"数据标签 {name!r} 需要变量名和显示名称 (a label property is "
                                         "name=\"label:<variable>\" value=\"<what people read>\")")
        for node in proc.iter():
            if not isinstance(node.tag, str):
                continue
            local = etree.QName(node).localname
            if etree.QName(node).namespace != BPMN_NS:
                continue
            if local in UNSUPPORTED:
                problems.add(file, node, f"{UNSUPPORTED[local]} 无法在 wuye 中执行 (cannot run here: "
                                         "use a script task or a user task)")
            elif local in PERSON_TASKS:
                groups = split_names(node.get(f"{{{CAMUNDA_NS}}}candidateGroups"))
                assignee = (node.get(f"{{{CAMUNDA_NS}}}assignee") or "").strip()
                if assignee and not STATIC_ASSIGNEE.match(assignee):
                    problems.add(file, node, f"无法计算的处理人 {assignee!r} (an expression assignee cannot run "
                                             "here: name a user, or use a lane or camunda:candidateGroups)")
                elif node.get("id") not in lanes and not groups and not assignee:
                    hint = ""
                    zh, en = PERSON_TASKS[local]
                    problems.add(file, node, f"{zh}不在任何泳道中 ({en} is in no lane and has no candidate groups"
                                             f"{hint}: put it in a lane whose id is a group, or add "
                                             "camunda:candidateGroups)")
                for g in groups - known_groups:
                    problems.add(file, node, f"未知的候选组 (unknown candidate group) {g}")
            elif local in ("businessRuleTask",) and node.get(f"{{{CAMUNDA_NS}}}class"):
                problems.add(file, node, "Java 决策实现无法执行 (a Java class cannot run here)")
            elif local == "businessRuleTask" and not node.get(f"{{{CAMUNDA_NS}}}decisionRef"):
                problems.add(file, node, "决策任务没有指定决策表 (a business rule task needs camunda:decisionRef)")
            if local in ("userTask", "startEvent") and (node.get(f"{{{CAMUNDA_NS}}}formKey")
                                                         or node.get(f"{{{CAMUNDA_NS}}}formRef")):
                key = node.get(f"{{{CAMUNDA_NS}}}formKey") or node.get(f"{{{CAMUNDA_NS}}}formRef")
                problems.add(file, node, f"外部表单 {key!r} 无法显示 (Camunda/embedded forms cannot be shown "
                                         "here: declare the fields with camunda:formData)")
            if local in ("userTask", "startEvent"):
                for ff in node.iterfind("bpmn:extensionElements/camunda:formData/camunda:formField", NS):
                    try:
                        read_field(ff)
                    except ValueError as e:
                        problems.add(file, ff, f"表单字段有误 (form field): {e}")
                    if ff.get("id") in function_names:
                        # a script sees the process data as its globals: a field `date` would hide
                        # date() from every script after it, and the instance would fail there
                        problems.add(file, ff, f"表单字段 id {ff.get('id')!r} 与函数同名 (a form field may not "
                                               "be named like a function scripts call; rename it)")
            for listener in node.iterfind("bpmn:extensionElements/camunda:executionListener", NS):
                if any(listener.get(a) for a in _JAVA_ATTRS):
                    problems.add(file, listener, "执行监听器无法执行 (execution listeners with Java/expressions "
                                                 "cannot run here)")
