"""The one place where an engine error becomes what a person or a program sees: a JSON error with
the status of design.md on /api/, otherwise a page that says plainly what happened, with the same
status code (403 not permitted, 404 not found, 409 someone else was first, 422 bad input)."""
from __future__ import annotations

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import ErrorJson, FieldError, WuyeError
from engine.usecases.runner import UnknownActor
from webforms.auth import login_manager

_CAMUNDA_TYPES = {400: "InvalidRequestException", 404: "NotFoundException", 409: "OptimisticLockingException",
                  422: "InvalidRequestException", 403: "AuthorizationException"}
TITLES = {400: "请求无效", 401: "请先登录", 403: "无权操作", 404: "找不到", 405: "不支持的操作",
          409: "已被别人处理", 422: "输入有误", 429: "尝试次数过多", 500: "系统出错"}


def split_message(message: str) -> tuple[str, str]:
    """Engine messages read '中文说明 (English)'; pages show the Chinese, the English in small type."""
    zh, sep, rest = message.partition(" (")
    return (zh, rest[:-1] if sep and rest.endswith(")") else "") if sep else (message, "")


def wants_json() -> bool:
    return request.blueprint in ("api", "engine_rest") or request.path.startswith(("/api/", "/engine-rest/"))


def error_response(status: int, message: str, fields: dict[str, FieldError] | None = None) -> ResponseReturnValue:
    if wants_json():
        body: ErrorJson = {"error": message}
        if fields:
            body["fields"] = fields
        if request.path.startswith("/engine-rest/"):        # Camunda's error shape too, for its clients
            return jsonify({**body, "type": _CAMUNDA_TYPES.get(status, "RestException"), "message": message}), status
        return jsonify(body), status
    zh, en = split_message(message)
    return render_template("error.html", status=status, title=TITLES.get(status, "出错了"), message=zh,
                           detail=en, fields=fields or {}), status


def init_app(app: Flask) -> None:
    @app.errorhandler(WuyeError)
    def _engine_error(e: WuyeError) -> ResponseReturnValue:
        if wants_json() and not request.path.startswith("/engine-rest/"):
            return jsonify(e.to_json()), e.http_status        # with whatever else the error carries (rows)
        return error_response(e.http_status, e.message, e.fields)

    @app.errorhandler(UnknownActor)
    def _signed_out(e: UnknownActor) -> ResponseReturnValue:
        """The session's user was deleted or deactivated since signing in: the session ends here."""
        logout_user()
        return _unauthorized()

    @app.errorhandler(CSRFError)
    def _csrf(e: CSRFError) -> ResponseReturnValue:
        return error_response(400, "表单已过期或缺少安全令牌，请刷新页面后重试 (CSRF token missing or invalid)")

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> ResponseReturnValue:
        return error_response(e.code or 500, f"{TITLES.get(e.code or 500, '出错了')} ({e.description})")

    @login_manager.unauthorized_handler
    def _unauthorized() -> ResponseReturnValue:
        if wants_json():
            return error_response(401, "请先登录或提供有效的令牌 (log in or send a valid Bearer token)")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
