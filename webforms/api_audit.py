"""The auditor's side of the JSON API (issue 10), for the quality group and supervisors (the use
cases refuse anyone else: 403); authenticated like the rest of /api.

- ``GET  /api/history/<id>``                an instance's full history: every event with its actor's
  name, the submitted data and, for data changes, the values before and after (``?show=`` a type
  filter); ``GET /api/instances/<id>/history`` stays the plain event list for whoever may see it
- ``GET  /api/audit/verify``                the hash chain, seals and time order checked (``?deep=1``:
  and every derived row): ``{"ok", "events", "head"}`` or ``{"ok": false, "first_broken": {...}}``
- ``GET  /api/instances/<id>/evidence``     the evidence pack as a PDF (it signs a checkpoint first)
- ``POST /api/instances/<id>/replay``       re-execution: ``{"instance", "matches", "events"}`` and,
  when it does not match, ``first_divergence`` (expected against actual) or ``final``"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from engine.usecases.audit import verify_audit
from engine.usecases.audit_history import instance_history
from engine.usecases.evidence import evidence_pdf
from engine.usecases.replay import replay_instance
from webforms.api import _authenticate
from webforms.calls import act, read
from webforms.security import csrf

bp = Blueprint("audit_api", __name__, url_prefix="/api")
csrf.exempt(bp)                 # checked by _authenticate, for cookie-authenticated calls only
bp.before_request(_authenticate)


@bp.route("/history/<int:instance_id>")
def history(instance_id: int) -> ResponseReturnValue:
    return jsonify(read(instance_history, instance_id=instance_id, only=request.args.get("show") or None))


@bp.route("/audit/verify")
def verify() -> ResponseReturnValue:
    return jsonify(read(verify_audit, deep=request.args.get("deep") in ("1", "true")))


@bp.route("/instances/<int:instance_id>/evidence")
def evidence(instance_id: int) -> ResponseReturnValue:
    pdf = act(evidence_pdf, instance_id=instance_id)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="wuye-evidence-{instance_id}.pdf"'})


@bp.route("/instances/<int:instance_id>/replay", methods=["POST"])
def replay(instance_id: int) -> ResponseReturnValue:
    return jsonify(read(replay_instance, instance_id=instance_id))
