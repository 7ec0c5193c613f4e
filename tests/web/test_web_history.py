"""历史回放 (issue 10): quality and supervisors search every instance, read each one's full history
(who, real name, when with the year, which task, the values before and after), step through it on
the diagram with the data as the record rebuilds it, re-execute it to "matches", and download an
evidence pack that checks offline; the desk has none of it."""
from __future__ import annotations

import html as html_lib
import json
import os
import re
from pathlib import Path

from engine.audit import offline
from engine.usecases.timers import fire_due_timers
from tests.web.conftest import csrf_token


def _late_repair(steps, web_db, clock) -> int:
    """A visit whose repair breached its 2-working-hour deadline (T1, engineering pays ¥30)."""
    instance, _ = steps.to_repair("5-1-0303")
    steps.later(hours=2, seconds=1)
    fire_due_timers(web_db, clock=clock)
    return instance


def _steps_of(page: str) -> dict:
    found = re.search(r'data-steps="([^"]*)"', page)
    assert found, "no data-steps on the replay page"
    return json.loads(html_lib.unescape(found.group(1)))


def test_quality_finds_an_instance_by_room_and_violation_and_responsible(client, auth, steps, web_db, clock):
    late = _late_repair(steps, web_db, clock)
    other, _ = steps.to_repair("9-9-0909")
    auth.login_as("quality")
    by_room = client.get("/history?room=5-1").get_data(as_text=True)
    assert f'data-instance="{late}"' in by_room and f'data-instance="{other}"' not in by_room
    late_ones = client.get("/history?violation=yes").get_data(as_text=True)
    assert f'data-instance="{late}"' in late_ones and f'data-instance="{other}"' not in late_ones
    clean = client.get("/history?violation=no").get_data(as_text=True)
    assert f'data-instance="{other}"' in clean and f'data-instance="{late}"' not in clean
    assert "没有符合条件的流程实例" in client.get("/history?responsible=nobody").get_data(as_text=True)
    assert "日期格式" in client.get("/history?since=20-11-2026").get_data(as_text=True)


def test_the_history_shows_who_when_with_the_year_and_the_values_before_and_after(client, auth, steps, web_db,
                                                                                clock):
    late = _late_repair(steps, web_db, clock)
    auth.login_as("cs_supervisor")
    page = client.get(f"/history/{late}").get_data(as_text=True)
    assert "2026-11-20 09:00:00" in page                          # the time, with its year
    assert 'data-type="task_completed"' in page and "front_desk" in page
    assert "厨房水管漏水" in page and "（空）" in page             # 报修内容: empty → the text submitted
    assert "T1" in page and "¥30" in page and "engineering" in page
    only_deadlines = client.get(f"/history/{late}?show=deadlines").get_data(as_text=True)
    assert 'data-type="violation"' in only_deadlines and 'data-type="task_completed"' not in only_deadlines


def test_each_replay_step_has_the_data_and_diagram_as_recorded_then(client, auth, steps, web_db, clock):
    late = _late_repair(steps, web_db, clock)
    auth.login_as("quality")
    model = _steps_of(client.get(f"/history/{late}/replay").get_data(as_text=True))
    types = [e["type"] for e in model["events"]]
    first_ready = types.index("task_ready")
    assert model["steps"][first_ready]["diagram"].get("register") == "active"
    assert "content" not in model["steps"][first_ready]["data"]        # not yet submitted at that step
    completed = types.index("task_completed")
    after = model["steps"][completed]
    assert after["data"]["content"] == "厨房水管漏水" and after["diagram"]["register"] == "completed"
    repair_ready = model["steps"][types.index("task_ready", completed)]["diagram"]
    assert repair_ready["repair"] == "active" and repair_ready["repair_late"] == "waiting"


def test_reexecution_from_the_page_says_it_matches(client, auth, steps, web_db, clock):
    late = _late_repair(steps, web_db, clock)
    auth.login_as("quality")
    page = client.post(f"/history/{late}/reexecute",
                       data={"csrf_token": csrf_token(client, f"/history/{late}")}).get_data(as_text=True)
    assert "重新执行结果与记录一致" in page


def test_the_evidence_pack_is_a_pdf_whose_proof_checks_offline(client, auth, steps, web_db, clock, tmp_path):
    late = _late_repair(steps, web_db, clock)
    auth.login_as("quality")
    resp = client.post(f"/history/{late}/evidence.pdf", data={"csrf_token": csrf_token(client, f"/history/{late}")})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    pack = tmp_path / "pack.pdf"
    pack.write_bytes(resp.data)
    key = Path(os.environ["WUYE_AUDIT_KEY"] + ".pub")              # the verifier key the company hands out
    assert offline.main([str(pack), "--key", str(key)]) == 0
    proof = offline.attached_proof(resp.data)
    proof["events"][1]["actor"] = "mallory"
    assert any("does not hash" in p for p in offline.check(proof, key.read_text()))


def test_the_desk_may_not_read_history_nor_download_evidence(client, auth, steps):
    instance, _ = steps.to_repair()
    auth.login_as("front_desk")
    assert 'href="/history"' not in client.get("/inbox").get_data(as_text=True)
    assert client.get("/history").status_code == 403
    assert client.get(f"/history/{instance}").status_code == 403
    assert client.get(f"/history/{instance}/replay").status_code == 403
    token = csrf_token(client, "/inbox")
    assert client.post(f"/history/{instance}/evidence.pdf", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/history/{instance}/reexecute", data={"csrf_token": token}).status_code == 403


def test_evidence_without_a_csrf_token_is_refused(client, auth, steps):
    instance, _ = steps.to_repair()
    auth.login_as("quality")
    assert client.post(f"/history/{instance}/evidence.pdf").status_code == 400


def test_the_auditors_json_routes_answer_quality_and_refuse_the_desk(client, auth, steps, web_db, clock):
    """GET /api/history/<id>, GET /api/audit/verify and POST /api/instances/<id>/replay, with a Bearer
    token: quality gets them; the desk a 403 for those and GET /api/instances/<id>/evidence."""
    late = _late_repair(steps, web_db, clock)

    def bearer(user: str) -> dict:
        token = client.post("/api/login", json={"username": user, "password": user}).get_json()["token"]
        return {"Authorization": f"Bearer {token}"}

    quality, desk = bearer("quality"), bearer("front_desk")
    h = client.get(f"/api/history/{late}", headers=quality).get_json()
    assert any(e.get("type") == "violation" for e in h["timeline"]), list(h)
    verified = client.get("/api/audit/verify", headers=quality).get_json()
    assert verified["ok"] is True and verified["events"] > 5
    replayed = client.post(f"/api/instances/{late}/replay", headers=quality).get_json()
    assert replayed["matches"] is True and replayed["instance"] == late
    # the PDF itself is the page's (test_the_evidence_pack_is_a_pdf_whose_proof_checks_offline): WeasyPrint is slow
    for method, url in [("get", f"/api/history/{late}"), ("get", "/api/audit/verify"),
                        ("get", f"/api/instances/{late}/evidence"), ("post", f"/api/instances/{late}/replay")]:
        resp = getattr(client, method)(url, headers=desk)
        assert resp.status_code == 403 and resp.get_json()["error"], url
    assert client.get("/api/audit/verify").status_code == 401
