"""The manuals' record forms as printable pages, filled from what an instance recorded (its data,
its events, who completed which step and when, its violations), laid out as the paper form the
manual names, with print styles: 《物业接待记录》, 《钥匙领用登记表》, 《物品寄存委托书》,
《网球场订场记录》, 《品质检查记录表》 (with its 整改通知单), a month's 《业主走访记录》 (every visit),
a quarter's 《热水续费通知书》 (one per household) and a month's 《投诉处理情况月报表》.

Why here and not a stored document like the collection letters: a record form is a view of the
instance as it is now (it fills in as the work goes on), not a document issued once; the history
proves each value, so the page is read from the same projection as the instance page."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.usecases.instance_overview import instance_overview
from webforms.calls import show

bp = Blueprint("records", __name__)

# process id -> (the record form's title as the manual names it, its form number in the manual)
RECORDS: dict[str, tuple[str, str]] = {
    "reception": ("物业接待记录", "M3 第2篇 5.1"),
    "key_loan": ("钥匙领用登记表", "M3 第3篇 6.1"),
    "parcel_storage": ("物品寄存委托书", "地王/客服记录-14"),
    "tennis_booking": ("网球场订场记录", "地王/客服记录-13"),
    "hot_water_billing": ("热水续费通知书", "地王/客服记录-12"),
    "quality_check": ("品质检查记录表", "地王/客服记录-10"),
    "owner_visit": ("业主走访记录", "地王/客服记录-07/08/09"),
    "complaint": ("投诉处理单", "M3 第2篇 投诉处理"),
    "repair": ("派工单 / 维修单", "M3 第2篇 报修"),
    "move_in": ("业主入住办理单", "M0 入住"),
    "monthly_complaint_report": ("投诉处理情况月报表", "M1 第十六条"),
}


@bp.route("/instances/<int:instance_id>/record")
@login_required
def record(instance_id: int) -> ResponseReturnValue:
    overview = show(instance_overview, instance_id=instance_id)
    form = RECORDS.get(overview["process"])
    if form is None:
        abort(404)
    done = {t["name"]: t for t in overview["done"] if t.get("completed_at")}
    return render_template(f"records/{overview['process']}.html", i=overview, d=overview["data"], done=done,
                           title=form[0], form_no=form[1])
