"""当班与负责人: the page where administrators and the service manager set each group's head
(负责人) and supervisor (主管) and the duty roster by shift (当班人员), whom a breach on an
unclaimed group task is charged to (engine/usecases/duty.py). Supervisors see it read-only. Thin
views: each calls one use case; a refused entry comes back with the reason beside its field."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.errors import BadInput
from engine.usecases.duty import add_duty_shift, duty_table, remove_duty_shift, set_group_lead
from webforms.calls import act, current_actor, show

bp = Blueprint("duty", __name__, url_prefix="/duty")


def _render(errors: dict[str, Any] | None = None, form: str = "", status: int = 200) -> tuple[str, int]:
    table = show(duty_table)
    actor = current_actor()
    may_edit = bool(actor.groups & {"admin", "cs_manager"})
    return render_template("duty.html", table=table, errors=errors or {}, failed=form, values=request.form,
                           may_edit=may_edit), status


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    return _render()


@bp.route("/lead", methods=["POST"])
@login_required
def lead() -> ResponseReturnValue:
    group = request.form.get("group", "")
    try:
        act(set_group_lead, group=group, head=request.form.get("head", "").strip() or None,
            supervisor=request.form.get("supervisor", "").strip() or None)
    except BadInput as e:
        return _render({k: v.get("message") or v["key"] for k, v in e.fields.items()}, form=f"lead-{group}", status=422)
    flash("已保存负责人和主管。", "ok")
    return redirect(url_for("duty.index"))


@bp.route("/shift", methods=["POST"])
@login_required
def shift() -> ResponseReturnValue:
    try:
        act(add_duty_shift, group=request.form.get("group", ""), user=request.form.get("user", "").strip(),
            starts_at=request.form.get("starts_at", ""), ends_at=request.form.get("ends_at", ""))
    except BadInput as e:
        return _render({k: v.get("message") or v["key"] for k, v in e.fields.items()}, form="shift", status=422)
    flash("已添加班次。", "ok")
    return redirect(url_for("duty.index"))


@bp.route("/shift/<int:shift_id>/remove", methods=["POST"])
@login_required
def unshift(shift_id: int) -> ResponseReturnValue:
    act(remove_duty_shift, shift_id=shift_id)
    flash("已删除班次。", "ok")
    return redirect(url_for("duty.index"))
