"""修改密码: every signed-in person changes their own password here (engine.usecases.passwords).

The current password is checked under the sign-in rate limit (429 past it, as on the login page);
the strength rule stands beside the field. Every other session and API token of the person ends;
this one stays signed in, with the new session generation (a person who has just saved a new
password expects to carry on working, not to be sent to the login page)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user

from engine.errors import BadInput, FieldError
from engine.usecases.passwords import MAX_LENGTH, PASSWORD_RULE, change_own_password
from engine.usecases.sessions import TooManyLogins, whoami
from webforms.auth import WebUser, login_limits
from webforms.calls import asking, call, show

bp = Blueprint("account", __name__, url_prefix="/account")


def _render(status: int = 200, error: str | None = None, fields: dict[str, FieldError] | None = None
            ) -> ResponseReturnValue:
    return render_template("account_password.html", rule=PASSWORD_RULE, max_length=MAX_LENGTH,
                           error=error, fields=fields or {}), status


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    if request.method == "GET":
        show(whoami)
        return _render()
    form = request.form
    try:
        generation = call(change_own_password, actor=asking(), current=form.get("current", ""),
                          new=form.get("new", ""), repeat=form.get("repeat", ""),
                          address=request.remote_addr or "", limits=login_limits())
    except BadInput as e:
        show(whoami)
        return _render(422, e.message.split(" (")[0], e.fields)
    except TooManyLogins as e:
        show(whoami)
        return _render(429, e.message.split(" (")[0])
    name = current_user.name     # the old generation is ended: no read as this session now
    session.clear()              # a fresh session (and CSRF token) with the new generation
    login_user(WebUser(name, generation))
    flash("密码已修改。其他设备和脚本上的登录已全部退出，本页面保持登录。", "success")
    return redirect(url_for("inbox.index"))
