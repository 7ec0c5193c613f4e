"""Camunda 7's external-task REST API, on Camunda's own paths under /engine-rest/, so that workers
written for Camunda (the external-task client libraries) connect with a changed base URL.

Who: ``Authorization: Bearer TOKEN`` (from POST /api/login), or HTTP Basic with the user name and
that token as the password (what Camunda's clients send); the user must be in the ``worker`` group
(the use cases check its topics). Long polling: ``asyncResponseTimeout`` ms, waking as soon as a
step in this process opens an external task, and looking again every half second for other processes."""
from __future__ import annotations

import base64
import threading
import time
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from engine.errors import WuyeError
from engine.usecases.external_tasks import (
    EXTERNAL_CHANNEL,
    complete_external_task,
    extend_lock,
    fetch_and_lock,
    fetchable_count,
    handle_failure,
    list_incidents,
    report_bpmn_error,
    set_retries,
    unlock_external_task,
)
from engine.usecases.runner import on_commits
from engine.usecases.sessions import actor_for_token
from webforms.calls import act, call, read
from webforms.errors import error_response
from webforms.security import csrf

bp = Blueprint("engine_rest", __name__, url_prefix="/engine-rest")
csrf.exempt(bp)          # no cookie session here: a token in a header, which no other site can add

MAX_POLL_MS = 60_000
_opened = threading.Condition()


class MalformedRequest(WuyeError):
    http_status = 400


def _wake() -> None:
    with _opened:
        _opened.notify_all()


_listening: list[bool] = []


@bp.before_request
def _authenticate() -> ResponseReturnValue | None:
    if not _listening:
        _listening.append(True)
        on_commits(EXTERNAL_CHANNEL, _wake)
    scheme, _, credentials = (request.headers.get("Authorization") or "").partition(" ")
    token, user = credentials.strip(), None
    if scheme.lower() == "basic":
        try:
            user, _, token = base64.b64decode(token).decode().partition(":")
        except (ValueError, UnicodeError):
            token = ""
    actor = call(actor_for_token, token=token) if scheme.lower() in ("bearer", "basic") and token else None
    if actor is None or (user is not None and user != actor.name):
        return error_response(401, "令牌无效或已过期 (send Authorization: Bearer TOKEN from POST /api/login, or Basic "
                                   "with the user name and that token)")
    g.actor = actor
    return None


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(body, dict):
        raise MalformedRequest("请求体必须是 JSON 对象 (the body must be a JSON object)")
    return body


def _no_content() -> Response:
    return Response(status=204)


@bp.route("/external-task/fetchAndLock", methods=["POST"])
def fetch() -> ResponseReturnValue:
    body = _body()
    wait = body.get("asyncResponseTimeout") or 0
    if isinstance(wait, bool) or not isinstance(wait, int) or not 0 <= wait <= MAX_POLL_MS:
        raise MalformedRequest(f"asyncResponseTimeout 必须是 0 到 {MAX_POLL_MS} 的毫秒数 (milliseconds)",
                               fields={"asyncResponseTimeout": {"key": "form.long"}})
    deadline = time.monotonic() + wait / 1000
    first = True
    while True:
        locked = []
        if first or read(fetchable_count, topics=body.get("topics")):     # a look first: see fetchable_count
            locked = act(fetch_and_lock, worker_id=body.get("workerId"), max_tasks=body.get("maxTasks", 10),
                         topics=body.get("topics"))
        first = False
        left = deadline - time.monotonic()
        if locked or left <= 0:
            return jsonify(locked)
        with _opened:
            _opened.wait(min(left, 0.5))


@bp.route("/external-task/<task_id>/complete", methods=["POST"])
def complete(task_id: str) -> ResponseReturnValue:
    body = _body()
    variables = {**(body.get("variables") or {}), **(body.get("localVariables") or {})} \
        if isinstance(body.get("variables") or {}, dict) and isinstance(body.get("localVariables") or {}, dict) \
        else body.get("variables")
    act(complete_external_task, task_id=task_id, worker_id=body.get("workerId"), variables=variables)
    return _no_content()


@bp.route("/external-task/<task_id>/failure", methods=["POST"])
def failure(task_id: str) -> ResponseReturnValue:
    body = _body()
    act(handle_failure, task_id=task_id, worker_id=body.get("workerId"), error_message=body.get("errorMessage"),
        error_details=body.get("errorDetails"), retries=body.get("retries", 0),
        retry_timeout=body.get("retryTimeout", 0))
    return _no_content()


@bp.route("/external-task/<task_id>/bpmnError", methods=["POST"])
def bpmn_error(task_id: str) -> ResponseReturnValue:
    body = _body()
    act(report_bpmn_error, task_id=task_id, worker_id=body.get("workerId"), error_code=body.get("errorCode"),
        error_message=body.get("errorMessage"), variables=body.get("variables"))
    return _no_content()


@bp.route("/external-task/<task_id>/extendLock", methods=["POST"])
def extend(task_id: str) -> ResponseReturnValue:
    body = _body()
    act(extend_lock, task_id=task_id, worker_id=body.get("workerId"), new_duration=body.get("newDuration"))
    return _no_content()


@bp.route("/external-task/<task_id>/unlock", methods=["POST"])
def unlock(task_id: str) -> ResponseReturnValue:
    act(unlock_external_task, task_id=task_id)
    return _no_content()


@bp.route("/external-task/<task_id>/retries", methods=["PUT"])
def retries(task_id: str) -> ResponseReturnValue:
    act(set_retries, task_id=task_id, retries=_body().get("retries"))
    return _no_content()


@bp.route("/incident")
def incidents() -> ResponseReturnValue:
    return jsonify(act(list_incidents))
