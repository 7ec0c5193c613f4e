"""Writes processes/complaint.bpmn (procedures.md §3) with its diagram.

Why a generator: the complaint procedure has five department lanes with the same handling block
(accept → handle → progress feedback) and ~50 deadline timers; writing those and their
coordinates by hand invites drift. The model below is the whole procedure in one place; the layout
puts every element on a (lane, row, column) grid and routes flows through empty gutters between
columns and empty channels above rows, so no flow crosses a shape.

Once process owners edit complaint.bpmn in bpmn-js, that file is the source of truth; rerun this
only to regenerate from scratch (``python tests/tools/complaint_bpmn.py``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

OUT = Path(__file__).resolve().parents[2] / "processes" / "complaint.bpmn"

# -- the vocabulary of procedures §3 -------------------------------------------------------------------
CHANNELS = [("visit", "面谈"), ("phone", "电话"), ("letter", "书面"), ("email", "邮件"), ("mailbox", "信箱"),
            ("developer_transfer", "地产转交"), ("other", "其他")]
TYPES = [("valid", "有效投诉"), ("assist", "协助处理投诉"), ("invalid", "无效投诉"), ("collective", "集体投诉")]
SEVERITIES = [("general", "一般"), ("important", "重要"), ("major", "重大")]
CATEGORIES = [("parking_occupied", "车位被占"), ("vehicle_info", "车辆信息未更新"), ("garage_equipment", "车库设备"),
              ("parking_ticket", "违停贴条"), ("ev_charger", "充电桩"), ("parking_fee", "停车费调整"),
              ("access_control", "单元门禁"), ("elevator_trapped", "电梯困人/滑梯"),
              ("elevator_repair", "电梯报修未处理"), ("pipe_burst", "管道爆漏"), ("intercom", "可视对讲"),
              ("smoke_detector", "烟感"), ("pipe_shaft", "管井锁闭"),
              ("corridor_light", "楼道灯"), ("noise", "噪音"), ("cleaning", "环境卫生"), ("security", "安全秩序"),
              ("fees", "收费"), ("decoration", "装修"), ("other", "其他")]
DEPARTMENTS = [("engineering", "工程部"), ("security", "保安部"), ("cleaning", "环境/保洁"), ("front_desk", "前台"),
               ("finance", "财务")]
RESPONSIBLE = [*DEPARTMENTS, ("developer", "地产公司"), ("external", "外部单位")]
LANES = [("dispatcher", "调度中心当班人员", 2), ("front_desk", "前台 / 大堂管家", 2), ("butler", "亲情管家", 3),
         ("cs_supervisor", "客服主管", 3), ("cs_manager", "客服经理", 2), ("dispatch_supervisor", "调度主管", 2),
         ("engineering", "工程部", 2), ("security", "保安部", 2), ("cleaning", "环境 / 保洁", 2),
         ("finance", "财务", 2),
         ("developer_cs", "地产客服", 1)]

# -- deadline expressions (procedures §3 table; functions of engine/rules/functions.py) ------------------------
C3 = "add_working_hours(received_at, 8) if is_working_time(received_at) else add_hours(received_at, 24)"
_AGREED_OR_12H = "agreed_reply_at if agreed_reply_at else add_hours(now(), 12)"
C5 = f"earlier(end_of_day(received_at), {_AGREED_OR_12H}) if category == 'corridor_light' else {_AGREED_OR_12H}"
C6 = f"'R/' + add_hours({C5}, 24) + '/PT24H'"
CHASE = "'R/P1D' if severity in ('important', 'major') else 'R/PT84H'"
RESOLVED = "complaint_resolved"      # the signal that stops C7's escalation ladder
# C7's payers when an escalation or the calming is not done in time (M1 第十一条 附则): 责任人 is who
# holds the case, 责任主管 the supervisor of the holder's department (else who holds the escalation),
# 责任部门负责人 its head (else the department), as the admin pages set them
C7_PAYERS = {"responsible": "holder",
             "holder_not": "escalate_*,feedback_*,chase_developer,elevator_*,smoke_call,audit_record",
             "co_payers": "责任主管=supervisor/assignee,责任部门负责人=head/holder_lane", "once": "true"}
ESCALATION_LIMIT = "add_hours(now(), 2)"     # (default) to follow up and calm the owner

# the owner register's look-up at the start form, and the case every task page and inbox card shows
# (issue 11: register:* and case:* process properties)
CASE_PROPERTIES = {"register:room": "room", "register:fill": "complainant=owner_name,phone=phone",
                   "case:who": "complainant,phone,room", "case:what": "content,channel,category,severity,households",
                   "case:phones": "phone"}
# what the instance page shows for variables no form declares (scripts set them): label:<variable>
DATA_LABELS = {"collective": "集体投诉", "written_complaint": "书面投诉", "developer_transfer": "地产转交",
               "repeat_count": "重复投诉次数"}


@dataclass
class F:
    id: str
    label: str
    type: str = "string"
    required: bool = False
    default: str | None = None
    options: list | None = None
    minlength: int | None = None
    maxlength: int | None = None
    min: int | str | None = None     # "now" on a date: an appointment, not in the past; a variable: not before it
    max: int | str | None = None     # "now" on a date: a time that has happened, not in the future
    confirmed: bool = False  # a boolean that must be 是 to submit (the archive confirmed)
    long: bool = False      # a paragraph, not a word: the form shows a textarea (camunda:property widget)
    readonly: bool = False  # shown, not edited (a value an earlier step recorded)

    def xml(self) -> str:
        attrs = f'id="{self.id}" label={quoteattr(self.label)} type="{self.type}"'
        if self.default is not None:
            attrs += f' defaultValue={quoteattr(self.default)}'
        inner = ('<camunda:properties><camunda:property id="widget" value="textarea"/></camunda:properties>'
                 if self.long else "")
        inner += "".join(f'<camunda:value id="{i}" name={quoteattr(n)}/>' for i, n in (self.options or []))
        cons = []
        if self.required:
            cons.append('<camunda:constraint name="required"/>')
        if self.readonly:
            cons.append('<camunda:constraint name="readonly"/>')
        if self.confirmed:
            cons.append('<camunda:constraint name="confirmed"/>')
        for name in ("minlength", "maxlength", "min", "max"):
            if getattr(self, name) is not None:
                cons.append(f'<camunda:constraint name="{name}" config="{getattr(self, name)}"/>')
        if cons:
            inner += "<camunda:validation>" + "".join(cons) + "</camunda:validation>"
        return f"<camunda:formField {attrs}>{inner}</camunda:formField>" if inner else f"<camunda:formField {attrs}/>"


@dataclass
class Node:
    id: str
    kind: str               # start end user script xor and timer event signal_catch signal_throw
    name: str
    lane: str
    col: float
    row: int
    doc: str = ""
    form: list = field(default_factory=list)
    groups: str | None = None
    script: str | None = None
    default: str | None = None
    timer: tuple | None = None          # (timeDate|timeDuration|timeCycle, expression) for catch events
    props: dict = field(default_factory=dict)
    signal: str | None = None           # signal_catch / signal_throw: the signal's name


@dataclass
class Boundary:
    id: str
    name: str
    on: str
    timer: tuple | None                 # (timeDate|timeDuration|timeCycle, expression); None: a signal's
    doc: str
    deadline: str | None = None
    props: dict = field(default_factory=dict)
    interrupting: bool = False          # cancels the task it is attached to
    signal: str | None = None           # a signal boundary event: the signal's name


@dataclass
class Flow:
    id: str
    src: str
    tgt: str
    name: str | None = None
    cond: str | None = None


nodes: list[Node] = []
bounds: list[Boundary] = []
flows: list[Flow] = []


def node(*a, **k) -> Node:
    n = Node(*a, **k)
    nodes.append(n)
    return n


def timer(id_, name, on, kind, expr, doc, deadline=None, interrupting=False, **props):
    bounds.append(Boundary(id_, name, on, (kind, expr), doc, deadline, props, interrupting))


def on_signal(id_, name, on, signal, doc):
    """An interrupting boundary event that ends the task when the process throws ``signal``."""
    bounds.append(Boundary(id_, name, on, None, doc, interrupting=True, signal=signal))


def flow(src, tgt, name=None, cond=None, id_=None):
    flows.append(Flow(id_ or f"f_{src}__{tgt}", src, tgt, name, cond))


NOTE = F("note", "处理意见", long=True)


def feedback_due(feedback: str) -> None:
    """M1 第十条 附则 fines a feedback that is missing, not a running clock: each progress feedback is
    due 24 h after it opens (when the next one falls due); ¥50 when it is not in by then. Once the
    complaint is handled (the resolved signal), a feedback still open has nothing left to report: it
    ends, so no 进度反馈 stays open beside the 电话回访 (issue 11 defect 1)."""
    timer(f"{feedback}_late", "C6 反馈时限", feedback, "timeDate", "add_hours(now(), 24)",
          "M1 第十条 附则：未在规定时间内完成投诉处理并反馈调度中心的，每次扣罚责任人50元"
          "（本次反馈未按时提交）。", "C6")
    on_signal(f"{feedback}_done", "已处理完成", feedback, RESOLVED,
              "M1 第十条：投诉处理完成后不再需要进度反馈，未提交的反馈任务随之结束。")


def alert(id_, name, lane, col, row, doc):
    """An alert for a supervisor: acknowledge (and act), then this branch ends."""
    node(id_, "user", name, lane, col, row, doc, form=[NOTE])
    node(f"{id_}_end", "end", "", lane, col + 1, row)
    flow(id_, f"{id_}_end")


# -- the model -------------------------------------------------------------------------------------------

def c7_watch() -> None:
    """C7 (M1 第十一条) counts from ``received_at`` whatever step the case is at: a branch of its own
    from the start waits for 24 h, or for the case to be resolved; at 24 h ``cs_supervisor`` gets the
    escalation and the 48 h wait begins, which ``cs_manager``'s escalation ends. Each escalation has
    its own deadline; the violation (three payers) is charged once per case when one is late."""
    node("c7_watch", "event", "24小时内完成？", "cs_supervisor", 1, 2,
         "M1 第十一条：首报24小时内完成投诉处理，否则逐级上报。")
    node("c7_24h", "timer", "C7 24小时", "cs_supervisor", 2, 2, "M1 第十一条：首报24小时内未完成投诉处理。",
         timer=("timeDate", "add_hours(received_at, 24)"))
    node("c7_done_1", "signal_catch", "已处理完成", "cs_supervisor", 2, 1, "M1 第十一条：24小时内处理完成，不须上报。",
         signal=RESOLVED)
    node("c7_done_1_end", "end", "", "cs_supervisor", 3, 1)
    node("c7_fork", "and", "", "cs_supervisor", 3, 2, "M1 第十一条：上报客服主管，同时开始第二级计时。")
    node("escalate_supervisor", "user", "24小时未完成：主管跟进（C7）", "cs_supervisor", 4, 2,
         "M1 第十一条：首报24小时内未完成投诉处理，逐级上报并对投诉人做好安抚和解释。客服主管跟进（M2 四(四)7）。"
         "附则：不上报或未做好安抚解释的，扣罚责任人100元、责任主管50元、责任部门负责人30元。",
         form=[F("escalation_note", "跟进及安抚情况", required=True, maxlength=2000)])
    node("escalate_supervisor_end", "end", "", "cs_supervisor", 5, 2)
    timer("escalate_supervisor_c7", "C7 跟进时限", "escalate_supervisor", "timeDate", ESCALATION_LIMIT,
          "M1 第十一条 附则：上报后2小时内（默认值）未跟进安抚，记违规（每宗投诉一次）。", "C7", **C7_PAYERS)
    node("c7_late_end", "end", "", "cs_supervisor", 5, 1)
    node("c7_watch_2", "event", "48小时内完成？", "cs_supervisor", 4, 0, "M1 第十一条逐级上报：第二级（默认48小时）。")
    node("c7_48h", "timer", "C7 48小时", "cs_supervisor", 5, 0,
         "M1 第十一条逐级上报：48小时仍未完成上报客服经理（默认值）。",
         timer=("timeDate", "add_hours(received_at, 48)"))
    node("c7_done_2", "signal_catch", "已处理完成", "cs_supervisor", 6, 1, "M1 第十一条：48小时内处理完成。",
         signal=RESOLVED)
    node("c7_done_2_end", "end", "", "cs_supervisor", 7, 1)
    node("escalate_manager", "user", "48小时未完成：经理跟进（C7）", "cs_manager", 7, 0,
         "M1 第十一条逐级上报；M2 四(五)2：客户服务主管无法解决的投诉，服务中心经理组织相关人员协助处理。",
         form=[F("escalation_note", "跟进情况", required=True, maxlength=2000)])
    node("escalate_manager_end", "end", "", "cs_manager", 8, 0)
    timer("escalate_manager_c7", "C7 跟进时限", "escalate_manager", "timeDate", ESCALATION_LIMIT,
          "M1 第十一条 附则：上报经理后2小时内（默认值）未跟进，记违规（每宗投诉一次）。", "C7", **C7_PAYERS)
    node("c7_late_2_end", "end", "", "cs_manager", 8, 1)
    flow("start", "c7_watch")
    flow("c7_watch", "c7_24h")
    flow("c7_watch", "c7_done_1")
    flow("c7_done_1", "c7_done_1_end")
    flow("c7_24h", "c7_fork")
    flow("c7_fork", "escalate_supervisor")
    flow("escalate_supervisor", "escalate_supervisor_end")
    flow("escalate_supervisor_c7", "c7_late_end")
    flow("c7_fork", "c7_watch_2")
    flow("c7_watch_2", "c7_48h")
    flow("c7_watch_2", "c7_done_2")
    flow("c7_done_2", "c7_done_2_end")
    flow("c7_48h", "escalate_manager")
    flow("escalate_manager", "escalate_manager_end")
    flow("escalate_manager_c7", "c7_late_2_end")


DISPATCHED = "complaint_dispatched"   # the signal that ends C1's five minutes: the case has reached its handler


def c1_watch() -> None:
    """C1 (M1 第七条 "首报五分钟内调度相关部门") runs from the report to the dispatch centre (the
    later of ``received_at`` and the case's start: a complaint first received yesterday and reported
    today is not the dispatcher's five minutes, but the first receiver's 第十二条) until the case has
    reached whoever handles it (the classification routed it: the department's accept task, the
    manager's decision, the butler's reply). Charged to who holds the case then: an unclaimed group
    task goes to its person on duty."""
    node("c1_watch", "event", "五分钟内调度？", "dispatch_supervisor", 0, 1, "M1 第七条：首报五分钟内调度相关部门。")
    node("c1_5min", "timer", "C1 5分钟", "dispatch_supervisor", 1, 1,
         "M1 第七条 附则：未在规定时间内调度相关部门进行投诉处理的，每次扣罚责任人30元（由持有本案者承担）。",
         timer=("timeDate", "add_minutes(later(received_at, now()), 5)"),
         props={"deadline": "C1", "responsible": "holder", "holder_not": C7_PAYERS["holder_not"]})
    node("c1_done", "signal_catch", "已调度", "dispatch_supervisor", 1, 0, "M1 第七条：已在五分钟内调度。",
         signal=DISPATCHED)
    node("c1_done_end", "end", "", "dispatch_supervisor", 2, 1)
    flow("start", "c1_watch")
    flow("c1_watch", "c1_5min")
    flow("c1_watch", "c1_done")
    flow("c1_done", "c1_done_end")
    flow("c1_5min", "alert_c1")


def first_receiver_check() -> None:
    """M1 第十二条 首问责任制: the first person who received the complaint reports it to the dispatch
    centre the same day; a case reaching dispatch (starting) after the end of the day it was received
    costs the first receiver ¥100 and their department head ¥50."""
    node("gw_first", "xor", "当天报调度中心？", "front_desk", 0, 1,
         "M1 第十二条：接到投诉的第一人应于当天反馈至调度中心。", default="f_gw_first__first_end")
    node("first_late", "timer", "C14 首问当天", "front_desk", 1, 1,
         "M1 第十二条 附则：未将投诉在当天反馈至调度中心的，扣罚责任人100元，责任人所在部门负责人50元。",
         timer=("timeDate", "end_of_day(received_at)"),
         props={"deadline": "C14", "responsible": "var:first_receiver", "co_payers": "责任人所在部门负责人=head"})
    node("first_end", "end", "", "front_desk", 2, 1)
    flow("start", "gw_first")
    flow("gw_first", "first_late", "次日及以后", "days_between(received_at, now()) > 0")
    flow("gw_first", "first_end", "当天", id_="f_gw_first__first_end")
    flow("first_late", "first_end")


def record_audit() -> None:
    """M1 第五条: the dispatch supervisor audits the dispatch centre's complaint records every day and
    signs. Each missing or inaccurate item costs who recorded it ¥30; an audit not done in time
    (by the end of the next day, **default**) costs the supervisor ¥50."""
    node("audit_record", "user", "审核投诉记录并签名", "dispatch_supervisor", 3, 1,
         "M1 第五条：调度主管必须每天审核调度中心的投诉记录并签名："
         "投诉人、投诉时间、投诉事项、联系方式、接单人是否齐全准确。",
         form=[F("record_missing", "缺项或不准确的项数", "long", required=True, default="0", min=0, max=5),
               F("audit_note", "审核意见（缺哪几项）", maxlength=2000),
               F("audit_signed", "已审核签名", "boolean", required=True, default="false", confirmed=True)])
    timer("audit_record_c16", "C16 审核时限", "audit_record", "timeDate", "end_of_next_day(now())",
          "M1 第五条 附则：调度主管未按时审核投诉记录的，每次扣罚50元（当天的记录最迟次日审核，默认值）。", "C16")
    node("gw_audit", "xor", "记录缺项？", "dispatch_supervisor", 4, 1, default="f_gw_audit__audit_end")
    node("record_incomplete", "timer", "C15 记录缺项", "dispatch_supervisor", 5, 1,
         "M1 第五条 附则：投诉记录缺项或记录不准确、不详细的，每项扣罚责任人30元（登记本案的当班人员）。",
         timer=("timeDate", "received_at"),
         props={"deadline": "C15", "responsible": "done_by:intake", "per": "record_missing", "unit": "项"})
    node("audit_end", "end", "", "dispatch_supervisor", 6, 1)
    node("audit_c16_end", "end", "", "dispatch_supervisor", 4, 0)
    flow("intake", "audit_record")
    flow("audit_record", "gw_audit")
    flow("gw_audit", "record_incomplete", "有缺项", "record_missing > 0")
    flow("gw_audit", "audit_end", "齐全", id_="f_gw_audit__audit_end")
    flow("record_incomplete", "audit_end")
    flow("audit_record_c16", "audit_c16_end")


def build() -> None:
    node("start", "start", "受理投诉", "dispatcher", 0, 0,
         "投诉登记：投诉人、房号、联系方式、渠道、内容、受理时间、涉及户数（M1 第五条；M2 四(二)）。",
         form=[F("complainant", "投诉人", required=True, maxlength=50),
               F("room", "房号（楼-单元-房）", required=True, maxlength=32),
               F("phone", "联系电话", required=True, maxlength=32),
               F("channel", "投诉渠道", "enum", required=True, default="phone", options=CHANNELS),
               F("content", "投诉内容", required=True, minlength=2, maxlength=2000, long=True),
               F("received_at", "受理时间（首次接到投诉）", "date", required=True, default="now", max="now"),
               F("first_receiver", "接到投诉的第一人（员工账号，空则为登记人）", maxlength=100),
               F("households", "涉及户数", "long", required=True, default="1", min=1)])
    node("intake", "user", "登记投诉并调度", "dispatcher", 1, 0,
         "当班人员详细、准确记录投诉人、投诉时间、投诉事项、联系方式及接单人（M1 第五条），按“四清楚一报告”"
         "（听清楚、问清楚、复清楚、记清楚，报告负责人，M4 篇3 8.4.1）办理，并在首报五分钟内调度（M1 第七条）。",
         groups="dispatcher,front_desk",
         form=[F("receiver", "接单人", required=True, maxlength=50), F("intake_note", "补充记录", maxlength=2000)])
    alert("alert_c1", "调度超时提醒（C1）", "dispatch_supervisor", 2, 0, "M1 第七条：未在五分钟内调度。调度主管跟进。")
    for task, col in (("intake", 1), ("classify", 2)):    # C1's time shown on the two steps it spans
        timer(f"{task}_c1_due", "C1 调度时限", task, "timeDate", "add_minutes(received_at, 5)",
              "M1 第七条：首报五分钟内调度（登记与分类都在这五分钟内）；到期不另计违规，违规由 C1 计时记录。")
        node(f"{task}_c1_due_end", "end", "", "dispatcher" if task == "intake" else "butler", col + 0.5, 1)
        flow(f"{task}_c1_due", f"{task}_c1_due_end")
    flow("start", "intake")
    c7_watch()
    c1_watch()
    first_receiver_check()
    record_audit()
    flow("intake", "classify")

    node("classify", "user", "分类投诉", "butler", 2, 0,
         "亲情管家初步分析、落实责任（M0 4.3）：投诉类型（M2 四(一)定义）、严重程度、类别（M4 案例集）、责任部门。"
         "管家无法判断时由客服主管分类。",
         groups="butler,cs_supervisor",
         form=[F("complaint_type", "投诉类型", "enum", required=True, options=TYPES),
               F("severity", "严重程度", "enum", required=True, default="general", options=SEVERITIES),
               F("category", "投诉类别", "enum", required=True, options=CATEGORIES),
               F("responsible_dept", "责任部门", "enum", required=True, options=RESPONSIBLE),
               F("classify_note", "分析说明", maxlength=2000)])
    node("apply_rules", "script", "适用规则", "butler", 3, 0,
         "M2 四(一)4：同一事件五户或以上为集体投诉（不论所选类型）。M2 四(八)：书面投诉须书面答复；"
         "M2 四(五)3：地产转交的投诉须向地产客服反馈结果。",
         script="if households >= 5:\n    complaint_type = 'collective'\n"
                "collective = complaint_type == 'collective'\n"
                "written_complaint = channel in ('letter', 'email', 'mailbox')\n"
                "developer_transfer = channel == 'developer_transfer'\n"
                "repeat_count = 0")
    timer("classify_c2", "C2 20分钟", "classify", "timeDuration", "PT20M",
          "M0 4.3：属于公司服务质量问题的投诉，亲情管家应在二十分钟内转至责任部门（从分类任务到达管家起计）。", "C2")
    flow("classify_c2", "alert_c2")
    node("fork", "and", "", "butler", 4, 0, "类别规则（M4）与投诉处理并行。")
    node("dispatched", "signal_throw", "已调度", "butler", 4.6, 0,
         "M1 第七条：投诉已调度至处理者，C1 的五分钟到此为止。", signal=DISPATCHED)
    flow("classify", "apply_rules")
    flow("apply_rules", "fork")

    # category rules of M4, alongside the handling
    node("gw_category", "xor", "类别规则？", "butler", 4, 2, "M4 案例集中值得强制执行的类别规则。",
         default="f_gw_category__cat_end")
    node("cat_end", "end", "", "butler", 5, 2)
    node("elevator_record", "user", "记录被困时间与维保到达时间", "butler", 5, 1,
         "M4 电梯困人/滑梯 风险提示：客服管家注意采集客户被困时间、维保公司到达时间及业主受影响程度，"
         "避免日后发生纠纷。",
         form=[F("trapped_at", "被困时间", "date", required=True, max="now"),
               F("maintenance_arrived_at", "维保单位到达时间", "date", required=True, max="now"),
               F("impact", "业主受影响程度", maxlength=2000)])
    node("elevator_service", "user", "确认电梯恢复运行", "engineering", 6, 1,
         "M4 电梯报修未处理：维保单位做好围挡、张贴温馨提示；电梯恢复运行后确认。",
         form=[F("restored_at", "恢复运行时间", "date", required=True, default="now", max="now")])
    timer("elevator_4h", "停梯4小时", "elevator_service", "timeDate", "add_hours(received_at, 4)",
          "M4 电梯报修未处理：如停梯超过4小时，则更新通知、再次明确进度。")
    node("elevator_notice", "user", "更新停梯通知", "butler", 7, 1,
         "M4：停梯超过4小时，更新温馨提示、再次明确维修进度，并一对一反馈业主。",
         form=[F("notice", "更新后的通知内容", required=True, maxlength=2000)])
    node("elevator_end", "end", "", "engineering", 7, 1)
    node("elevator_notice_end", "end", "", "butler", 8, 1)
    node("smoke_wait", "timer", "两日后", "butler", 6, 2, "M4 烟感：两日后再次向业主回访进度。",
         timer=("timeDuration", "P2D"))
    node("smoke_call", "user", "烟感维修进度回访", "butler", 7, 2,
         "M4 楼道烟感：告知预计完成时间，两日后再次向业主回访进度；维修完成后请业主亲自查验。",
         form=[F("call_note", "回访情况", required=True, maxlength=2000)])
    node("smoke_end", "end", "", "butler", 8, 2)
    flow("fork", "gw_category")
    flow("gw_category", "cat_end", "其他类别", id_="f_gw_category__cat_end")
    flow("gw_category", "elevator_record", "电梯困人", "category == 'elevator_trapped'")
    flow("gw_category", "elevator_service", "电梯报修", "category == 'elevator_repair'")
    flow("elevator_record", "elevator_service")
    flow("gw_category", "smoke_wait", "烟感", "category == 'smoke_detector'")
    flow("elevator_service", "elevator_end")
    flow("elevator_4h", "elevator_notice")
    flow("elevator_notice", "elevator_notice_end")
    flow("smoke_wait", "smoke_call")
    flow("smoke_call", "smoke_end")

    # by type
    node("gw_type", "xor", "投诉类型？", "butler", 5, 0, "M2 四(一)、M0 4.2.1 立刻做出行动3。",
         default="f_gw_type__merge_route")
    flow("fork", "dispatched")
    flow("dispatched", "gw_type")
    node("collective_manager", "user", "集体投诉：经理决定", "cs_manager", 6, 0,
         "M2 四(五)1：集体投诉立即报告服务中心经理；经理了解情况，判断是否立即通报公司总经理和地产公司客户服务中心，"
         "与相关业户联系约定回复时间，直接组织处理，并填写《特别事件报告》。回复须上门拜访（M2 四(八)）。",
         form=[F("manager_decision", "经理决定", required=True, maxlength=2000, long=True),
               F("inform_general_manager", "通报公司总经理", "boolean", default="false"),
               F("inform_developer", "通报地产公司客户服务中心", "boolean", default="false"),
               F("special_event_report", "特别事件报告", required=True, maxlength=4000)])
    timer("collective_c11", "C11 15分钟", "collective_manager", "timeDate", "add_minutes(received_at, 15)",
          "M2 四(五)1：集体投诉立即报告服务中心经理（“立即”取15分钟，可配置）。", "C11")
    alert("alert_c11", "集体投诉报告超时（C11）", "dispatch_supervisor", 7, 0, "M2 四(五)1：集体投诉未立即报告经理。")
    flow("collective_c11", "alert_c11")
    node("major_decision", "user", "重大投诉：经理决定", "cs_manager", 6, 1,
         "M0 4.2.1 立刻做出行动3：涉及业主利益受损、要求赔偿的重大投诉，在未明确责任界定、没有明确处理意见时，"
         "不做承诺也不拒绝处理，表明“会就此事与有关部门协调，给业主答复”。由经理决定后再处理（M4 篇4 3.1、4.6）。",
         form=[F("manager_decision", "经理决定", required=True, maxlength=2000, long=True)])
    node("explain_invalid", "user", "解释答复（无效投诉）", "butler", 6, 0,
         "M2 四(四)4、四(十)：对无效投诉给予业户合理、耐心的解释，并在2小时内回复业户。",
         form=[F("result", "解释答复内容", required=True, maxlength=2000, long=True)])
    timer("invalid_c3", "C3 首次回应", "explain_invalid", "timeDate", C3,
          "M0 4.1：工作时间内8小时、非工作时间24小时内对客户做出处理回应。", "C3")
    timer("invalid_c4", "C4 2小时", "explain_invalid", "timeDate", "add_hours(received_at, 2)",
          "M2 四(十)：无效投诉应在2小时内回复业户。", "C4")
    flow("gw_type", "collective_manager", "集体投诉", "complaint_type == 'collective'")
    flow("gw_type", "explain_invalid", "无效投诉", "complaint_type == 'invalid'")
    flow("gw_type", "major_decision", "重大", "complaint_type in ('valid', 'assist') and severity == 'major'")
    node("merge_route", "xor", "", "butler", 7, 0)
    flow("gw_type", "merge_route", "有效/协助", id_="f_gw_type__merge_route")
    flow("collective_manager", "merge_route")
    flow("major_decision", "merge_route")
    node("gw_route", "xor", "责任部门？", "butler", 8, 0,
         "M2 四(三)：根据投诉类别通知各责任岗位处理；开发商原因由客户服务主管转呈开发商（M2 四(四)5），"
         "外部原因与有关部门协商解决（M2 四(四)6）。", default="f_gw_route__report_external")
    flow("merge_route", "gw_route")

    # handling by the responsible department: one accept/handle/feedback block per department lane
    for dept, label in DEPARTMENTS:
        accept, handle, feedback = f"accept_{dept}", f"handle_{dept}", f"feedback_{dept}"
        node(accept, "user", f"接单并联系业主（{label}）", dept, 9, 0,
             "M2 四(四)1：投诉处理人应在2小时内与业户联系，约定回复时间。M0 4.3：责任部门回复整改完成期限。"
             "约定时间只填日期时按当日0点计，请填写具体时间。",
             form=[F("contact_note", "联系业主情况", required=True, maxlength=2000),
                   F("agreed_reply_at", "与业主约定的回复时间", "date", min="now"),
                   F("refused", "拒绝接单（不服从调度，须说明原因）", "boolean", default="false")])
        node(handle, "user", f"处理投诉（{label}）", dept, 10, 0,
             "M1 第九、十条：接单后12小时内完成处理，有约定时间的以约定时间为准（楼道灯当日关单，M4）。"
             "完成当天将结果反馈调度中心（M1 第十三条）：实际完成时间如实填写。",
             form=[F("result", "处理结果（无法解决时写明原因）", required=True, maxlength=4000, long=True),
                   F("finished_at", "实际完成时间", "date", required=True, default="now", max="now", min="received_at"),
                   F("cannot_solve", "本部门无法解决，退回客服主管制定方案", "boolean", default="false")])
        node(feedback, "user", f"进度反馈（{label}）", dept, 11, 1,
             "M1 第十条：12小时内未完成的，必须每24小时将处理情况和进度反馈至调度中心。",
             form=[F("progress", "处理进度", required=True, maxlength=2000)])
        node(f"{feedback}_end", "end", "", dept, 12, 1)
        flow("gw_route", accept, label, f"responsible_dept == '{dept}'")
        gw_accept, refused, gw_solved = f"gw_accept_{dept}", f"refused_{dept}", f"gw_solved_{dept}"
        node(gw_accept, "xor", "接单？", dept, 10, 0, default=f"f_{gw_accept}__{handle}")
        node(refused, "timer", "C17 不服从调度", dept, 10, 1,
             "M1 第九条 附则：投诉处理人不服从调度安排的，每次扣罚责任人200元；投诉仍由本部门处理（重新派单）。",
             timer=("timeDate", "received_at"), props={"deadline": "C17"})
        node(gw_solved, "xor", "能否解决？", dept, 12, 0, default=f"f_{gw_solved}__merge_handled")
        flow(accept, gw_accept)
        flow(gw_accept, handle, "接单", id_=f"f_{gw_accept}__{handle}")
        flow(gw_accept, refused, "拒绝", "refused")
        flow(refused, "merge_route")
        flow(handle, gw_solved)
        flow(gw_solved, "merge_handled", id_=f"f_{gw_solved}__merge_handled")
        flow(gw_solved, "supervisor_solution", cond="cannot_solve")
        flow(feedback, f"{feedback}_end")
        timer(f"{accept}_c3", "C3 首次回应", accept, "timeDate", C3,
              "M0 4.1：工作时间内8小时、非工作时间24小时内对客户做出处理回应。", "C3")
        timer(f"{accept}_c4", "C4 2小时", accept, "timeDate", "add_hours(received_at, 2)",
              "M2 四(四)1：投诉处理人应在2小时内与业户联系。", "C4")
        timer(f"{handle}_c5", "C5 12小时", handle, "timeDate", C5,
              "M1 第十条：接单后12小时内完成；有约定时间以约定为准；楼道灯当日关单（M4）。到期记录（不扣罚），"
              "并开出进度反馈任务。", "C5", penalty="0")
        timer(f"{handle}_c6", "C6 每24小时", handle, "timeCycle", C6,
              "M1 第十条：未完成的每24小时须再反馈一次处理进度：开出进度反馈任务。")
        feedback_due(feedback)
        for t, target in ((f"{accept}_c3", "alert_c3"), (f"{accept}_c4", "alert_c4"),
                          (f"{handle}_c5", feedback), (f"{handle}_c6", feedback),
                          (f"{feedback}_late", f"{feedback}_end"), (f"{feedback}_done", f"{feedback}_end")):
            flow(t, target)
    node("supervisor_solution", "user", "制定解决方案（部门无法解决）", "cs_supervisor", 12, 1,
         "M0 4.3：责任部门无法解决的投诉退回客服主管，由主管制定解决方案并重新安排处理部门。",
         form=[F("solution", "解决方案", required=True, maxlength=4000, long=True),
               F("responsible_dept", "处理部门", "enum", required=True, options=RESPONSIBLE)])
    timer("supervisor_solution_c19", "C19 方案时限", "supervisor_solution", "timeDate", "add_hours(now(), 24)",
          "M0 4.3：部门无法解决的投诉，客服主管24小时内（默认值）制定解决方案；超时提醒客服经理。", "C19")
    alert("alert_c19", "解决方案超时（C19）", "cs_manager", 13, 1, "M0 4.3：客服主管未按时制定解决方案。")
    flow("supervisor_solution", "merge_route")
    flow("supervisor_solution_c19", "alert_c19")
    flow("invalid_c3", "alert_c3")
    flow("invalid_c4", "alert_c4")
    alert("alert_c2", "转责任部门超时（C2）", "cs_supervisor", 12, 0,
          "M0 4.3：二十分钟内未转至责任部门。客服主管跟进。")
    alert("alert_c3", "首次回应超时（C3）", "cs_supervisor", 12, 1, "M0 4.1：未在8个工作小时/24小时内回应业主。")
    alert("alert_c4", "联系业主超时（C4）", "cs_supervisor", 12, 2, "M2 四(四)1、四(十)：未在2小时内联系/答复业主。")

    # assist: developer and external
    node("report_developer", "user", "书面报告地产客服（工作联系单）", "butler", 9, 1,
         "M2 四(四)3、5：协助处理投诉书面报告解决部门；开发商原因的投诉由客户服务主管转呈开发商。"
         "M0 4.3：填写《物业客服工作联系单》，提交处理方案不超过一周。",
         groups="butler,cs_supervisor",
         form=[F("written_report", "工作联系单内容", required=True, maxlength=4000),
               F("contact_sheet_no", "联系单编号", maxlength=50)])
    timer("report_developer_c3", "C3 首次回应", "report_developer", "timeDate", C3,
          "M0 4.1：工作时间内8小时、非工作时间24小时内对客户做出处理回应。", "C3")
    flow("report_developer_c3", "alert_c3")
    node("developer_solution", "user", "地产客服提交解决方案", "developer_cs", 10, 0,
         "M0 4.3：转至地产客服处理的投诉，提交处理方案不能超过一周时间。",
         form=[F("result", "解决方案及处理结果", required=True, maxlength=4000, long=True),
               F("finished_at", "实际完成时间", "date", required=True, default="now", max="now", min="received_at")])
    timer("developer_c10", "C10 7天", "developer_solution", "timeDuration", "P7D",
          "M0 4.3：提交处理方案不能超过一周。超时提醒客服主管。", "C10")
    timer("developer_chase", "催问", "developer_solution", "timeCycle", CHASE,
          "M0 4.3 催问：重要投诉亲情管家每日催问，一般投诉一周两次（每84小时）。")
    node("chase_developer", "user", "催问地产客服处理进度", "butler", 11, 2,
         "M0 4.3：每次催问后的结果要及时反馈给业主。", form=[F("chase_note", "催问结果及对业主的反馈", required=True)])
    node("chase_end", "end", "", "butler", 12, 2)
    alert("alert_c10", "地产方案超时（C10）", "cs_supervisor", 16, 2, "M0 4.3：地产客服一周内未提交处理方案。")
    flow("gw_route", "report_developer", "地产公司", "responsible_dept == 'developer'")
    flow("report_developer", "developer_solution")
    flow("developer_solution", "merge_handled")
    flow("developer_c10", "alert_c10")
    flow("developer_chase", "chase_developer")
    flow("chase_developer", "chase_end")
    node("report_external", "user", "协调外部单位处理", "butler", 10, 1,
         "M2 四(四)3、6：外部环境、非管辖范围内公共配套设施原因的投诉，书面报告有关部门并协商解决，跟进处理过程，"
         "及时通报进程（M2 四(九)）。",
         form=[F("written_report", "书面报告内容", required=True, maxlength=4000),
               F("result", "处理结果", required=True, maxlength=4000, long=True),
               F("finished_at", "实际完成时间", "date", required=True, default="now", max="now", min="received_at")])
    timer("report_external_c3", "C3 首次回应", "report_external", "timeDate", C3,
          "M0 4.1：工作时间内8小时、非工作时间24小时内对客户做出处理回应。", "C3")
    flow("gw_route", "report_external", "外部单位", id_="f_gw_route__report_external")
    flow("report_external", "merge_handled")
    flow("report_external_c3", "alert_c3")

    # result reported to dispatch the same day (C8), then developer / written replies
    node("merge_handled", "xor", "", "dispatcher", 13, 0)
    node("resolved", "signal_throw", "投诉处理完成", "dispatcher", 14, 0,
         "M1 第十一条：投诉处理完成，C7 的逐级上报计时到此为止。", signal=RESOLVED)
    node("gw_c8", "xor", "当天反馈？", "dispatcher", 14, 0,
         "M1 第十三条：处理完毕后，处理人必须在完成的当天将处理结果反馈至调度中心。", default="f_gw_c8__merge_c8")
    node("c8_late", "timer", "C8 当天", "dispatcher", 15, 1,
         "M1 第十三条：结果未在完成当天反馈调度中心，记违规（附则：扣罚责任人50元）；责任人为迟报的处理人。",
         timer=("timeDate", "end_of_day(finished_at)"), props={"deadline": "C8"})
    node("merge_c8", "xor", "", "dispatcher", 16, 0)
    flow("merge_handled", "resolved")
    flow("resolved", "gw_c8")
    flow("gw_c8", "c8_late", "次日及以后", "days_between(finished_at, now()) > 0")
    flow("gw_c8", "merge_c8", "当天", id_="f_gw_c8__merge_c8")
    flow("c8_late", "merge_c8")
    node("gw_transfer", "xor", "地产转交？", "butler", 17, 0, "M2 四(五)3。", default="f_gw_transfer__merge_transfer")
    node("report_back_developer", "user", "向地产客服反馈处理结果", "butler", 18, 1,
         "M2 四(五)3：对地产公司客服中心转交的投诉，应在处理完毕后12小时内将处理结果报地产公司客服中心。",
         form=[F("developer_feedback", "反馈内容", required=True, maxlength=4000)])
    timer("report_back_c9", "C9 12小时", "report_back_developer", "timeDate", "add_hours(finished_at, 12)",
          "M2 四(五)3：处理完毕后12小时内报地产公司客服中心。超时提醒客服主管。", "C9")
    alert("alert_c9", "地产反馈超时（C9）", "cs_supervisor", 18, 2, "M2 四(五)3：未在12小时内向地产客服反馈结果。")
    node("merge_transfer", "xor", "", "butler", 19, 0)
    node("gw_written", "xor", "书面投诉？", "butler", 20, 0, "M2 四(八)：业户的书面投诉必须以书面方式回复。",
         default="f_gw_written__merge_written")
    node("written_reply", "user", "书面回复业主", "butler", 21, 1,
         "M2 四(八)：对业户的书面投诉必须以书面方式回复业户。",
         form=[F("written_reply_text", "书面回复内容", required=True, maxlength=4000)])
    node("merge_written", "xor", "", "butler", 22, 0)
    flow("merge_c8", "gw_transfer")
    flow("gw_transfer", "report_back_developer", "是", "developer_transfer")
    flow("gw_transfer", "merge_transfer", "否", id_="f_gw_transfer__merge_transfer")
    flow("report_back_developer", "merge_transfer")
    flow("report_back_c9", "alert_c9")
    flow("merge_transfer", "gw_written")
    flow("gw_written", "written_reply", "是", "written_complaint")
    flow("gw_written", "merge_written", "否", id_="f_gw_written__merge_written")
    flow("written_reply", "merge_written")

    # follow-up, door visit, repeat complaints, close
    node("followup", "user", "电话回访", "butler", 23, 0,
         "M1 第十四条：已完成的投诉，调度主管必须在三天内组织完成电话回访；必要时24小时内或约定时间上门回访。"
         "M3 4.4.5：了解业户对投诉处理的满意情况。集体投诉须上门拜访回复（M2 四(八)）。",
         groups="butler,dispatch_supervisor",
         form=[F("satisfied", "业主是否满意", "boolean", required=True),
               F("door_visit_required", "需要上门回访", "boolean", default="false"),
               F("door_visit_at", "与业主约定的上门时间", "date", min="now"),
               F("followup_note", "回访记录", maxlength=2000)])
    timer("followup_c12", "C12 3天", "followup", "timeDate", "add_days(finished_at, 3)",
          "M1 第十四条：三天内组织完成电话回访；超时提醒调度主管并记违规（附则：调度主管未组织扣罚50元；"
          "调度中心未按规定完成电话回访的，扣罚责任人30元）。", "C12",
          responsible="dispatch_supervisor", co_payers="调度中心责任人=assignee")
    alert("alert_c12", "电话回访超时（C12）", "dispatch_supervisor", 24, 0, "M1 第十四条：三天内未完成电话回访。")
    node("door_rule", "script", "集体投诉须上门", "butler", 24, 0, "M2 四(八)：集体投诉必须通过上门拜访方式回复业户。",
         script="door_visit_required = bool(door_visit_required) or collective")
    node("gw_door", "xor", "上门回访？", "butler", 25, 0, default="f_gw_door__merge_door")
    node("door_visit", "user", "上门回访", "butler", 26, 1,
         "M1 第十四条：24小时内或与业主约定的时间上门回访，回访应有书面记录或回执；M2 四(七)3 请业户签署意见。",
         form=[F("satisfied", "业主是否满意", "boolean", required=True),
               F("visit_note", "上门回访记录（回执）", required=True, maxlength=2000)])
    timer("door_visit_c13", "C13 24小时", "door_visit", "timeDate",
          "door_visit_at if door_visit_at else add_hours(now(), 24)",
          "M1 第十四条：24小时内或与业主约定的时间上门回访（附则：未安排上门回访扣罚责任人30元）。", "C13")
    alert("alert_c13", "上门回访超时（C13）", "dispatch_supervisor", 27, 1, "M1 第十四条：未按时上门回访。")
    node("merge_door", "xor", "", "butler", 27, 0)
    node("gw_satisfied", "xor", "业主满意？", "butler", 28, 0, "M3 4.4.5：不满意应联系有关人员处理，直到业户满意为止。",
         default="f_gw_satisfied__count_repeat")
    node("count_repeat", "script", "记为重复投诉", "cs_supervisor", 28, 0, "M2 四(十一) 重复投诉。",
         script="repeat_count = repeat_count + 1")
    node("handle_repeat", "user", "重复投诉处理", "cs_supervisor", 29, 0,
         "M2 四(十一)：业户对投诉处理意见不满，由客户服务主管了解前期处理的情况后及时处理。",
         form=[F("review", "前期处理情况", required=True, maxlength=2000),
               F("result", "处理结果", required=True, maxlength=4000, long=True),
               F("finished_at", "实际完成时间", "date", required=True, default="now", max="now", min="received_at")])
    timer("handle_repeat_c5", "C5 12小时", "handle_repeat", "timeDate", "add_hours(now(), 12)",
          "M1 第十条：接单后12小时内完成。到期记录（不扣罚），并开出进度反馈任务。", "C5", penalty="0")
    timer("handle_repeat_c6", "C6 每24小时", "handle_repeat", "timeCycle", "'R/' + add_hours(now(), 36) + '/PT24H'",
          "M1 第十条：未完成的每24小时须再反馈一次处理进度：开出进度反馈任务。")
    node("feedback_repeat", "user", "进度反馈（重复投诉）", "cs_supervisor", 30, 1,
         "M1 第十条：每24小时反馈处理进度。", form=[F("progress", "处理进度", required=True, maxlength=2000)])
    node("feedback_repeat_end", "end", "", "cs_supervisor", 31, 1)
    node("close", "user", "结案归档", "butler", 31, 1,
         "M0 4.3：投诉最终处理结束后，亲情管家记录处理结果，业主签署意见，提交客服经理审阅；"
         "《投诉处理书》放入业主档案存档。",
         form=[F("owner_opinion", "业主意见", required=True, maxlength=2000),
               F("archived", "《投诉处理书》已放入业主档案", "boolean", required=True, default="false",
                 confirmed=True)])
    node("manager_review", "user", "客服经理审阅", "cs_manager", 29, 0,
         "M0 4.3：投诉最终处理结束后，亲情管家记录处理结果，业主签署意见，提交客服经理审阅；审阅通过后存档。",
         form=[F("review_note", "审阅意见", required=True, maxlength=2000),
               F("reviewed", "已审阅处理记录及业主意见", "boolean", required=True, default="false", confirmed=True)])
    node("end", "end", "投诉结案", "butler", 32, 1)
    flow("merge_written", "followup")
    flow("followup", "door_rule")
    flow("followup_c12", "alert_c12")
    flow("door_rule", "gw_door")
    flow("gw_door", "door_visit", "是", "door_visit_required")
    flow("gw_door", "merge_door", "否", id_="f_gw_door__merge_door")
    flow("door_visit", "merge_door")
    flow("door_visit_c13", "alert_c13")
    flow("merge_door", "gw_satisfied")
    flow("gw_satisfied", "manager_review", "满意", "satisfied")
    flow("manager_review", "close")
    flow("gw_satisfied", "count_repeat", "不满意", id_="f_gw_satisfied__count_repeat")
    flow("count_repeat", "handle_repeat")
    flow("handle_repeat", "merge_handled")
    flow("handle_repeat_c5", "feedback_repeat")
    flow("handle_repeat_c6", "feedback_repeat")
    flow("feedback_repeat", "feedback_repeat_end")
    feedback_due("feedback_repeat")
    flow("feedback_repeat_late", "feedback_repeat_end")
    flow("feedback_repeat_done", "feedback_repeat_end")
    node("resolved_invalid", "signal_throw", "投诉答复完成", "cs_supervisor", 7, 0,
         "M1 第十一条：无效投诉已解释答复，C7 的逐级上报计时到此为止。", signal=RESOLVED)
    flow("explain_invalid", "resolved_invalid")
    flow("resolved_invalid", "manager_review")
    flow("close", "end")
    for n in nodes:      # the resolved signal takes column 14: what follows it moves one column on
        if n.col >= 14 and n.id != "resolved":
            n.col += 1
    for n in nodes:      # a department's accept and handling gateways take columns 10 and 12
        if n.id not in _PLACED and n.col >= 10:
            n.col += 2 if n.col >= 11 else 1


# placed in the final columns: the accept / handling gateways of each department and what they lead to
_PLACED = {*(f"{k}_{d}" for k in ("gw_accept", "refused", "gw_solved") for d, _ in DEPARTMENTS),
           "supervisor_solution", "alert_c19", "alert_c19_end"}


# -- layout: a grid of lanes × rows × columns; flows run in empty gutters and channels ------------------

TASK_W, TASK_H, EV, GW = 180, 80, 36, 50
COL_W, ROW_H, TOP = 260, 230, 50          # TOP: the empty channel above each row's shapes
X0, Y0, HEADER = 40, 40, 30
CONTENT_X = X0 + HEADER + 40
# a boundary event's label: one 11 px line (bpmn-js's external label font), below-right of its circle,
# right of the flow leaving the circle's bottom, in a band of its own under the task
LABEL_H, LABEL_BAND, LABEL_GAP = 14, 18, 4


def label_width(text: str) -> float:
    """The width bpmn-js (Arial 11 px) gives ``text``, a little generous: a label narrower than its
    text would wrap onto a second line and into the flow under it."""
    return 4 + sum(11 if ord(c) > 0x2E7F else 3.2 if c == " " else 8 if c.isupper() else 6.2 for c in text)


def lane_rows() -> dict[str, tuple[int, int, int]]:
    """lane id -> (y, height, rows)."""
    out, y = {}, Y0
    for lane, _name, rows in LANES:
        out[lane] = (y, rows * ROW_H + 20, rows)
        y += rows * ROW_H + 20
    return out


def size(kind: str) -> tuple[int, int]:
    if kind in ("user", "script"):
        return TASK_W, TASK_H
    if kind in ("xor", "and", "event"):
        return GW, GW
    return EV, EV


class Layout:
    def __init__(self):
        self.lanes = lane_rows()
        self.box: dict[str, tuple[float, float, int, int]] = {}
        self.cell: dict[str, tuple[str, int, float]] = {}
        self.gutter_use: dict[float, int] = {}
        self.channel_use: dict[float, int] = {}
        for n in nodes:
            w, h = size(n.kind)
            cx = CONTENT_X + n.col * COL_W + TASK_W / 2
            cy = self.row_y(n.lane, n.row) + TOP + TASK_H / 2
            self.box[n.id] = (cx - w / 2, cy - h / 2, w, h)
            self.cell[n.id] = (n.lane, n.row, n.col)
        self.label: dict[str, tuple[float, float, float, float]] = {}
        self.turn: dict[str, float] = {}
        per_task: dict[str, list[Boundary]] = {}
        for b in bounds:
            per_task.setdefault(b.on, []).append(b)
        for task, bs in per_task.items():
            self._place_boundaries(task, bs)

    def _place_boundaries(self, task: str, bs: list[Boundary]) -> None:
        """Circles along the task's bottom edge; each label below-right of its circle. The flow out of
        a circle goes down and turns right to the column's gutter: the rightmost turns first, so each
        label sits in its own band between its flow's turn and the turn of the flow to its right,
        crossed by no flow, and every label ends before the gutter."""
        x, y, w, h = self.box[task]
        n = len(bs)
        last_cx = x + w + 10 - LABEL_GAP - label_width(bs[-1].name)     # the gutter starts at x + w + 12
        step = 40.0
        first = min(x + w / 2 - step * (n - 1) / 2, last_cx - step * (n - 1))
        if first < x + EV / 2:
            first = x + EV / 2
            step = (last_cx - first) / (n - 1) if n > 1 else step
            if step < EV + 1:
                raise ValueError(f"{task}: {n} boundary events and their labels do not fit under the task")
        circle_bottom = y + h + EV / 2
        for i, b in enumerate(bs):
            cx = first + step * i
            self.box[b.id] = (cx - EV / 2, y + h - EV / 2, EV, EV)
            self.cell[b.id] = self.cell[task]
            top = circle_bottom + LABEL_GAP + (n - 1 - i) * LABEL_BAND
            self.label[b.id] = (cx + LABEL_GAP, top, label_width(b.name), LABEL_H)
            self.turn[b.id] = top + LABEL_H + 2

    def row_y(self, lane: str, row: int) -> float:
        return self.lanes[lane][0] + row * ROW_H

    def _slot(self, use: dict, key: float, step: float, limit: int) -> float:
        k = use.get(key, 0)
        use[key] = k + 1
        return key + step * (k % limit)

    def gutter(self, col: float) -> float:
        """An x in the empty gutter right of column ``col``."""
        return self._slot(self.gutter_use, CONTENT_X + col * COL_W + TASK_W + 12, 6, 12)

    def channel(self, lane: str, row: int) -> float:
        """A y in the empty band above row ``row`` of ``lane``."""
        return self._slot(self.channel_use, self.row_y(lane, row) + 6, 4, 9)

    def route(self, f: Flow) -> list[tuple[float, float]]:
        sx, sy, sw, sh = self.box[f.src]
        tx, ty, _tw, th = self.box[f.tgt]
        s_lane, s_row, s_col = self.cell[f.src]
        t_lane, t_row, t_col = self.cell[f.tgt]
        t_in = (tx, ty + th / 2)
        boundary = any(b.id == f.src for b in bounds)
        if boundary:
            start = (sx + sw / 2, sy + sh)
            y1 = self.turn[f.src]
            gs = self.gutter(s_col)
            pts = [start, (start[0], y1), (gs, y1)]
        else:
            start = (sx + sw, sy + sh / 2)
            if (s_lane, s_row) == (t_lane, t_row) and t_col - s_col == 1 and abs(start[1] - t_in[1]) < 1:
                return [start, t_in]
            gs = self.gutter(s_col)
            pts = [start, (gs, start[1])]
        gt = gs if t_col - s_col == 1 else self.gutter(t_col - 1)
        if gt != gs:
            yc = self.channel(t_lane, t_row)
            pts += [(gs, yc), (gt, yc)]
        pts += [(gt, t_in[1]), t_in]
        return _simplify(pts)


def _simplify(pts):
    out: list[tuple[float, float]] = []
    for p in pts:
        p = (round(p[0], 1), round(p[1], 1))
        if out and p == out[-1]:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == p[0] or out[-2][1] == out[-1][1] == p[1]):
            out[-1] = p
            continue
        out.append(p)
    return out


# -- XML --------------------------------------------------------------------------------------------------

def _doc(text: str) -> str:
    return f"<bpmn:documentation>{escape(text)}</bpmn:documentation>" if text else ""


def _props(props: dict) -> str:
    if not props:
        return ""
    inner = "".join(f'<camunda:property name="{k}" value={quoteattr(v)}/>' for k, v in props.items())
    return f"<camunda:properties>{inner}</camunda:properties>"


def _timer_def(tid: str, kind: str, expr: str) -> str:
    return (f'<bpmn:timerEventDefinition id="{tid}_def"><bpmn:{kind} xsi:type="bpmn:tFormalExpression">'
            f"{escape(expr)}</bpmn:{kind}></bpmn:timerEventDefinition>")


def _boundary_def(b: Boundary) -> str:
    if b.signal:
        return f'<bpmn:signalEventDefinition id="{b.id}_def" signalRef="sig_{b.signal}"/>'
    assert b.timer is not None, f"boundary event {b.id} has neither a timer nor a signal"
    return _timer_def(b.id, *b.timer)


def process_xml(lane_set: str = "complaint_lanes") -> str:
    ins: dict[str, list[str]] = {}
    outs: dict[str, list[str]] = {}
    for f in flows:
        outs.setdefault(f.src, []).append(f.id)
        ins.setdefault(f.tgt, []).append(f.id)

    def io(i: str) -> str:
        return ("".join(f"<bpmn:incoming>{x}</bpmn:incoming>" for x in ins.get(i, []))
                + "".join(f"<bpmn:outgoing>{x}</bpmn:outgoing>" for x in outs.get(i, [])))

    labels = _props({**CASE_PROPERTIES, **{f"label:{k}": v for k, v in DATA_LABELS.items()}})
    lines = [f"<bpmn:extensionElements>{labels}</bpmn:extensionElements>"]
    lane_xml = []
    for lane, name, _rows in LANES:
        refs = [n.id for n in nodes if n.lane == lane] + [b.id for b in bounds
                                                          if next(n for n in nodes if n.id == b.on).lane == lane]
        lane_xml.append(f'<bpmn:lane id="{lane}" name={quoteattr(name)}>'
                        + "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs) + "</bpmn:lane>")
    lines.append(f'<bpmn:laneSet id="{lane_set}">' + "".join(lane_xml) + "</bpmn:laneSet>")
    tags = {"start": "startEvent", "end": "endEvent", "user": "userTask", "script": "scriptTask",
            "xor": "exclusiveGateway", "and": "parallelGateway", "timer": "intermediateCatchEvent",
            "event": "eventBasedGateway", "signal_catch": "intermediateCatchEvent",
            "signal_throw": "intermediateThrowEvent"}
    for n in nodes:
        tag = tags[n.kind]
        attrs = f'id="{n.id}"' + (f" name={quoteattr(n.name)}" if n.name else "")
        if n.groups:
            attrs += f' camunda:candidateGroups="{n.groups}"'
        if n.default:
            attrs += f' default="{n.default}"'
        if n.kind == "script":
            attrs += ' scriptFormat="python"'
        ext = ""
        if n.form:
            ext += "<camunda:formData>" + "".join(x.xml() for x in n.form) + "</camunda:formData>"
        ext += _props(n.props)
        body = _doc(n.doc) + (f"<bpmn:extensionElements>{ext}</bpmn:extensionElements>" if ext else "") + io(n.id)
        if n.kind == "script":
            assert n.script is not None, f"script task {n.id} has no script"
            body += f"<bpmn:script>{escape(n.script)}</bpmn:script>"
        if n.kind == "timer":
            assert n.timer is not None, f"timer event {n.id} has no timer"
        if n.timer is not None:             # a catch event's, or a start event's: a scheduled start
            body += _timer_def(n.id, *n.timer)
        if n.signal:
            body += f'<bpmn:signalEventDefinition id="{n.id}_def" signalRef="sig_{n.signal}"/>'
        lines.append(f"<bpmn:{tag} {attrs}>{body}</bpmn:{tag}>")
    for b in bounds:
        props = dict(b.props)
        if b.deadline:
            props = {"deadline": b.deadline, **props}
        ext = f"<bpmn:extensionElements>{_props(props)}</bpmn:extensionElements>" if props else ""
        cancel = "true" if b.interrupting else "false"
        lines.append(f'<bpmn:boundaryEvent id="{b.id}" name={quoteattr(b.name)} attachedToRef="{b.on}" '
                     f'cancelActivity="{cancel}">{_doc(b.doc)}{ext}{io(b.id)}{_boundary_def(b)}'
                     f"</bpmn:boundaryEvent>")
    for f in flows:
        attrs = f'id="{f.id}" sourceRef="{f.src}" targetRef="{f.tgt}"'
        attrs += f" name={quoteattr(f.name)}" if f.name else ""
        if f.cond:
            lines.append(f'<bpmn:sequenceFlow {attrs}><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                         f"{escape(f.cond)}</bpmn:conditionExpression></bpmn:sequenceFlow>")
        else:
            lines.append(f"<bpmn:sequenceFlow {attrs}/>")
    return "\n    ".join(lines)


def diagram_xml(lay: Layout, pool: str = "p_complaint") -> str:
    width = CONTENT_X + (max(n.col for n in nodes) + 1) * COL_W + 40 - X0
    total = sum(h for _y, h, _r in lay.lanes.values())
    out = [f'<bpmndi:BPMNShape id="{pool}_di" bpmnElement="{pool}" isHorizontal="true">'
           f'<dc:Bounds x="{X0}" y="{Y0}" width="{width}" height="{total}"/></bpmndi:BPMNShape>']
    for lane, _n, _r in LANES:
        lane_y, lane_h, _rows = lay.lanes[lane]
        out.append(f'<bpmndi:BPMNShape id="{lane}_di" bpmnElement="{lane}" isHorizontal="true">'
                   f'<dc:Bounds x="{X0 + HEADER}" y="{lane_y}" width="{width - HEADER}" height="{lane_h}"/>'
                   f'</bpmndi:BPMNShape>')
    for n in nodes:
        x, y, w, h = lay.box[n.id]
        marker = ' isMarkerVisible="true"' if n.kind == "xor" else ""
        out.append(f'<bpmndi:BPMNShape id="{n.id}_di" bpmnElement="{n.id}"{marker}>'
                   f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>')
    for b in bounds:
        x, y, w, h = lay.box[b.id]
        lx, ly, lw, lh = (round(v, 1) for v in lay.label[b.id])
        out.append(f'<bpmndi:BPMNShape id="{b.id}_di" bpmnElement="{b.id}">'
                   f'<dc:Bounds x="{round(x, 1)}" y="{y}" width="{w}" height="{h}"/>'
                   f'<bpmndi:BPMNLabel><dc:Bounds x="{lx}" y="{ly}" width="{lw}" height="{lh}"/>'
                   f"</bpmndi:BPMNLabel></bpmndi:BPMNShape>")
    for f in flows:
        pts = lay.route(f)
        wps = "".join(f'<di:waypoint x="{x}" y="{y}"/>' for x, y in pts)
        label = ""
        if f.name:
            (x1, _), (x2, y2) = pts[-2], pts[-1]           # beside the target: branches stay apart
            lx = (x1 + x2) / 2 - 29 if len(pts) == 2 else x2 - 62
            ly = y2 - 16
            label = f'<bpmndi:BPMNLabel><dc:Bounds x="{lx}" y="{ly}" width="58" height="14"/></bpmndi:BPMNLabel>'
        out.append(f'<bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">{wps}{label}</bpmndi:BPMNEdge>')
    return "\n      ".join(out)


STARTERS = 'camunda:candidateStarterGroups="dispatcher,front_desk"'


def render() -> str:
    build()
    lay = Layout()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- 客户投诉处理 (procedures.md §3). Generated first by tests/tools/complaint_bpmn.py; edit in bpmn-js. -->
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="defs_complaint" targetNamespace="http://wuye.example/processes">
  <bpmn:collaboration id="collab_complaint">
    <bpmn:participant id="p_complaint" name="客户投诉处理" processRef="complaint"/>
  </bpmn:collaboration>
  <bpmn:signal id="sig_{RESOLVED}" name="{RESOLVED}"/>
  <bpmn:signal id="sig_{DISPATCHED}" name="{DISPATCHED}"/>
  <bpmn:process id="complaint" name="客户投诉处理" isExecutable="true" {STARTERS}>
    {process_xml()}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="complaint_diagram">
    <bpmndi:BPMNPlane id="complaint_plane" bpmnElement="collab_complaint">
      {diagram_xml(lay)}
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
