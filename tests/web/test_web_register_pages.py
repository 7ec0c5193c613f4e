"""The register's pages and the start form's check against it: a sheet previewed with every problem
by row and column before anything is stored; a room corrected by a supervisor with the refused field
shown beside it; a start form refusing a room the register lacks, unless a supervisor accepts it
(recorded); a malformed room or phone refused beside the field with what was typed kept."""
import io
import re

import pytest
from sqlalchemy import func, select

from engine.rules.permissions import SYSTEM
from engine.usecases.deploy import deploy
from engine.usecases.runner import handle
from storage.models import Event, Room
from tests.support import ROOT
from tests.web.conftest import csrf_token

SHEET = ("room,building,unit,owner_name,phone,handover_date\n"
         "3-2-1102,3,2,张三,13812345678,2024-06-30\n"
         "5-1-301,5,1,王五,13755556666,2023-12-01\n")
REPAIR = {"reporter": "张三", "phone": "13812345678", "content": "卫生间漏水", "location": "indoor",
          "category": "waterproofing", "delivered_on": "2024-06-30", "reported_at": "2026-11-20T09:00"}


@pytest.fixture(autouse=True)
def repair_deployed(web_db, clock):
    handle(web_db, deploy, actor=SYSTEM, clock=clock,
           files=[(f, (ROOT / "processes" / f).read_bytes()) for f in ("repair.bpmn", "repair_warranty.dmn")])


def _upload(client, content: bytes, button: str, name: str = "owners.csv"):
    return client.post("/register/import", content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(client, "/register/import"), button: "1",
                             "file": (io.BytesIO(content), name)})


def _count(db, model=Room, **where) -> int:
    with db.uow(readonly=True) as uow:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return uow.session.scalar(q)


def test_a_preview_shows_what_would_be_imported_and_stores_nothing(client, auth, web_db):
    auth.login_as("cs_supervisor")
    page = _upload(client, SHEET.encode(), "preview")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "共 2 位业主/租户、2 个房号：新增 2，更新 0" in html
    assert "138****5678" in html and "13812345678" not in html and 'data-testid="register-confirm"' in html
    assert _count(web_db) == 0
    done = _upload(client, SHEET.encode(), "confirm")
    assert done.status_code == 302
    listing = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已导入 2 个房号、2 位业主/租户" in listing and 'data-room="3-2-1102"' in listing
    assert "138****5678" in listing and "13812345678" not in listing


def test_a_preview_with_bad_rows_lists_each_row_and_offers_no_import(client, auth, web_db):
    auth.login_as("cs_supervisor")
    bad = SHEET + "12栋2单元1502,12,2,赵六,139abc,2099-01-01\n"
    page = _upload(client, bad.encode(), "preview")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="register-confirm"' not in html
    rows = set(re.findall(r'<tr data-row="(\d+)" data-field="(\w+)">', html))
    assert rows == {("4", "room"), ("4", "phone"), ("4", "handover_date")}
    assert _upload(client, bad.encode(), "confirm").status_code == 422 and _count(web_db) == 0


def test_a_room_is_corrected_in_the_browser_and_a_bad_phone_is_shown_beside_its_field(client, auth, web_db):
    auth.login_as("cs_supervisor")
    _upload(client, SHEET.encode(), "confirm")
    form = client.get("/register/rooms/3-2-1102").get_data(as_text=True)
    assert 'value="13812345678"' in form                        # its keeper sees the number to correct it
    data = {"csrf_token": csrf_token(client, "/register"), "handover_date": "2024-06-30", "area": "",
            "p1_kind": "owner", "p1_name": "张三", "p1_phones": "139abc", "p1_move_in_date": ""}
    refused = client.post("/register/rooms/3-2-1102", data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'data-testid="error-p1_phones"' in html and 'value="139abc"' in html
    saved = client.post("/register/rooms/3-2-1102", data={**data, "p1_phones": "13912340000",
                                                           "p2_kind": "tenant", "p2_name": "租客小刘",
                                                           "p2_phones": "13600001111"})
    assert saved.status_code == 302
    listing = client.get("/register?q=3-2-1102").get_data(as_text=True)
    assert "139****0000" in listing and "租客小刘（租户）" in listing


def test_front_desk_may_look_but_not_import_or_edit(client, auth):
    auth.login_as("front_desk")
    assert client.get("/register").status_code == 200
    assert client.get("/register/import").status_code == 403
    assert client.get("/register/rooms/new").status_code == 403


def _start_repair(client, **data):
    return client.post("/start/repair", data={"csrf_token": csrf_token(client, "/start"), **REPAIR, **data})


def test_a_start_form_refuses_a_malformed_room_and_phone_beside_the_fields_keeping_what_was_typed(client, auth):
    """Defect 3 of issue 11: phone 139abc and room 12栋2单元1502 were accepted."""
    auth.login_as("front_desk")
    resp = _start_repair(client, room="12栋2单元1502", phone="139abc")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-testid="error-room"' in html and "楼-单元-房" in html and 'value="12栋2单元1502"' in html
    assert 'data-testid="error-phone"' in html and 'value="139abc"' in html and "卫生间漏水" in html


def test_a_room_the_register_lacks_is_a_field_error_and_a_supervisor_may_accept_it_on_record(
        client, auth, web_db, clock):
    auth.login_as("cs_supervisor")
    _upload(client, SHEET.encode(), "confirm")
    auth.logout()
    auth.login_as("front_desk")
    refused = _start_repair(client, room="9-9-999")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "登记册中没有房号 9-9-999" in html and 'name="room_override"' not in html
    assert _start_repair(client, room="3-2-1102").status_code == 302         # a room the register holds
    auth.logout()
    from engine.usecases.users import add_user  # a front-desk supervisor (前台主管): takes calls, supervises
    handle(web_db, add_user, actor=SYSTEM, clock=clock, name="desk_lead", groups=["front_desk", "cs_supervisor"],
           password="desk_lead")
    auth.login_as("desk_lead")
    offered = _start_repair(client, room="9-9-999").get_data(as_text=True)
    assert 'name="room_override"' in offered
    accepted = _start_repair(client, room="9-9-999", room_override="1")
    assert accepted.status_code == 302
    with web_db.uow(readonly=True) as uow:
        (override,) = uow.session.scalars(select(Event).where(Event.type == "register_override")).all()
        assert override.actor == "desk_lead" and override.data["room"] == "9-9-999"


def test_the_start_form_offers_the_lookup_with_the_fields_the_process_names_once_the_register_holds_rooms(
        client, auth):
    auth.login_as("front_desk")
    empty = client.get("/start/repair").get_data(as_text=True)
    assert 'data-testid="room-lookup-button"' not in empty and "data-lookup-url" not in empty    # nothing to find
    auth.logout()
    auth.login_as("cs_supervisor")
    _upload(client, SHEET.encode(), "confirm")
    auth.logout()
    auth.login_as("front_desk")
    html = client.get("/start/repair").get_data(as_text=True)
    assert 'data-room-field="room"' in html and 'data-testid="room-lookup-button"' in html
    assert "&#34;delivered_on&#34;: &#34;handover_date&#34;" in html


def test_a_handover_date_in_the_future_is_refused_beside_its_field(client, auth):
    """Defect 3 of issue 11: a 交房日期 in the future was accepted (today, 2026-11-20, is not)."""
    auth.login_as("front_desk")
    resp = _start_repair(client, room="3-2-1102", delivered_on="2026-11-21")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'data-testid="error-delivered_on"' in html
    assert "不能晚于今天（2026-11-20）" in html and 'value="2026-11-21"' in html
    assert _start_repair(client, room="3-2-1102", delivered_on="2026-11-20").status_code == 302
