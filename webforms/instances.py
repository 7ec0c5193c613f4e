"""The instance pages: a search over the instances the user may see, and one instance with its
data, tasks, deadlines, violations, events and the diagram with what is done, active and waiting."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine import inputs
from engine.clock import SHANGHAI
from engine.errors import BadInput
from engine.rules.payments import CONFIRM
from engine.usecases.browse import STATUSES, instances_page
from engine.usecases.instance_overview import instance_diagram_source, instance_overview
from engine.usecases.letters import get_letter
from engine.usecases.messages import deliver_message
from engine.usecases.payments import CHANNELS
from webforms.calls import act, read, show, wuye
from webforms.records import RECORDS

bp = Blueprint("instances", __name__)


@bp.route("/instances")
@login_required
def index() -> ResponseReturnValue:
    a = request.args
    try:
        found = show(instances_page, process_id=a.get("process"), status=a.get("status"), room=a.get("room"),
                     q=a.get("q"), started_from=a.get("from"), started_to=a.get("to"), overdue=a.get("overdue") == "1")
        errors = {}
    except BadInput as e:
        found, errors = show(instances_page), e.fields
    return render_template("instances.html", instances=found["instances"], processes=found["processes"], args=a,
                           statuses=STATUSES, errors=errors), 422 if errors else 200


@bp.route("/instances/<int:instance_id>", endpoint="show")
@login_required
def instance(instance_id: int) -> ResponseReturnValue:
    return render_instance(instance_id)


def render_instance(instance_id: int, payment: dict[str, Any] | None = None) -> str:
    """The instance page; ``payment``: a refused payment form (what was typed, each field's reason)."""
    overview = show(instance_overview, instance_id=instance_id)
    markers = json.dumps(overview["diagram"], ensure_ascii=False)
    return render_template("instance.html", i=overview, markers=markers, letters=overview["letters"],
                           record=RECORDS.get(overview["process"]), payment=payment or {"posted": {}, "errors": {}},
                           channels=CHANNELS, today=wuye().clock.now().astimezone(SHANGHAI).date().isoformat())


# The letter exactly as issued (its own HTML and print styles); no script may run in it.
LETTER_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"


@bp.route("/letters/<letter>")
@login_required
def letter(letter: str) -> ResponseReturnValue:
    found = read(get_letter, letter=letter)
    return Response(found["html"], mimetype="text/html", headers={"Content-Security-Policy": LETTER_CSP})


@bp.route("/instances/<int:instance_id>/diagram.bpmn")
@login_required
def diagram(instance_id: int) -> ResponseReturnValue:
    xml = read(instance_diagram_source, instance_id=instance_id)
    return Response(xml, mimetype="application/xml")


@bp.route("/instances/<int:instance_id>/messages", methods=["POST"])
@login_required
def message(instance_id: int) -> ResponseReturnValue:
    name, text = request.form.get("name", ""), request.form.get("data", "").strip()
    data = inputs.load_json(text, "data") if text else {}
    if request.form.get(CONFIRM) == "true" and isinstance(data, dict):
        data[CONFIRM] = True               # the payer confirmed an overpayment (engine/rules/payments.py)
    act(deliver_message, instance_id=instance_id, name=name, data=data)
    flash(f"已发送消息 {name}", "success")
    return redirect(url_for("instances.show", instance_id=instance_id))
