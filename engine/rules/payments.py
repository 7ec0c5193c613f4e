"""Payments against a bill (fee collection's ``payment_received``, M0 收费及催缴): what an amount
may be, and an overpayment as a question, not a silent negative balance (issue 14, finding 11).

The amount is a JSON number or a number typed in ASCII digits (``1200.50``): not a boolean, not
Arabic-Indic or full-width digits, positive, with at most two decimals' worth kept. A payment
larger than the balance still owed (the instance's ``balance``) is refused with both figures
unless the payer confirms it with ``confirm_overpayment: true``: ¥100,000,000 typed against a
¥1,200.50 bill is far more often a slip of the keyboard than an owner paying years ahead."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.clock import parse_instant
from engine.errors import BadInput, FieldError
from engine.inputs import ascii_decimal

PAYMENT_MESSAGES = frozenset({"payment_received"})
BALANCE = "balance"                    # the instance variable holding what is still owed
CONFIRM = "confirm_overpayment"
MAX_AMOUNT = 1_000_000_000             # the process refuses ¥1e9 and more too


def yuan(amount: float) -> str:
    return f"¥{amount:,.2f}"


def _refuse(field: str, zh: str, en: str, key: str) -> BadInput:
    error: FieldError = {"key": key, "message": zh, "en": en}
    return BadInput(f"{zh} ({en})", fields={field: error})


def payment_amount(raw: object) -> float:
    """The amount of a payment as the payer gave it, or BadInput naming ``amount``."""
    amount: float | None = None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        amount = float(raw)
    elif isinstance(raw, str):
        amount = ascii_decimal(raw)
    if amount is None or not 0 < round(amount, 2) < MAX_AMOUNT:
        raise _refuse("amount", "到账金额须为正数（用阿拉伯数字填写，如 1200.50）",
                      f"amount must be a positive number in ASCII digits, got {raw!r}", "payment.amount")
    return round(amount, 2)


def check_payment(name: str, payload: Mapping[str, Any], data: Mapping[str, Any],
                  now: datetime | None = None) -> None:
    """A ``payment_received`` message's payload against the instance's ``data``, when that is a bill
    (it has a ``balance``); other messages, and the same message name in other processes, pass."""
    if name not in PAYMENT_MESSAGES or BALANCE not in data:
        return
    check_receipt(payload, now)
    amount = payment_amount(payload.get("amount"))
    confirm = payload.get(CONFIRM, False)
    if not isinstance(confirm, bool):
        raise _refuse(CONFIRM, "确认多缴须为 true 或 false", f"{CONFIRM} must be true or false", "payment.confirm")
    balance = data.get(BALANCE)
    if isinstance(balance, (int, float)) and not isinstance(balance, bool) and amount > balance and not confirm:
        owed = max(float(balance), 0.0)
        raise _refuse("amount", f"到账金额 {yuan(amount)} 超过欠费余额 {yuan(owed)}（多缴 {yuan(amount - owed)}）。"
                                f"请核对金额；确属业主多缴，请勾选“确认多缴”后再提交",
                      f"the payment {yuan(amount)} exceeds the balance owed {yuan(owed)}: check it, or send "
                      f"{CONFIRM}: true to accept the overpayment", "payment.overpayment")


# The receipt a payment carries (M0 物业收费及催缴 一、3–4): its number, the channel, when it was paid;
# cash also who took it and when it was handed to finance. The names the payment form (deska's
# POST /api/instances/<id>/payments) sends: amount, channel, receipt_no, paid_at; and for cash
# cash_taken_by, handed_to_finance_at.
CHANNELS = {"cash": "现金", "transfer": "银行转账", "card": "刷卡", "wechat": "微信", "alipay": "支付宝",
            "deduction": "代扣"}


def check_receipt(payload: Mapping[str, Any], now: datetime | None) -> None:
    """The receipt's fields, each checked where given: a channel of the list, a receipt number of at
    most 40 characters, a payment time not in the future, a cash hand-over not before the payment
    nor in the future, by a named person."""
    channel = payload.get("channel")
    if channel is not None and channel not in CHANNELS:
        raise _refuse("channel", f"收款方式须为：{'、'.join(CHANNELS.values())}",
                      f"channel must be one of {', '.join(CHANNELS)}", "payment.channel")
    receipt = payload.get("receipt_no")
    if receipt is not None and (not isinstance(receipt, str) or not 0 < len(receipt.strip()) <= 40):
        raise _refuse("receipt_no", "收据编号须为1至40个字", "receipt_no must be 1-40 characters", "payment.receipt")
    paid = _when(payload, "paid_at", "缴费时间", now)
    handed = _when(payload, "handed_to_finance_at", "交财务时间", now)
    if channel == "cash":
        taker = payload.get("cash_taken_by")
        if not isinstance(taker, str) or not taker.strip():
            raise _refuse("cash_taken_by", "现金收款须填写收款人", "cash needs who took it (cash_taken_by)",
                          "payment.cash_taker")
    if paid and handed and handed < paid:
        raise _refuse("handed_to_finance_at", "交财务时间不能早于缴费时间",
                      "handed_to_finance_at must not be before paid_at", "payment.handover")


def _when(payload: Mapping[str, Any], key: str, label: str, now: datetime | None) -> datetime | None:
    raw = payload.get(key)
    if raw is None:
        return None
    try:
        when = parse_instant(str(raw))
    except ValueError:
        raise _refuse(key, f"{label}无效（如 2026-11-20T10:00）", f"{key} is not a time", "payment.time") from None
    if now is not None and when > now:
        raise _refuse(key, f"{label}不能晚于现在：这是已经发生的时间", f"{key} must not be in the future",
                      "payment.future")
    return when
