"""Deploy-time building of processes: every rule over every file, then SpiffWorkflow's parser.

Everything a process owner can get wrong is found before anything is stored, and reported as
``file:line: element: reason`` — one line per problem, all of them at once. What passes is turned
into our own ``ParsedProcess``: the serialized SpiffWorkflow spec plus the metadata (lanes, candidate
groups, forms, extension properties) the rest of wuye reads instead of SpiffWorkflow's objects."""
from __future__ import annotations

import copy
import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.deploy.calls import Call, calls_of
from engine.deploy.checks import bpmn_findings
from engine.deploy.correlation import drop_correlations, message_correlations
from engine.deploy.decision_order import runnable_decisions
from engine.deploy.decision_tables import decision_table_problems
from engine.deploy.meta import BPMN_NS, CAMUNDA_NS, ProcessMetaJson, process_meta
from engine.deploy.problems import Problems
from engine.deploy.runnable import make_runnable
from engine.deploy.schedule import ScheduleJson, take_start_timers
from engine.deploy.sources import SourceFile, decision_ids
from engine.deploy.structure import executable_processes
from engine.spiff.parser import SpecParser

__all__ = ["ParsedProcess", "parse_processes"]


@dataclass
class ParsedProcess:
    process_id: str
    name: str
    file: SourceFile
    spec: dict[str, Any]        # SpiffWorkflow's serialized spec: its JSON, stored as it is
    meta: ProcessMetaJson
    decisions: dict[str, str] = field(default_factory=dict)   # decision id -> content hash used
    warnings: list[str] = field(default_factory=list)         # what deployed but deserves a look
    callees: dict[str, str] = field(default_factory=dict)     # called process id -> content hash of its file

    @property
    def content_hash(self) -> str:
        """Versions change when the BPMN file, any DMN table or any called process it was built
        with changes."""
        h = hashlib.sha256(self.file.data)
        for decision, digest in sorted(self.decisions.items()):
            h.update(f"\0{decision}\0{digest}".encode())
        for callee, digest in sorted(self.callees.items()):
            h.update(f"\0call\0{callee}\0{digest}".encode())
        return h.hexdigest()


def parse_processes(bpmn_files: list[SourceFile], dmn_files: list[SourceFile], *, known_groups: Collection[str],
                    function_names: Collection[str], callees: Collection[SourceFile] = (),
                    unchecked_dmn: Collection[SourceFile] = (),
                    penalty_rows: Collection[str] | None = None) -> list[ParsedProcess]:
    """Validate and parse every executable process of ``bpmn_files`` (DMN tables from ``dmn_files``;
    ``callees``: deployed files whose processes call activities of these call, not deployed again;
    ``unchecked_dmn``: those of ``dmn_files`` stored before, checked then: only used here;
    ``penalty_rows``: the penalty table's deadline ids, which every ``deadline`` property must name).
    Raises BadInput with every problem; SpiffWorkflow sees only files that passed every rule."""
    problems = Problems()
    runnable: dict[str, etree._Element] = {}
    schedules: dict[str, ScheduleJson] = {}
    for src in [*bpmn_files, *callees]:
        tree = copy.deepcopy(src.root)      # the rules make it runnable; the source stays as sent
        make_runnable(tree)
        file_schedules, findings = take_start_timers(tree)     # started by the timer loop, not waited for
        schedules.update(file_schedules)
        findings += bpmn_findings(tree, known_groups=known_groups, function_names=function_names,
                                  penalty_rows=penalty_rows)
        if src not in callees:              # a callee deployed before: only its rewrites matter here
            problems.extend(src.name, findings)
        drop_correlations(tree)             # correlated by wuye, by key (engine/deploy/correlation.py)
        runnable[src.name] = tree
    for src in dmn_files:
        if src not in unchecked_dmn:
            problems.extend(src.name, decision_table_problems(src.root, function_names))
    problems.raise_if_any()

    parser = SpecParser()
    dmn_hashes: dict[str | None, str] = {}
    for src in dmn_files:
        for decision in runnable_decisions(src.root):
            parser.add_decisions(src.name, decision)
        dmn_hashes.update((d, src.content_hash) for d in decision_ids(src))
    processes = {p.get("id") or "": (t, p) for t in runnable.values() for p in t.findall(f"{{{BPMN_NS}}}process")}
    file_of = {p.get("id") or "": src for src in [*bpmn_files, *callees]
               for p in src.root.findall(f"{{{BPMN_NS}}}process")}
    # every diagram first: a call activity's callee may come in any file, in any order
    taken = {src.name for src in [*bpmn_files, *callees] if parser.add_diagram(src.name, runnable[src.name])}
    out = []
    for src in bpmn_files:
        tree = runnable[src.name]
        if src.name not in taken:
            continue
        for proc in executable_processes(tree):
            spec = parser.process_spec(src.name, tree, proc)
            if spec is None:
                continue
            pid = proc.get("id") or ""
            used = {b.get(f"{{{CAMUNDA_NS}}}decisionRef") for b in proc.iter(f"{{{BPMN_NS}}}businessRuleTask")}
            meta = process_meta(tree, proc)
            meta["correlations"] = message_correlations(src.root)
            meta["calls"] = {c.process_id: c.version for c in calls_of(proc)
                             if isinstance(c, Call) and (c.version is not None or c.follows_latest)}
            if pid in schedules:
                meta["schedule"] = schedules[pid]
            called = _with_callees(meta, proc, processes)
            out.append(ParsedProcess(pid, proc.get("name") or pid, src, spec, meta,
                                     {d: dmn_hashes.get(d, "") for d in sorted(d for d in used if d)},
                                     [w for w in problems.warnings if w.startswith(f"{src.name}:")],
                                     {c: file_of[c].content_hash for c in sorted(called) if c in file_of}))
    for p in parser.problems:
        problems.add(p.file, p.node, p.message)
    problems.raise_if_any()
    return out


def _with_callees(meta: ProcessMetaJson, proc: etree._Element,
                  processes: dict[str, tuple[etree._Element, etree._Element]]) -> set[str]:
    """The elements (and lanes) of every process ``proc`` calls, directly or not, in its meta: their
    tasks run in its instances, and the inbox, forms and permissions read them from there. Returns
    the ids of those processes."""
    seen = {proc.get("id")}
    todo = [c.get("calledElement") for c in proc.iter(f"{{{BPMN_NS}}}callActivity")]
    while todo:
        called = todo.pop()
        if called in seen or called not in processes:
            continue
        seen.add(called)
        tree, callee = processes[called]
        inner = process_meta(tree, callee)
        for key, element in inner["elements"].items():
            meta["elements"].setdefault(key, element)
        for lane, name in inner["lanes"].items():
            meta["lanes"].setdefault(lane, name)
        meta["messages"] = sorted(set(meta["messages"]) | set(inner["messages"]))
        if inner.get("signals"):
            meta["signals"] = sorted(set(meta.get("signals", [])) | set(inner.get("signals", [])))
        todo += [c.get("calledElement") for c in callee.iter(f"{{{BPMN_NS}}}callActivity")]
    return {c for c in seen if c and c != proc.get("id")}
