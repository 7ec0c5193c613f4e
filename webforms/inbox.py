"""The task inbox: the tasks of the user's groups and those assigned to them, filters, a fragment
the page polls to show new tasks without a reload, and claim / unclaim / assign.

The list comes in pages of INBOX_PAGE_SIZE (a phone cannot show 500 cards); "更多" continues after
the last task of the page (an opaque keyset cursor in ``after``, the filters kept in the link). The
poll refreshes the page being read, not the first one: the cursor fixes where the page starts, so a
refreshed page 2 shows exactly the tasks now after page 1's last row, and new urgent tasks, which
land on page 1, announce themselves in the navigation counts that every poll updates."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.errors import BadInput
from engine.usecases.browse import inbox_page
from engine.usecases.tasks import assign_task, claim_task, unclaim_task
from webforms.auth import safe_next
from webforms.calls import act, navigation_counts, show
from webforms.errors import split_message

bp = Blueprint("inbox", __name__)


def _page() -> dict[str, Any]:
    """The page the URL asks for (its filters; ``after``: where it starts), read with the
    navigation, and the query arguments (filters) its "更多" link must keep."""
    a = request.args
    page = show(inbox_page, ask_all=a.get("all") == "1", limit=current_app.config["INBOX_PAGE_SIZE"],
                after=a.get("after") or None, process_id=a.get("process") or None, lane=a.get("lane") or None,
                room=a.get("room") or None, overdue=a.get("overdue") == "1", unassigned=a.get("unassigned") == "1")
    page["filters"] = {"process_id": a.get("process") or None, "overdue": a.get("overdue") == "1",
                       "every_group": page["every_group"], "unassigned": a.get("unassigned") == "1"}
    page["filter_args"] = {k: v for k, v in a.items() if k != "after"}
    return page


@bp.route("/")
@login_required
def home() -> ResponseReturnValue:
    return redirect(url_for("inbox.index"))


@bp.route("/inbox")
@login_required
def index() -> ResponseReturnValue:
    page = _page()
    tasks, filters = page["tasks"], page["filters"]
    processes = {t["process"]: t["process_name"] for t in tasks}
    if filters["process_id"]:
        processes.setdefault(filters["process_id"], filters["process_id"])
    return render_template("inbox.html", tasks=tasks, filters=filters, args=request.args,
                           process_choices=processes, lane_choices=page["lanes"], next_cursor=page["next"],
                           filter_args=page["filter_args"], cases=page["cases"])


@bp.route("/inbox/fragment")
@login_required
def fragment() -> ResponseReturnValue:
    """The task list alone, polled by static/app.js; the counts ride along in headers."""
    page = _page()
    counts = navigation_counts()
    resp = render_template("_task_list.html", tasks=page["tasks"], args=request.args, next_cursor=page["next"],
                           filter_args=page["filter_args"], cases=page["cases"])
    return resp, 200, {"X-Inbox-Count": str(counts["inbox"]), "X-Inbox-Overdue": str(counts["overdue"])}


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: str) -> ResponseReturnValue:
    task = act(claim_task, task_id=task_id)
    flash(f"已认领：{task['title']}", "success")
    return redirect(safe_next(request.form.get("next")))


@bp.route("/tasks/<task_id>/unclaim", methods=["POST"])
@login_required
def unclaim(task_id: str) -> ResponseReturnValue:
    task = act(unclaim_task, task_id=task_id)
    flash(f"已退回组内：{task['title']}", "success")
    return redirect(safe_next(request.form.get("next")))


@bp.route("/tasks/<task_id>/assign", methods=["POST"])
@login_required
def assign(task_id: str) -> ResponseReturnValue:
    assignee = (request.form.get("assignee") or "").strip()
    try:
        task = act(assign_task, task_id=task_id, assignee=assignee)
    except BadInput as e:          # back to the page it came from, the reason in a notice there
        flash(split_message(e.message)[0], "error")
        return redirect(safe_next(request.form.get("next")))
    flash(f"已分派给 {assignee}：{task['title']}" if assignee else f"已取消分派：{task['title']}", "success")
    return redirect(safe_next(request.form.get("next")))
