"""工作日历: the administrator's page for the holiday and 调休 table (engine/usecases/calendar.py).
Paste the dates of the State Council's notice or upload its CSV, see which working days change,
save it as one new version (audited). Supervisors see the page read-only. Thin views: each calls
one use case; a refused text comes back with its line named and the text kept."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.errors import BadInput
from engine.usecases.calendar import calendar_page, import_calendar, preview_calendar, show_calendar
from engine.usecases.calendar_timers import recompute_timers, timers_to_recompute
from webforms.calls import act, read, show

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

MAX_UPLOAD = 512 * 1024


def _text() -> str:
    """The pasted text, or the uploaded CSV when one was chosen."""
    upload = request.files.get("file")
    if upload and upload.filename:
        raw = upload.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            raise BadInput("文件过大（上限 512 KB）(file larger than 512 KB)")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadInput("文件不是 UTF-8 编码的 CSV (the file is not UTF-8 text)") from None
    return request.form.get("text", "")


def _render(page: dict[str, Any], **shown: Any) -> str:
    values = {"shown": None, "text": "", "preview": None, "error": None, "moving": None,
              "source": request.form.get("source", ""), "comment": request.form.get("comment", "")}
    return render_template("calendar.html", page=page, **{**values, **shown})


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    year = request.args.get("year", type=int)
    page = show(calendar_page)
    shown = read(show_calendar, year=year) if year else None
    moving = read(timers_to_recompute) if page["may_recompute"] else None
    return _render(page, shown=shown, moving=moving)


@bp.route("/recompute", methods=["POST"])
@login_required
def recompute() -> ResponseReturnValue:
    done = act(recompute_timers)
    flash(f"已按当前工作日历重新计算 {done['instances']} 个流程实例的 {done['timers']} 个期限。", "ok")
    return redirect(url_for("calendar.index"))


@bp.route("/preview", methods=["POST"])
@login_required
def preview() -> ResponseReturnValue:
    page = show(calendar_page)
    text, error, found = "", None, None
    try:
        text = _text()
        found = read(preview_calendar, text=text)
    except BadInput as e:
        error = e.message
    status = 422 if error else 200
    return _render(page, text=text, preview=found, error=error), status


@bp.route("/save", methods=["POST"])
@login_required
def save() -> ResponseReturnValue:
    text = request.form.get("text", "")
    try:
        saved = act(import_calendar, text=text, source=request.form.get("source", ""),
                    comment=request.form.get("comment", ""))
    except BadInput as e:
        page = show(calendar_page)
        return _render(page, text=text, error=e.message), 422
    years = "、".join(str(y) for y in saved["years"])
    flash(f"已保存工作日历第 {saved['version']} 版：{years} 年，{len(saved['changed'])} 个工作日变化。"
          f"已有的 {saved['deadlines_affected']} 个期限保持原定时间。", "ok")
    return redirect(url_for("calendar.index", year=saved["years"][0]))
