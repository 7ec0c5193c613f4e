"""Photos and PDFs attached to a task (the repair's before/after photos, the 验房 sheet, a posted
letter's photo for 张贴并拍照留证): checked and re-encoded (engine/rules/attachments.py), stored in
the file store under their SHA-256 (storage/files.py), and recorded as an ``attachment_added`` event
carrying that hash, so the audit chain covers the file itself, not only its name.

Who may attach: whoever works on the case (engine/usecases/case_view.works_on_case) and supervisors;
who may open one: whoever may see the case (engine/usecases/case_access.py)."""
from __future__ import annotations

import hashlib
from typing import Any

from engine.clock import Clock
from engine.errors import NotFound, NotPermitted
from engine.rules.attachments import prepare_file
from engine.rules.permissions import SYSTEM, Actor
from engine.usecases.case_access import may_view_case
from engine.usecases.case_view import works_on_case
from engine.usecases.runner import reads, writes
from storage.files import file_store
from storage.models import Attachment
from storage.uow import UnitOfWork


def attachment_json(a: Attachment) -> dict[str, Any]:
    return {"id": a.id, "instance": a.instance_id, "task": a.task_id, "task_title": a.task_title, "name": a.name,
            "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
            "original_sha256": a.original_sha256, "thumbnail": a.thumb_sha256 is not None,
            "width": a.width, "height": a.height, "taken_at": a.taken_at, "uploaded_by": a.uploaded_by,
            "uploaded_at": a.uploaded_at.isoformat()}


@writes
def add_attachment(uow: UnitOfWork, *, actor: Actor, clock: Clock, task_id: str, name: str,
                   content: bytes) -> dict[str, Any]:
    task = uow.tasks.get(task_id)
    if task is None:
        raise NotFound(f"没有此任务 (no task {task_id})")
    instance = uow.instances.get(task.instance_id)
    if instance is None:
        raise NotFound(f"没有此流程实例 (no instance {task.instance_id})")
    if actor is not SYSTEM and not actor.is_supervisor and \
            not works_on_case(actor, instance, uow.tasks.for_instance(instance.id)):
        raise NotPermitted(f"{actor.name} 不处理此案件，不能上传附件 (only those working on the case may attach files)")
    prepared = prepare_file(content)
    store = file_store(uow.database_file)
    sha = store.put(prepared.content)
    thumb = store.put(prepared.thumbnail) if prepared.thumbnail is not None else None
    row = uow.attachments.add(Attachment(
        instance_id=instance.id, task_id=task.id, task_title=task.title, name=(name or "附件")[-200:],
        content_type=prepared.content_type, size=len(prepared.content), sha256=sha,
        original_sha256=hashlib.sha256(content).hexdigest(), thumb_sha256=thumb, width=prepared.width,
        height=prepared.height, taken_at=prepared.taken_at, uploaded_by=actor.name, uploaded_at=clock.now()))
    uow.events.append(type="attachment_added", actor=actor.name, at=clock.now(), instance_id=instance.id,
                      task_id=task.id, data={"attachment": row.id, "name": row.name, "content_type": row.content_type,
                                             "size": row.size, "sha256": sha, "original_sha256": row.original_sha256,
                                             "thumbnail_sha256": thumb, "taken_at": row.taken_at})
    return attachment_json(row)


@reads
def get_attachment(uow: UnitOfWork, *, actor: Actor, clock: Clock, attachment_id: int,
                   thumbnail: bool = False) -> dict[str, Any]:
    """The file's bytes (or its thumbnail's) with its type, for whoever may see the case."""
    row = uow.attachments.get(attachment_id)
    instance = uow.instances.get(row.instance_id) if row is not None else None
    if row is None or instance is None:
        raise NotFound(f"没有此附件 (no attachment {attachment_id})")
    may_view_case(uow, actor, instance)
    sha = row.thumb_sha256 if thumbnail and row.thumb_sha256 else row.sha256
    content = file_store(uow.database_file).get(sha)
    return {**attachment_json(row), "content": content,
            "served_type": "image/jpeg" if thumbnail and row.thumb_sha256 else row.content_type}


def attachments_of(uow: UnitOfWork, instance_id: int) -> list[dict[str, Any]]:
    """The instance's attachments, oldest first (the instance page, the task page, the evidence pack)."""
    return [attachment_json(a) for a in uow.attachments.for_instance(instance_id)]
