"""报表 (quality, supervisors, process owners): the month's KPIs and violations with charts
(Chart.js, bundled), and the same table as CSV and Excel."""
from __future__ import annotations

import json
from typing import Any

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
    k, v = table["kpis"], table["violations"]
    c = k["complaints"]
    series = {"people": (v["by_responsible"], "amount"), "deadlines": (k["violations"]["by_deadline"], "count"),
              "departments": (v["by_department"], "amount"), "categories": (c["by_category"], "count"),
              "complaint_departments": (c["by_department"], "count"), "buildings": (c["by_building"], "count"),
              "routes": (k["repairs"]["by_route"], "count"),
              "collection": (k["collection_rate"]["by_period"], "value")}
    charts = {name: _chart(rows, key) for name, (rows, key) in series.items()}
    charts["overdue"] = (json.dumps(list(k["overdue_now"]["by_lane"]), ensure_ascii=False),
                         json.dumps(list(k["overdue_now"]["by_lane"].values())))
    return render_template("reports.html", t=table, charts=charts)


def _chart(rows: dict[str, dict[str, Any]], key: str) -> tuple[str, str]:
    """A chart's labels and values, as the canvas's data attributes (static/…/reports.js draws them)."""
    return (json.dumps(list(rows), ensure_ascii=False), json.dumps([r.get(key) or 0 for r in rows.values()]))


@bp.route("/reports/<month>.<any(csv, xlsx):fmt>")
@login_required
def download(month: str, fmt: str) -> ResponseReturnValue:
    table = read(report_table, month=month)
    name = f"wuye-report-{table['month']}.{fmt}"
    body = (as_csv(table["header"], table["rows"]) if fmt == "csv"
            else as_xlsx(f"{table['month']} 月报", table["header"], table["rows"]))
    return Response(body, mimetype="text/csv; charset=utf-8" if fmt == "csv" else XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
