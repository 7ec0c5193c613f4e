"""The service desk in the JSON API (issue 11), authenticated like the rest of /api:

- ``GET  /api/search?q=``                 ``{"q", "terms", "results": [{"kind": "owner"|"instance", …}]}``
- ``POST /api/tasks/<id>/attachments``    multipart ``file``: 201 ``{"id", "sha256", "content_type", …}``; 422
- ``GET  /api/attachments/<id>``          the file (``?thumb=1``: its thumbnail)
- ``POST /api/instances/<id>/payments``   ``{"amount", "channel", "receipt_no", "paid_at"}`` (and
  ``confirm_overpayment`` / ``confirm_short``): 200 with the instance's ready tasks and the payment"""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from engine.usecases.attachments import add_attachment, get_attachment
from engine.usecases.payments import record_payment
from engine.usecases.search import search
from webforms.api import _authenticate, _body
from webforms.calls import act, read
from webforms.desk import file_response
from webforms.security import csrf
from webforms.uploads import uploaded_file

bp = Blueprint("desk_api", __name__, url_prefix="/api")
csrf.exempt(bp)                 # checked by _authenticate, for cookie-authenticated calls only
bp.before_request(_authenticate)


@bp.route("/search")
def search_api() -> ResponseReturnValue:
    return jsonify(read(search, q=request.args.get("q", "")))


@bp.route("/tasks/<task_id>/attachments", methods=["POST"])
def upload(task_id: str) -> ResponseReturnValue:
    name, content = uploaded_file()
    done = act(add_attachment, task_id=task_id, name=name, content=content)
    return jsonify(done), 201


@bp.route("/attachments/<int:attachment_id>")
def attachment(attachment_id: int) -> ResponseReturnValue:
    return file_response(read(get_attachment, attachment_id=attachment_id, thumbnail=request.args.get("thumb") == "1"))


@bp.route("/instances/<int:instance_id>/payments", methods=["POST"])
def payment(instance_id: int) -> ResponseReturnValue:
    body = _body()
    return jsonify(act(record_payment, instance_id=instance_id, amount=body.get("amount"),
                       channel=body.get("channel"), receipt_no=body.get("receipt_no"), paid_at=body.get("paid_at"),
                       confirm_overpayment=body.get("confirm_overpayment") is True,
                       confirm_short=body.get("confirm_short") is True))
