"""The audit page (品质部): verify the log from the browser, sign and download a checkpoint that the
CLI later proves against, and a simulation database says so on every page."""
from __future__ import annotations

from sqlalchemy import update

from storage.models import Event
from tests.support import Wuye
from tests.web.conftest import csrf_token


def test_quality_verifies_the_log_and_downloads_a_checkpoint_the_cli_proves(client, auth, steps, web_db, tmp_path):
    steps.to_repair()
    auth.login_as("quality")
    page = client.get("/audit").get_data(as_text=True)
    assert "还没有生成过检查点" in page and 'href="/audit"' in page          # in the navigation
    token = csrf_token(client, "/audit")
    checked = client.post("/audit/verify", data={"csrf_token": token}).get_data(as_text=True)
    assert "校验通过" in checked and "条记录完整" in checked
    download = client.post("/audit/checkpoint", data={"csrf_token": token, "holder": "品质部 王审计"})
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    note = download.get_data(as_text=True)
    assert note.startswith("wuye.local/events\n") and "\n\n— wuye.local/events " in note
    page = client.get("/audit").get_data(as_text=True)
    assert "品质部 王审计" in page and "覆盖前" in page
    kept = tmp_path / "kept.txt"
    kept.write_text(note, encoding="utf-8")
    assert Wuye(web_db.url)("audit", "verify", "--against", str(kept)).code == 0


def test_an_edited_event_shows_as_the_first_broken_one(client, auth, steps, web_db):
    steps.to_repair()
    with web_db.engine.begin() as conn:
        conn.execute(update(Event).where(Event.seq == 3).values(actor="mallory"))
    auth.login_as("quality")
    html = client.post("/audit/verify", data={"csrf_token": csrf_token(client, "/audit")}).get_data(as_text=True)
    assert "校验未通过：第 3 条记录异常" in html


def test_the_desk_has_no_audit_page_and_no_link_to_it(client, auth):
    auth.login_as("front_desk")
    assert 'href="/audit"' not in client.get("/inbox").get_data(as_text=True)
    assert client.get("/audit").status_code == 403
    assert client.post("/audit/checkpoint", data={"csrf_token": csrf_token(client, "/inbox")}).status_code == 403


def test_a_simulation_database_says_so_on_every_page_the_login_page_too(client, auth):
    assert "模拟数据库" in client.get("/login").get_data(as_text=True)       # the test databases are simulations
    auth.login_as("front_desk")
    assert "模拟数据库" in client.get("/inbox").get_data(as_text=True)


def test_a_production_database_shows_no_simulation_banner(tmp_path):
    from engine.clock import SystemClock
    from engine.usecases.init import initialize
    from engine.usecases.runner import connect, handle
    from webforms import create_app
    (tmp_path / "none").mkdir()
    db = connect(f"sqlite:///{tmp_path / 'real.sqlite3'}")
    try:
        handle(db, initialize, actor=None, clock=SystemClock(), processes_dir=tmp_path / "none")
        app = create_app({"TESTING": True, "DATABASE": db, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "i")})
        assert "模拟数据库" not in app.test_client().get("/login").get_data(as_text=True)
    finally:
        db.dispose()
