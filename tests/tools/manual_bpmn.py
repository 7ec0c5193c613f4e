"""Writes processes/reception.bpmn, key_loan.bpmn, parcel_storage.bpmn and tennis_booking.bpmn
(procedures.md §7) with their diagrams, on the grid layout of tests/tools/complaint_bpmn.py.

Why a generator: it is the one layout engine the repository has (lanes × rows × columns, flows in
empty gutters and channels, so no flow crosses a shape); these models reuse it, its form-field
writer ``F`` and its XML writers, one model at a time. Once process owners edit the files in bpmn-js,
the files are the source of truth; rerun this only to regenerate from scratch
(``python -m tests.tools.manual_bpmn``)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import quoteattr

from tests.tools import complaint_bpmn as grid
from tests.tools.complaint_bpmn import F, flow, node, timer

OUT = Path(__file__).resolve().parents[2] / "processes"

DEPARTMENTS = [("engineering", "工程部"), ("security", "保安部"), ("cleaning", "环境 / 保洁"), ("finance", "财务")]


# -- 客服接待 (M3 第2篇 某商场物业部客服接待作业规程) --------------------------------------------------------

def reception() -> dict:
    node("start", "start", "来电来访登记", "front_desk", 0, 0,
         "M3 第2篇 4.2–4.3：管理员接听电话铃声不得超过三声；对所有来电来访详细登记在《物业接待记录》内，"
         "注明时间、顾客姓名、联系方式、具体来访事由。",
         form=[F("visitor", "顾客姓名", required=True, maxlength=50),
               F("room", "房号/铺位号", maxlength=32),
               F("contact", "联系方式", required=True, minlength=5, maxlength=32),
               F("channel", "来电/来访", "enum", required=True, default="phone",
                 options=[("phone", "来电"), ("visit", "来访")]),
               F("matter", "具体来访事由", required=True, minlength=2, maxlength=2000, long=True),
               F("received_at", "接待时间", "date", required=True, default="now")])
    node("analyse", "user", "分析并交办", "front_desk", 1, 0,
         "M3 第2篇 4.4：管理员对受理事宜进行分析，"
         "并及时责成相关责任部门落实完成；3.1：超出职责范围的诉求报物业经理处理。"
         "投诉、报修另行在系统中登记为投诉或报修流程。",
         form=[F("handling", "处理方式", "enum", required=True, default="department",
                 options=[("answered", "当场解答，已办结"), ("department", "交相关部门落实"),
                          ("complaint", "转投诉处理"), ("repair", "转报修处理"),
                          ("manager", "超出职责范围，报物业经理")]),
               F("department", "受理部门（交部门落实时必选）", "enum", options=DEPARTMENTS),
               F("reply", "答复/交办说明", maxlength=2000, long=True)])
    node("gw_handling", "xor", "处理方式？", "front_desk", 2, 0, default="f_gw_handling__coordinate")
    node("logged", "script", "登记接待", "front_desk", 0, 0, "返工次数从0起算（4.8 直至合格为止）。",
         script="rework_count = 0")
    flow("start", "logged")
    flow("logged", "analyse")
    flow("analyse", "gw_handling")
    node("end_answered", "end", "当场办结", "front_desk", 3, 1)
    flow("gw_handling", "end_answered", "当场办结", "handling == 'answered'")
    node("link_case", "user", "登记转办的投诉/报修单号", "front_desk", 3, 2,
         "投诉按《客户投诉处理》、报修按《业主报修》流程办理，其回访在那两个流程中进行；此处记下转办后的流程单号，"
         "《物业接待记录》据此可查。",
         form=[F("linked_instance", "投诉/报修流程单号", "long", required=True, min=1),
               F("link_note", "转办说明", maxlength=500)])
    node("end_linked", "end", "已转投诉/报修", "front_desk", 4, 2)
    flow("gw_handling", "link_case", "转投诉/报修", "handling in ('complaint', 'repair')")
    flow("link_case", "end_linked")
    node("manager_handle", "user", "物业经理处理", "cs_manager", 3, 0,
         "M3 第2篇 3.1：对超出职责范围的诉求，须报物业经理处理。",
         form=[F("manager_result", "处理意见及结果", required=True, maxlength=2000, long=True)])
    flow("gw_handling", "manager_handle", "报物业经理", "handling == 'manager'")
    node("coordinate", "user", "客服部负责人协调处理", "cs_supervisor", 5, 0,
         "M3 第2篇 4.7：受理部门负责人对难以处理的服务需求和投诉或协调不成的，"
         "及时反馈至管理员，并报客服部负责人协调处理"
         "（交办时未选定受理部门的，也由客服部负责人协调）。",
         form=[F("coordination", "协调处理结果", required=True, maxlength=2000, long=True)])
    flow("gw_handling", "coordinate", "部门未定", id_="f_gw_handling__coordinate")
    node("merge_dept", "xor", "", "front_desk", 3, 0)
    flow("gw_handling", "merge_dept", "交部门落实", "handling == 'department' and department is not None")
    node("dispatch", "script", "记录交办时间", "front_desk", 4, 0,
         "交办时间：RC1（受理部门当日处理）由此起算。",
         script="dispatched_at = now()")
    node("gw_dept", "xor", "受理部门？", "front_desk", 5, 1, default="f_gw_dept__handle_finance")
    flow("merge_dept", "dispatch")
    flow("dispatch", "gw_dept")
    node("merge_done", "xor", "", "front_desk", 7, 0)
    for i, (dept, name) in enumerate(DEPARTMENTS):
        handle = f"handle_{dept}"
        node(handle, "user", f"受理并联系顾客（{name.replace(' ', '')}）", dept, 6, 0,
             "M3 第2篇 4.5：受理部门接到任务后作工作记录并立即与顾客联系，问清事由；合理要求或有效投诉尽量满足，"
             "不能解决的做好解释说明。4.7：难以处理或协调不成的反馈管理员，报客服部负责人协调。",
             form=[F("contacted", "已与顾客联系，问清事由", "boolean", required=True),
                   F("dept_outcome", "处理情况", "enum", required=True, default="done",
                     options=[("done", "已处理完毕"), ("explained", "不能解决，已向顾客解释说明"),
                              ("hard", "难以处理/协调不成，报客服部负责人")]),
                   F("dept_result", "处理记录（服务单内容）", required=True, maxlength=2000, long=True)])
        timer(f"{handle}_rc1", "RC1 当日未处理完", handle, "timeDate", "end_of_day(dispatched_at)",
              "M3 第2篇 4.6：受理部门当日内不能处理完的服务需求，应及时将信息反馈至管理员，由管理员向顾客做好解释说明，"
              "并具体负责落实完毕时间。到期（交办当日23:59:59）仍未处理完即记 RC1，管理员收到解释任务。", "RC1",
              responsible=dept)
        explain = f"explain_{dept}"
        node(explain, "user", "向顾客解释并落实完毕时间", "front_desk", 7 + i, 2,
             "M3 第2篇 4.6：由管理员向顾客做好解释说明，并具体负责落实完毕时间。",
             form=[F("explained", "已向顾客解释说明", "boolean", required=True),
                   F("promised_at", "落实完毕时间", "date", required=True, min="now")])
        node(f"{explain}_end", "end", "", "front_desk", 7 + i, 3)
        flow(f"{handle}_rc1", explain)
        flow(explain, f"{explain}_end")
        cond = f"department == '{dept}'"
        flow("gw_dept", handle, name, None if dept == "finance" else cond,
             id_="f_gw_dept__handle_finance" if dept == "finance" else None)
        flow(handle, "merge_done")
    node("gw_outcome", "xor", "能否处理？", "front_desk", 8, 0, default="f_gw_outcome__merge_follow")
    flow("merge_done", "gw_outcome")
    flow("gw_outcome", "coordinate", "报客服部负责人", "dept_outcome == 'hard'")
    node("merge_follow", "xor", "", "front_desk", 9, 0)
    flow("gw_outcome", "merge_follow", "已处理/已解释", id_="f_gw_outcome__merge_follow")
    flow("coordinate", "merge_follow")
    flow("manager_handle", "merge_follow")
    node("handled", "script", "记录处理完毕时间", "front_desk", 10, 0,
         "处理完毕时间：RC2（次日回访）由此起算。",
         script="handled_at = now()")
    flow("merge_follow", "handled")
    node("follow_up", "user", "次日回访", "front_desk", 11, 0,
         "M3 第2篇 4.8：管理员每日当班时对前一天的服务受理情况，"
         "根据相关部门的服务单及时组织电话或上门回访，询问顾客满意情况；"
         "服务不合格的采取纠正、预防和改进措施并跟踪回访，直至合格为止，"
         "结果填入《物业接待记录》。4.9：回访情况纳入回访率统计。",
         form=[F("follow_up_way", "回访方式", "enum", required=True, default="phone",
                 options=[("phone", "电话回访"), ("visit", "上门回访")]),
               F("satisfied", "顾客满意（服务合格）", "boolean", required=True),
               F("follow_up_note", "回访记录（顾客意见）", required=True, maxlength=2000, long=True)])
    timer("follow_up_rc2", "RC2 次日未回访", "follow_up", "timeDate", "end_of_next_day(handled_at)",
          "M3 第2篇 4.8：管理员每日当班时对前一天的服务受理情况组织回访。"
          "期限：处理完毕的次日23:59:59；超时记 RC2。", "RC2")
    node("late_follow_up", "user", "回访超时提醒", "cs_supervisor", 12, 1,
         "RC2：前一天的服务受理未在次日完成回访，客服部负责人督促。", form=[grid.NOTE])
    node("late_follow_up_end", "end", "", "cs_supervisor", 13, 1)
    flow("handled", "follow_up")
    flow("follow_up_rc2", "late_follow_up")
    flow("late_follow_up", "late_follow_up_end")
    node("gw_satisfied", "xor", "满意？", "front_desk", 12, 0, default="f_gw_satisfied__rework")
    node("end", "end", "接待办结", "front_desk", 13, 0)
    flow("follow_up", "gw_satisfied")
    flow("gw_satisfied", "end", "满意", "satisfied")
    node("rework", "script", "不合格，返回受理部门纠正", "front_desk", 12, 2,
         "M3 第2篇 4.8：对发现服务不合格的采取纠正、预防和改进措施，并跟踪回访，直至合格为止。"
         "交回原受理部门重新处理（未选部门的由客服部负责人协调）。",
         script="rework_count = rework_count + 1")
    flow("gw_satisfied", "rework", "不满意", id_="f_gw_satisfied__rework")
    node("gw_rework", "xor", "原受理部门？", "front_desk", 13, 2, default="f_gw_rework__coordinate")
    flow("rework", "gw_rework")
    flow("gw_rework", "merge_dept", "部门重办", "department is not None")
    flow("gw_rework", "coordinate", "客服部负责人协调", id_="f_gw_rework__coordinate")
    for n in grid.nodes:            # the start event alone in column 0
        if n.id != "start":
            n.col += 1
    return {"id": "reception", "name": "客服接待", "starters": "front_desk",
            "lanes": [("front_desk", "前台 / 客服接待管理员", 4), ("cs_manager", "物业经理", 1),
                      ("cs_supervisor", "客服部负责人", 2), ("engineering", "工程部", 1), ("security", "保安部", 1),
                      ("cleaning", "环境 / 保洁", 1), ("finance", "财务", 1)],
            "doc": "M3 第2篇 某商场物业部客服接待作业规程；procedures.md §7。期限：RC1 受理部门当日处理（4.6），"
                   "RC2 次日回访（4.8）。记录：《物业接待记录》（每个实例的打印页）、《客服接待月报表》（4.11）。",
            "record": "物业接待记录",
            "labels": {"dispatched_at": "交办时间", "handled_at": "处理完毕时间", "rework_count": "返工次数"}}


# -- 钥匙借用 (M3 第3篇 钥匙管理作业规程 4.1–4.7) --------------------------------------------------------------

def key_loan() -> dict:
    node("start", "start", "钥匙借用申请登记", "front_desk", 0, 0,
         "M3 第3篇 3.1、4.1：备用钥匙由客服部保管；借用在《钥匙领用登记表》的钥匙借用登记栏办理借用登记手续。"
         "4.7：钥匙用后及时归还，不得隔日或隔班，应归还时间即本班结束时间。",
         form=[F("borrower", "借用人", required=True, maxlength=50),
               F("borrower_dept", "借用部门", "enum", required=True, default="engineering",
                 options=[("engineering", "工程部"), ("security", "保安部"), ("cleaning", "环境 / 保洁"),
                          ("front_desk", "客服部"), ("other_dept", "物业部其他部门"), ("outside", "外单位（外借）")]),
               F("contact", "联系电话", required=True, minlength=5, maxlength=32),
               F("key_no", "钥匙编号（分类/楼层编号）", required=True, maxlength=32),
               F("key_name", "钥匙名称（门/房间）", required=True, maxlength=100),
               F("quantity", "数量（把）", "long", required=True, default="1", min=1),
               F("purpose", "借用事由", required=True, maxlength=500, long=True),
               F("return_by", "应归还时间（本班结束）", "date", required=True, min="now")])
    node("gw_outside", "xor", "外借？", "front_desk", 1, 0, default="f_gw_outside__approve")
    flow("start", "gw_outside")
    approval = [F("approved", "同意借用", "boolean", required=True),
                F("approver", "审批人（签字）", required=True, maxlength=50),
                F("approval_note", "审批意见", maxlength=500)]
    node("approve", "user", "借用部门主管审批", "dept_supervisor", 2, 0,
         "M3 第3篇 4.1：备用钥匙的借用须由借用部门主管级及以上人员同意。", form=approval)
    node("approve_outside", "user", "物业经理审批外借", "cs_manager", 2, 0,
         "M3 第3篇 4.2：所有钥匙不得外借，确因工作需要外借的，须经物业经理同意并由客服统一办理。", form=approval)
    flow("gw_outside", "approve_outside", "外单位", "borrower_dept == 'outside'")
    flow("gw_outside", "approve", "本物业部门", id_="f_gw_outside__approve")
    node("merge_approved", "xor", "", "front_desk", 3, 0)
    flow("approve", "merge_approved")
    flow("approve_outside", "merge_approved")
    node("gw_approved", "xor", "同意？", "front_desk", 4, 0, default="f_gw_approved__end_refused")
    flow("merge_approved", "gw_approved")
    node("end_refused", "end", "不予借用", "front_desk", 5, 1)
    flow("gw_approved", "end_refused", "不同意", id_="f_gw_approved__end_refused")
    node("lend", "user", "办理借用登记并发放钥匙", "front_desk", 5, 0,
         "M3 第3篇 4.1、4.5：在《钥匙领用登记表》借用栏登记（借用人、部门、钥匙编号、数量、审批人、应归还时间）；"
         "钥匙不得私自配制或带离。",
         form=[F("handed_quantity", "发放数量（把）", "long", required=True, min=1),
               F("lend_note", "发放备注", maxlength=500)])
    flow("gw_approved", "lend", "同意", "approved")
    node("lent", "script", "记录借出时间", "front_desk", 6, 0, script="lent_at = now()")
    flow("lend", "lent")
    node("give_back", "user", "归还签收", "front_desk", 7, 0,
         "M3 第3篇 4.7：所有钥匙用后须及时归还并做好归还签收工作；4.6：发现遗失的，在此登记遗失。",
         form=[F("return_status", "归还情况", "enum", required=True, default="returned",
                 options=[("returned", "已如数归还"), ("lost", "钥匙遗失")]),
               F("returned_quantity", "归还数量（把）", "long", min=0),
               F("received_by", "签收人", required=True, maxlength=50)])
    flow("lent", "give_back")
    timer("give_back_kl1", "KL1 隔班未归还", "give_back", "timeDate", "return_by",
          "M3 第3篇 4.7：钥匙不得隔日或隔班归还；特殊情况下须使用部门主管人员说明原因并在《钥匙领用登记表》登记。"
          "到达应归还时间（本班结束）仍未签收即记 KL1，借用部门主管收到说明原因任务。", "KL1",
          responsible="dept_supervisor")
    node("explain_late", "user", "说明未按时归还原因", "dept_supervisor", 8, 1,
         "M3 第3篇 4.7：特殊情况下须使用部门主管人员说明原因并在《钥匙领用登记表》进行登记。",
         form=[F("late_reason", "未按时归还原因", required=True, maxlength=1000, long=True),
               F("late_supervisor", "说明人（部门主管）", required=True, maxlength=50)])
    node("explain_late_end", "end", "", "dept_supervisor", 9, 1)
    flow("give_back_kl1", "explain_late")
    flow("explain_late", "explain_late_end")
    node("gw_returned", "xor", "归还情况？", "front_desk", 8, 0, default="f_gw_returned__confirm_loss")
    flow("give_back", "gw_returned")
    node("end", "end", "已归还", "front_desk", 9, 0)
    flow("gw_returned", "end", "已归还", "return_status == 'returned'")
    node("confirm_loss", "user", "遗失报失确认（部门主管签字）", "dept_supervisor", 9, 0,
         "M3 第3篇 4.6：钥匙若发现遗失，钥匙保管人须及时向部门主管汇报，在《钥匙领用登记表》的钥匙遗失和配制栏做好"
         "报失确认登记，由部门主管签字确认；费用由遗失人承担，并给予当事人纪律处分。",
         form=[F("loss_circumstances", "遗失经过", required=True, maxlength=1000, long=True),
               F("loss_confirmed_by", "确认人（部门主管签字）", required=True, maxlength=50),
               F("lost_by", "遗失人", required=True, maxlength=50),
               F("discipline", "纪律处分", required=True, maxlength=500)])
    flow("gw_returned", "confirm_loss", "遗失", id_="f_gw_returned__confirm_loss")
    node("change_lock", "user", "安排换锁", "front_desk", 10, 0,
         "M3 第3篇 4.6：客服部安排换锁，其所需费用由遗失人承担。",
         form=[F("lock_changed_on", "换锁日期", "date", required=True, default="now"),
               F("lock_cost", "换锁费用（元）", "double", required=True, min=0),
               F("new_key_no", "新钥匙编号", required=True, maxlength=32)])
    flow("confirm_loss", "change_lock")
    node("charge", "user", "向遗失人收取换锁费用", "finance", 11, 0,
         "M3 第3篇 4.6：换锁所需费用由遗失人承担。",
         form=[F("lost_by", "遗失人", readonly=True), F("lock_cost", "换锁费用（元）", "double", readonly=True),
               F("charge_receipt_no", "收据编号", required=True, maxlength=32)])
    flow("change_lock", "charge")
    node("end_lost", "end", "换锁费用已收取", "finance", 12, 0)
    flow("charge", "end_lost")
    return {"id": "key_loan", "name": "钥匙借用", "starters": "front_desk",
            "lanes": [("front_desk", "客服部（钥匙保管）", 2), ("dept_supervisor", "借用部门主管", 2),
                      ("cs_manager", "物业经理", 1), ("finance", "财务", 1)],
            "doc": "M3 第3篇 商场物业部钥匙管理作业规程 4.1、4.2、4.6、4.7；"
            "procedures.md §7。期限：KL1 本班归还（4.7）。"
                   "记录：《钥匙领用登记表》（借用登记栏、归还签收、遗失和配制栏；每个实例的打印页）。",
            "record": "钥匙领用登记表",
            "labels": {"lent_at": "借出时间"}}


# -- 物品寄存 (M0 物业客服物品寄存管理规定 3.1–3.7) ------------------------------------------------------------

def parcel_storage() -> dict:
    node("start", "start", "物品接收登记", "front_desk", 0, 0,
         "M0 物品寄存 3.1：邮件、信件统一由物业客服签收；3.1.1：贵重物品查看是否封存、确认数量、留下联系电话；"
         "邮件寄存需送件人签字确认，标明数量、邮件编号；"
         "业主寄存须填写《物品寄存委托书》（3.3），写明领取人及其联系方式。",
         form=[F("kind", "类别", "enum", required=True, default="mail",
                 options=[("mail", "邮件/快递代收"), ("deposit", "业主寄存（委托他人领取）")]),
               F("owner", "业主姓名", required=True, maxlength=50),
               F("room", "房号", required=True, maxlength=32),
               F("phone", "业主联系电话", required=True, minlength=5, maxlength=32),
               F("items", "物品名称/描述", required=True, maxlength=500),
               F("quantity", "数量（件）", "long", required=True, default="1", min=1),
               F("mail_no", "邮件编号（邮件代收）", maxlength=64),
               F("sender", "送件人（邮件代收）", maxlength=50),
               F("sender_signed", "送件人已签字确认", "boolean", default="false"),
               F("valuable", "贵重物品/钥匙等小件", "boolean", default="false"),
               F("sealed", "已用信封/包装封存", "boolean", default="false"),
               F("labelled", "包装/信封上已注明房号及姓名", "boolean", default="false"),
               F("collector_name", "领取人姓名（业主寄存）", maxlength=50),
               F("collector_phone", "领取人联系电话（业主寄存）", maxlength=32),
               F("disclaimer_signed", "业主已在委托书注明：物品出现任何问题物业公司不承担相关责任", "boolean",
                 default="false"),
               F("special", "大堂按规定不能接收的特殊物品", "boolean", default="false"),
               F("received_at", "接收时间", "date", required=True, default="now")])
    node("check", "script", "核对寄存条件", "front_desk", 1, 0,
         "M0 物品寄存：邮件须送件人签字并有邮件编号（3.1.1 5）；业主寄存须在委托书注明免责（3.6，否则不予寄存）、"
         "写明领取人及联系方式（3.1.1 2）、包装注明房号姓名（3.5）；贵重物品及钥匙等小件须封存（3.1.1 1、3.4）。",
         script="problems = []\n"
                "if kind == 'mail' and not sender_signed:\n    problems.append('送件人未签字确认')\n"
                "if kind == 'mail' and not mail_no:\n    problems.append('未标明邮件编号')\n"
                "if kind == 'deposit' and not disclaimer_signed:\n    problems.append('业主未在委托书注明免责')\n"
                "if kind == 'deposit' and not (collector_name and collector_phone):\n"
                "    problems.append('未写明领取人及联系方式')\n"
                "if kind == 'deposit' and not labelled:\n    problems.append('包装未注明房号及姓名')\n"
                "if valuable and not sealed:\n    problems.append('贵重物品/小件未封存')\n"
                "refusal_reason = '；'.join(problems)\n"
                "acceptable = not problems")
    flow("start", "check")
    node("gw_acceptable", "xor", "符合寄存条件？", "front_desk", 2, 0, default="f_gw_acceptable__end_refused")
    flow("check", "gw_acceptable")
    node("end_refused", "end", "不予寄存", "front_desk", 3, 2)
    flow("gw_acceptable", "end_refused", "不符合", id_="f_gw_acceptable__end_refused")
    node("gw_special", "xor", "特殊物品？", "front_desk", 3, 0, default="f_gw_special__merge_accepted")
    flow("gw_acceptable", "gw_special", "符合", "acceptable")
    node("approve_special", "user", "特殊物品请示领导", "cs_supervisor", 4, 0,
         "M0 物品寄存 3.2：按规定大堂不能接收的物品如业主有强烈需求，"
         "客服人员视情况可酌情接收，如物品特殊，要逐级请示领导。",
         form=[F("special_approved", "同意接收", "boolean", required=True),
               F("special_note", "审批意见", required=True, maxlength=500)])
    flow("gw_special", "approve_special", "特殊物品", "special")
    node("gw_special_ok", "xor", "同意？", "cs_supervisor", 5, 0, default="f_gw_special_ok__end_special_refused")
    node("end_special_refused", "end", "领导不同意接收", "cs_supervisor", 6, 0)
    flow("approve_special", "gw_special_ok")
    flow("gw_special_ok", "end_special_refused", "不同意", id_="f_gw_special_ok__end_special_refused")
    node("merge_accepted", "xor", "", "front_desk", 6, 1)
    flow("gw_special", "merge_accepted", "一般物品", id_="f_gw_special__merge_accepted")
    flow("gw_special_ok", "merge_accepted", "同意", "special_approved")
    node("gw_kind", "xor", "类别？", "front_desk", 7, 1, default="f_gw_kind__collect")
    flow("merge_accepted", "gw_kind")
    node("notify", "user", "通知业主领取", "front_desk", 8, 0,
         "M0 物品寄存 3.1.1 6：通知业主领取，注明通知日期。",
         form=[F("notified_on", "通知日期", "date", required=True, default="now"),
               F("notify_way", "通知方式", "enum", required=True, default="phone",
                 options=[("phone", "电话"), ("sms", "短信"), ("visit", "上门告知")])])
    flow("gw_kind", "notify", "邮件代收", "kind == 'mail'")
    node("merge_collect", "xor", "", "front_desk", 9, 1)
    flow("notify", "merge_collect")
    flow("gw_kind", "merge_collect", "业主寄存", id_="f_gw_kind__collect")
    node("collect", "user", "领取签字", "front_desk", 10, 1,
         "M0 物品寄存 3.1.1 3、7：详细记录领取人姓名、性别及联系电话，对物品数量予以确认并书面注明；"
         "业主（或委托书写明的领取人）领取签字确认，注明领取日期、数量。",
         form=[F("collected_by", "领取人姓名", required=True, maxlength=50),
               F("collected_gender", "领取人性别", "enum", required=True, options=[("male", "男"), ("female", "女")]),
               F("collected_phone", "领取人联系电话", required=True, minlength=5, maxlength=32),
               F("collected_quantity", "领取数量（件）", "long", required=True, min=0),
               F("intact", "物品完好、封存完整", "boolean", required=True),
               F("collected_on", "领取日期", "date", required=True, default="now")])
    flow("merge_collect", "collect")
    timer("collect_ps1", "PS1 3天未领取", "collect", "timeCycle", "'R/P3D'",
          "寄存/代收物品满3天未领取，提醒前台再次通知业主（M0 未规定期限，默认3天，每3天一次；不记违规）。")
    node("remind", "user", "再次通知业主领取", "front_desk", 11, 3,
         "物品满3天未领取：再次通知业主（或领取人）领取。",
         form=[F("reminded_on", "通知日期", "date", required=True, default="now"),
               F("remind_note", "通知情况", maxlength=500)])
    node("remind_end", "end", "", "front_desk", 12, 3)
    flow("collect_ps1", "remind")
    flow("remind", "remind_end")
    node("gw_intact", "xor", "数量相符且完好？", "front_desk", 11, 1, default="f_gw_intact__incident")
    flow("collect", "gw_intact")
    node("incident", "user", "物品丢失/错发/损坏处理", "cs_supervisor", 12, 0,
         "M0 物品寄存 3.7：客服人员接收物品后要妥善保管，"
         "不得发生丢失、错发、损坏等问题，如发生，由责任人承担相关责任。",
         form=[F("incident_responsible", "责任人", required=True, maxlength=50),
               F("incident_handling", "处理结果（赔偿/处理意见）", required=True, maxlength=1000, long=True)])
    flow("gw_intact", "incident", "不符/损坏", id_="f_gw_intact__incident")
    node("merge_checked", "xor", "", "front_desk", 13, 1)
    flow("gw_intact", "merge_checked", "相符", "intact and collected_quantity == quantity")
    flow("incident", "merge_checked")
    node("gw_reply", "xor", "业主寄存？", "front_desk", 14, 1, default="f_gw_reply__end")
    flow("merge_checked", "gw_reply")
    node("reply_owner", "user", "回复业主物品已领取", "front_desk", 15, 0,
         "M0 物品寄存 3.1.1 4：回复业主寄存物品已领取。",
         form=[F("replied_way", "回复方式", "enum", required=True, default="phone",
                 options=[("phone", "电话"), ("sms", "短信"), ("visit", "当面")]),
               F("reply_note", "回复情况", maxlength=500)])
    flow("gw_reply", "reply_owner", "业主寄存", "kind == 'deposit'")
    node("end", "end", "已领取", "front_desk", 16, 1)
    flow("reply_owner", "end")
    flow("gw_reply", "end", "邮件代收", id_="f_gw_reply__end")
    return {"id": "parcel_storage", "name": "物品寄存", "starters": "front_desk",
            "lanes": [("front_desk", "前台 / 大堂管家", 4), ("cs_supervisor", "客服主管", 1)],
            "doc": "M0 物业客服物品寄存管理规定 3.1–3.7；procedures.md §7。提醒：PS1 满3天未领取再次通知（默认）。"
                   "记录：《物品寄存委托书》（每个实例的打印页）。",
            "record": "物品寄存委托书",
            "labels": {"refusal_reason": "不予寄存原因", "acceptable": "符合寄存条件"}}


# -- 网球场 (M0 网球场管理规程 3.1–3.2) -------------------------------------------------------------------------

SLOT_RULES = ("problems = []\n"
              "days = days_between(now(), play_at)\n"
              "start_hour = hour_of(play_at)\n"
              "if days < 1 or days > 3:\n    problems.append('须提前一天预订三日之内的场地')\n"
              "if start_hour != int(start_hour):\n    problems.append('按小时订场，须从整点开始')\n"
              "if start_hour < 7 or start_hour + hours > 21:\n    problems.append('开放时间为7:00至21:00')\n"
              "if people > 6:\n    problems.append('每个场地最多入场六人')\n"
              "refusal_reason = '；'.join(problems)\n"
              "acceptable = not problems\n"
              "changes = 0")


def tennis_booking() -> dict:
    node("start", "start", "网球场订场登记", "front_desk", 0, 0,
         "M0 网球场管理规程 3.1 2–3：提前一天预订三日之内的场地，"
         "按小时计价，每小时一个场地为一票，每个场地最多入场六人；"
         "订场写明日期、时间和场次，由物业客服前台管理员填写《网球场订场记录》。开放时间早7:00至晚21:00（3.1 1）。",
         form=[F("booker", "订场业主", required=True, maxlength=50),
               F("room", "房号", required=True, maxlength=32),
               F("phone", "联系电话", required=True, minlength=5, maxlength=32),
               F("court", "场次（场地）", "enum", required=True, default="court_1",
                 options=[("court_1", "1号场"), ("court_2", "2号场")]),
               F("play_at", "使用日期及开始时间（整点）", "date", required=True, min="now"),
               F("hours", "小时数（每小时一票）", "long", required=True, default="1", min=1, max=14),
               F("people", "入场人数", "long", required=True, default="2", min=1, max=30)])
    node("check", "script", "核对订场规则", "front_desk", 1, 0,
         "M0 网球场 3.1 1–2：提前一天、三日之内、整点按小时、7:00–21:00、每场最多六人。", script=SLOT_RULES)
    flow("start", "check")
    node("gw_ok", "xor", "符合订场规则？", "front_desk", 2, 0, default="f_gw_ok__end_refused")
    flow("check", "gw_ok")
    node("end_refused", "end", "不予订场", "front_desk", 3, 1)
    flow("gw_ok", "end_refused", "不符合", id_="f_gw_ok__end_refused")
    node("sell", "user", "收款售票", "front_desk", 3, 0,
         "M0 网球场 3.2：需提前一日收款；定场购票时写明日期、时间和场次。售出的票只能按规定改场，不能退票（3.1 3）。",
         form=[F("amount_paid", "收款金额（元）", "double", required=True, min=0),
               F("ticket_no", "票号", required=True, maxlength=32)])
    flow("gw_ok", "sell", "符合", "acceptable")
    node("merge_wait", "xor", "", "front_desk", 4, 0)
    flow("sell", "merge_wait")
    node("change", "user", "业主改场（仅在业主持票申请时办理）", "front_desk", 5, 0,
         "M0 网球场 3.1 3：因特殊原因需改场时，必须在所定场次四小时前带票前来更改；因天气情况需改场时，限在当天更改，"
         "隔日票作废；凡售出的票只能按上述规定改场，不能退票。本任务在开场前5分钟自动结束（转为通知保安部）。",
         form=[F("change_reason", "改场原因", "enum", required=True, default="other",
                 options=[("other", "特殊原因（须在所定场次四小时前）"), ("weather", "天气原因（限当天）")]),
               F("new_play_at", "改为（日期及开始时间）", "date", required=True, min="now"),
               F("ticket_shown", "业主已带票", "boolean", required=True)])
    flow("merge_wait", "change")
    timer("change_tb1", "TB1 开场前5分钟", "change", "timeDate", "add_minutes(play_at, -5)",
          "M0 网球场 3.2：提前5分钟客服通知保安部。到点即结束改场办理，任务转保安部。", interrupting=True)
    node("check_change", "script", "核对改场规则", "front_desk", 6, 0,
         "M0 网球场 3.1 3：特殊原因须在原场次四小时前；天气原因限原场次当天；新场次同样须在开放时间内按整点。",
         script="problems = []\n"
                "if not ticket_shown:\n    problems.append('须带票前来更改')\n"
                "if change_reason == 'other' and now() > add_hours(play_at, -4):\n"
                "    problems.append('须在所定场次四小时前更改')\n"
                "if change_reason == 'weather' and days_between(now(), play_at) != 0:\n"
                "    problems.append('天气原因限在当天更改')\n"
                "new_hour = hour_of(new_play_at)\n"
                "if new_hour != int(new_hour) or new_hour < 7 or new_hour + hours > 21:\n"
                "    problems.append('新场次须在7:00至21:00内按整点')\n"
                "change_refusal = '；'.join(problems)\n"
                "if not problems:\n    play_at = new_play_at\n    changes = changes + 1")
    flow("change", "check_change")
    flow("check_change", "merge_wait")
    node("open_court", "user", "开场（客服已通知保安部）", "security", 6, 0,
         "M0 网球场 3.2：提前5分钟客服通知保安部；3.1 5：参加活动者服从当班工作人员管理，到点后迅速离场；"
         "非特殊情况下每个场地最多入场六人（3.1 2）。",
         form=[F("court", "场次（场地）", "enum", readonly=True,
                 options=[("court_1", "1号场"), ("court_2", "2号场")]),
               F("play_at", "开始时间", "date", readonly=True),
               F("ticket_checked", "已核票", "boolean", required=True),
               F("admitted", "实际入场人数", "long", required=True, min=0, max=6)])
    flow("change_tb1", "open_court")
    node("end", "end", "场地已使用", "security", 7, 0)
    flow("open_court", "end")
    return {"id": "tennis_booking", "name": "网球场订场", "starters": "front_desk",
            "lanes": [("front_desk", "物业客服前台", 2), ("security", "保安部", 1)],
            "doc": "M0 网球场管理规程 3.1–3.2；procedures.md §7。"
            "规则：提前一天预订三日之内、7:00–21:00 按小时、每场最多六人；"
                   "改场须在四小时前（天气原因限当天），不退票；"
                   "TB1 开场前5分钟通知保安部。记录：《网球场订场记录》（打印页）。",
            "record": "网球场订场记录",
            "labels": {"refusal_reason": "不予订场原因", "acceptable": "符合订场规则",
                       "change_refusal": "改场未获准原因", "changes": "改场次数"}}


# -- 热水抄表续费 (M0 热水经营管理规程 3.1) -------------------------------------------------------------------

LEDGER = ("ledger = []\n"
          "ledger_problems = []\n"
          "for n, line in enumerate(meter_ledger.splitlines(), 1):\n"
          "    parts = line.split()\n"
          "    if not parts:\n"
          "        continue\n"
          "    if len(parts) != 4:\n"
          "        ledger_problems.append('第' + str(n) + '行应为：房号 业主 上期读数 本期读数')\n"
          "        continue\n"
          "    try:\n"
          "        previous = float(parts[2])\n"
          "        current = float(parts[3])\n"
          "    except ValueError:\n"
          "        ledger_problems.append('第' + str(n) + '行的读数不是数字')\n"
          "        continue\n"
          "    if current < previous:\n"
          "        ledger_problems.append('第' + str(n) + '行本期读数小于上期读数')\n"
          "        continue\n"
          "    usage = round(current - previous, 2)\n"
          "    ledger.append({'room': parts[0], 'owner': parts[1], 'previous': previous, 'current': current,\n"
          "                   'usage': usage, 'amount': round(usage * unit_price, 2)})\n"
          "if not ledger and not ledger_problems:\n"
          "    ledger_problems.append('台帐没有任何一户的读数')\n"
          "ledger_problems = '；'.join(ledger_problems)\n"
          "households = len(ledger)\n"
          "total_usage = round(sum([row['usage'] for row in ledger]), 2)\n"
          "total_amount = round(sum([row['amount'] for row in ledger]), 2)")


def hot_water_billing() -> dict:
    node("start", "start", "每季末月25日抄表", "butler", 0, 0,
         "M0 热水经营管理规程 3.1.3：管家负责通知业主每季末月25日至30日对业主家热水表进行抄表"
         "（计划启动：3、6、9、12月25日09:00）。",
         timer=("timeCycle", 'every_quarter(25, "09:00", "2026-12-25")'))
    node("opened", "script", "记录抄表期限", "butler", 1, 0,
         "抄表期限：本月30日23:59:59（25日起第5天当天结束），HW1 由此计算。",
         script="reading_due = end_of_day(add_days(now(), 5))")
    flow("start", "opened")
    node("merge_read", "xor", "", "butler", 2, 0)
    flow("opened", "merge_read")
    node("read_meters", "user", "抄表并登记用水台帐", "butler", 3, 0,
         "M0 热水 3.1.3：通知业主后于25日至30日抄表，建立用水交费情况台帐，定期登记热水用量。每户一行："
         "房号 业主 上期读数 本期读数（以空格分隔，读数单位吨）。",
         form=[F("ledger_problems", "上次提交的问题", readonly=True),
               F("unit_price", "热水单价（元/吨）", "double", required=True, min=0),
               F("meter_ledger", "抄表台帐（每户一行：房号 业主 上期读数 本期读数）", required=True, maxlength=20000,
                 long=True),
               F("owners_notified", "已通知业主抄表时间", "boolean", required=True)])
    flow("merge_read", "read_meters")
    timer("read_meters_hw1", "HW1 30日前未完成抄表", "read_meters", "timeDate", "reading_due",
          "M0 热水 3.1.3：每季末月25日至30日抄表。30日23:59:59仍未完成即记 HW1，客服主管督促。", "HW1")
    node("late_reading", "user", "抄表超期提醒", "cs_supervisor", 4, 1,
         "HW1：本季热水表未在30日前抄完，客服主管督促管家完成。", form=[grid.NOTE])
    node("late_reading_end", "end", "", "cs_supervisor", 5, 1)
    flow("read_meters_hw1", "late_reading")
    flow("late_reading", "late_reading_end")
    node("compute", "script", "计算用量与应缴金额", "butler", 4, 0,
         "按台帐逐户计算用量（本期减上期）与应缴金额（用量×单价）；格式不对的行列出，退回更正。", script=LEDGER)
    flow("read_meters", "compute")
    node("gw_ledger", "xor", "台帐无误？", "butler", 5, 0, default="f_gw_ledger__merge_read")
    flow("compute", "gw_ledger")
    flow("gw_ledger", "merge_read", "有误，退回更正", id_="f_gw_ledger__merge_read")
    node("issue_notices", "user", "下发《热水续费通知书》", "butler", 6, 0,
         "M0 热水 3.1.3–3.1.4：通知业主预存费用；管家负责下发缴费通知或以电话形式通知缴费。通知书见本流程的打印页。",
         form=[F("households", "户数", "long", readonly=True),
               F("total_amount", "应缴合计（元）", "double", readonly=True),
               F("notice_way", "通知方式", "enum", required=True, default="written",
                 options=[("written", "下发书面通知书"), ("phone", "电话通知")]),
               F("notices_issued_on", "通知日期", "date", required=True, default="now")])
    flow("gw_ledger", "issue_notices", "无误", "not ledger_problems")
    node("record_payments", "user", "登记预存热水费", "finance", 7, 0,
         "M0 热水 3.1.3：业主预存费用，登记入用水交费情况台帐。",
         form=[F("total_amount", "应缴合计（元）", "double", readonly=True),
               F("paid_households", "已预存户数", "long", required=True, min=0),
               F("paid_amount", "已收金额（元）", "double", required=True, min=0),
               F("unpaid_note", "未缴户及跟进", maxlength=2000, long=True)])
    flow("issue_notices", "record_payments")
    node("end", "end", "本季抄表续费办结", "finance", 8, 0)
    flow("record_payments", "end")
    return {"id": "hot_water_billing", "name": "热水抄表续费", "starters": "butler",
            "lanes": [("butler", "亲情管家", 1), ("cs_supervisor", "客服主管", 2), ("finance", "财务", 1)],
            "doc": "M0 热水经营管理规程 3.1.3–3.1.4；procedures.md §7。计划启动：每季末月25日09:00（定时启动事件）。"
                   "期限：HW1 30日前抄完。热水故障报修按《业主报修》（R1 15分钟到场、R2 当日回访）办理。"
                   "记录：《热水续费通知书》（每户一页的打印页）。",
            "record": "热水续费通知书", "properties": {"catchUp": "each"},
            "labels": {"reading_due": "抄表期限", "ledger": "用水台帐", "total_usage": "总用量（吨）",
                       "households": "户数", "total_amount": "应缴合计（元）"}}


# -- 品质检查 (M0 品质检查相关规程 3.1–4.8) ---------------------------------------------------------------------

AREAS = [("hygiene_order", "公共卫生、秩序维护、交通道路"), ("signage", "标识系统"),
         ("facilities", "公共设备设施及记录"), ("reception_desk", "接待台及员工工作状态"),
         ("mall", "商场内卫生"), ("parking", "地下车场"), ("archives", "各部门资料归档"), ("sealing", "1-4层商场封堵")]
QC_DEPARTMENTS = [("engineering", "工程部"), ("security", "保安部"), ("cleaning", "环境 / 保洁"),
                  ("front_desk", "前台")]


def quality_check() -> dict:
    node("start", "start", "每日品质检查", "quality_officer", 0, 0,
         "M0 品质检查 3.1：品质管理员每天至少进行抽检一次（计划启动：每天09:00）；"
         "3.3：每周品质管理负责人会同管理中心经理"
         "组织一次合成品质检查（定在每周一）。", timer=("timeCycle", 'every_day("09:00", "2026-11-04")'))
    node("opened", "script", "确定检查类型", "quality_officer", 1, 0,
         "周一为合成品质检查（2026-11-02 为周一，按7天推算），其余为日常抽检；QC1 当日完成由此起算。",
         script="check_opened_at = now()\nweekly_joint = days_between('2026-11-02', scheduled_for) % 7 == 0")
    flow("start", "opened")
    node("inspect", "user", "品质检查（填写《品质检查记录表》）", "quality_officer", 2, 0,
         "M0 品质检查 4.1–4.8：检查管理区域公共卫生、秩序维护、"
         "交通道路、标识系统、公共设备设施及记录、接待台、员工工作状态、"
         "商场及地下车场卫生、资料归档、封堵情况。发现问题的开具《品质检查整改通知单》，写明责任部门和整改期限。",
         form=[F("weekly_joint", "合成品质检查（会同管理中心经理）", "boolean", readonly=True),
               F("area", "检查区域", "enum", required=True, options=AREAS),
               F("findings", "检查情况", required=True, maxlength=2000, long=True),
               F("has_findings", "发现须整改的问题", "boolean", required=True),
               F("responsible_dept", "整改责任部门", "enum", options=QC_DEPARTMENTS),
               F("rectify_by", "整改期限", "date", min="now")])
    flow("opened", "inspect")
    timer("inspect_qc1", "QC1 当日未检查", "inspect", "timeDate", "end_of_day(check_opened_at)",
          "M0 品质检查 3.1：每天至少抽检一次。当日23:59:59仍未完成即记 QC1。", "QC1")
    node("late_inspect", "user", "当日未检查提醒", "cs_manager", 3, 1, "QC1：当日品质抽检未完成。", form=[grid.NOTE])
    node("late_inspect_end", "end", "", "cs_manager", 4, 1)
    flow("inspect_qc1", "late_inspect")
    flow("late_inspect", "late_inspect_end")
    node("gw_joint", "xor", "合成检查？", "quality_officer", 3, 0, default="f_gw_joint__merge_joint")
    flow("inspect", "gw_joint")
    node("cosign", "user", "管理中心经理确认合成检查", "cs_manager", 4, 0,
         "M0 品质检查 3.3：每周品质管理负责人会同管理中心经理组织一次合成品质检查。",
         form=[F("manager_opinion", "经理意见", required=True, maxlength=1000, long=True)])
    flow("gw_joint", "cosign", "周一合成检查", "weekly_joint")
    node("merge_joint", "xor", "", "quality_officer", 5, 0)
    flow("gw_joint", "merge_joint", "日常抽检", id_="f_gw_joint__merge_joint")
    flow("cosign", "merge_joint")
    node("gw_findings", "xor", "须整改？", "quality_officer", 6, 0, default="f_gw_findings__end")
    flow("merge_joint", "gw_findings")
    node("end", "end", "检查完毕", "quality_officer", 7, 1)
    flow("gw_findings", "end", "无问题", id_="f_gw_findings__end")
    node("notice", "script", "开具整改通知单", "quality_officer", 7, 0,
         "《品质检查整改通知单》：整改期限未填的默认3天（M0 未规定期限），未选部门的交前台。",
         script="rectify_by = rectify_by if rectify_by else add_days(now(), 3)\n"
                "responsible_dept = responsible_dept if responsible_dept else 'front_desk'\n"
                "reinspections = 0")
    flow("gw_findings", "notice", "开具整改通知单", "has_findings")
    node("merge_rectify", "xor", "", "quality_officer", 8, 0)
    flow("notice", "merge_rectify")
    node("gw_dept", "xor", "责任部门？", "quality_officer", 9, 1, default="f_gw_dept__rectify_front_desk")
    flow("merge_rectify", "gw_dept")
    node("merge_rectified", "xor", "", "quality_officer", 11, 0)
    for dept, name in QC_DEPARTMENTS:
        task = f"rectify_{dept}"
        node(task, "user", f"按整改通知单整改（{name.replace(' ', '')}）", dept, 10, 0,
             "M0 品质检查 3.2：各部门主管对本部门管理区域进行整改；按《品质检查整改通知单》的期限完成。",
             form=[F("findings", "检查情况", readonly=True), F("rectify_by", "整改期限", "date", readonly=True),
                   F("rectify_note", "整改情况", required=True, maxlength=2000, long=True)])
        timer(f"{task}_qc2", "QC2 整改超期", task, "timeDate", "rectify_by",
              "《品质检查整改通知单》的整改期限已过仍未整改：记 QC2，升级管理中心经理。", "QC2", responsible=dept)
        node(f"escalate_{dept}", "user", "整改超期升级", "cs_manager", 10 + QC_DEPARTMENTS.index((dept, name)), 1 + 0,
             "QC2：整改超期，管理中心经理督办。", form=[grid.NOTE])
        node(f"escalate_{dept}_end", "end", "", "cs_manager", 10 + QC_DEPARTMENTS.index((dept, name)), 2)
        flow(f"{task}_qc2", f"escalate_{dept}")
        flow(f"escalate_{dept}", f"escalate_{dept}_end")
        flow("gw_dept", task, name, None if dept == "front_desk" else f"responsible_dept == '{dept}'",
             id_="f_gw_dept__rectify_front_desk" if dept == "front_desk" else None)
        flow(task, "merge_rectified")
    node("reinspect", "user", "复查整改结果", "quality_officer", 12, 0,
         "整改完成后品质管理员复查：合格则关闭整改通知单；不合格则重新限期整改，并报管理中心经理。",
         form=[F("rectify_note", "整改情况", readonly=True),
               F("passed", "复查合格", "boolean", required=True),
               F("reinspect_note", "复查意见", required=True, maxlength=1000),
               F("new_rectify_by", "重新整改期限（不合格时）", "date", min="now")])
    flow("merge_rectified", "reinspect")
    node("gw_passed", "xor", "合格？", "quality_officer", 13, 0, default="f_gw_passed__again")
    flow("reinspect", "gw_passed")
    node("end_closed", "end", "整改关闭", "quality_officer", 14, 0)
    flow("gw_passed", "end_closed", "合格", "passed")
    node("again", "script", "重新限期整改", "quality_officer", 13, 2,
         "复查不合格：重新限期（未填的默认再给3天），复查次数加一。",
         script="rectify_by = new_rectify_by if new_rectify_by else add_days(now(), 3)\n"
                "reinspections = reinspections + 1")
    flow("gw_passed", "again", "不合格", id_="f_gw_passed__again")
    flow("again", "merge_rectify")
    return {"id": "quality_check", "name": "品质检查", "starters": "quality_officer",
            "lanes": [("quality_officer", "品质管理员", 3), ("cs_manager", "管理中心经理", 3),
                      ("engineering", "工程部", 1), ("security", "保安部", 1), ("cleaning", "环境 / 保洁", 1),
                      ("front_desk", "前台", 1)],
            "doc": "M0 品质检查相关规程 3.1–4.8；procedures.md §7。计划启动：每天09:00（每周一为合成品质检查）。"
                   "期限：QC1 当日完成检查，QC2 整改通知单期限。"
                   "记录：《品质检查记录表》《品质检查整改通知单》（打印页）。",
            "record": "品质检查记录表", "properties": {"catchUp": "one"},
            "labels": {"check_opened_at": "检查开始时间", "reinspections": "复查不合格次数"}}


# -- 管家走访 (M0 物业客服管家走访标准规程 3.1–3.4) ------------------------------------------------------------

PLAN_RULES = ("weekly_target = int(moved_in_households * 0.1 + 0.999)\n"
              "monthly_target = weekly_target * 4\n"
              "plan_problems = []\n"
              "if planned_visits < monthly_target:\n"
              "    plan_problems.append('计划走访户数少于每周入住户数的10%（本月至少' + str(monthly_target) + '户）')\n"
              "if phone_visits_planned * 10 > planned_visits:\n"
              "    plan_problems.append('电话走访不得超过本期走访户的10%')\n"
              "plan_problems = '；'.join(plan_problems)\n"
              "visits = 0\nphone_visits = 0\nnot_counted = 0")
VISIT_COUNT = ("if visit_way == 'phone' and (not phone_consent or (phone_visits + 1) * 10 > planned_visits):\n"
               "    not_counted = not_counted + 1\n"
               "else:\n"
               "    visits = visits + 1\n"
               "    if visit_way == 'phone':\n"
               "        phone_visits = phone_visits + 1")


def owner_visit() -> dict:
    node("start", "start", "每月初制定走访计划", "butler", 0, 0,
         "M0 管家走访 3.1.2：每月初，亲情管家制定走访计划，审批后执行（计划启动：每月1日09:00）。",
         timer=("timeCycle", 'every_month(1, "09:00")'))
    node("opened", "script", "记录计划期限", "butler", 1, 0, "OV1：计划在启动后第3个工作日17:30前报批（默认）。",
         script="month_opened_at = now()\nplan_due = add_working_days(now(), 3)")
    flow("start", "opened")
    node("merge_plan", "xor", "", "butler", 2, 0)
    flow("opened", "merge_plan")
    node("plan", "user", "制定《业主走访工作计划》", "butler", 3, 0,
         "M0 管家走访 3.1.3：走访范围为办理入住的业主，抽样走访，每周完成总办理入住户数的10%；3.1.4：以登门为主，"
         "电话走访须事先经物业客服主管同意，且不得超过本期走访户的10%；"
         "3.1.5：事先与业主约定时间，尽量安排在周末或晚间。",
         form=[F("plan_problems", "审批/核对意见", readonly=True),
               F("moved_in_households", "已办理入住户数（按入住登记）", "long", required=True, min=1),
               F("planned_visits", "本月计划走访户数", "long", required=True, min=1),
               F("phone_visits_planned", "其中电话走访户数", "long", required=True, default="0", min=0),
               F("plan_text", "走访安排（户、时间）", required=True, maxlength=4000, long=True)])
    flow("merge_plan", "plan")
    timer("plan_ov1", "OV1 计划未按时报批", "plan", "timeDate", "plan_due",
          "M0 管家走访 3.1.2：每月初制定走访计划。启动后第3个工作日17:30仍未报批即记 OV1（期限为默认值）。", "OV1")
    node("late_plan", "user", "走访计划超期提醒", "cs_supervisor", 4, 1, "OV1：本月走访计划未按时报批。",
         form=[grid.NOTE])
    node("late_plan_end", "end", "", "cs_supervisor", 5, 1)
    flow("plan_ov1", "late_plan")
    flow("late_plan", "late_plan_end")
    node("check_plan", "script", "核对走访比例", "butler", 4, 0, "3.1.3 每周10%、3.1.4 电话不超过10%。",
         script=PLAN_RULES)
    flow("plan", "check_plan")
    node("gw_plan", "xor", "符合比例？", "butler", 5, 0, default="f_gw_plan__merge_plan")
    flow("check_plan", "gw_plan")
    flow("gw_plan", "merge_plan", "不符合，修改", id_="f_gw_plan__merge_plan")
    node("approve", "user", "审批走访计划", "cs_supervisor", 6, 0,
         "M0 管家走访 3.1.2：计划审批后执行；3.1.4：电话走访应事先经物业客服主管同意。",
         form=[F("plan_approved", "批准计划", "boolean", required=True),
               F("phone_consent", "同意电话走访", "boolean", required=True, default="false"),
               F("approval_note", "审批意见", maxlength=1000)])
    flow("gw_plan", "approve", "符合", "not plan_problems")
    node("gw_approved", "xor", "批准？", "cs_supervisor", 7, 0, default="f_gw_approved__back")
    flow("approve", "gw_approved")
    node("back", "script", "退回修改", "cs_supervisor", 7, 2,
         script="plan_problems = '主管未批准：' + (approval_note or '')")
    flow("gw_approved", "back", "退回", id_="f_gw_approved__back")
    flow("back", "merge_plan")
    node("merge_visit", "xor", "", "butler", 8, 0)
    flow("gw_approved", "merge_visit", "批准", "plan_approved")
    node("visit", "user", "登记一次走访（《业主走访记录》）", "butler", 9, 0,
         "M0 管家走访 3.2：说明走访目的并致谢；从保安、保洁、工程、社区文化等核心业务征集被走访人的感受、建议、不满；"
         "了解潜在需求及改进建议，不清楚的事件不能直接承诺或答复。"
         "3.3：着工装、佩工牌，不接受馈赠，不谈隐私及公司内部管理。",
         form=[F("visit_room", "被走访户房号", required=True, maxlength=32),
               F("visit_owner", "被走访人", required=True, maxlength=50),
               F("visit_way", "走访方式", "enum", required=True, default="door",
                 options=[("door", "登门走访"), ("phone", "电话走访（须主管同意）")]),
               F("on_security", "对保安的感受", maxlength=500), F("on_cleaning", "对保洁的感受", maxlength=500),
               F("on_engineering", "对工程的感受", maxlength=500), F("on_culture", "对社区文化的感受", maxlength=500),
               F("needs", "潜在需求及改进建议", maxlength=1000, long=True),
               F("unanswered", "当面无法答复的问题", maxlength=1000, long=True),
               F("more_visits", "继续登记下一户", "boolean", required=True)])
    flow("merge_visit", "visit")
    node("count", "script", "计入走访数量", "butler", 10, 0,
         "3.1.4：未经主管同意或超过10%的电话走访不计入走访户数。", script=VISIT_COUNT)
    flow("visit", "count")
    node("gw_more", "xor", "继续？", "butler", 11, 0, default="f_gw_more__summary")
    flow("count", "gw_more")
    flow("gw_more", "merge_visit", "下一户", "more_visits")
    node("summary", "user", "汇总本月走访记录", "butler", 12, 0,
         "M0 管家走访 3.1.1：亲情管家负责走访记录的汇总、分析；3.4.3：每月公布业主走访数量。",
         form=[F("visits", "计入的走访户数", "long", readonly=True),
               F("phone_visits", "其中电话走访", "long", readonly=True),
               F("summary_text", "汇总分析（共性问题、需答复事项）", required=True, maxlength=4000, long=True),
               F("written_reply_needed", "有须书面答复的问题", "boolean", required=True)])
    flow("gw_more", "summary", "本月完毕", id_="f_gw_more__summary")
    node("summarized", "script", "记录汇总时间", "butler", 13, 0, "OV2（汇总3日内书面回复）由此起算。",
         script="summarized_at = now()\ntarget_met = visits >= monthly_target")
    flow("summary", "summarized")
    node("review", "user", "审阅走访记录，商定回复意见", "cs_supervisor", 14, 0,
         "M0 管家走访 3.4.1：物业客服主管审阅每个人的走访记录，"
         "与走访人共同商定处理办法及回复意见，共性或疑难问题上报公司。",
         form=[F("reply_plan", "处理办法及回复意见", required=True, maxlength=2000, long=True),
               F("report_to_company", "共性/疑难问题上报公司", "boolean", required=True, default="false")])
    flow("summarized", "review")
    node("gw_reply", "xor", "须书面答复？", "butler", 15, 0, default="f_gw_reply__publish")
    flow("review", "gw_reply")
    node("reply", "user", "书面回复业主（《走访意见反馈书》）", "butler", 16, 1,
         "M0 管家走访 3.4.2：被走访人的特殊问题当面无法予以解答的，在汇总3日内以书面形式进行回复。",
         form=[F("reply_text", "书面回复内容", required=True, maxlength=4000, long=True),
               F("replied_on", "回复日期", "date", required=True, default="now")])
    flow("gw_reply", "reply", "须书面答复", "written_reply_needed")
    timer("reply_ov2", "OV2 3日内未书面回复", "reply", "timeDate", "add_days(summarized_at, 3)",
          "M0 管家走访 3.4.2：汇总3日内书面回复。超时记 OV2。", "OV2")
    node("late_reply", "user", "书面回复超期提醒", "cs_supervisor", 17, 2, "OV2：走访问题未在汇总3日内书面回复。",
         form=[grid.NOTE])
    node("late_reply_end", "end", "", "cs_supervisor", 18, 2)
    flow("reply_ov2", "late_reply")
    flow("late_reply", "late_reply_end")
    node("merge_reply", "xor", "", "butler", 17, 0)
    flow("gw_reply", "merge_reply", "无", id_="f_gw_reply__publish")
    flow("reply", "merge_reply")
    node("publish", "user", "公布本月走访数量", "butler", 18, 0,
         "M0 管家走访 3.4.3：每月公布业主走访数量；3.4.4：对共性意见进行公开回复，公开回复的不必另行回访。",
         form=[F("visits", "本月走访户数", "long", readonly=True),
               F("public_reply", "共性意见公开回复", maxlength=4000, long=True)])
    flow("merge_reply", "publish")
    node("end", "end", "本月走访办结", "butler", 19, 0)
    flow("publish", "end")
    return {"id": "owner_visit", "name": "管家走访", "starters": "butler",
            "lanes": [("butler", "亲情管家", 2), ("cs_supervisor", "物业客服主管", 3)],
            "doc": "M0 物业客服管家走访标准规程 3.1–3.4；"
            "procedures.md §7。计划启动：每月1日09:00。规则：每周入住户数10%、"
                   "电话走访须主管同意且不超过10%。期限：OV1 计划报批（启动后第3个工作日，"
                   "默认），OV2 汇总3日内书面回复。"
                   "记录：《业主走访工作计划》《业主走访记录》《走访意见反馈书》（打印页）。",
            "record": "业主走访记录", "properties": {"catchUp": "one"},
            "labels": {"weekly_target": "每周应走访户数", "monthly_target": "本月应走访户数",
                       "plan_due": "计划报批期限",
                       "not_counted": "不计入的电话走访", "summarized_at": "汇总时间", "target_met": "完成走访比例",
                       "month_opened_at": "本月开始"}}


MODELS: list[Callable[[], dict]] = [reception, key_loan, parcel_storage, tennis_booking, hot_water_billing,
                                    quality_check, owner_visit]


def render(model: Callable[[], dict]) -> tuple[str, str]:
    grid.nodes.clear()
    grid.bounds.clear()
    grid.flows.clear()
    m = model()
    grid.LANES = m["lanes"]
    grid.DATA_LABELS = m["labels"]
    pid = m["id"]
    lay = grid.Layout()
    body = grid.process_xml(lane_set=f"{pid}_lanes")
    props = (f'<camunda:properties><camunda:property name="record" value={quoteattr(m["record"])}/>'
             + "".join(f'<camunda:property name="{k}" value={quoteattr(v)}/>'
                       for k, v in m.get("properties", {}).items())
             + "".join(f'<camunda:property name="label:{k}" value={quoteattr(v)}/>' for k, v in m["labels"].items())
             + "</camunda:properties>")
    body = body.replace(f"<bpmn:extensionElements>{grid._props({f'label:{k}': v for k, v in m['labels'].items()})}"
                        "</bpmn:extensionElements>", f"<bpmn:extensionElements>{props}</bpmn:extensionElements>", 1)
    doc = f"<bpmn:documentation>{grid.escape(m['doc'])}</bpmn:documentation>"
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- {m['name']} (procedures.md §7). Generated first by tests/tools/manual_bpmn.py; edit in bpmn-js. -->
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="defs_{pid}" targetNamespace="http://wuye.example/processes">
  <bpmn:collaboration id="collab_{pid}">
    <bpmn:participant id="p_{pid}" name="{m['name']}" processRef="{pid}"/>
  </bpmn:collaboration>
  <bpmn:process id="{pid}" name="{m['name']}" isExecutable="true" camunda:candidateStarterGroups="{m['starters']}">
    {doc}
    {body}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="{pid}_diagram">
    <bpmndi:BPMNPlane id="{pid}_plane" bpmnElement="collab_{pid}">
      {grid.diagram_xml(lay, pool=f"p_{pid}")}
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
    return pid, xml


if __name__ == "__main__":
    for build in MODELS:
        pid, xml = render(build)
        (OUT / f"{pid}.bpmn").write_text(xml, encoding="utf-8")
        print(f"wrote {OUT / (pid + '.bpmn')}")
