"""The notification outbox and its settings (storage.models.notify)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, func, literal, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Notification, NotifyChannel, NotifyContact, Task


class NotificationRepository:
    def __init__(self, session: Session):
        self.s = session

    # -- writing the outbox ------------------------------------------------------------------------

    def add_new(self, rows: Sequence[dict[str, Any]]) -> int:
        """Write the rows whose (key, recipient, channel) is not there yet; returns how many. The
        unique constraint is the guarantee, this look-up only keeps the transaction from failing
        on a notice an earlier run already wrote."""
        if not rows:
            return 0
        keys = {r["key"] for r in rows}
        have = {(k, r, c) for k, r, c in self.s.execute(select(Notification.key, Notification.recipient,
                                                                  Notification.channel)
                                                           .where(Notification.key.in_(keys)))}
        fresh = []
        for r in rows:
            ident = (r["key"], r["recipient"], r["channel"])
            if ident not in have:
                have.add(ident)
                fresh.append(Notification(**r))
        self.s.add_all(fresh)
        self.s.flush()
        return len(fresh)

    def keys_present(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        return set(self.s.scalars(select(Notification.key).where(Notification.key.in_(list(keys))).distinct()))

    # -- the worker's side ---------------------------------------------------------------------------

    def due(self, now: datetime, limit: int) -> list[int]:
        """Ids of outgoing notices waiting to be sent at ``now``, oldest first."""
        q = (select(Notification.id).where(Notification.sent_at.is_(None), Notification.failed_at.is_(None),
                                           Notification.next_attempt_at <= now)
             .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
        return list(self.s.scalars(q))

    def claim(self, notice_id: int, now: datetime) -> Notification | None:
        """The notice, row-locked (SKIP LOCKED on PostgreSQL), if it still waits to be sent."""
        q = select(Notification).where(Notification.id == notice_id, Notification.sent_at.is_(None),
                                       Notification.failed_at.is_(None), Notification.next_attempt_at <= now)
        if self.s.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        found: Notification | None = self.s.scalars(q).first()
        return found

    def get(self, notice_id: int) -> Notification | None:
        return self.s.get(Notification, notice_id)

    def next_due(self) -> datetime | None:
        at: datetime | None = self.s.scalar(select(func.min(Notification.next_attempt_at))
                                            .where(Notification.sent_at.is_(None), Notification.failed_at.is_(None)))
        return at

    # -- the in-app list ---------------------------------------------------------------------------

    def inbox(self, user: str, limit: int = 100) -> list[Notification]:
        q = (select(Notification).where(Notification.recipient == user, Notification.channel == "inapp")
             .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
        return list(self.s.scalars(q))

    def unread(self, user: str) -> int:
        return int(self.s.scalar(select(func.count()).select_from(Notification).where(
            Notification.recipient == user, Notification.channel == "inapp", Notification.read_at.is_(None))) or 0)

    def mark_read(self, user: str, ids: Sequence[int] | None, now: datetime) -> int:
        q = update(Notification).where(Notification.recipient == user, Notification.channel == "inapp",
                                       Notification.read_at.is_(None))
        if ids is not None:
            q = q.where(Notification.id.in_(list(ids)))
        return int(self.s.execute(q.values(read_at=now)).rowcount or 0)   # type: ignore[attr-defined]

    def sent(self, channel: str | None = None, limit: int = 50) -> list[Notification]:
        """The latest outgoing notices (what the settings page shows: sent, waiting, failed)."""
        q = select(Notification).where(Notification.channel != "inapp")
        if channel:
            q = q.where(Notification.channel == channel)
        return list(self.s.scalars(q.order_by(Notification.id.desc()).limit(limit)))

    # -- tasks the due sweep looks at ------------------------------------------------------------

    def tasks_due_by(self, now: datetime, soon: datetime, limit: int) -> list[Task]:
        """Ready tasks due by ``soon`` still owed a notice: an overdue one (due by ``now``) until it
        has had its overdue notice, one due soon until it has had its due-soon notice; soonest first."""
        def told(prefix: str) -> Any:
            return select(Notification.id).where(Notification.key == literal(prefix, String).concat(Task.id)).exists()
        q = (select(Task).where(Task.state == "ready", Task.due_at.is_not(None), Task.due_at <= soon, ~told("overdue:"),
                                or_(Task.due_at <= now, ~told("due_soon:")))
             .order_by(Task.due_at).limit(limit))
        return list(self.s.scalars(q))

    # -- settings ------------------------------------------------------------------------------------

    def channels(self, enabled_only: bool = False) -> list[NotifyChannel]:
        q = select(NotifyChannel).order_by(NotifyChannel.name)
        if enabled_only:
            q = q.where(NotifyChannel.enabled.is_(True))
        return list(self.s.scalars(q))

    def channel(self, name: str) -> NotifyChannel | None:
        return self.s.get(NotifyChannel, name)

    def put_channel(self, name: str, kind: str, enabled: bool, settings: dict[str, Any], at: datetime) -> None:
        held = self.s.get(NotifyChannel, name)
        if held is None:
            self.s.add(NotifyChannel(name=name, kind=kind, enabled=enabled, settings=settings, updated_at=at))
        else:
            held.kind, held.enabled, held.settings, held.updated_at = kind, enabled, dict(settings), at
        self.s.flush()

    def contacts(self, names: Sequence[str] | None = None) -> dict[str, NotifyContact]:
        q = select(NotifyContact)
        if names is not None:
            q = q.where(NotifyContact.user_name.in_(list(names)))
        return {c.user_name: c for c in self.s.scalars(q)}

    def put_contact(self, user: str, phone: str, email: str, quiet_from: str, quiet_to: str, at: datetime) -> None:
        held = self.s.get(NotifyContact, user)
        if held is None:
            self.s.add(NotifyContact(user_name=user, phone=phone, email=email, quiet_from=quiet_from,
                                     quiet_to=quiet_to, updated_at=at))
        else:
            held.phone, held.email, held.quiet_from, held.quiet_to, held.updated_at = (phone, email, quiet_from,
                                                                                        quiet_to, at)
        self.s.flush()


__all__ = ["NotificationRepository"]
