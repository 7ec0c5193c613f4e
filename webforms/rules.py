"""The rule tables' pages (流程设计 > 规则表): the three tables, one table's rows as a form, deploy
a new version with a comment, and any older version to read. Thin views: parse the form, call one
use case; a refusal shows the form again as typed, each problem beside its row and cell."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.rules.table_text import form_rows, row_texts
from engine.usecases.rule_tables import RuleTableRefused, deploy_rule_table, list_rule_tables, show_rule_table
from webforms.calls import act, show

bp = Blueprint("rules", __name__, url_prefix="/modeler/rules")

_CELL = re.compile(r"^rows-(\d{1,4})-(\w{1,40})$")


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    return render_template("rules/index.html", tables=show(list_rule_tables)["tables"])


@bp.route("/<table>")
@login_required
def edit(table: str) -> ResponseReturnValue:
    found = show(show_rule_table, table=table, version=request.args.get("version", type=int))
    texts = [row_texts(table, r["key"], r["data"]) for r in found["rows"]]
    return render_template("rules/edit.html", found=found, texts=texts, problems={}, comment="")


@bp.route("/<table>", methods=["POST"])
@login_required
def deploy(table: str) -> ResponseReturnValue:
    typed = _typed_rows()
    comment = request.form.get("comment", "")
    try:
        done = act(deploy_rule_table, table=table, rows=form_rows(table, typed), comment=comment,
                   base_version=request.form.get("base_version", type=int))
    except RuleTableRefused as e:
        found = show(show_rule_table, table=table)
        return render_template("rules/edit.html", found=found, texts=_kept(table, typed), comment=comment,
                               problems=_by_row(e), refused=e.message.partition("；")[0]), 422
    if done["new"]:
        flash(f"已部署为第 {done['version']} 版", "success")
    else:
        flash("内容没有变化，未生成新版本", "info")
    return redirect(url_for("rules.edit", table=table))


def _typed_rows() -> list[dict[str, str]]:
    """The posted cells, row by row in the form's order; a row ticked for deletion is left out."""
    rows: dict[int, dict[str, str]] = {}
    for name, value in request.form.items():
        m = _CELL.match(name)
        if m:
            rows.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return [cells for _, cells in sorted(rows.items()) if not cells.get("delete")]


def _kept(table: str, typed: list[dict[str, str]]) -> list[dict[str, str]]:
    """What was typed, as the form shows it again (the blank rows dropped, as the deploy did)."""
    return [t for t in typed if form_rows(table, [t])]


def _by_row(e: RuleTableRefused) -> dict[Any, dict[str, str]]:
    """row position (in the rows shown again) -> field -> message; ``None`` for the table's own."""
    out: dict[Any, dict[str, str]] = {}
    for p in e.problems:
        out.setdefault(p.row, {})[p.field or "row"] = p.message
    return out
