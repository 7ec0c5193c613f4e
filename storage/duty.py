"""The repository of who answers for a group: heads, supervisors and the duty roster."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import DutyShift, GroupLead, Task, User, UserGroup


class DutyRepository:
    def __init__(self, session: Session):
        self.s = session

    def leads(self) -> dict[str, GroupLead]:
        return {r.group_id: r for r in self.s.scalars(select(GroupLead))}

    def lead(self, group_id: str) -> GroupLead | None:
        return self.s.get(GroupLead, group_id)

    def set_lead(self, group_id: str, head: str | None, supervisor: str | None, by: str, at: datetime) -> None:
        row = self.s.get(GroupLead, group_id)
        if row is None:
            row = GroupLead(group_id=group_id)
            self.s.add(row)
        row.head, row.supervisor, row.set_by, row.set_at = head, supervisor, by, at
        self.s.flush()

    def on_duty(self, group_id: str, at: datetime) -> str | None:
        """Who is on duty for ``group_id`` at ``at``: the shift begun last that covers it."""
        return self.s.scalar(select(DutyShift.user_name)
                             .where(DutyShift.group_id == group_id, DutyShift.starts_at <= at, DutyShift.ends_at > at)
                             .order_by(DutyShift.starts_at.desc(), DutyShift.id.desc()).limit(1))

    def shifts(self, group_id: str | None = None, since: datetime | None = None) -> list[DutyShift]:
        q = select(DutyShift).order_by(DutyShift.starts_at, DutyShift.group_id, DutyShift.id)
        if group_id:
            q = q.where(DutyShift.group_id == group_id)
        if since is not None:
            q = q.where(DutyShift.ends_at > since)
        return list(self.s.scalars(q))

    def add_shift(self, group_id: str, user: str, starts: datetime, ends: datetime, by: str) -> DutyShift:
        row = DutyShift(group_id=group_id, user_name=user, starts_at=starts, ends_at=ends, set_by=by)
        self.s.add(row)
        self.s.flush()
        return row

    def remove_shift(self, shift_id: int) -> bool:
        found = self.s.get(DutyShift, shift_id)
        if found is None:
            return False
        self.s.execute(delete(DutyShift).where(DutyShift.id == shift_id))
        return True

    def completed_by(self, instance_id: int, task_name: str) -> tuple[str | None, str | None] | None:
        """(who completed, its lane) the latest completed task ``task_name`` of the instance: who did
        a step a later one finds fault with (the record the daily audit reads)."""
        row = self.s.execute(select(Task.completed_by, Task.lane)
                             .where(Task.instance_id == instance_id, Task.name == task_name, Task.state == "completed")
                             .order_by(Task.completed_at.desc()).limit(1)).first()
        return (row[0], row[1]) if row else None

    def groups_of(self, user: str) -> list[str]:
        """The groups of ``user`` by id (the department whose head answers with them)."""
        return sorted(self.s.scalars(select(UserGroup.group_id).join(User, User.id == UserGroup.user_id)
                                     .where(User.name == user)))
