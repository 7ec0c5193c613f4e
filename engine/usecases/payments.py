"""A payment recorded by finance from an instance's page (or ``POST /api/instances/<id>/payments``):
amount, channel (微信, 支付宝, 银行转账, 现金, POS), receipt number, the day it was paid — every field
checked at once, each refusal beside its field.

- On a fee collection (物业费催缴) it is the ``payment_received`` message, so the process's own
  balance and the overpayment question of engine/rules/payments.py apply unchanged.
- On a move-in (入住办理) it completes 核对并收取入住费用 (``collect_fees``); an amount short of the
  fees due is refused unless finance confirms it (``confirm_short``), and a confirmed short
  payment is flagged in the ``payment_recorded`` event and on the instance page (少缴).

A ``task_completed`` or ``message_delivered`` event holds each payment as recorded."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine.clock import SHANGHAI, Clock
from engine.errors import BadInput, FieldError, NotFound, NotPermitted
from engine.rules.groups import SUPERVISORS
from engine.rules.payments import CONFIRM, payment_amount, yuan
from engine.rules.permissions import Actor
from engine.step import runtime
from engine.usecases.messages import deliver_message
from engine.usecases.runner import writes
from engine.usecases.tasks import complete_task
from storage.uow import UnitOfWork

CHANNELS = {"wechat": "微信", "alipay": "支付宝", "bank": "银行转账", "cash": "现金", "pos": "POS"}
# move-in's 收款方式 (collect_fees' enum) for each channel
MOVE_IN_METHOD = {"wechat": "transfer", "alipay": "transfer", "bank": "transfer", "cash": "cash", "pos": "pos"}
CONFIRM_SHORT = "confirm_short"
PROCESSES = ("fee_collection", "move_in")


def _error(key: str, zh: str) -> FieldError:
    return {"key": key, "message": zh}


def channel_of(raw: object) -> str | None:
    """A channel's id from its id or its Chinese name (微信 or wechat)."""
    text = str(raw or "").strip()
    if text in CHANNELS:
        return text
    return next((k for k, name in CHANNELS.items() if name.lower() == text.lower()), None)


def read_payment(clock: Clock, amount: object, channel: object, receipt_no: object,
                 paid_at: object) -> tuple[float, str, str, str]:
    """The four fields checked together: BadInput names every refused one."""
    errors: dict[str, FieldError] = {}
    value = 0.0
    try:
        value = payment_amount(amount)
    except BadInput as e:
        errors.update(e.fields)
    chosen = channel_of(channel)
    if chosen is None:
        errors["channel"] = _error("payment.channel", "请选择收款渠道：" + "、".join(CHANNELS.values()))
    receipt = str(receipt_no or "").strip()
    if not receipt or len(receipt) > 32:
        errors["receipt_no"] = _error("payment.receipt", "请填写收据编号（1 至 32 个字符）")
    day: date | None = None
    text = str(paid_at or "").strip()
    try:
        day = datetime.fromisoformat(text).astimezone(SHANGHAI).date() if "T" in text else date.fromisoformat(text)
    except ValueError:
        errors["paid_at"] = _error("payment.date", "请填写缴费日期，如 2026-11-20")
    if day is not None and day > clock.now().astimezone(SHANGHAI).date():
        errors["paid_at"] = _error("payment.future", f"缴费日期 {day.isoformat()} 在今天之后")
    if errors:
        raise BadInput(f"缴费记录有 {len(errors)} 处需要修改 ({', '.join(errors)})", fields=errors)
    assert chosen is not None and day is not None
    return value, chosen, receipt, day.isoformat()


@writes
def record_payment(uow: UnitOfWork, *, actor: Actor, clock: Clock, instance_id: int, amount: object,
                   channel: object, receipt_no: object, paid_at: object, confirm_overpayment: bool = False,
                   confirm_short: bool = False) -> dict[str, Any]:
    if not actor.working_groups & ({"finance"} | SUPERVISORS):
        raise NotPermitted(f"{actor.name} 不是财务，不能录入缴费 (finance records payments)")
    instance = runtime.get_instance(uow, instance_id)
    if instance.process_id not in PROCESSES:
        raise NotFound(f"实例 {instance_id} 不是物业费催缴或入住办理，没有缴费可录 (not a fee collection or move-in)")
    value, chosen, receipt, day = read_payment(clock, amount, channel, receipt_no, paid_at)
    record = {"amount": value, "channel": chosen, "channel_name": CHANNELS[chosen], "receipt_no": receipt,
              "paid_at": day}
    if instance.process_id == "fee_collection":
        payload: dict[str, Any] = {**record, CONFIRM: bool(confirm_overpayment)}
        done = deliver_message(uow, actor=actor, clock=clock, instance_id=instance.id, name="payment_received",
                               data=payload)
        return {**done, "payment": record}     # its message_delivered event carries the whole record
    return _move_in_payment(uow, actor, clock, instance.id, record, bool(confirm_short))


def _move_in_payment(uow: UnitOfWork, actor: Actor, clock: Clock, instance_id: int, record: dict[str, Any],
                     confirm_short: bool) -> dict[str, Any]:
    task = next((t for t in uow.tasks.for_instance(instance_id, ["ready"]) if t.name == "collect_fees"), None)
    if task is None:
        raise NotFound(f"实例 {instance_id} 现在不在收取入住费用这一步 (not at collect_fees)")
    raw_due = (task.values or {}).get("fees_due")
    due = float(raw_due) if isinstance(raw_due, (int, float)) and not isinstance(raw_due, bool) else None
    short = due is not None and record["amount"] < due
    if due is not None and short:
        # the move-in check is required, not just recorded (issue 15): the fees are collected in full
        # before the keys are handed over, so a short payment is refused, confirmed or not
        gap = due - record["amount"]
        message = (f"实收 {yuan(record['amount'])} 少于应缴 {yuan(due)}（少 {yuan(gap)}）。"
                   "入住费用收齐后才能交付钥匙，请按应缴金额收取")
        raise BadInput(f"{message} (short of the fees due: the fees are collected in full at move-in)",
                       fields={"amount": _error("payment.short", message)})
    done = complete_task(uow, actor=actor, clock=clock, task_id=task.id,
                         data={"amount_received": record["amount"], "payment_method": MOVE_IN_METHOD[record["channel"]],
                               "receipt_no": record["receipt_no"]})
    flagged = dict(record)
    if due is not None and short:
        flagged.update(short=round(due - record["amount"], 2), fees_due=due)
    uow.events.append(type="payment_recorded", actor=actor.name, at=clock.now(), instance_id=instance_id,
                      task_id=task.id, data=flagged)
    return {**done, "payment": flagged}
