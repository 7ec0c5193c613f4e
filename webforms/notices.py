"""Notifications in the browser and the JSON API: a user's notices (``/notifications``; the count
of unread ones is in the navigation), marking them read, and the administrator's settings page for
the outgoing channels and each user's phone, e-mail and quiet hours (``/notifications/settings``).

- ``GET  /api/notifications``          ``{"unread", "notifications": [{"id", "kind", "kind_name", "title",
  "body", "instance", "task", "at", "read"}]}``, newest first
- ``POST /api/notifications/read``     ``{"ids": [..]}`` (all when absent) → ``{"marked", "unread"}``"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.errors import BadInput
from engine.usecases.notifications import list_notifications, mark_notifications_read
from engine.usecases.notify_settings import notify_settings, save_channel, save_contact
from webforms.api import MalformedRequest, _authenticate, _body
from webforms.calls import act, read, show
from webforms.security import csrf

bp = Blueprint("notices", __name__)
api = Blueprint("notices_api", __name__, url_prefix="/api")
csrf.exempt(api)                 # checked by _authenticate, for cookie-authenticated calls only
api.before_request(_authenticate)


@bp.route("/notifications")
@login_required
def index() -> ResponseReturnValue:
    return render_template("notifications.html", **show(list_notifications))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read() -> ResponseReturnValue:
    ids = [int(i) for i in request.form.getlist("id") if i.isascii() and i.isdigit()]
    act(mark_notifications_read, ids=ids or None)
    return redirect(url_for("notices.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    errors: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    if request.method == "POST":
        form = request.form
        typed = {k: form.get(k, "") for k in form}
        try:
            if form.get("what") == "contact":
                act(save_contact, user_name=form.get("user", ""), phone=form.get("phone", ""),
                    email=form.get("email", ""), quiet_from=form.get("quiet_from", ""),
                    quiet_to=form.get("quiet_to", ""))
                flash(f"已保存 {form.get('user')} 的联系方式", "success")
            else:
                act(save_channel, name=form.get("name", "").strip(), kind=form.get("kind", ""),
                    enabled=form.get("enabled") == "1",
                    settings={k[9:]: v for k, v in form.items() if k.startswith("settings.")},
                    kinds=form.getlist("kinds"), groups=form.getlist("groups"))
                flash(f"已保存渠道 {form.get('name')}", "success")
            return redirect(url_for("notices.settings"))
        except BadInput as e:
            errors = {k: v.get("message", "") for k, v in (e.fields or {}).items()}
    shown = show(notify_settings)
    return render_template("notify_settings.html", **shown, errors=errors, typed=typed), 422 if errors else 200


@api.route("/notifications")
def api_list() -> ResponseReturnValue:
    return jsonify(read(list_notifications))


@api.route("/notifications/read", methods=["POST"])
def api_read() -> ResponseReturnValue:
    body = _body() if request.get_data() else {}
    ids = body.get("ids")
    if ids is not None and not (isinstance(ids, list)
                                and all(isinstance(i, int) and not isinstance(i, bool) for i in ids)):
        raise MalformedRequest("ids 应为通知编号的列表 (ids must be a list of notification ids)",
                               fields={"ids": {"key": "notify.ids"}})
    return jsonify(act(mark_notifications_read, ids=ids))
