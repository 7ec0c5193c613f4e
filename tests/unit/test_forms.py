"""Form validation: every type and constraint of tests/bpmn/form_check.bpmn (read by the deploy-time
parser, as in production), conversions of what people type, required / read-only / unknown fields,
and a Chinese and an English message per field. (The same through `wuye complete`:
tests/procedures/test_forms.py.)"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.deploy.meta import NS, read_field
from engine.deploy.safe_xml import parse_xml
from engine.errors import BadInput
from engine.rules.fields import MESSAGES, validate_submission
from tests.support import BPMN_DIR

FILE = BPMN_DIR / "form_check.bpmn"
NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)          # 09:00 in Shanghai
FIELDS = [read_field(ff) for ff in parse_xml(FILE.read_bytes(), FILE.name)
          .iterfind(".//bpmn:userTask/bpmn:extensionElements/camunda:formData/camunda:formField", NS)]
VALID = {"owner": "王小明", "paid": "true"}


def submit(**data) -> dict:
    return validate_submission(FIELDS, {**VALID, **data}, now=NOW)


def refused(data: dict, *, current: dict | None = None) -> dict:
    with pytest.raises(BadInput) as e:
        validate_submission(FIELDS, data, current=current, now=NOW)
    return e.value.fields


def test_the_fixture_declares_every_type_and_constraint():
    assert {f.type for f in FIELDS} == {"string", "long", "double", "boolean", "date", "enum"}
    by_id = {f.id: f for f in FIELDS}
    assert (by_id["owner"].required, by_id["owner"].minlength, by_id["owner"].maxlength) == (True, 2, 5)
    assert (by_id["visits"].min, by_id["visits"].max, by_id["visits"].default) == (1, 10, 1)
    assert by_id["ticket"].readonly and by_id["ticket"].default == "WX-001"
    assert by_id["category"].to_json()["options"] == [{"id": "repair", "name": "报修"},
                                                      {"id": "complaint", "name": "投诉"}]


def test_defaults_fill_what_is_not_given():
    out = submit()
    assert out == {"owner": "王小明", "note": "", "visits": 1, "area": None, "paid": True, "visit_on": None,
                   "received_at": "2026-11-20T09:00:00+08:00", "category": "repair"}
    assert "ticket" not in out                 # read-only: keeps whatever the task already holds


@pytest.mark.parametrize(("given", "expected"), [
    ("5", 5), (5, 5), (5.0, 5), (" 7 ", 7), ("+3", 3), ("10", 10), ("1", 1)])
def test_long_conversions(given, expected):
    assert submit(visits=given)["visits"] == expected


@pytest.mark.parametrize(("given", "key"), [
    ("5.5", "form.long"), (5.5, "form.long"), ("five", "form.long"), (True, "form.long"), ("1e3", "form.long"),
    ("0", "form.min"), ("11", "form.max"), ([1], "form.long")])
def test_long_refusals(given, key):
    assert refused({**VALID, "visits": given})["visits"]["key"] == key


@pytest.mark.parametrize(("given", "expected"), [("12.5", 12.5), (80, 80.0), ("0.5", 0.5), ("999.5", 999.5)])
def test_double_conversions(given, expected):
    assert submit(area=given)["area"] == expected


@pytest.mark.parametrize(("given", "key"), [
    ("nan", "form.double"), ("inf", "form.double"), ("twelve", "form.double"), (False, "form.double"),
    ("0.4", "form.min"), ("1000", "form.max")])
def test_double_refusals(given, key):
    assert refused({**VALID, "area": given})["area"]["key"] == key


@pytest.mark.parametrize(("given", "expected"), [
    ("true", True), ("True", True), ("1", True), ("yes", True), ("on", True), ("是", True), (True, True),
    ("false", False), ("0", False), ("no", False), ("否", False), (False, False)])
def test_boolean_conversions(given, expected):
    assert submit(paid=given)["paid"] is expected


def test_boolean_refusals():
    assert refused({**VALID, "paid": "maybe"})["paid"]["key"] == "form.boolean"
    assert refused({**VALID, "paid": 2})["paid"]["key"] == "form.boolean"
    assert refused({"owner": "王小明"})["paid"]["key"] == "form.required"
    assert refused({"owner": "王小明", "paid": ""})["paid"]["key"] == "form.required"


@pytest.mark.parametrize(("given", "expected"), [
    ("2026-11-23", "2026-11-23"),                                   # a date stays a date
    ("2026-11-23T09:30", "2026-11-23T09:30:00+08:00"),              # no offset: Shanghai time
    ("2026-11-23T09:30:00+08:00", "2026-11-23T09:30:00+08:00"),
    ("2026-11-23T01:30:00Z", "2026-11-23T09:30:00+08:00"),          # UTC shown in Shanghai time
    ("2026-11-23T09:30:00+09:00", "2026-11-23T08:30:00+08:00"),     # Tokyo
])
def test_date_conversions(given, expected):
    assert submit(visit_on=given)["visit_on"] == expected


@pytest.mark.parametrize("given", ["2026-02-30", "yesterday", "23/11/2026", 20261123, "2026-11-23T25:00"])
def test_date_refusals(given):
    assert refused({**VALID, "visit_on": given})["visit_on"]["key"] == "form.date"


def test_a_date_defaulting_to_now_takes_the_submission_time_unless_given():
    assert submit()["received_at"] == "2026-11-20T09:00:00+08:00"
    assert submit(received_at="2026-11-19T17:00")["received_at"] == "2026-11-19T17:00:00+08:00"


def test_enum_takes_an_option_id_not_its_label():
    assert submit(category="complaint")["category"] == "complaint"
    assert refused({**VALID, "category": "投诉"})["category"]["key"] == "form.enum"
    assert refused({**VALID, "category": "other"})["category"]["key"] == "form.enum"


@pytest.mark.parametrize(("given", "key"), [
    ("王", "form.minlength"), ("王小明王小明", "form.maxlength"), ("", "form.required"), ({"a": 1}, "form.string")])
def test_string_constraints_count_characters_not_bytes(given, key):
    assert refused({**VALID, "owner": given})["owner"]["key"] == key


def test_strings_accept_five_chinese_characters_and_plain_values():
    assert submit(owner="欧阳小明明")["owner"] == "欧阳小明明"         # 5 characters, 15 bytes
    assert submit(note=12)["note"] == "12"
    assert refused({**VALID, "note": True})["note"]["key"] == "form.string"      # JSON true is not text (finding 11)


def test_read_only_fields_keep_their_value():
    assert "ticket" not in submit(ticket="WX-001")                          # same value: accepted
    assert refused({**VALID, "ticket": "WX-999"})["ticket"]["key"] == "form.readonly"
    assert "ticket" not in validate_submission(FIELDS, {**VALID, "ticket": "WX-777"}, current={"ticket": "WX-777"},
                                               now=NOW)
    assert refused({**VALID, "ticket": "WX-001"}, current={"ticket": "WX-777"})["ticket"]["key"] == "form.readonly"


def test_unknown_fields_and_every_bad_field_are_reported_together():
    fields = refused({"owner": "王", "visits": "0", "colour": "red", "__class__": "x"})
    assert {k: v["key"] for k, v in fields.items()} == {
        "owner": "form.minlength", "visits": "form.min", "paid": "form.required",
        "colour": "form.unknown", "__class__": "form.unknown"}


@pytest.mark.parametrize("data", [["owner"], "owner=王", 3])
def test_a_submission_that_is_not_an_object_is_refused(data):
    assert refused(data)["data"]["key"] == "form.data"


def test_every_error_carries_a_key_a_chinese_and_an_english_message():
    fields = refused({"owner": "王", "visits": "11", "area": "0.1", "paid": "x", "visit_on": "x",
                      "category": "x", "ticket": "x", "colour": 1})
    assert len(fields) == 8
    for name, error in fields.items():
        _zh, _en = MESSAGES[error["key"]]
        assert error["message"] and error["en"] and error["message"] != error["en"], name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), name
        assert error["en"].isascii(), name
    assert fields["owner"]["message"] == "至少 2 个字" and fields["owner"]["en"] == "At least 2 characters"
    assert fields["visits"]["message"] == "不能大于 10" and fields["visits"]["en"] == "Must be at most 10"
    assert fields["area"]["message"] == "不能小于 0.5" and fields["area"]["en"] == "Must be at least 0.5"
    assert set(MESSAGES) >= {f"form.{k}" for k in ("required", "unknown", "readonly", "string", "long", "double",
                                                    "boolean", "date", "enum", "minlength", "maxlength", "min", "max")}


def test_the_whole_message_names_the_fields_by_label():
    with pytest.raises(BadInput) as e:
        validate_submission(FIELDS, {"owner": "王"}, now=NOW)
    assert "业主姓名" in e.value.message and "已缴费" in e.value.message
    assert "owner" in e.value.message and "paid" in e.value.message
