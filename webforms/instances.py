"""The instance pages: a search over the instances the user may see, and one instance with its
data, tasks, deadlines, violations, events and the diagram with what is done, active and waiting."""
from __future__ import annotations

import importlib
import json
from types import ModuleType

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from engine.errors import BadInput
from engine.usecases.browse import STATUSES, search_instances
from engine.usecases.instance_overview import instance_diagram_source, instance_overview
from engine.usecases.messages import deliver_message
from webforms.calls import act, read

bp = Blueprint("instances", __name__)


@bp.route("/instances")
@login_required
def index():
    a = request.args
    found = read(search_instances, process_id=a.get("process"), status=a.get("status"), room=a.get("room"))
    return render_template("instances.html", instances=found, args=a, statuses=STATUSES)


@bp.route("/instances/<int:instance_id>")
@login_required
def show(instance_id: int):
    overview = read(instance_overview, instance_id=instance_id)
    letters = _letters()
    issued = read(letters.list_letters, instance_id=instance_id) if letters else []
    markers = json.dumps(overview["diagram"], ensure_ascii=False)
    return render_template("instance.html", i=overview, markers=markers, letters=issued)


def _letters() -> ModuleType | None:
    """The fee letters' use cases (engine/usecases/letters.py), where that piece is installed."""
    try:
        return importlib.import_module("engine.usecases.letters")
    except ModuleNotFoundError as e:
        if e.name != "engine.usecases.letters":
            raise
        return None


# The letter exactly as issued (its own HTML and print styles); no script may run in it.
LETTER_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"


@bp.route("/letters/<letter>")
@login_required
def letter(letter: str):
    letters = _letters()
    if letters is None:
        abort(404)
    found = read(letters.get_letter, letter=letter)
    return Response(found["html"], mimetype="text/html", headers={"Content-Security-Policy": LETTER_CSP})


@bp.route("/instances/<int:instance_id>/diagram.bpmn")
@login_required
def diagram(instance_id: int):
    xml = read(instance_diagram_source, instance_id=instance_id)
    return Response(xml, mimetype="application/xml")


@bp.route("/instances/<int:instance_id>/messages", methods=["POST"])
@login_required
def message(instance_id: int):
    name, text = request.form.get("name", ""), request.form.get("data", "").strip()
    try:
        data = json.loads(text) if text else {}
    except json.JSONDecodeError as e:
        raise BadInput(f"消息内容不是有效的 JSON (invalid JSON: {e.msg})", fields={"data": {"key": "form.data"}}) from None
    act(deliver_message, instance_id=instance_id, name=name, data=data)
    flash(f"已发送消息 {name}", "success")
    return redirect(url_for("instances.show", instance_id=instance_id))
