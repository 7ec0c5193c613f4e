"""Task forms and start forms, rendered from the fields the BPMN declares. The engine validates;
a refused submission comes back with the error next to each field and everything typed kept.

Which widget a field gets is decided here (``widget``, a template filter): by the field's type,
unless the BPMN asks for one with a ``camunda:property`` ``widget`` on the field (e.g. ``textarea``
for a paragraph of text, ``date`` for a day without a time)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.errors import BadInput
from engine.usecases.browse import start_form, startable_processes
from engine.usecases.start_instance import start_instance
from engine.usecases.task_view import posted_values, show_task, submit_task_form, task_done, workable
from webforms.calls import act, current_actor, show

bp = Blueprint("forms", __name__)


def widget(field: dict[str, Any]) -> str:
    """text | textarea | integer | number | date | datetime | yesno | select.

    A string field is a textarea when the BPMN says so (widget="textarea") or when it may hold 200
    characters or more; a `date` field is a date picker when its label says 日期 or the BPMN asks
    for one (widget="date"), otherwise date and time (most deadlines in the procedures are to the
    minute)."""
    kind, props = str(field.get("type") or ""), field.get("properties") or {}
    if props.get("widget"):
        return str(props["widget"])
    if kind == "string":
        return "textarea" if (field.get("maxlength") or 0) >= 200 else "text"
    if kind == "date":
        return "date" if field.get("label", "").endswith("日期") else "datetime"
    return {"long": "integer", "double": "number", "boolean": "yesno", "enum": "select"}.get(kind, "text")


def shown_values(fields: list[dict[str, Any]], values: Mapping[str, Any], posted: Mapping[str, str]) -> dict[str, Any]:
    """What the inputs show after a refused submit: the posted text (so nothing typed is lost),
    else the current value or default."""
    return {f["id"]: (posted.get(f["id"]) if f["id"] in posted and not f.get("readonly") else values.get(f["id"]))
            for f in fields}


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str) -> ResponseReturnValue:
    if request.method == "POST":
        try:
            act(submit_task_form, task_id=task_id, posted=request.form.to_dict())
            return redirect(url_for("forms.done", task_id=task_id))
        except BadInput as e:
            shown = show(show_task, task_id=task_id)
            fields = shown["task"]["form"]
            return render_template("task.html", **shown, fields=fields, errors=e.fields, error=e.message,
                                   shown=shown_values(fields, shown["values"], request.form)), 422
    shown = show(show_task, task_id=task_id)
    return render_template("task.html", **shown, fields=shown["task"]["form"], shown=shown["values"], errors={},
                           error=None)


@bp.route("/tasks/<task_id>/done")
@login_required
def done(task_id: str) -> ResponseReturnValue:
    return render_template("done.html", **show(task_done, task_id=task_id))


@bp.route("/start")
@login_required
def processes() -> ResponseReturnValue:
    return render_template("start_list.html", processes=show(startable_processes))


@bp.route("/start/<process_id>", methods=["GET", "POST"])
@login_required
def start(process_id: str) -> ResponseReturnValue:
    process = show(start_form, process_id=process_id)
    fields = process["start_form"]
    defaults = {f["id"]: f.get("default") for f in fields}
    if request.method == "POST":
        try:
            started = act(start_instance, process_id=process_id, data=posted_values(fields, request.form),
                          override_room=request.form.get("room_override") == "1")
        except BadInput as e:
            return render_template("start.html", process=process, fields=fields, errors=e.fields, error=e.message,
                                   shown=shown_values(fields, defaults, request.form)), 422
        flash(f"已创建{process['name']} #{started['instance']}", "success")
        mine = workable(current_actor(), started["ready"])
        if mine:
            return redirect(url_for("forms.task", task_id=mine[0]["id"]))
        return redirect(url_for("instances.show", instance_id=started["instance"]))
    room_field = process["register"]["room"]
    if room_field and request.args.get("room"):       # from the search: the room the owner was found in
        defaults[room_field] = request.args["room"].strip()[:64]
    return render_template("start.html", process=process, fields=fields, errors={}, error=None, shown=defaults)
