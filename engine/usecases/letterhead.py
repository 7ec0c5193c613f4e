"""The company's letterhead on every fee letter (提示函, 催缴函, 紧急催缴函, 律师函): its name, address,
contact phone and the payment channels an owner may use, kept in the settings table and edited by an
administrator (``/settings``). A letter is rendered once, when issued, with the letterhead of that
moment: changing it later changes no letter already issued (their hashes are in the audit chain)."""
from __future__ import annotations

from typing import Any

from engine.clock import Clock
from engine.errors import BadInput, FieldError
from engine.rules.permissions import Actor
from engine.step.documents import letterhead
from engine.usecases.people import may_admin
from engine.usecases.runner import reads, writes
from storage.uow import UnitOfWork

FIELDS = {"name": ("company.name", "公司名称", 100), "address": ("company.address", "地址", 200),
          "phone": ("company.phone", "联系电话", 50),
          "payment_channels": ("company.payment_channels", "缴费方式", 500)}


@reads
def show_letterhead(uow: UnitOfWork, *, actor: Actor, clock: Clock) -> dict[str, Any]:
    may_admin(actor)
    return {"values": letterhead(uow), "labels": {k: label for k, (_, label, _) in FIELDS.items()}}


@writes
def save_letterhead(uow: UnitOfWork, *, actor: Actor, clock: Clock, values: dict[str, str]) -> dict[str, str]:
    may_admin(actor)
    clean = {k: str(values.get(k) or "").strip() for k in FIELDS}
    errors: dict[str, FieldError] = {}
    for k, (_, label, limit) in FIELDS.items():
        if len(clean[k]) > limit:
            errors[k] = {"key": "settings.length", "message": f"{label}最多 {limit} 个字"}
    if not clean["name"]:
        errors["name"] = {"key": "settings.required", "message": "请填写公司名称（印在每封函件上）"}
    if errors:
        raise BadInput(f"有 {len(errors)} 处需要修改 ({', '.join(errors)})", fields=errors)
    before = letterhead(uow)
    for k, (key, _, _) in FIELDS.items():
        uow.settings.set(key, clean[k], clock.now())
    uow.events.append(type="settings_changed", actor=actor.name, at=clock.now(),
                      data={"what": "letterhead", "before": before, "after": clean})
    return clean
