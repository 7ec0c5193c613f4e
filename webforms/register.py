"""The owner and room register's pages: the rooms (phones masked), a sheet's import with a preview
of what it would do and every problem by row and column (nothing is stored until it is clean and
confirmed), and a room edited by a supervisor, each refused field shown beside it with what was typed."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.errors import BadInput, NotFound
from engine.usecases.register import (
    KEEPERS,
    ImportRefused,
    import_register,
    list_rooms,
    preview_register,
    register_summary,
    room_for_edit,
    save_room,
)
from webforms.calls import act, current_actor, show

bp = Blueprint("register", __name__)
PEOPLE_ROWS = 4          # person rows on the room form (empty ones are ignored)


def _keeper() -> bool:
    return bool(current_actor().groups & KEEPERS)


@bp.route("/register")
@login_required
def index() -> ResponseReturnValue:
    q, building = request.args.get("q", ""), request.args.get("building", "")
    found = show(list_rooms, q=q, building=int(building) if building.isdigit() else None)
    return render_template("register/index.html", **found, q=q, building=building, keeper=_keeper())


@bp.route("/register/import", methods=["GET", "POST"])
@login_required
def upload() -> ResponseReturnValue:
    """POST with ``preview``: what the sheet would do; with ``confirm``: the import itself."""
    if request.method == "GET":
        show(register_summary)            # keepers only; and the navigation
        return render_template("register/import.html", preview=None, error=None, errors=[])
    file = request.files.get("file")
    content = file.read() if file is not None else b""
    try:
        if not content:
            raise BadInput("请选择要导入的 CSV 或 Excel 文件 (choose a file)", fields={"file": {"key": "file.empty"}})
        if "confirm" in request.form:
            done = act(import_register, content=content)["imported"]
            flash(f"已导入 {done['rooms']} 个房号、{done['people']} 位业主/租户"
                  f"（新增 {done['new_rooms']}，更新 {done['updated_rooms']}）", "success")
            return redirect(url_for("register.index"))
        preview = show(preview_register, content=content)
    except ImportRefused as e:
        preview = show(preview_register, content=content)
        return render_template("register/import.html", preview=preview, error=e.message, errors=e.rows), 422
    except BadInput as e:
        return render_template("register/import.html", preview=None, error=e.message, errors=[]), 422
    # a preview that finds problems has done its job (200): only an import of such a sheet is refused
    return render_template("register/import.html", preview=preview, error=None, errors=preview["errors"])


def _posted_people() -> list[dict[str, str]]:
    f = request.form
    people = []
    for i in range(1, PEOPLE_ROWS + 1):
        person = {k: f.get(f"p{i}_{k}", "").strip() for k in ("kind", "name", "phones", "move_in_date")}
        if person["name"] or person["phones"]:
            people.append(person)
    return people


@bp.route("/register/rooms/new", methods=["GET", "POST"], defaults={"code": None})
@bp.route("/register/rooms/<code>", methods=["GET", "POST"])
@login_required
def room(code: str | None) -> ResponseReturnValue:
    show(register_summary)
    if request.method == "POST":
        posted = {"room": (code or request.form.get("room", "")).strip(),
                  "handover_date": request.form.get("handover_date", ""), "area": request.form.get("area", "")}
        people = _posted_people()
        try:
            act(save_room, **posted, people=people)
        except ImportRefused as e:
            return render_template("register/room.html", code=code, form=posted, people=_rows(people),
                                   errors=_by_field(e.rows), error=e.message, keeper=_keeper()), 422
        flash(f"已保存房号 {posted['room']}", "success")
        return redirect(url_for("register.index", q=posted["room"]))
    try:
        current = act(room_for_edit, room=code) if code else None
    except NotFound:
        flash(f"登记册中没有房号 {code}", "error")
        return redirect(url_for("register.index"))
    form = {"room": code or "", "handover_date": (current or {}).get("handover_date") or "",
            "area": (current or {}).get("area") or ""}
    people = [{"kind": p["kind"], "name": p["name"], "phones": "/".join(p["phones"]),
               "move_in_date": p["move_in_date"] or ""} for p in (current or {}).get("people", [])]
    return render_template("register/room.html", code=code, form=form, people=_rows(people), errors={},
                           error=None, keeper=_keeper())


def _rows(people: list[dict[str, str]]) -> list[dict[str, str]]:
    return people + [{"kind": "owner", "name": "", "phones": "", "move_in_date": ""}] * (PEOPLE_ROWS - len(people))


def _by_field(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Row problems as the room form shows them: ``p<n>_<field>`` for a person's, else the field's."""
    names = {"owner_name": "name", "phone": "phones", "move_in_date": "move_in_date", "kind": "kind"}
    out: dict[str, str] = {}
    for e in rows:
        key = f"p{e['row']}_{names[e['field']]}" if e["row"] and e["field"] in names else e["field"]
        out.setdefault(key, e["message"])
    return out
