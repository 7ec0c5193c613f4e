"""Attachments' rows (storage.models.desk.Attachment); their bytes are in the file store (storage.files)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Attachment


class AttachmentRepository:
    def __init__(self, session: Session):
        self.s = session

    def add(self, attachment: Attachment) -> Attachment:
        self.s.add(attachment)
        self.s.flush()
        return attachment

    def get(self, attachment_id: int) -> Attachment | None:
        return self.s.get(Attachment, attachment_id)

    def for_instance(self, instance_id: int) -> list[Attachment]:
        return list(self.s.scalars(select(Attachment).where(Attachment.instance_id == instance_id)
                                   .order_by(Attachment.id)))
