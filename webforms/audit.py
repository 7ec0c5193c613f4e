"""The audit page (品质部): verify the event log, and sign a checkpoint to take away.

The verification walks the whole log (its hash chain and the instances' time order); a checkpoint
is the log's signed tree head (engine/usecases/checkpoints.py), downloaded as the text file an
auditor keeps outside the system and later checks with `wuye audit verify --against FILE`."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.usecases.audit import verify_audit
from engine.usecases.checkpoints import last_checkpoint, make_checkpoint
from webforms.calls import act, read, show

bp = Blueprint("audit", __name__)


@bp.route("/audit")
@login_required
def index() -> ResponseReturnValue:
    return render_template("audit.html", last=show(last_checkpoint), result=None)


@bp.route("/audit/verify", methods=["POST"])
@login_required
def verify() -> ResponseReturnValue:
    result = read(verify_audit)
    return render_template("audit.html", last=show(last_checkpoint), result=result)


@bp.route("/audit/checkpoint", methods=["POST"])
@login_required
def checkpoint() -> ResponseReturnValue:
    holder = request.form.get("holder", "").strip() or None
    made = act(make_checkpoint, holder=holder)
    name = f"wuye-checkpoint-{made['size']}.txt"
    return Response(made["note"], mimetype="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
