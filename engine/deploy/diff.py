"""What changed between two versions of a process, element by element: added, removed, changed
(with each property's old and new value) and moved (only its place on the diagram), plus the form
fields added, removed or changed per task.

Plain lxml over the two files as deployed. An element is a flow element (task, event, gateway,
sequence flow, data object, boundary event...), a lane, a participant, a message flow or the
process itself; its properties are its attributes and everything written inside it that is not
itself an element (a timer's expression, a condition, camunda properties and form fields, the
documentation), each under a readable path such as ``timerEventDefinition/timeDuration``."""
from __future__ import annotations

from typing import Any, TypedDict

from lxml import etree

from engine.deploy.meta import BPMN_NS, CAMUNDA_NS

__all__ = ["VersionDiff", "diff_versions", "form_changes"]

DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
_CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess", "laneSet", "lane", "collaboration",
               "childLaneSet"}
_OWN = {"process", "subProcess", "transaction", "adHocSubProcess", "lane", "participant", "messageFlow"}
_PREFIXES = {BPMN_NS: "", CAMUNDA_NS: "camunda:"}


class ElementChange(TypedDict):
    id: str
    type: str
    name: str
    properties: list[dict[str, str | None]]     # {"property", "from", "to"}


class VersionDiff(TypedDict):
    added: list[ElementChange]
    removed: list[ElementChange]
    changed: list[ElementChange]
    moved: list[str]
    form_fields: list[dict[str, Any]]           # {"element", "field", "change", "properties"}


def _qname(node: etree._Element) -> str:
    q = etree.QName(node)
    return _PREFIXES.get(q.namespace or "", "") + q.localname


def _attr_name(name: str) -> str:
    q = etree.QName(name)
    return _PREFIXES.get(q.namespace or "", "") + q.localname


def _is_element(node: etree._Element) -> bool:
    """An element of the diff: something with an id that sits in a process, a lane set or a collaboration."""
    if not isinstance(node.tag, str) or not node.get("id"):
        return False
    parent = node.getparent()
    q = etree.QName(node)
    if q.namespace != BPMN_NS:
        return False
    return q.localname in _OWN or (parent is not None and etree.QName(parent).localname in _CONTAINERS)


def _elements(root: etree._Element) -> dict[str, etree._Element]:
    return {str(n.get("id")): n for n in root.iter() if _is_element(n)}


def _properties(el: etree._Element) -> dict[str, str]:
    """path -> value of everything inside ``el`` that is not an element of its own."""
    out = {f"@{_attr_name(k)}": v for k, v in el.attrib.items() if k != "id"}

    def walk(node: etree._Element, path: str) -> None:
        for child in node:
            if not isinstance(child.tag, str) or _is_element(child):
                continue
            key = child.get("id") or child.get("name")
            here = f"{path}{_qname(child)}" + (f"[{key}]" if key else "")
            text = (child.text or "").strip()
            if text:
                out[here] = text
            for k, v in child.attrib.items():
                if k not in ("id",):
                    out[f"{here}@{_attr_name(k)}"] = v
            walk(child, here + "/")

    walk(el, "")
    if etree.QName(el).localname == "lane":    # membership, as a set: the order of flowNodeRefs is no change
        refs = sorted((r.text or "").strip() for r in el.iterfind(f"{{{BPMN_NS}}}flowNodeRef"))
        out = {k: v for k, v in out.items() if not k.startswith("flowNodeRef")}
        out["flowNodeRef"] = ", ".join(refs)
    return out


def _layout(root: etree._Element) -> dict[str, str]:
    """bpmnElement -> its shape's bounds or its edge's waypoints, as text."""
    out = {}
    for node in root.iter(f"{{{DI_NS}}}BPMNShape", f"{{{DI_NS}}}BPMNEdge"):
        ref = node.get("bpmnElement")
        if ref:
            out[ref] = " ".join(f"{k}={v}" for c in node.iter() if c is not node and isinstance(c.tag, str)
                                for k, v in sorted(c.attrib.items()) if k in ("x", "y", "width", "height"))
    return out


def _entry(el: etree._Element, properties: list[dict[str, str | None]] | None = None) -> ElementChange:
    return {"id": str(el.get("id")), "type": etree.QName(el).localname, "name": el.get("name") or "",
            "properties": properties or []}


def form_changes(old_meta: dict[str, Any], new_meta: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    old_el, new_el = old_meta.get("elements", {}), new_meta.get("elements", {})
    forms = {"(start)": (old_meta.get("start_form") or [], new_meta.get("start_form") or [])}
    for eid in sorted(set(old_el) | set(new_el)):
        forms[eid] = ((old_el.get(eid) or {}).get("form") or [], (new_el.get(eid) or {}).get("form") or [])
    for eid, (before, after) in forms.items():
        a = {f["id"]: f for f in before}
        b = {f["id"]: f for f in after}
        for fid in [*a, *(f for f in b if f not in a)]:
            if fid not in b:
                out.append({"element": eid, "field": fid, "change": "removed", "label": a[fid].get("label"),
                            "properties": []})
            elif fid not in a:
                out.append({"element": eid, "field": fid, "change": "added", "label": b[fid].get("label"),
                            "properties": []})
            elif a[fid] != b[fid]:
                keys = sorted(set(a[fid]) | set(b[fid]))
                props = [{"property": k, "from": a[fid].get(k), "to": b[fid].get(k)}
                         for k in keys if a[fid].get(k) != b[fid].get(k)]
                out.append({"element": eid, "field": fid, "change": "changed", "label": b[fid].get("label"),
                            "properties": props})
    return out


def diff_versions(old_root: etree._Element, new_root: etree._Element, old_meta: dict[str, Any],
                  new_meta: dict[str, Any]) -> VersionDiff:
    old, new = _elements(old_root), _elements(new_root)
    old_layout, new_layout = _layout(old_root), _layout(new_root)
    changed: list[ElementChange] = []
    moved: list[str] = []
    for eid in (e for e in new if e in old):
        a, b = _properties(old[eid]), _properties(new[eid])
        props: list[dict[str, str | None]] = [{"property": k, "from": a.get(k), "to": b.get(k)}
                                              for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        if props or etree.QName(old[eid]).localname != etree.QName(new[eid]).localname:
            changed.append(_entry(new[eid], props))
        elif old_layout.get(eid) != new_layout.get(eid):
            moved.append(eid)
    return {"added": [_entry(new[e]) for e in new if e not in old],
            "removed": [_entry(old[e]) for e in old if e not in new],
            "changed": changed, "moved": moved, "form_fields": form_changes(old_meta, new_meta)}
