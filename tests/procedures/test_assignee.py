"""A user task with a named camunda:assignee (Camunda 7's habit) goes to that one user."""
from tests.support import BPMN_DIR


def test_a_task_with_a_named_assignee_is_that_users_alone(wuye):
    assert wuye("deploy", str(BPMN_DIR / "named_assignee.bpmn")).code == 0
    started = wuye("start", "named_assignee", "--as", "front_desk")
    (task,) = started.json["ready"]
    assert task["assignee"] == "engineering" and task["candidate_groups"] == []
    assert [t["id"] for t in wuye("tasks", "--as", "engineering").json] == [task["id"]]
    assert wuye("tasks", "--as", "butler").json == []
    refused = wuye("complete", task["id"], "--as", "butler")
    assert refused.code == 3
    assert wuye("complete", task["id"], "--as", "engineering").json["status"] == "completed"


def test_an_expression_assignee_is_refused_at_deploy_with_its_line(wuye, tmp_path):
    source = (BPMN_DIR / "named_assignee.bpmn").read_text().replace('camunda:assignee="engineering"',
                                                                    'camunda:assignee="${initiator}"')
    path = tmp_path / "expr_assignee.bpmn"
    path.write_text(source)
    refused = wuye("deploy", str(path))
    assert refused.code == 2
    assert "expr_assignee.bpmn:6: fix:" in refused.err and "assignee" in refused.err
