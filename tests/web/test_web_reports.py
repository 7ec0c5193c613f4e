"""报表 (issue 10): the month's KPIs and violations on a page with its charts' data, and the same
table as CSV and as an Excel workbook; the desk has no reports."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from engine.usecases.timers import fire_due_timers


def _late_repair(steps, web_db, clock) -> int:
    instance, _ = steps.to_repair("5-1-0303")
    steps.later(hours=2, seconds=1)
    fire_due_timers(web_db, clock=clock)
    return instance


def test_the_month_page_charts_the_penalties_per_person(client, auth, steps, web_db, clock):
    _late_repair(steps, web_db, clock)
    auth.login_as("quality")
    page = client.get("/reports?month=2026-11").get_data(as_text=True)
    assert "2026-11 月报表" in page and 'src="/static/vendor/reports/reports.js"' in page
    people = re.search(r'data-chart="people"[^>]*data-labels="([^"]*)" data-values="([^"]*)"', page)
    assert people and "engineering" in people.group(1) and "30.0" in people.group(2)
    assert "T1（visit_request）" in page
    departments = re.search(r'data-chart="departments"[^>]*data-labels="([^"]*)" data-values="([^"]*)"', page)
    assert departments and "engineering" in departments.group(1) and "30.0" in departments.group(2)
    for chart in ("categories", "buildings", "routes", "collection", "overdue"):
        assert f'data-chart="{chart}"' in page


def test_the_month_downloads_as_csv_and_excel_with_the_same_rows(client, auth, steps, web_db, clock):
    _late_repair(steps, web_db, clock)
    auth.login_as("cs_supervisor")
    csv = client.get("/reports/2026-11.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]
    text = csv.data.decode("utf-8-sig")
    assert text.startswith("部分,项目,数值,目标,说明") and "违规（按责任人）,engineering,1,,罚款 ¥30" in text
    xlsx = client.get("/reports/2026-11.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = [tuple(c.value for c in r) for r in sheet.iter_rows()]
    assert rows[0] == ("部分", "项目", "数值", "目标", "说明")
    assert ("违规（按责任人）", "engineering", 1, None, "罚款 ¥30") in rows
    assert ("违规（按部门）", "engineering", 1, None, "罚款 ¥30") in rows
    assert "违规（按部门）,engineering,1,,罚款 ¥30" in text
    assert any(r[0] == "当前逾期任务" for r in rows) and any(r[0] == "投诉处理时长" for r in rows)


def test_a_bad_month_is_refused(client, auth):
    auth.login_as("quality")
    assert client.get("/reports/2026-13.csv").status_code in (400, 422)


def test_the_desk_has_no_reports(client, auth):
    auth.login_as("front_desk")
    assert 'href="/reports"' not in client.get("/inbox").get_data(as_text=True)
    assert client.get("/reports").status_code == 403
    assert client.get("/reports/2026-11.xlsx").status_code == 403
