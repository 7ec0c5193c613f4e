"""A payment's receipt (M0 物业收费及催缴 一、3–4): channel, receipt number, when it was paid and,
for cash, who took it and when it was handed to finance; each refused beside its field."""
from __future__ import annotations

import pytest

from engine.clock import parse_instant
from engine.errors import BadInput
from engine.rules.payments import check_payment

NOW = parse_instant("2026-11-20T12:00:00+08:00")
BILL = {"balance": 1200}


def test_a_cash_payment_with_its_receipt_and_hand_over_passes():
    check_payment("payment_received", {"amount": 1200, "channel": "cash", "receipt_no": "SJ-0001",
                                       "paid_at": "2026-11-20T10:00:00+08:00", "cash_taken_by": "前台小李",
                                       "handed_to_finance_at": "2026-11-20T11:59:59+08:00"}, BILL, NOW)


@pytest.mark.parametrize(("payload", "field"), [
    ({"channel": "bitcoin"}, "channel"),
    ({"receipt_no": ""}, "receipt_no"),
    ({"paid_at": "2026-11-20T12:00:01+08:00"}, "paid_at"),                       # one second ahead
    ({"channel": "cash", "cash_taken_by": " "}, "cash_taken_by"),
    ({"channel": "transfer", "paid_at": "2026-11-20T10:00:00+08:00",
      "handed_to_finance_at": "2026-11-20T09:59:59+08:00"}, "handed_to_finance_at"),
])
def test_a_bad_receipt_field_is_refused_by_name(payload, field):
    with pytest.raises(BadInput) as bad:
        check_payment("payment_received", {"amount": 100, **payload}, BILL, NOW)
    assert list(bad.value.fields) == [field]
