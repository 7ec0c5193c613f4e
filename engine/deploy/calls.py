"""Call activities by reference: the process a call activity calls, found in this deploy (in any
file, in any order) or among the versions deployed before.

Why: SpiffWorkflow resolves a call activity only against the diagrams of the same parse, and says
"The process 'x' was not found" otherwise. Camunda resolves ``calledElement`` against what is
deployed, by an explicit binding: the latest version (the default) or a pinned one
(``camunda:calledElementBinding="version" camunda:calledElementVersion="2"``), or the one deployed
with it (``deployment``). The callee found is built into the caller's version, so an instance runs
the callee it started with; a caller bound to the latest version is rebuilt (a new version) whenever
its callee is deployed again (engine/usecases/deploy.py), so each new instance calls the callee that
is latest when it starts. A ``deployment`` binding keeps the callee it was deployed with (the one in
the same deploy, else the latest then) until the caller itself is deployed again."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lxml import etree

from engine.deploy.meta import BPMN_NS, CAMUNDA_NS, NS
from engine.deploy.problems import Finding, Problems
from engine.deploy.sources import SourceFile, load_source

__all__ = ["Call", "calls_of", "resolve_callees"]

_BINDINGS = ("latest", "version", "deployment", "versionTag")


@dataclass(frozen=True)
class Call:
    node: etree._Element
    process_id: str
    version: int | None          # None: the latest version
    follows_latest: bool = True  # rebuilt when the callee is deployed again (not for "deployment")


def calls_of(tree: etree._Element) -> Iterator[Call | Finding]:
    """Each call activity of the file, or the reason it names no process we can look up."""
    for node in tree.iter(f"{{{BPMN_NS}}}callActivity"):
        called = (node.get("calledElement") or "").strip()
        binding = node.get(f"{{{CAMUNDA_NS}}}calledElementBinding") or "latest"
        if not called:
            yield Finding(node, "调用活动没有指定被调用的流程 (a call activity needs calledElement)")
        elif "${" in called or "#{" in called:
            yield Finding(node, f"被调用的流程 {called!r} 是表达式，无法解析 (calledElement must name a process id)")
        elif binding not in _BINDINGS:
            yield Finding(node, f"未知的 calledElementBinding {binding!r} (use latest, deployment or version)")
        elif binding == "version":
            text = (node.get(f"{{{CAMUNDA_NS}}}calledElementVersion") or "").strip()
            if not text.isdigit() or int(text) < 1:
                yield Finding(node, f"calledElementVersion {text!r} 不是版本号 (binding \"version\" needs "
                                    "camunda:calledElementVersion, a version number)")
            else:
                yield Call(node, called, int(text))
        else:        # latest (versionTag: the latest too, as wuye has no version tags), or deployment
            yield Call(node, called, None, follows_latest=binding != "deployment")


def _defined(tree: etree._Element) -> set[str]:
    return {p.get("id") or "" for p in tree.findall("bpmn:process", NS)}


def resolve_callees(bpmn: list[SourceFile],
                    stored: Callable[[str, int | None], tuple[str, str] | None]) -> list[SourceFile]:
    """The deployed files whose processes the call activities of ``bpmn`` call and no file of
    ``bpmn`` defines; ``stored(process id, version or None)`` gives a deployed version's (file name,
    source). Raises BadInput naming each call whose callee is nowhere."""
    here = set().union(*(_defined(s.root) for s in bpmn)) if bpmn else set()
    problems = Problems()
    wanted: dict[str, tuple[int | None, SourceFile, etree._Element]] = {}
    for src in bpmn:
        for call in calls_of(src.root):
            if isinstance(call, Finding):
                problems.add(src.name, call.node, call.message)
            elif call.process_id not in here:
                seen = wanted.get(call.process_id)
                if seen is not None and seen[0] != call.version:
                    problems.add(src.name, call.node, f"对 {call.process_id} 的调用绑定了不同版本 (calls of one "
                                                      "process in one deploy must bind the same version)")
                wanted[call.process_id] = (call.version, src, call.node)
    out: dict[str, SourceFile] = {}
    for process_id, (version, src, node) in wanted.items():
        found = stored(process_id, version)
        if found is None:
            which = f"版本 {version}" if version else "任何版本"
            problems.add(src.name, node, f"被调用的流程 {process_id} 没有已部署的{which}，本次部署中也没有 (the called "
                                         f"process is not deployed and not in this deploy: deploy it first or with "
                                         f"this file)")
            continue
        name, text = found
        out.setdefault(name, load_source(name, text.encode("utf-8")))
    problems.raise_if_any()
    return [s for s in out.values() if not (_defined(s.root) & here)]
