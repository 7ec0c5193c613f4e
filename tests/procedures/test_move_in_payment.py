"""A payment recorded at move-in (engine/usecases/payments.py): it completes 核对并收取入住费用, and a
payment short of the fees due is refused beside the amount, confirmed or not (the move-in check is
required: issue 15), never silently accepted."""
import pytest

from engine.errors import BadInput, NotPermitted
from engine.usecases.payments import record_payment
from storage.models import Event
from tests.procedures.test_move_in import PAPERWORK, PRESENT, MoveIn


def test_a_short_move_in_payment_is_refused_and_the_full_one_hands_over_the_keys(sqlite_db):
    mi = MoveIn(sqlite_db)
    instance = mi.start()
    mi.set("2026-11-03T10:00:00+08:00")
    mi.work(instance, "receive_owner", PRESENT)
    mi.work(instance, "paperwork", PAPERWORK)
    pay = {"instance_id": instance, "amount": "3000", "channel": "微信", "receipt_no": "SJ-0001",
           "paid_at": "2026-11-03"}
    with pytest.raises(NotPermitted):
        mi.call(record_payment, "front_desk", **pay)
    with pytest.raises(BadInput) as refused:
        mi.call(record_payment, "finance", **pay)
    assert refused.value.fields["amount"]["key"] == "payment.short"
    assert "少 ¥260.50" in refused.value.fields["amount"]["message"]
    with pytest.raises(BadInput) as still:
        mi.call(record_payment, "finance", **pay, confirm_short=True)
    assert still.value.fields["amount"]["key"] == "payment.short"
    done = mi.call(record_payment, "finance", **{**pay, "amount": "3260.50"})
    assert [t["name"] for t in done["ready"]] == ["hand_keys"]
    assert done["payment"]["channel"] == "wechat" and "short" not in done["payment"]
    data = mi.show(instance)["data"]
    assert (data["amount_received"], data["payment_method"], data["receipt_no"]) == (3260.5, "transfer", "SJ-0001")
    with sqlite_db.uow(readonly=True) as uow:
        [event] = [e.data for e in uow.session.query(Event).filter(Event.type == "payment_recorded")]
    assert event["amount"] == 3260.5
