"""历史回放 (quality, supervisors): the instance search over everyone's instances, an instance's
history with its filters, the step-through replay on the diagram, re-execution and the evidence pack."""
from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.usecases.audit_history import instance_history
from engine.usecases.audit_search import audit_search
from engine.usecases.browse import STATUSES
from engine.usecases.evidence import evidence_pdf
from engine.usecases.replay import replay_instance
from webforms.calls import act, read, show

bp = Blueprint("history", __name__)
SEARCH = ("room", "owner", "phone", "process", "since", "until", "status", "violation", "responsible")


@bp.route("/history")
@login_required
def index() -> ResponseReturnValue:
    args = {k: request.args.get(k, "").strip() for k in SEARCH}
    asked = any(args.values())
    found = show(audit_search, **args)
    return render_template("history/search.html", instances=found, args=args, asked=asked, statuses=STATUSES)


@bp.route("/history/<int:instance_id>")
@login_required
def instance(instance_id: int) -> ResponseReturnValue:
    h = show(instance_history, instance_id=instance_id, only=request.args.get("show") or None)
    return render_template("history/instance.html", h=h, replayed=None)


@bp.route("/history/<int:instance_id>/replay")
@login_required
def replay(instance_id: int) -> ResponseReturnValue:
    h = show(instance_history, instance_id=instance_id)
    steps = json.dumps({"steps": h["steps"], "events": h["timeline"], "labels": h["labels"]}, ensure_ascii=False)
    return render_template("history/replay.html", h=h, steps=steps)


@bp.route("/history/<int:instance_id>/reexecute", methods=["POST"])
@login_required
def reexecute(instance_id: int) -> ResponseReturnValue:
    replayed = read(replay_instance, instance_id=instance_id)
    h = show(instance_history, instance_id=instance_id)
    return render_template("history/instance.html", h=h, replayed=replayed)


@bp.route("/history/<int:instance_id>/evidence.pdf", methods=["POST"])
@login_required
def evidence(instance_id: int) -> ResponseReturnValue:
    pdf = act(evidence_pdf, instance_id=instance_id)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="wuye-evidence-{instance_id}.pdf"'})
