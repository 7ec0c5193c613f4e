"""The process owners' pages (流程设计): the list of processes and versions, the modeler (open a
version, new from blank, import a file; lint; deploy with a comment), the version diff, and the
migration of waiting instances. Thin views: each calls one use case; the modeler page talks to the
JSON API (webforms/api_definitions.py) with the session cookie and the CSRF header, and to the two
preview endpoints here, the form preview rendered with the inbox's own field template."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.errors import BadInput, WuyeError
from engine.usecases.camunda_import import prepare_import
from engine.usecases.definitions import list_definitions, process_versions, version_diff
from engine.usecases.migrate import migrate_instance, migration_candidates
from engine.usecases.modeler_preview import modeler_context, preview_form, preview_timer
from webforms.calls import act, read, show
from webforms.security import CSP

bp = Blueprint("modeler", __name__, url_prefix="/modeler")

# bpmn-js, its properties panel and the minimap set style attributes through innerHTML (element
# sizes, the panel's resizer): the modeler's pages allow inline *styles*; scripts stay 'self' only.
MODELER_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


@bp.after_request
def _modeler_csp(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = MODELER_CSP
    return resp


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    return render_template("modeler/index.html", definitions=show(list_definitions)["definitions"])


def _editor(process_id: str | None, version: int | None) -> ResponseReturnValue:
    context = show(modeler_context)
    return render_template("modeler/editor.html", process_id=process_id, version=version,
                           context=json.dumps(context, ensure_ascii=False))


@bp.route("/new")
@login_required
def new() -> ResponseReturnValue:
    return _editor(None, None)


@bp.route("/edit/<process_id>/<int:version>")
@login_required
def edit(process_id: str, version: int) -> ResponseReturnValue:
    read(process_versions, process_id=process_id)       # 404 for a process that is not there
    return _editor(process_id, version)


@bp.route("/diff/<process_id>")
@login_required
def diff(process_id: str) -> ResponseReturnValue:
    versions = show(process_versions, process_id=process_id)
    latest = versions["latest"]
    after = request.args.get("to", type=int) or latest
    before = request.args.get("from", type=int) or max(1, after - 1)
    changes = read(version_diff, process_id=process_id, from_version=before, to_version=after)
    return render_template("modeler/diff.html", versions=versions, changes=changes,
                           changes_json=json.dumps(changes, ensure_ascii=False))


@bp.route("/migrate/<process_id>/<int:version>")
@login_required
def migration(process_id: str, version: int) -> ResponseReturnValue:
    versions = show(process_versions, process_id=process_id)
    target = request.args.get("to", type=int) or versions["latest"]
    found = read(migration_candidates, process_id=process_id, from_version=version, to_version=target)
    return render_template("modeler/migrate.html", versions=versions, found=found)


@bp.route("/migrate/<process_id>/<int:version>", methods=["POST"])
@login_required
def migrate(process_id: str, version: int) -> ResponseReturnValue:
    target = request.form.get("to", type=int)
    chosen = request.form.getlist("instance", type=int)
    if not chosen:
        flash("请先勾选要迁移的实例", "error")
    moved, refused = [], []
    for instance_id in chosen:
        try:
            act(migrate_instance, instance_id=instance_id, to_version=target)
            moved.append(str(instance_id))
        except WuyeError as e:
            refused.append(f"#{instance_id}：{e.message.partition(' (')[0]}")
    if moved:
        flash(f"已迁移到第 {target} 版：#{'、#'.join(moved)}", "success")
    for reason in refused:
        flash(f"未迁移 {reason}", "error")
    return redirect(url_for("modeler.migration", process_id=process_id, version=version, to=target))


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput("请求体必须是 JSON 对象 (the body must be a JSON object)")
    return body


@bp.route("/preview/form", methods=["POST"])
@login_required
def form_preview() -> ResponseReturnValue:
    """The selected task's form as staff will see it: the inbox's own field macro, disabled."""
    body = _json_body()
    found = read(preview_form, xml=str(body.get("xml") or ""), element=str(body.get("element") or ""))
    return render_template("modeler/_form_preview.html", form=found)


@bp.route("/import", methods=["POST"])
@login_required
def prepare() -> ResponseReturnValue:
    """An imported file with the safe translations made (each named), for the modeler to open."""
    body = _json_body()
    return jsonify(read(prepare_import, xml=str(body.get("xml") or ""), file=str(body.get("file") or "upload.bpmn")))


@bp.route("/preview/timer", methods=["POST"])
@login_required
def timer_preview() -> ResponseReturnValue:
    body = _json_body()
    return jsonify(read(preview_timer, expression=str(body.get("expression") or ""),
                        kind=str(body.get("kind") or "timeDate")))


@bp.errorhandler(WuyeError)
def _preview_error(e: WuyeError) -> ResponseReturnValue:
    """The previews answer the page's script in JSON. A diagram half-edited that cannot be previewed
    yet is an answer, not a failure: 200 with ``{"error"}`` (the browser would log a 422 as a
    console error on every keystroke); a refusal (403) stays one. The other pages show the app's
    error page."""
    if request.endpoint in ("modeler.form_preview", "modeler.timer_preview", "modeler.prepare"):
        status = 200 if isinstance(e, BadInput) else e.http_status
        return jsonify({**e.to_json(), "error": e.message.partition(" (")[0], "preview": False}), status
    from webforms.errors import error_response
    return error_response(e.http_status, e.message, e.fields)
