"""The administrator's pages: every user with their real name, phone, groups and whether they may
sign in (add one, change one, reset a password: every session of theirs ends); and the company's
letterhead for the fee letters (settings)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.errors import BadInput, Conflict
from engine.usecases.letterhead import save_letterhead, show_letterhead
from engine.usecases.people import list_users, read_person, update_user
from engine.usecases.users import add_user, change_password
from webforms.calls import act, show

bp = Blueprint("people", __name__)


def _posted() -> dict[str, Any]:
    f = request.form
    return {"display_name": f.get("display_name", "").strip(), "phone": f.get("phone", "").strip(),
            "groups": f.getlist("groups")}


def _page(errors: Mapping[str, object] | None = None, posted: Mapping[str, object] | None = None,
          editing: str | None = None, status: int = 200) -> ResponseReturnValue:
    found = show(list_users)
    return render_template("people.html", **found, errors=errors or {}, posted=posted or {}, editing=editing), status


@bp.route("/people")
@login_required
def index() -> ResponseReturnValue:
    return _page(editing=request.args.get("edit"))


@bp.route("/people/new", methods=["POST"])
@login_required
def add() -> ResponseReturnValue:
    posted = {**_posted(), "name": request.form.get("name", "").strip()}
    password = request.form.get("password", "")
    errors = read_person(posted["display_name"], posted["phone"], posted["groups"])
    try:
        if errors:
            raise BadInput("有错误", fields=errors)
        act(add_user, name=posted["name"], groups=posted["groups"], password=password or None,
            display_name=posted["display_name"], phone=posted["phone"])
    except Conflict as e:
        return _page({"name": {"key": "user.exists", "message": e.message.split(" (")[0]}}, posted, status=422)
    except BadInput as e:
        return _page(e.fields, posted, status=422)
    flash(f"已添加用户 {posted['display_name']}（{posted['name']}）", "success")
    return redirect(url_for("people.index"))


@bp.route("/people/<name>", methods=["POST"])
@login_required
def change(name: str) -> ResponseReturnValue:
    posted = _posted()
    try:
        if request.form.get("password"):
            act(change_password, name=name, password=request.form["password"])
            flash(f"已重设 {name} 的密码；其所有登录已失效", "success")
            return redirect(url_for("people.index"))
        act(update_user, name=name, **posted, active=request.form.get("active") == "1")
    except BadInput as e:
        return _page(e.fields, posted, editing=name, status=422)
    flash(f"已保存用户 {posted['display_name']}（{name}）", "success")
    return redirect(url_for("people.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    """The letterhead printed on every fee letter issued from now on."""
    found = show(show_letterhead)
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in found["values"]}
        try:
            act(save_letterhead, values=values)
        except BadInput as e:
            return render_template("settings.html", **{**found, "values": values}, errors=e.fields), 422
        flash("已保存函件抬头；此后签发的函件使用新的内容", "success")
        return redirect(url_for("people.settings"))
    return render_template("settings.html", **found, errors={})
