"""SpiffWorkflow 3.2 defects we correct in our seam, each proven here with a real deploy and run."""
from tests.support import BPMN_DIR, Wuye


def test_a_data_object_two_levels_up_deploys_and_runs_instead_of_hanging_the_deploy(sqlite_db):
    # SpiffWorkflow 3.2's NodeParser._resolve_data_object_ref looks one level up, then loops forever
    wuye = Wuye(sqlite_db.url)
    deployed = wuye.subprocess("deploy", str(BPMN_DIR / "nested_data_object.bpmn"), timeout=60)
    assert deployed.code == 0, deployed.err
    started = wuye("start", "nested_data", "--as", "finance")
    assert started.code == 0, started.err
    shown = wuye("show", str(started.json["instance"]))
    assert shown.json["status"] == "completed"
    assert shown.json["data"]["balance"] == 100
