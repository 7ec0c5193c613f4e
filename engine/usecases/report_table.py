"""The month's report as one table (the reports page's CSV and Excel downloads): the KPIs of
engine/usecases/reports.py, then every violation per responsible person, in rows a spreadsheet
shows as they are. Computed by the same use cases, so the page, the files and `wuye report` agree."""
from __future__ import annotations

from typing import Any

from engine.clock import Clock
from engine.rules.permissions import Actor
from engine.usecases.reports import kpis, violations_report
from engine.usecases.runner import reads
from storage.uow import UnitOfWork

HEADER = ["部分", "项目", "数值", "目标", "说明"]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


@reads
def report_table(uow: UnitOfWork, *, actor: Actor, clock: Clock, month: str) -> dict[str, Any]:
    k = kpis(uow, actor=actor, clock=clock, month=month)
    v = violations_report(uow, actor=actor, clock=clock, month=month)
    t, repair = k["complaint_timeliness"], k["repair_follow_up_rate"]
    rows: list[list[Any]] = [
        ["指标", "投诉处理及时率", _pct(t["value"]), _pct(t["target"]), f"{t['closed_within_deadlines']}/{t['all']}"],
        ["指标", "维修回访率", _pct(repair.get("value")), _pct(repair["target"]), ""],
    ]
    for process, rate in sorted(k["follow_up_rate"].items()):
        rows.append(["指标", f"回访率（{process}）", _pct(rate.get("value")), "", f"按时 {_pct(rate.get('on_time'))}"])
    rows.append(["指标", "收缴率", _pct(k["collection_rate"]["value"]), "", ""])
    for period, p in sorted(k["collection_rate"]["by_period"].items()):
        rows.append(["收缴", period, p["collected"], p["due"], f"{p['cases']} 户"])
    rows.append(["指标", "任务按时完成率", _pct(k["work_on_time"]["value"]), "", ""])
    for deadline, d in k["violations"]["by_deadline"].items():
        rows.append(["违规（按时限）", f"{deadline}（{d['process']}）", d["count"], "", f"罚款 ¥{d['amount']:.0f}"])
    for person, p in v["by_responsible"].items():
        rows.append(["违规（按责任人）", person, p["count"], "", f"罚款 ¥{p['amount']:.0f}"])
    for department, d in v["by_department"].items():
        rows.append(["违规（按部门）", department, d["count"], "", f"罚款 ¥{d['amount']:.0f}"])
    rows.append(["业主逾期", "缴费期限届满（不计入员工违规）", len(v["owner_lateness"]), "", ""])
    c = k["complaints"]
    for group, label in (("by_type", "投诉（按性质）"), ("by_category", "投诉（按类别）"),
                         ("by_department", "投诉（按责任部门）"), ("by_building", "投诉（按楼栋）")):
        for key, e in c[group].items():
            rows.append([label, key, e["count"], "", f"已结 {e['closed']}，按时 {e['within_deadlines']}"])
    hours = c["handling_hours"]
    rows.append(["投诉处理时长", "平均（小时）", hours["average"], "", f"已结 {hours['closed']} 件"])
    rows.append(["投诉处理时长", "90% 分位（小时）", hours["p90"], "", ""])
    for route, e in k["repairs"]["by_route"].items():
        rows.append(["报修（按保修责任）", route, e["count"], "", f"已结 {e['closed']}"])
    overdue = k["overdue_now"]
    rows.append(["当前逾期任务", "合计", overdue["count"], "", overdue["at"][:16]])
    for lane, n in overdue["by_lane"].items():
        rows.append(["当前逾期任务", lane, n, "", ""])
    return {"month": month, "header": HEADER, "rows": rows, "kpis": k, "violations": v}
