"""The process owners' JSON API (issue 9): definitions and their versions, deploy, diff, migrate.

Authenticated like the rest of /api (webforms/api.py: Bearer token, or the session cookie with the
CSRF header on a POST); only process owners and administrators get past the use cases (403).

- ``GET  /api/definitions``                               every process and table, with its versions
- ``GET  /api/definitions/<process>/<version>``           that version's file (application/xml)
- ``POST /api/definitions``                               a BPMN/DMN file as the body, as multipart
  ``file`` or as JSON ``{"xml", "file"}``, with ``comment`` (query, form field or JSON): 201 with the
  new versions, or 422 ``{"error", "problems": [{"file", "element", "line", "message"}]}``
- ``GET  /api/definitions/<process>/diff?from=V1&to=V2``  what changed
- ``GET  /api/instances/<id>/migrate?to_version=V``       the can-migrate check and preview
- ``POST /api/instances/<id>/migrate`` ``{"to_version"}``  move it: 409 ``{"error", "reasons"}`` if not
- ``POST /api/definitions/<process>/migrate`` ``{"from_version", "to_version"}``  every waiting instance"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from engine.usecases.definitions import (
    DeployRefused,
    definition_source,
    deploy_definition,
    list_definitions,
    version_diff,
)
from engine.usecases.migrate import MigrationRefused, migrate_instance, migrate_version, migration_check
from webforms.api import MalformedRequest, _authenticate, _body, _int_arg
from webforms.calls import act, read
from webforms.security import csrf

bp = Blueprint("definitions_api", __name__, url_prefix="/api")
csrf.exempt(bp)                 # checked by _authenticate, for cookie-authenticated calls only
bp.before_request(_authenticate)


@bp.errorhandler(DeployRefused)
def _refused(e: DeployRefused) -> ResponseReturnValue:
    return jsonify({"error": e.message, "problems": e.problems}), 422


@bp.errorhandler(MigrationRefused)
def _not_carried(e: MigrationRefused) -> ResponseReturnValue:
    return jsonify({"error": e.message, "reasons": e.reasons}), 409


@bp.route("/definitions")
def definitions() -> ResponseReturnValue:
    return jsonify(read(list_definitions))


@bp.route("/definitions/<process_id>/<int:version>")
def definition(process_id: str, version: int) -> ResponseReturnValue:
    found = read(definition_source, process_id=process_id, version=version)
    resp = Response(found["xml"], mimetype="application/xml")
    resp.headers["X-Content-Hash"] = found["hash"]
    resp.headers["Content-Disposition"] = f'inline; filename="{found["file"]}"'
    return resp


def _upload() -> tuple[list[tuple[str, bytes]], str]:
    """The file and the comment, however the caller sent them."""
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise MalformedRequest("缺少文件 file (multipart field `file` is required)",
                                   fields={"file": {"key": "form.required"}})
        return [(upload.filename or "upload.bpmn", upload.read())], request.form.get("comment", "")
    if request.is_json:
        body: dict[str, Any] = _body()
        xml = body.get("xml")
        if not isinstance(xml, str) or not xml.strip():
            raise MalformedRequest("缺少 xml (xml is required)", fields={"xml": {"key": "form.required"}})
        return [(str(body.get("file") or "upload.bpmn"), xml.encode("utf-8"))], str(body.get("comment") or "")
    data = request.get_data()
    if not data:
        raise MalformedRequest("请求体为空：请发送 BPMN 或 DMN 文件 (send a BPMN or DMN file as the body)")
    return [(request.args.get("file") or "upload.bpmn", data)], request.args.get("comment", "")


@bp.route("/definitions", methods=["POST"])
def deploy() -> ResponseReturnValue:
    files, comment = _upload()
    return jsonify(act(deploy_definition, files=files, comment=comment)), 201


@bp.route("/definitions/<process_id>/diff")
def diff(process_id: str) -> ResponseReturnValue:
    before, after = _int_arg("from"), _int_arg("to")
    if before is None or after is None:
        raise MalformedRequest("需要 from 和 to 两个版本号 (from and to are required)",
                               fields={k: {"key": "form.required"} for k, v in (("from", before), ("to", after))
                                       if v is None})
    return jsonify(read(version_diff, process_id=process_id, from_version=before, to_version=after))


@bp.route("/instances/<int:instance_id>/migrate")
def migration(instance_id: int) -> ResponseReturnValue:
    return jsonify(read(migration_check, instance_id=instance_id, to_version=_int_arg("to_version")))


@bp.route("/instances/<int:instance_id>/migrate", methods=["POST"])
def migrate(instance_id: int) -> ResponseReturnValue:
    return jsonify(act(migrate_instance, instance_id=instance_id, to_version=_body().get("to_version")))


@bp.route("/definitions/<process_id>/migrate", methods=["POST"])
def migrate_all(process_id: str) -> ResponseReturnValue:
    body = _body()
    return jsonify(act(migrate_version, process_id=process_id, from_version=body.get("from_version"),
                       to_version=body.get("to_version")))
