"""Payments against a bill (fee collection's ``payment_received``, M0 收费及催缴): what an amount
may be, and an overpayment as a question, not a silent negative balance (issue 14, finding 11).

The amount is a JSON number or a number typed in ASCII digits (``1200.50``): not a boolean, not
Arabic-Indic or full-width digits, positive, with at most two decimals' worth kept. A payment
larger than the balance still owed (the instance's ``balance``) is refused with both figures
unless the payer confirms it with ``confirm_overpayment: true``: ¥100,000,000 typed against a
¥1,200.50 bill is far more often a slip of the keyboard than an owner paying years ahead."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def check_payment(name: str, payload: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    """A ``payment_received`` message's payload against the instance's ``data``, when that is a bill
    (it has a ``balance``); other messages, and the same message name in other processes, pass."""
    if name not in PAYMENT_MESSAGES or BALANCE not in data:
        return
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
