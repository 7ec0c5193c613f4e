"""The owner and room register through the JSON API: a CSV or Excel sheet imported whole or not at
all (422 with every problem by row and column), rooms looked up with the phones masked, in full
only for a start form (and that view recorded)."""
import io

import openpyxl
from sqlalchemy import func, select

from storage.models import Event, Room, RoomPerson

HEADER = "room,building,unit,owner_name,phone,handover_date,move_in_date,area\n"
GOOD = HEADER + ("3-2-1102,3,2,张三,13812345678,2024-06-30,2024-08-01,89.5\n"
                 "3-2-1102,3,2,李梅,13900001111/0571-88881234,2024-06-30,,\n"
                 "5-1-301,5,1,王五,13755556666,2023-12-01,,120\n")




def _count(db, model) -> int:
    with db.uow(readonly=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_a_csv_sheet_is_imported_and_the_counts_say_what_happened(client, token, web_db):
    resp = client.post("/api/register/import", data=GOOD.encode(), headers=token("cs_supervisor"))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["imported"] == {"rooms": 2, "people": 3, "new_rooms": 2, "updated_rooms": 0}
    room = client.get("/api/rooms/3-2-1102", headers=token("front_desk")).get_json()
    assert room["building"] == 3 and room["unit"] == 2 and room["handover_date"] == "2024-06-30"
    assert room["area"] == 89.5 and room["masked"] is True
    assert [(p["name"], p["phones"]) for p in room["people"]] == [
        ("张三", ["138****5678"]), ("李梅", ["139****1111", "057*-****1234"])]
    with web_db.uow(readonly=True) as uow:
        event = uow.session.scalars(select(Event).where(Event.type == "register_imported")).one()
        assert event.actor == "cs_supervisor" and len(event.data["sha256"]) == 64


def test_a_sheet_with_bad_rows_stores_nothing_and_names_each_row_and_column(client, token, web_db):
    bad = HEADER + ("3-2-1102,3,2,张三,13812345678,2024-06-30,,\n"
                    "12栋2单元1502,12,2,赵六,13812345678,2024-06-30,,\n"
                    "3-2-1103,3,2,钱七,139abc,2099-01-01,,\n"
                    "4-1-101,5,1,,13812345678,2024-06-30,,\n")
    resp = client.post("/api/register/import", data=bad.encode(), headers=token("cs_supervisor"))
    assert resp.status_code == 422
    rows = {(e["row"], e["field"]) for e in resp.get_json()["rows"]}
    assert rows == {(3, "room"), (4, "phone"), (4, "handover_date"), (5, "building"), (5, "owner_name")}
    assert "楼-单元-房" in next(e["message"] for e in resp.get_json()["rows"] if e["row"] == 3)
    assert _count(web_db, Room) == 0 and _count(web_db, RoomPerson) == 0


def test_an_excel_sheet_is_read_by_its_content_whatever_it_is_called(client, token):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["room", "building", "unit", "owner_name", "phone", "handover_date"])
    sheet.append(["8-3-2201", 8, 3, "孙八", 13812345678, "2025-01-15"])
    buf = io.BytesIO()
    book.save(buf)
    resp = client.post("/api/register/import", headers=token("admin"),
                       data={"file": (io.BytesIO(buf.getvalue()), "owners.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"imported": {"rooms": 1, "people": 1, "new_rooms": 1, "updated_rooms": 0},
                               "kind": "xlsx"}


def test_a_header_without_the_required_columns_is_refused_naming_them(client, token):
    resp = client.post("/api/register/import", data="房号,业主\n3-2-1102,张三\n".encode(),
                       headers=token("cs_supervisor"))
    assert resp.status_code == 422
    assert "缺少列：room, building, unit, owner_name, phone, handover_date" in resp.get_json()["error"]


def test_only_admin_and_cs_supervisor_may_import(client, token, web_db):
    resp = client.post("/api/register/import", data=GOOD.encode(), headers=token("front_desk"))
    assert resp.status_code == 403 and _count(web_db, Room) == 0


def test_a_cookie_session_needs_the_csrf_token_to_import(client, auth):
    auth.login_as("cs_supervisor")
    assert client.post("/api/register/import", data=GOOD.encode()).status_code == 400


def test_the_full_phone_goes_to_a_start_form_and_that_view_is_recorded(client, token, web_db):
    client.post("/api/register/import", data=GOOD.encode(), headers=token("cs_supervisor"))
    resp = client.get("/api/rooms/5-1-301?process=visit_request", headers=token("front_desk"))
    assert resp.status_code == 200 and resp.get_json()["people"][0]["phones"] == ["13755556666"]
    with web_db.uow(readonly=True) as uow:
        viewed = uow.session.scalars(select(Event).where(Event.type == "owner_data_viewed")).one()
        assert viewed.actor == "front_desk" and viewed.data["room"] == "5-1-301"
    # someone who may not start that process gets no full number
    assert client.get("/api/rooms/5-1-301?process=visit_request", headers=token("finance")).status_code == 403


def test_an_unknown_room_is_404_and_a_malformed_one_422(client, token):
    assert client.get("/api/rooms/9-9-999", headers=token("front_desk")).status_code == 404
    resp = client.get("/api/rooms/12栋2单元1502", headers=token("front_desk"))
    assert resp.status_code == 422 and "楼-单元-房" in resp.get_json()["fields"]["room"]["message"]
