"""Template helpers: times in Shanghai, waiting time and due badges on the app's clock, Chinese
names for statuses, events and groups, and the navigation counts every page shows."""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask import Flask, g
from flask_login import current_user

from engine.clock import SHANGHAI, parse_instant
from engine.rules.groups import GROUPS
from engine.rules.permissions import can_audit, can_read_history
from engine.usecases.people import people_names
from webforms.calls import calendar_warning, current_actor, navigation_counts, read, simulation, wuye
from webforms.forms import widget

DUE_SOON_MINUTES = 60

STATUS = {"running": "进行中", "completed": "已完成", "cancelled": "已取消", "error": "出错", "ready": "待办"}
EVENTS = {"attachment_added": "上传附件", "payment_recorded": "录入缴费", "user_changed": "修改用户",
          "instance_started": "发起流程", "task_ready": "新任务", "task_completed": "完成任务",
          "task_cancelled": "任务取消", "task_claimed": "认领任务", "task_unclaimed": "退回任务",
          "task_assigned": "分派任务", "timer_fired": "到了期限", "message_received": "收到消息",
          "message_delivered": "发送消息", "violation": "违规记录", "instance_completed": "流程结束",
          "instance_cancelled": "流程取消", "instance_error": "流程出错", "incident": "故障",
          "deployed": "部署", "login": "登录", "logout": "退出登录", "password_changed": "修改密码",
          "user_disabled": "停用用户", "user_added": "新增用户", "letter_issued": "发出函件",
          "incident_resolved": "故障解除", "timer_cycle_end": "循环计时结束",
          "calendar_changed": "修改工作日历", "timer_recomputed": "按新日历重算期限",
          "timers_recomputed": "按新日历重算全部期限", "signal_received": "收到信号",
          "external_task_bpmn_error": "外部程序报告业务错误", "incident_opened": "故障"}
PRIORITY = {2: "重大", 1: "重要"}


def _instant(value: object) -> datetime | None:
    """What a template holds for an instant: a datetime, its ISO text, or nothing."""
    if not value:
        return None
    return value if isinstance(value, datetime) else parse_instant(str(value))


def local_time(value: object, fmt: str = "%Y-%m-%d %H:%M") -> str:
    dt = _instant(value)
    return dt.astimezone(SHANGHAI).strftime(fmt) if dt else ""


def input_datetime(value: object) -> str:
    """The value a datetime-local input wants: 2026-11-20T09:05 in Shanghai time."""
    dt = _instant(value)
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M") if dt else ""


def _span(minutes: int) -> str:
    days, rest = divmod(abs(minutes), 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时"
    return f"{hours} 小时 {mins} 分" if hours else f"{mins} 分钟"


def waited(value: object) -> str:
    dt = _instant(value)
    return _span(int((wuye().clock.now() - dt).total_seconds() // 60)) if dt else ""


def due_state(value: object) -> str:
    """'overdue', 'soon' (within the hour) or '' — the badge a due time gets."""
    dt = _instant(value)
    if dt is None:
        return ""
    left = (dt - wuye().clock.now()).total_seconds() / 60
    return "overdue" if left < 0 else "soon" if left <= DUE_SOON_MINUTES else ""


def due_text(value: object) -> str:
    dt = _instant(value)
    if dt is None:
        return ""
    left = int((dt - wuye().clock.now()).total_seconds() // 60)
    return f"已超时 {_span(left)}" if left < 0 else f"剩余 {_span(left)}"


_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


def is_money(entry: dict[str, Any]) -> bool:
    """A variable whose label says it is counted in yuan (应缴金额（元）, 欠费余额（元）…)."""
    label = str(entry.get("label") or "")
    return "（元）" in label or "(元)" in label


def yuan(value: float | int) -> str:
    return f"¥{value:,.2f}"


def shown_value(value: object, entry: dict[str, Any] | None = None) -> str:
    """A data value as a person reads it: 是/否, an option's name, a group's name, a local time (any
    instant, whichever step wrote it), money as ¥3,580.50, a whole number without ``.0``."""
    entry = entry or {}
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if entry.get("options") and str(value) in entry["options"]:
        return entry["options"][str(value)]
    if isinstance(value, str):
        if _ISO_INSTANT.fullmatch(value.strip()):
            return local_time(value)
        return GROUPS.get(value, value) if value in GROUPS else value
    if isinstance(value, (int, float)):
        if is_money(entry):
            return yuan(value)
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def input_datetime_or_raw(value: object) -> str:
    """A stored instant for a datetime-local input; text that is no instant (what a person typed
    into a refused form) is shown as it was typed."""
    try:
        return input_datetime(value)
    except ValueError:
        return str(value)


def money(value: object) -> str:
    """¥3,580.50"""
    try:
        return f"¥{float(value):,.2f}"          # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def real_name(name: object) -> str:
    """王丽 for ``dispatcher`` (the user name itself when it has no real name, or is no user's)."""
    names = g.get("people_names")
    if names is None:
        names = g.people_names = read(people_names) if current_user.is_authenticated else {}
    return str(names.get(str(name)) or name or "")


def person(name: object) -> str:
    """王丽（dispatcher）: the real name with the user name; the user name alone when it has none."""
    shown = real_name(name)
    return f"{shown}（{name}）" if name and shown != name else str(name or "")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, person=person, real_name=real_name)
    app.jinja_env.filters.update(widget=widget, input_datetime_or_raw=input_datetime_or_raw,
                                 plain_number=lambda x: int(x) if float(x).is_integer() else x,
                                 options_map=lambda opts: {o["id"]: o["name"] for o in (opts or [])})
    app.jinja_env.filters.update(local_time=local_time, input_datetime=input_datetime, waited=waited,
                                 due_state=due_state, due_text=due_text, shown_value=shown_value, yuan=yuan,
                                 status_label=lambda s: STATUS.get(s, s), event_label=lambda t: EVENTS.get(t, t),
                                 group_name=lambda g: GROUPS.get(g, g) if g else "",
                                 priority_label=lambda p: PRIORITY.get(p or 0, ""))

    @app.context_processor
    def _database() -> dict[str, Any]:
        return {"simulation": simulation()}        # on every page, the login page too

    @app.context_processor
    def _navigation() -> dict[str, Any]:
        if not current_user.is_authenticated:
            return {}
        actor = current_actor()          # read with the page's own use case, as are the counts
        return {"actor": actor, "read_only": not actor.working_groups, "can_audit": can_audit(actor),
                "can_read_history": can_read_history(actor),
                "calendar_check": calendar_warning(),
                "nav_counts": navigation_counts(), "now_input": input_datetime(wuye().clock.now()),
                "refresh_seconds": app.config["INBOX_REFRESH_SECONDS"]}
