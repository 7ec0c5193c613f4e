"""The service desk's pages (issue 11): the one search box, attachments on a task (upload from a
phone's camera, open one), and a payment recorded from the instance page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.errors import BadInput
from engine.usecases.attachments import add_attachment, get_attachment
from engine.usecases.payments import CHANNELS, CONFIRM_SHORT, record_payment
from engine.usecases.search import search
from engine.usecases.sessions import whoami
from webforms.calls import act, read, show
from webforms.instances import render_instance
from webforms.uploads import uploaded_file

bp = Blueprint("desk", __name__)

# an attachment as served: no script may run in it, and it is never sniffed into something else
FILE_HEADERS = {"Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                                           "sandbox", "X-Content-Type-Options": "nosniff"}


@bp.route("/search")
@login_required
def search_page() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()
    if not q:
        show(whoami)
        return render_template("search.html", q="", found=None, error=None)
    try:
        found = show(search, q=q)
    except BadInput as e:
        return render_template("search.html", q=q, found=None, error=e.fields["q"]["message"]), 422
    return render_template("search.html", q=q, found=found, error=None)


@bp.route("/tasks/<task_id>/attachments", methods=["POST"])
@login_required
def upload(task_id: str) -> ResponseReturnValue:
    name, content = uploaded_file()
    try:
        done = act(add_attachment, task_id=task_id, name=name, content=content)
    except BadInput as e:
        field = e.fields.get("file")
        flash(f"附件未上传：{field['message'] if field and 'message' in field else e.message}", "error")
        return redirect(request.form.get("next") or url_for("forms.task", task_id=task_id)), 303
    flash(f"已上传附件 {done['name']}", "success")
    return redirect(request.form.get("next") or url_for("forms.task", task_id=task_id), 303)


@bp.route("/attachments/<int:attachment_id>", defaults={"thumb": False})
@bp.route("/attachments/<int:attachment_id>/thumb", defaults={"thumb": True})
@login_required
def attachment(attachment_id: int, thumb: bool) -> ResponseReturnValue:
    return file_response(read(get_attachment, attachment_id=attachment_id, thumbnail=thumb))


def file_response(found: dict[str, Any]) -> Response:
    content_type = str(found["served_type"])
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    response = Response(found["content"], mimetype=content_type, headers=FILE_HEADERS)
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{found['id']}" + (
        ".pdf" if content_type == "application/pdf" else ".jpg" if content_type == "image/jpeg" else ".png")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/instances/<int:instance_id>/payments", methods=["POST"])
@login_required
def payment(instance_id: int) -> ResponseReturnValue:
    f = request.form
    posted = {k: f.get(k, "").strip() for k in ("amount", "channel", "receipt_no", "paid_at")}
    try:
        act(record_payment, instance_id=instance_id, **posted,
            confirm_overpayment=f.get("confirm_overpayment") == "true", confirm_short=f.get(CONFIRM_SHORT) == "true")
    except BadInput as e:
        return render_instance(instance_id, payment={"posted": posted, "errors": e.fields}), 422
    flash(f"已录入缴费 ¥{float(posted['amount']):,.2f}（{CHANNELS.get(posted['channel'], posted['channel'])}，"
          f"收据 {posted['receipt_no']}）", "success")
    return redirect(url_for("instances.show", instance_id=instance_id))
