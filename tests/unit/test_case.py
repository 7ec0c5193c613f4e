"""The case summary's rules (engine/rules/case.py): masking an owner's phone, the who/what chosen by
the process's properties, the notes of a step, and the deploy rule that refuses a bad summary."""
from __future__ import annotations

from engine.rules.case import bad_names, case_card, case_spec, mask_phone, step_notes
from engine.rules.fields import DataLabel
from tests.unit.test_deploy_rules import diagram, lines

LABELS: dict[str, DataLabel] = {"owner": {"label": "业主", "type": "string", "options": {}},
          "phone": {"label": "联系电话", "type": "string", "options": {}},
          "severity": {"label": "严重程度", "type": "enum", "options": {"major": "重大"}},
          "note": {"label": "处理意见", "type": "string", "options": {}}}


def test_a_mobile_number_keeps_its_first_three_and_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138 **** 5678"
    assert mask_phone("8888-123") == "***8-123"
    assert mask_phone("110") == "***"


def test_the_card_lists_the_processes_fields_in_its_order_and_leaves_out_empty_ones():
    spec = case_spec({"case:who": "owner, phone,room", "case:what": "severity", "case:phones": "phone"})
    card = case_card(spec, {"phone": "13812345678", "owner": "李四", "severity": "major", "room": ""}, LABELS,
                     full=False)
    assert [(i["id"], i["label"], i["value"]) for i in card["who"]] == [("owner", "业主", "李四"),
                                                                      ("phone", "联系电话", "138****5678")]
    assert card["who"][1]["masked"] and card["what"][0]["value"] == "major"
    full = case_card(spec, {"phone": "13812345678"}, LABELS, full=True)
    assert full["who"][0]["value"] == "13812345678" and not full["who"][0]["masked"]


def test_a_steps_notes_are_the_text_people_wrote_not_choices_or_phones():
    notes = step_notes({"note": "已联系业主", "severity": "major", "phone": "13812345678", "done": True}, LABELS,
                       hidden=["phone"])
    assert notes == [{"id": "note", "label": "处理意见", "value": "已联系业主"}]


def test_a_phone_outside_the_summary_and_a_name_that_is_no_variable_are_refused():
    assert bad_names({"case:who": "owner,1x", "case:phones": "mobile"}) == [
        "case:who: '1x' 不是变量名 (not a variable name)",
        "case:phones: 'mobile' 不在 case:who 或 case:what 中 (a phone must be one of the summary fields)"]


def test_deploy_names_the_line_of_a_bad_case_property():
    tree = diagram('<bpmn:extensionElements><camunda:properties>'
                   '<camunda:property name="case:who" value="owner name"/>'
                   '</camunda:properties></bpmn:extensionElements>')
    found = [line for line in lines(tree) if "案件摘要" in line]
    assert found == ["t.bpmn:5: p: 案件摘要属性有误：case:who: 'owner name' 不是变量名 (not a variable name)"]
