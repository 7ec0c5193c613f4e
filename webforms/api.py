"""The JSON API of design.md, for the inbox's own scripts and for integrations (a billing system
posting payments, a call centre creating complaints). Authenticated by the session cookie or by
`Authorization: Bearer TOKEN` from POST /api/login; errors are {"error", "fields"} with the status
codes of engine/errors.py (plus 400 for a body that is not a JSON object, 401, 429)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from engine.errors import WuyeError
from engine.usecases.browse import startable_processes
from engine.usecases.external_tasks import list_incidents, resolve_incident, set_retries
from engine.usecases.instances import history, show_instance
from engine.usecases.messages import broadcast_signal, correlate_message, deliver_message
from engine.usecases.register import import_register, room_for_start, show_room
from engine.usecases.sessions import actor_for_token, issue_api_token, log_out
from engine.usecases.start_instance import start_instance
from engine.usecases.tasks import claim_task, complete_task, task_page, unclaim_task
from webforms.auth import attempt_login
from webforms.calls import act, call, read
from webforms.errors import error_response
from webforms.security import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)          # checked below, for cookie-authenticated calls only


class MalformedRequest(WuyeError):
    http_status = 400


@bp.before_request
def _authenticate() -> ResponseReturnValue | None:
    """A Bearer header decides alone (a wrong token is 401 even with a session cookie); without one
    the session must be signed in, and a cookie-authenticated POST must carry the CSRF token."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        actor = None
        if scheme.lower() == "bearer" and token.strip():
            actor = call(actor_for_token, token=token.strip())
        if actor is None:
            return error_response(401, "令牌无效或已过期，请重新登录 (invalid or expired Bearer token)")
        g.actor = actor               # every call of this request is made as the token's actor
        return None
    if request.endpoint == "api.login":
        return None
    if not current_user.is_authenticated:
        return error_response(401, "请先登录或提供有效的令牌 (log in or send a valid Bearer token)")
    if request.method == "POST":
        csrf.protect()
    return None


# Any: a JSON object as the client posted it, its values unchecked until a use case validates them.
def _body() -> dict[str, Any]:
    try:
        body = request.get_json(silent=True) if request.get_data() else {}
    except RecursionError:        # [[[[…]]]] nested past Python's limit: the decoder does not say ValueError
        body = None
    if not isinstance(body, dict):
        raise MalformedRequest("请求体必须是 JSON 对象 (the body must be a JSON object)")
    return body


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > 2**63 - 1:    # not '²', not past BIGINT
        raise MalformedRequest(f"{name} 必须是整数 ({name} must be an integer)", fields={name: {"key": "form.long"}})
    return int(value)


@bp.route("/login", methods=["POST"])
def login() -> ResponseReturnValue:
    body = _body()
    actor = attempt_login(str(body.get("username") or ""), str(body.get("password") or ""), via="api")
    return jsonify(call(issue_api_token, actor=actor))


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Ends every session and token of the caller at once (the token this call carries too)."""
    return jsonify(act(log_out, via="api"))


@bp.route("/processes")
def processes() -> ResponseReturnValue:
    return jsonify(read(startable_processes))


@bp.route("/instances", methods=["POST"])
def create_instance() -> ResponseReturnValue:
    body = _body()
    if not isinstance(body.get("process"), str) or not body["process"]:
        raise MalformedRequest("缺少 process (process is required)", fields={"process": {"key": "form.required"}})
    return jsonify(act(start_instance, process_id=body["process"], data=body.get("data"))), 201


@bp.route("/instances/<int:instance_id>")
def instance(instance_id: int) -> ResponseReturnValue:
    return jsonify(read(show_instance, instance_id=instance_id))


@bp.route("/instances/<int:instance_id>/history")
def instance_history(instance_id: int) -> ResponseReturnValue:
    return jsonify(read(history, instance_id=instance_id))


@bp.route("/instances/<int:instance_id>/messages/<name>", methods=["POST"])
def message(instance_id: int, name: str) -> ResponseReturnValue:
    return jsonify(act(deliver_message, instance_id=instance_id, name=name, data=_body().get("data")))


@bp.route("/messages/<name>", methods=["POST"])
def correlated_message(name: str) -> ResponseReturnValue:
    """A message for whichever running instance its correlation key (in ``data``) names."""
    return jsonify(act(correlate_message, name=name, data=_body().get("data")))


@bp.route("/signals/<name>", methods=["POST"])
def signal(name: str) -> ResponseReturnValue:
    """A BPMN signal for every running instance waiting for it: ``{"signal", "instances"}``."""
    return jsonify(act(broadcast_signal, name=name, data=_body().get("data")))


@bp.route("/tasks")
def tasks() -> Response:
    """A page of the inbox (``limit`` 1..500, default 100), the bare list as ever; the next page's
    opaque cursor rides in ``X-Next-Cursor`` and ``Link: <…&after=…>; rel="next"`` (absent on the last)."""
    a = request.args
    limit = _int_arg("limit")
    page = read(task_page, limit=100 if limit is None else limit, after=a.get("after") or None,
                instance_id=_int_arg("instance"), process_id=a.get("process") or None,
                lane=a.get("lane") or None, room=a.get("room") or None,
                overdue=a.get("overdue") in ("1", "true"), every_group=a.get("all") in ("1", "true"),
                unassigned=a.get("unassigned") in ("1", "true"))
    resp = jsonify(page["tasks"])
    if page["next"]:
        resp.headers["X-Next-Cursor"] = page["next"]
        resp.headers["Link"] = f'<{url_for("api.tasks", **{**a.to_dict(), "after": page["next"]})}>; rel="next"'
    return resp


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
def claim(task_id: str) -> ResponseReturnValue:
    return jsonify(act(claim_task, task_id=task_id))


@bp.route("/tasks/<task_id>/unclaim", methods=["POST"])
def unclaim(task_id: str) -> ResponseReturnValue:
    return jsonify(act(unclaim_task, task_id=task_id))


@bp.route("/tasks/<task_id>/complete", methods=["POST"])
def complete(task_id: str) -> ResponseReturnValue:
    return jsonify(act(complete_task, task_id=task_id, data=_body().get("data")))


@bp.route("/register/import", methods=["POST"])
def register_import() -> ResponseReturnValue:
    """The owner and room register from a CSV or XLSX body (raw, or a multipart ``file``): 200 with the
    counts, or 422 with every problem by row and column and nothing stored."""
    upload = request.files.get("file")
    content = upload.read() if upload is not None else request.get_data()
    return jsonify(act(import_register, content=content))


@bp.route("/rooms/<path:room>")
def room(room: str) -> ResponseReturnValue:
    """A room and its owners, phones masked; ``?process=ID``: in full, for that process's start form
    (someone who may start it is taking the owner's case; the view is recorded)."""
    process = request.args.get("process")
    if process:
        return jsonify(act(room_for_start, room=room, process_id=process))
    return jsonify(read(show_room, room=room))


@bp.route("/incidents")
def incidents() -> ResponseReturnValue:
    """External tasks out of retries (admins): what failed, where, and why."""
    return jsonify(act(list_incidents))


@bp.route("/incidents/<task_id>/retry", methods=["POST"])
def retry_incident(task_id: str) -> ResponseReturnValue:
    """``{"retries": n}`` (default 1): the task goes back to its workers' queue."""
    retries = _body().get("retries", 1)
    act(set_retries, task_id=task_id, retries=retries)
    return jsonify({"task": task_id, "retries": retries})


@bp.route("/incidents/<task_id>/resolve", methods=["POST"])
def resolve(task_id: str) -> ResponseReturnValue:
    """``{"data": {...}}``: the work was done by hand; the task completes with this data."""
    data = _body().get("data") or {}
    if not isinstance(data, dict):
        raise MalformedRequest("data 必须是 JSON 对象 (data must be a JSON object)",
                               fields={"data": {"key": "form.data"}})
    act(resolve_incident, task_id=task_id, variables={k: {"value": v} for k, v in data.items()})
    return jsonify({"task": task_id, "resolved": True})
