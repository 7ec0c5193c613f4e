"""The user groups of procedures.md §1. A lane's id is the group whose members see its tasks."""
from __future__ import annotations

GROUPS: dict[str, str] = {
    "front_desk": "前台 / 大堂管家",
    "dispatcher": "调度中心当班人员",
    "dispatch_supervisor": "调度主管",
    "butler": "亲情管家",
    "cs_supervisor": "客服主管",
    "cs_manager": "客服经理",
    "dept_supervisor": "部门主管",
    "engineering": "工程部",
    "security": "保安部 / 秩序维护",
    "cleaning": "环境 / 保洁",
    "finance": "财务",
    "inspector": "验房员",
    "archivist": "档案管理员",
    "developer_cs": "地产客服",
    "developer_engineering": "地产工程部",
    "legal": "法律顾问",
    "quality": "品质部 / 督导中心",
    "quality_officer": "品质管理员",
    "process_owner": "流程负责人",
    "admin": "系统管理员",
    "worker": "外部任务执行程序 (external-task workers: programs, not people)",
}

# Who may see every group's tasks (`wuye tasks --all`) and assign tasks to others.
SUPERVISORS = frozenset({"dispatch_supervisor", "cs_supervisor", "cs_manager", "admin"})
# Read-only everywhere: history, replay, reports.
AUDITORS = frozenset({"quality"})

# Working hours per group (engine/rules/calendar.py): a group not named works 08:30–17:30 on working
# days. Security keeps its posts around the clock (M3 秩序维护), so its deadlines count every hour.
# The engineering duty desk may be added here the same way when it runs 24/7.
WORKING_HOURS_24_7 = frozenset({"security"})
