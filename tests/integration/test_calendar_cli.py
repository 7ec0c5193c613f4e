"""`wuye calendar import|show|check` (design.md's CLI contract) on a real database: a year of the
State Council's notice entered as a CSV, the deadline of a real process counted over the 2027
Spring Festival with it, a bad row refused with its line and nothing stored, and the 60-day check
that monitoring runs (exit 1 naming the first day with no official data, never a crash)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_cli import one_line
from tests.support import BPMN_DIR, ROOT, Wuye

NOTICE = str(ROOT / "tests" / "calendar_data" / "notice_2027.csv")
DEADLINE = str(BPMN_DIR / "timer_deadline.bpmn")     # dispatcher's 处理, due add_working_hours(received_at, 2)
BEFORE_2027 = "2026-12-02T10:00:00+08:00"


def test_the_check_fails_while_the_next_60_days_reach_a_year_without_official_data(wuye):
    r = wuye("calendar", "check", now=BEFORE_2027)
    assert r.code == 1
    assert r.json == {"ok": False, "from": "2026-12-02", "until": "2027-01-30", "days": 60,
                      "first_uncovered": "2027-01-01"}
    assert "2027-01-01" in one_line(r.err)
    assert wuye("calendar", "check", now="2026-10-01T10:00:00+08:00").code == 0   # 60 days inside 2026


def test_importing_the_2027_notice_covers_the_check_and_is_shown_and_audited(wuye):
    r = wuye("calendar", "import", NOTICE, "--source", "国务院办公厅 2027 年节假日安排", now=BEFORE_2027)
    assert r.code == 0, r.err
    saved = r.json
    assert saved["version"] == 2 and saved["years"] == [2027]
    changed = {c["date"]: (c["was"], c["now"]) for c in saved["changed"]}
    assert changed["2027-02-08"] == ("上班", "休息")          # a Monday of the Spring Festival
    assert changed["2027-02-20"] == ("休息", "上班")          # the make-up Saturday
    assert "2027-02-06" not in changed                        # a Saturday off either way
    assert wuye("calendar", "check", now=BEFORE_2027).json["ok"] is True
    shown = wuye("calendar", "show", "2027").json
    assert shown["official"] is True and shown["version"] == 2 and shown["source"] == "国务院办公厅 2027 年节假日安排"
    assert {"date": "2027-02-20", "kind": "workday", "name": "春节", "weekday": "周六"} in shown["days"]
    assert wuye("calendar", "show", "2026").json["source"] == "chinese-calendar 1.11.0"
    assert wuye("audit", "verify").code == 0


def test_a_bad_row_is_refused_with_its_line_and_nothing_is_stored(wuye, tmp_path: Path):
    bad = tmp_path / "2027.csv"
    bad.write_text("date,kind,name\n2027-01-01,holiday,元旦\n2027-02-05,holiday,春节\n2027-02-30,holiday,春节\n",
                   encoding="utf-8")
    r = wuye("calendar", "import", str(bad), now=BEFORE_2027)
    assert r.code == 2
    assert "第 4 行" in one_line(r.err) and "2027-02-30" in r.err
    shown = wuye("calendar", "show", "2027").json
    assert shown["official"] is False and shown["days"] == [] and shown["version"] is None
    assert wuye("calendar", "check", now=BEFORE_2027).code == 1


def test_show_refuses_a_year_that_is_not_one(wuye):
    r = wuye("calendar", "show", "27")
    assert r.code == 2 and "not a year" in r.err


def test_import_is_for_administrators(wuye):
    r = wuye("calendar", "import", NOTICE, "--as", "dispatcher", now=BEFORE_2027)
    assert r.code == 3 and "系统管理员" in one_line(r.err)
    assert wuye("calendar", "import", NOTICE, "--as", "admin", now=BEFORE_2027).code == 0


def _deadline_of(w: Wuye, received: str) -> dict:
    started = w("start", "deadline_check", "--as", "dispatcher", "--data", json.dumps({"received_at": received}),
                now=received)
    assert started.code == 0, started.err
    [task] = [t for t in w("tasks", "--as", "dispatcher", now=received).json
              if t["instance"] == started.json["instance"]]
    return task


@pytest.mark.parametrize("entered", [False, True], ids=["no 2027 data", "2027 entered"])
def test_a_deadline_across_the_2027_spring_festival(sqlite_db, entered):
    w = Wuye(sqlite_db.url)
    assert w("deploy", DEADLINE).code == 0
    if entered:
        assert w("calendar", "import", NOTICE, now=BEFORE_2027).code == 0
    # Thursday 17:00 before the festival: half an hour that day, 1.5 h after it
    task = _deadline_of(w, "2027-02-04T17:00:00+08:00")
    if entered:
        assert task["due_at"] == "2027-02-15T10:00:00+08:00" and task["due_estimated"] is False
    else:
        assert task["due_at"] == "2027-02-05T10:00:00+08:00" and task["due_estimated"] is True


def test_a_deadline_on_the_make_up_saturday(sqlite_db):
    w = Wuye(sqlite_db.url)
    assert w("deploy", DEADLINE).code == 0
    assert w("calendar", "import", NOTICE, now=BEFORE_2027).code == 0
    task = _deadline_of(w, "2027-02-19T17:00:00+08:00")       # Friday 17:00; Saturday the 20th is worked
    assert task["due_at"] == "2027-02-20T10:00:00+08:00" and task["due_estimated"] is False
