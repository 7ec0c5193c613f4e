"""Task forms and start forms, rendered from the fields the BPMN declares. The engine validates;
a refused submission comes back with the error next to each field and everything typed kept."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from engine.errors import BadInput
from engine.usecases.browse import start_form, startable_processes
from engine.usecases.start_instance import start_instance
from engine.usecases.task_view import show_task
from engine.usecases.tasks import complete_task, list_tasks
from webforms.calls import act, current_actor, read
from webforms.formdata import shown_values, submission

bp = Blueprint("forms", __name__)


def _mine(tasks: list[dict]) -> list[dict]:
    """The ready tasks the actor can go on with right away: theirs, or offered to their groups."""
    actor = current_actor()
    return [t for t in tasks if t["assignee"] == actor.name
            or (t["assignee"] is None and actor.working_groups & set(t["candidate_groups"]))]


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str):
    shown = read(show_task, task_id=task_id)
    fields = shown["task"]["form"]
    if request.method == "POST":
        try:
            act(complete_task, task_id=task_id, data=submission(fields, request.form))
            return redirect(url_for("forms.done", task_id=task_id))
        except BadInput as e:
            values = shown_values(fields, shown["values"], request.form)
            return render_template("task.html", **shown, fields=fields, shown=values, errors=e.fields,
                                   error=e.message), 422
    return render_template("task.html", **shown, fields=fields, shown=shown["values"], errors={}, error=None)


@bp.route("/tasks/<task_id>/done")
@login_required
def done(task_id: str):
    shown = read(show_task, task_id=task_id)
    following = _mine(read(list_tasks, instance_id=shown["task"]["instance"]))
    return render_template("done.html", **shown, following=following)


@bp.route("/start")
@login_required
def processes():
    return render_template("start_list.html", processes=read(startable_processes))


@bp.route("/start/<process_id>", methods=["GET", "POST"])
@login_required
def start(process_id: str):
    process = read(start_form, process_id=process_id)
    fields = process["start_form"]
    defaults = {f["id"]: f.get("default") for f in fields}
    if request.method == "POST":
        try:
            started = act(start_instance, process_id=process_id, data=submission(fields, request.form))
        except BadInput as e:
            return render_template("start.html", process=process, fields=fields, errors=e.fields, error=e.message,
                                   shown=shown_values(fields, defaults, request.form)), 422
        flash(f"已创建{process['name']} #{started['instance']}", "success")
        mine = _mine(started["ready"])
        if mine:
            return redirect(url_for("forms.task", task_id=mine[0]["id"]))
        return redirect(url_for("instances.show", instance_id=started["instance"]))
    return render_template("start.html", process=process, fields=fields, errors={}, error=None, shown=defaults)
