"""报表 (quality, supervisors, process owners): the month's KPIs and violations with charts
(Chart.js, bundled), and the same table as CSV and Excel."""
from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.clock import SHANGHAI
from engine.usecases.report_table import report_table
from webforms.calls import read, show, wuye
from webforms.exports import as_csv, as_xlsx

bp = Blueprint("reports", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month() -> str:
    return request.args.get("month") or wuye().clock.now().astimezone(SHANGHAI).strftime("%Y-%m")


@bp.route("/reports")
@login_required
def index() -> ResponseReturnValue:
    table = show(report_table, month=_month())
    people = table["violations"]["by_responsible"]
    deadlines = table["kpis"]["violations"]["by_deadline"]
    charts = {"people": (json.dumps(list(people), ensure_ascii=False),
                         json.dumps([p["amount"] for p in people.values()])),
              "deadlines": (json.dumps(list(deadlines), ensure_ascii=False),
                            json.dumps([d["count"] for d in deadlines.values()]))}
    return render_template("reports.html", t=table, charts=charts)


@bp.route("/reports/<month>.<any(csv, xlsx):fmt>")
@login_required
def download(month: str, fmt: str) -> ResponseReturnValue:
    table = read(report_table, month=month)
    name = f"wuye-report-{table['month']}.{fmt}"
    body = (as_csv(table["header"], table["rows"]) if fmt == "csv"
            else as_xlsx(f"{table['month']} 月报", table["header"], table["rows"]))
    return Response(body, mimetype="text/csv; charset=utf-8" if fmt == "csv" else XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
