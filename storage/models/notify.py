"""Notifications: the outbox (one row per recipient, channel and event), the channels a company
configures, and each user's contact settings (phone, e-mail, quiet hours).

The contact settings are a table of their own, apart from ``users``: a user's name and phone on
the users table belong to user administration; these are only where and when to reach them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigId, UtcDateTime


class Notification(Base):
    """One notice to one recipient over one channel. ``key`` names the event that caused it
    (``task_ready:<task>``, ``due_soon:<task>`` …): (key, recipient, channel) is unique, so a step
    or sweep that runs again never writes a second one. In-app notices are delivered when written
    (``sent_at``); the others wait in the outbox for the worker (``next_attempt_at``)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("key", "recipient", "channel", name="uq_notification_once"),
                      Index("ix_notification_pending", "sent_at", "next_attempt_at"),
                      Index("ix_notification_recipient", "recipient", "channel", "read_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))        # new_task|assigned|due_soon|overdue|escalated
    recipient: Mapped[str] = mapped_column(String(100))  # a user name, or group:<id> for a group webhook
    channel: Mapped[str] = mapped_column(String(40))     # inapp, or a channel's name
    address: Mapped[str] = mapped_column(String(200), default="")   # phone, e-mail, or '' (in-app, webhook)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    instance_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # quiet hours, backoff
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)   # gave up
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class NotifyChannel(Base):
    """An outgoing channel: ``kind`` sms (Aliyun SMS), wecom, dingtalk (group robots) or email
    (SMTP), with its settings (endpoint, keys, template, the groups a robot speaks for)."""

    __tablename__ = "notify_channels"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NotifyContact(Base):
    """Where and when to reach one user outside the app: quiet hours are local times (HH:MM,
    Asia/Shanghai); SMS and e-mail written inside them wait until they end."""

    __tablename__ = "notify_contacts"

    user_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    quiet_from: Mapped[str] = mapped_column(String(5), default="")
    quiet_to: Mapped[str] = mapped_column(String(5), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
