"""物品寄存 (procedures.md §7, M0 物业客服物品寄存管理规定 3.1–3.7): mail received against the
sender's signature and number, the owner notified with the date; an owner's deposit only with the
委托书's disclaimer, a named collector and valuables sealed; handed over against a signature with
the count checked (a loss or a wrong count goes to the supervisor); the depositor told it was
collected; a reminder every 3 days while it waits."""
from __future__ import annotations

import pytest

from tests.procedures.walk import SECOND, Walk
from tests.support import deployed_meta

MAIL = {"kind": "mail", "owner": "赵先生", "room": "6-2-1501", "phone": "13600000001", "items": "顺丰快递纸箱",
        "quantity": 2, "mail_no": "SF1234567890", "sender": "顺丰快递员", "sender_signed": True}
DEPOSIT = {"kind": "deposit", "owner": "孙女士", "room": "3-1-0302", "phone": "13600000002", "items": "入户门钥匙",
           "quantity": 1, "valuable": True, "sealed": True, "labelled": True, "collector_name": "孙小明",
           "collector_phone": "13600000003", "disclaimer_signed": True}
COLLECT = {"collected_by": "赵先生", "collected_gender": "male", "collected_phone": "13600000001",
           "collected_quantity": 2, "intact": True}


@pytest.fixture
def walk(sqlite_db) -> Walk:
    return Walk(sqlite_db, "parcel_storage.bpmn")


def test_parcel_storage_deploys_with_its_start_form(walk, sqlite_db):
    meta = deployed_meta(sqlite_db, "parcel_storage")
    assert meta["name"] == "物品寄存" and list(meta["lanes"]) == ["front_desk", "cs_supervisor"]
    assert {f["id"] for f in meta["start_form"]} >= {"kind", "mail_no", "sender_signed", "disclaimer_signed"}


def test_mail_is_notified_with_the_date_and_collected_against_a_signature(walk):
    i = walk.start("parcel_storage", MAIL)
    assert set(walk.ready(i)) == {"notify"}
    walk.work(i, "notify", {"notify_way": "sms"})
    assert walk.show(i)["data"]["notified_on"] == "2026-11-03T10:00:00+08:00"
    walk.work(i, "collect", COLLECT)
    shown = walk.show(i)
    assert shown["status"] == "completed" and shown["data"]["collected_by"] == "赵先生"


@pytest.mark.parametrize(("change", "reason"), [
    ({"sender_signed": False}, "送件人未签字确认"),
    ({"mail_no": ""}, "未标明邮件编号"),
    ({"valuable": True, "sealed": False}, "贵重物品/小件未封存"),
])
def test_mail_without_what_the_rules_require_is_not_accepted(walk, change, reason):
    i = walk.start("parcel_storage", {**MAIL, **change})
    shown = walk.show(i)
    assert shown["status"] == "completed" and shown["ready"] == []
    assert shown["data"]["acceptable"] is False and reason in shown["data"]["refusal_reason"]


@pytest.mark.parametrize(("change", "reason"), [
    ({"disclaimer_signed": False}, "业主未在委托书注明免责"),
    ({"collector_phone": ""}, "未写明领取人及联系方式"),
    ({"labelled": False}, "包装未注明房号及姓名"),
    ({"sealed": False}, "贵重物品/小件未封存"),
])
def test_a_deposit_without_the_disclaimer_collector_label_or_seal_is_refused(walk, change, reason):
    i = walk.start("parcel_storage", {**DEPOSIT, **change})
    assert reason in walk.show(i)["data"]["refusal_reason"] and walk.show(i)["ready"] == []


def test_a_deposit_is_collected_by_the_named_person_and_the_owner_told(walk):
    i = walk.start("parcel_storage", DEPOSIT)
    assert set(walk.ready(i)) == {"collect"}
    walk.work(i, "collect", {**COLLECT, "collected_by": "孙小明", "collected_quantity": 1})
    assert set(walk.ready(i)) == {"reply_owner"}
    walk.work(i, "reply_owner", {"replied_way": "phone"})
    assert walk.show(i)["status"] == "completed"


def test_special_items_need_the_supervisors_consent(walk):
    i = walk.start("parcel_storage", {**MAIL, "special": True, "items": "冷藏生鲜"})
    assert walk.ready(i)["approve_special"]["lane"] == "cs_supervisor"
    walk.work(i, "approve_special", {"special_approved": False, "special_note": "无冷藏条件"})
    assert walk.show(i)["status"] == "completed" and walk.show(i)["ready"] == []
    j = walk.start("parcel_storage", {**MAIL, "special": True, "items": "大件家具配件"})
    walk.work(j, "approve_special", {"special_approved": True, "special_note": "暂存物业仓库"})
    assert set(walk.ready(j)) == {"notify"}


@pytest.mark.parametrize("collected", [{"collected_quantity": 1}, {"intact": False}])
def test_a_wrong_count_or_damage_at_collection_goes_to_the_supervisor(walk, collected):
    i = walk.start("parcel_storage", MAIL)
    walk.work(i, "notify", {})
    walk.work(i, "collect", {**COLLECT, **collected})
    assert walk.ready(i)["incident"]["lane"] == "cs_supervisor"
    walk.work(i, "incident", {"incident_responsible": "前台小李", "incident_handling": "照价赔偿一件"})
    assert walk.show(i)["status"] == "completed"


def test_ps1_an_item_waiting_3_days_brings_a_reminder_every_3_days(walk):
    i = walk.start("parcel_storage", DEPOSIT)
    due = walk.timer_due(i, "collect_ps1")
    assert due == walk.clock.now() + 3 * (24 * 3600) * SECOND
    walk.set(due - SECOND)
    assert set(walk.ready(i)) == {"collect"}
    walk.set(due + SECOND)
    assert set(walk.ready(i)) == {"collect", "remind"} and walk.violations(i) == []
    walk.work(i, "remind", {"remind_note": "已电话通知孙小明"})
    walk.set(due + 3 * (24 * 3600) * SECOND + SECOND)
    assert set(walk.ready(i)) == {"collect", "remind"}
