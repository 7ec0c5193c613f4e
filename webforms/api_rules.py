"""The rule tables in the JSON API, for scripts and other tools (authenticated like the rest of /api;
only process owners and administrators get past the use cases: 403).

- ``GET  /api/rules``                     the tables, each with its latest version
- ``GET  /api/rules/<table>?version=V``   a version's rows ``[{"key", "data"}]`` and every version
- ``POST /api/rules/<table>``             ``{"rows": [{"key", "data"}], "comment", "base_version"}``, or
  ``{"file": {...}}`` in the seed file's format: 201 with the new version, 200 when nothing changed,
  422 ``{"error", "problems": [{"row", "key", "field", "message"}]}``, 409 if ``base_version`` is
  not the latest any more"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from engine.rules.tables import TABLES, split_file
from engine.usecases.rule_tables import RuleTableRefused, deploy_rule_table, list_rule_tables, show_rule_table
from webforms.api import MalformedRequest, _authenticate, _body, _int_arg
from webforms.calls import act, read
from webforms.security import csrf

bp = Blueprint("rules_api", __name__, url_prefix="/api")
csrf.exempt(bp)                 # checked by _authenticate, for cookie-authenticated calls only
bp.before_request(_authenticate)


@bp.errorhandler(RuleTableRefused)
def _refused(e: RuleTableRefused) -> ResponseReturnValue:
    return jsonify({"error": e.message, "problems": [p.to_json() for p in e.problems]}), 422


@bp.route("/rules")
def tables() -> ResponseReturnValue:
    return jsonify(read(list_rule_tables))


@bp.route("/rules/<table>")
def table(table: str) -> ResponseReturnValue:
    return jsonify(read(show_rule_table, table=table, version=_int_arg("version")))


@bp.route("/rules/<table>", methods=["POST"])
def deploy(table: str) -> ResponseReturnValue:
    body: dict[str, Any] = _body()
    settings = None
    if "file" in body:
        try:
            settings, rows = split_file(table, body["file"]) if table in TABLES else ({}, [])
        except ValueError as e:
            raise MalformedRequest(str(e), fields={"file": {"key": "rules.file"}}) from None
    else:
        raw = body.get("rows")
        if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
            raise MalformedRequest("rows 应为 [{\"key\", \"data\"}] 列表 (rows must be a list of {key, data})",
                                   fields={"rows": {"key": "form.required"}})
        rows = [(str(r.get("key") or ""), r.get("data")) for r in raw]
    base = body.get("base_version")
    done = act(deploy_rule_table, table=table, rows=rows, comment=str(body.get("comment") or ""),
               base_version=base if isinstance(base, int) and not isinstance(base, bool) else None,
               settings=settings)
    return jsonify(done), 201 if done["new"] else 200
