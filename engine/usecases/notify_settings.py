"""The notification settings an administrator keeps: the outgoing channels (Aliyun SMS, WeCom and
DingTalk robots, SMTP) and each user's phone, e-mail and quiet hours; and what was sent lately.
Secrets are never shown back: a field left empty on an edit keeps the stored value."""
from __future__ import annotations

import re
from typing import Any

from engine.clock import Clock, to_iso
from engine.errors import BadInput, NotFound
from engine.notify import channels as wire
from engine.notify.outbox import KINDS
from engine.rules.groups import GROUPS
from engine.rules.permissions import Actor
from engine.usecases.notifications import may_configure
from engine.usecases.runner import reads, writes
from storage.uow import UnitOfWork

KIND_NAMES = {"sms": "短信（阿里云）", "wecom": "企业微信群机器人", "dingtalk": "钉钉群机器人",
              "email": "电子邮件（SMTP）"}
OPTIONAL = {"sms": ("endpoint", "region"), "wecom": ("endpoint",), "dingtalk": ("endpoint", "secret"),
            "email": ("port", "user", "password", "starttls")}
NAME = re.compile(r"[a-z0-9_-]{1,40}")
PHONE = re.compile(r"1[3-9][0-9]{9}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,185}\.[A-Za-z]{2,}")
HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def _field(name: str, message: str) -> BadInput:
    return BadInput(f"{name}: {message}", fields={name: {"key": f"notify.{name}", "message": message}})


@reads
def notify_settings(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    may_configure(actor)
    contacts = uow.notifications.contacts()
    users = [{"name": n, "display_name": d or n, "phone": getattr(contacts.get(n), "phone", ""),
              "email": getattr(contacts.get(n), "email", ""), "quiet_from": getattr(contacts.get(n), "quiet_from", ""),
              "quiet_to": getattr(contacts.get(n), "quiet_to", "")}
             for n, d in uow.users.members(None) if n != "system"]
    channels = [{"name": c.name, "kind": c.kind, "kind_name": KIND_NAMES.get(c.kind, c.kind), "enabled": c.enabled,
                 "settings": {k: ("••••••" if k in wire.SECRETS and v else v) for k, v in c.settings.items()}}
                for c in uow.notifications.channels()]
    recent = [{"id": n.id, "channel": n.channel, "recipient": n.recipient, "title": n.title,
               "attempts": n.attempts, "error": n.error,
               "state": "sent" if n.sent_at else "failed" if n.failed_at else "waiting",
               "at": to_iso(n.sent_at or n.failed_at or n.next_attempt_at or n.created_at)}
              for n in uow.notifications.sent(limit=30)]
    return {"channels": channels, "users": users, "recent": recent, "kinds": KINDS, "kind_names": KIND_NAMES,
            "groups": GROUPS, "required": wire.REQUIRED, "optional": OPTIONAL}


@writes
def save_channel(uow: UnitOfWork, *, actor: Actor, clock: Clock, name: str, kind: str, enabled: bool,
                 settings: dict[str, str], kinds: list[str] | None = None,
                 groups: list[str] | None = None) -> dict[str, Any]:
    """Add or change a channel; every refusal names its field (``settings.host`` …)."""
    may_configure(actor)
    if not NAME.fullmatch(name or ""):
        raise _field("name", "渠道名称只能用小写字母、数字、_ 和 -，最多 40 个字符")
    if kind not in wire.REQUIRED:
        raise _field("kind", "请选择渠道类型")
    held = uow.notifications.channel(name)
    if held is not None and held.kind != kind:
        raise _field("kind", f"渠道 {name} 已是{KIND_NAMES[held.kind]}，不能改类型")
    old = dict(held.settings) if held is not None else {}
    allowed = set(wire.REQUIRED[kind]) | set(OPTIONAL[kind])
    kept: dict[str, Any] = {}
    for key in allowed:
        value = (settings.get(key) or "").strip()
        if not value and key in wire.SECRETS and key in old:
            value = old[key]                       # a secret left empty keeps the stored one
        if value:
            kept[key] = value
    for key in wire.REQUIRED[kind]:
        if not kept.get(key):
            raise _field(f"settings.{key}", "必填")
    if kept.get("endpoint") and not str(kept["endpoint"]).startswith(("http://", "https://")):
        raise _field("settings.endpoint", "地址须以 http:// 或 https:// 开头")
    if kept.get("port") and not (str(kept["port"]).isascii() and str(kept["port"]).isdigit()
                                 and 0 < int(kept["port"]) < 65536):
        raise _field("settings.port", "端口应为 1 到 65535 的数字")
    if "starttls" in kept:
        kept["starttls"] = kept["starttls"] in (True, "1", "on", "true")
    bad_kinds = [k for k in kinds or [] if k not in KINDS]
    if bad_kinds:
        raise _field("kinds", f"没有此类通知：{'、'.join(bad_kinds)}")
    bad_groups = [g for g in groups or [] if g not in GROUPS]
    if bad_groups:
        raise _field("groups", f"没有此处理组：{'、'.join(bad_groups)}")
    kept["kinds"] = list(kinds or [])
    if kind in ("wecom", "dingtalk"):
        kept["groups"] = list(groups or [])
    uow.notifications.put_channel(name, kind, bool(enabled), kept, clock.now())
    uow.events.append(type="notify_channel_saved", actor=actor.name, at=clock.now(),
                      data={"channel": name, "kind": kind, "enabled": bool(enabled)})
    return {"name": name, "kind": kind, "enabled": bool(enabled)}


@writes
def save_contact(uow: UnitOfWork, *, actor: Actor, clock: Clock, user_name: str, phone: str, email: str,
                 quiet_from: str, quiet_to: str) -> dict[str, Any]:
    """A user's phone (for SMS), e-mail and quiet hours (both or neither, HH:MM local time)."""
    may_configure(actor)
    if uow.users.get(user_name) is None:
        raise NotFound(f"没有此用户 (no user {user_name})")
    phone, email, quiet_from, quiet_to = (v.strip() for v in (phone, email, quiet_from, quiet_to))
    if phone and not PHONE.fullmatch(phone):
        raise _field("phone", "手机号应为 11 位数字，如 13800000000")
    if email and not EMAIL.fullmatch(email):
        raise _field("email", "电子邮件地址格式不对，如 wang@example.com")
    for key, value in (("quiet_from", quiet_from), ("quiet_to", quiet_to)):
        if value and not HHMM.fullmatch(value):
            raise _field(key, "时间写作 HH:MM，如 22:00")
    if bool(quiet_from) != bool(quiet_to):
        raise _field("quiet_to" if quiet_from else "quiet_from", "免打扰的开始和结束时间须都填或都不填")
    uow.notifications.put_contact(user_name, phone, email, quiet_from, quiet_to, clock.now())
    return {"user": user_name, "phone": phone, "email": email, "quiet_from": quiet_from, "quiet_to": quiet_to}
