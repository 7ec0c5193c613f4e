"""The decision table editor (流程设计 > 决策表): a deployed DMN version opened in dmn-js 17, every cell
checked in the sandbox on the server, a table tried on sample data, and deploy with a comment
through ``POST /api/definitions`` (the same checks again, a new version, the audit event).

The page's script calls the two JSON endpoints here; a file that cannot be checked or tried yet is
an answer (200 with ``{"ok": false, "problems"}``, each problem with the cell's element id), not a
failure, like the BPMN modeler's previews."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.errors import BadInput, WuyeError
from engine.usecases.decision_tables import check_decision_file, try_decision_table
from engine.usecases.definitions import DeployRefused, process_versions
from webforms.calls import read, show
from webforms.modeler import MODELER_CSP

bp = Blueprint("dmn", __name__, url_prefix="/modeler/dmn")


@bp.after_request
def _modeler_csp(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = MODELER_CSP       # dmn-js positions its menus with styles
    return resp


@bp.route("/<decision_id>/<int:version>")
@login_required
def edit(decision_id: str, version: int) -> ResponseReturnValue:
    versions = show(process_versions, process_id=decision_id)
    if versions["kind"] != "dmn" or version not in {v["version"] for v in versions["versions"]}:
        raise BadInput(f"{decision_id} 没有第 {version} 版决策表 (no DMN version {version} of {decision_id})")
    file_name = next(v["file"] for v in versions["versions"] if v["version"] == version)
    return render_template("modeler/dmn.html", versions=versions, version=version, file_name=file_name)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
        raise BadInput("请求体必须是含 xml 的 JSON 对象 (the body must be a JSON object with xml)")
    return body


@bp.route("/check", methods=["POST"])
@login_required
def check() -> ResponseReturnValue:
    body = _body()
    return jsonify(read(check_decision_file, xml=body["xml"], file=str(body.get("file") or "table.dmn")))


@bp.route("/try", methods=["POST"])
@login_required
def trial() -> ResponseReturnValue:
    body = _body()
    data = body.get("data")
    return jsonify({"ok": True, **read(try_decision_table, xml=body["xml"], file=str(body.get("file") or "table.dmn"),
                                       decision=body.get("decision") or None,
                                       data=data if isinstance(data, dict) else {})})


@bp.errorhandler(WuyeError)
def _answer(e: WuyeError) -> ResponseReturnValue:
    if request.endpoint in ("dmn.check", "dmn.trial"):
        if isinstance(e, DeployRefused):
            return jsonify({"ok": False, "error": e.message.partition(" (")[0], "problems": e.problems})
        if isinstance(e, BadInput):
            return jsonify({"ok": False, "error": e.message.partition(" (")[0], "problems": []})
        return jsonify({**e.to_json(), "ok": False}), e.http_status
    from webforms.errors import error_response
    return error_response(e.http_status, e.message, e.fields)
