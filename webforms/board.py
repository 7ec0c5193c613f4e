"""The supervisor's board (看板): every group's overdue, due-soon and open work with who holds it;
a supervisor hands a task on by choosing one of its group's members (the inbox's assign action,
which comes back here)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.usecases.board import board
from webforms.calls import show

bp = Blueprint("board", __name__)


@bp.route("/board")
@login_required
def index() -> ResponseReturnValue:
    return render_template("board.html", **show(board))
