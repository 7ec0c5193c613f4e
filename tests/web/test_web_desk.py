"""The service desk through the app (issue 11): one search box over instances and owners (room,
name, the last four digits of a phone, Chinese words of the complaint), photos and PDFs attached to
a task (checked by content, re-encoded without GPS, hashed into the audit chain), payments recorded
from the instance page without JSON, people shown by their real names, the printable forms."""
import io
import re
import shutil

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from engine.rules.permissions import SYSTEM
from engine.usecases.deploy import deploy
from engine.usecases.runner import connect, handle
from engine.usecases.start_instance import start_instance
from storage.models import Event
from tests.support import ROOT
from tests.web.conftest import START, csrf_token

COMPLAINT = {"complainant": "张三", "room": "3-2-1102", "phone": "13812345678", "channel": "phone",
             "content": "楼上卫生间漏水，天花板发霉", "received_at": "2026-11-20T09:00", "households": "1"}
REGISTER = ("room,building,unit,owner_name,phone,handover_date\n"
            "3-2-1102,3,2,张三,13812345678,2024-06-30\n5-1-301,5,1,王五,13755556666,2023-12-01\n")
FEE = {"owner": "王五", "room": "5-1-301", "period": "2026年度", "amount_due": 1200, "due_date": "2026-11-30"}


@pytest.fixture(scope="module")
def desk_seed(seeded_sqlite, tmp_path_factory):
    """The web seed with complaint and fee_collection deployed, once for the module."""
    from engine.clock import FixedClock, parse_instant
    target = tmp_path_factory.mktemp("desk") / "seed.sqlite3"
    shutil.copyfile(seeded_sqlite, target)
    db = connect(f"sqlite:///{target}")
    handle(db, deploy, actor=SYSTEM, clock=FixedClock(parse_instant(START)),
           files=[(n, (ROOT / "processes" / n).read_bytes()) for n in ("complaint.bpmn", "fee_collection.bpmn")])
    db.dispose()
    return target


@pytest.fixture
def web_db(desk_seed, tmp_path):
    target = tmp_path / "wuye.sqlite3"
    shutil.copyfile(desk_seed, target)
    database = connect(f"sqlite:///{target}")
    yield database
    database.dispose()


def _complaint(steps, **data) -> dict:
    return steps.call(start_instance, "front_desk", process_id="complaint", data={**COMPLAINT, **data})


def _upload(client, url: str, content: bytes, name: str, headers: dict | None = None, **fields: str):
    """A multipart POST built here as bytes: the test client's own encoder spools a large body to a
    temporary file it never closes."""
    boundary = "wuye-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return client.post(url, data=body, headers=headers or {}, content_type=f"multipart/form-data; boundary={boundary}")


def _events(db, kind: str) -> list[dict]:
    with db.uow(readonly=True) as uow:
        return [{"data": e.data, "instance_id": e.instance_id, "actor": e.actor}
                for e in uow.session.scalars(select(Event).where(Event.type == kind).order_by(Event.seq))]


# -- search ---------------------------------------------------------------------------------------------

def test_the_search_finds_owners_and_cases_by_the_last_four_digits_of_a_phone_masked(client, token, steps):
    imported = client.post("/api/register/import", data=REGISTER.encode(), headers=token("cs_supervisor"))
    assert imported.status_code == 200
    started = _complaint(steps)
    found = client.get("/api/search?q=5678", headers=token("front_desk")).get_json()
    kinds = [(r["kind"], r.get("room")) for r in found["results"]]
    assert ("owner", "3-2-1102") in kinds and ("instance", "3-2-1102") in kinds
    owner = next(r for r in found["results"] if r["kind"] == "owner")
    assert owner["name"] == "张三" and owner["phones"] == ["138****5678"]
    case = next(r for r in found["results"] if r["kind"] == "instance")
    assert case["instance"] == started["instance"] and case["name"] == "客户投诉处理"
    assert {i["id"]: i["value"] for i in case["who"]}["phone"] == "138****5678"
    assert "13812345678" not in str(found)


def test_the_search_finds_a_complaint_by_chinese_words_of_any_length_and_part_of_the_room(client, token, steps):
    started = _complaint(steps)
    _complaint(steps, content="电梯异响", room="7-1-101", complainant="李四", phone="13900000000")
    auth = token("front_desk")
    for q in ("漏水", "天花板发霉", "卫生间 发霉", "3-2-11", "张三"):
        found = client.get("/api/search", query_string={"q": q}, headers=auth).get_json()
        assert [r["instance"] for r in found["results"] if r["kind"] == "instance"] == [started["instance"]], q


def test_a_search_of_three_digits_is_refused_beside_the_box(client, token, auth):
    resp = client.get("/api/search?q=123", headers=token("front_desk"))
    assert resp.status_code == 422 and "q" in resp.get_json()["fields"]
    auth.login_as("front_desk")
    page = client.get("/search?q=123")
    assert page.status_code == 422 and "至少 4 位数字" in page.get_data(as_text=True)


def test_the_search_text_follows_each_step(client, token, steps, web_db):
    """The instance's search text is rewritten in the step's own transaction: what a task wrote is found."""
    started = _complaint(steps)
    assert not client.get("/api/search?q=已更换止水阀", headers=token("front_desk")).get_json()["results"]
    with web_db.uow() as uow:            # a step that changes the searchable data
        from engine.step.search import index_instance
        inst = uow.instances.get(started["instance"])
        index_instance(uow, inst, {**(inst.data or {}), "content": "已更换止水阀"})
        uow.commit()
    assert client.get("/api/search?q=已更换止水阀", headers=token("front_desk")).get_json()["results"]


def test_the_nav_search_box_and_the_instance_filters_by_process_name_period_and_overdue(client, auth, steps):
    started = _complaint(steps)
    auth.login_as("front_desk")
    assert 'id="nav-search"' in client.get("/inbox").get_data(as_text=True)
    page = client.get("/search?q=漏水").get_data(as_text=True)
    assert f'data-instance="{started["instance"]}"' in page and "138****5678" in page and "13812345678" not in page
    auth.logout()
    auth.login_as("cs_supervisor")
    listed = client.get("/instances", query_string={"process": "投诉", "from": "2026-11-20", "to": "2026-11-20"})
    assert f'data-instance="{started["instance"]}"' in listed.get_data(as_text=True)
    assert "no-instances" in client.get("/instances?from=2026-11-21").get_data(as_text=True)
    assert "no-instances" in client.get("/instances?overdue=1").get_data(as_text=True)       # due later today
    bad = client.get("/instances?from=20-11-2026")
    assert bad.status_code == 422 and "日期格式应为" in bad.get_data(as_text=True)


# -- attachments ----------------------------------------------------------------------------------------

def _photo(size=(1200, 900), noise: bool = False) -> bytes:
    img = Image.effect_noise(size, 80).convert("RGB") if noise else Image.new("RGB", size, (180, 60, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCam"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:11:20 09:14:03"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (22.0, 32.0, 10.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def test_a_photo_is_stored_without_gps_keeps_its_time_and_its_hash_is_in_the_audit_chain(client, token, steps, web_db):
    import hashlib
    task = _complaint(steps)["ready"][0]
    resp = _upload(client, f"/api/tasks/{task['id']}/attachments", _photo(), "IMG_0001.jpg", token("dispatcher"))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["content_type"] == "image/jpeg" and body["taken_at"] == "2026:11:20 09:14:03"
    stored = client.get(f"/api/attachments/{body['id']}", headers=token("dispatcher"))
    assert stored.status_code == 200 and hashlib.sha256(stored.data).hexdigest() == body["sha256"]
    exif = Image.open(io.BytesIO(stored.data)).getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and ExifTags.Base.Make not in exif
    assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == "2026:11:20 09:14:03"
    small = client.get(f"/api/attachments/{body['id']}?thumb=1", headers=token("dispatcher"))
    thumb = Image.open(io.BytesIO(small.data))
    assert max(thumb.size) == 320
    [event] = _events(web_db, "attachment_added")
    assert event["data"]["sha256"] == body["sha256"] and event["instance_id"] == task["instance"]
    from engine.usecases.evidence import evidence
    pack = steps.call(evidence, "quality", instance_id=task["instance"])
    assert [a["sha256"] for a in pack["attachments"]] == [body["sha256"]]


def test_a_file_is_judged_by_its_content_and_its_size_not_its_name(client, token, steps):
    task = _complaint(steps)["ready"][0]
    url, auth = f"/api/tasks/{task['id']}/attachments", token("dispatcher")
    fake = client.post(url, headers=auth, data={"file": (io.BytesIO(b"<script>alert(1)</script>"), "photo.jpg")},
                       content_type="multipart/form-data")
    assert fake.status_code == 422 and fake.get_json()["fields"]["file"]["key"] == "attachment.type"
    pdf = _upload(client, url, b"%PDF-1.4\n%%EOF\n", "验房单.pdf", auth)
    assert pdf.status_code == 201 and pdf.get_json()["content_type"] == "application/pdf"
    big = _upload(client, url, b"%PDF-" + b"0" * (10 * 1024 * 1024), "x.pdf", auth)
    assert big.status_code == 422 and big.get_json()["fields"]["file"]["key"] == "attachment.size"


def test_only_those_on_the_case_attach_and_only_those_who_may_see_it_open_one(client, token, steps):
    task = _complaint(steps)["ready"][0]
    refused = _upload(client, f"/api/tasks/{task['id']}/attachments", _photo(), "a.jpg", token("legal"))
    assert refused.status_code == 403
    done = _upload(client, f"/api/tasks/{task['id']}/attachments", _photo(), "a.jpg", token("dispatcher")).get_json()
    assert client.get(f"/api/attachments/{done['id']}", headers=token("legal")).status_code == 403
    assert client.get(f"/api/attachments/{done['id']}", headers=token("quality")).status_code == 200


def test_the_task_page_uploads_from_the_camera_and_both_pages_show_the_photo(client, auth, steps):
    task = _complaint(steps)["ready"][0]
    auth.login_as("dispatcher")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert re.search(r'<input type="file" name="file" accept="image/\*,application/pdf" capture', page)
    resp = client.post(f"/tasks/{task['id']}/attachments", content_type="multipart/form-data",
                       data={"csrf_token": csrf_token(client, "/inbox"), "file": (io.BytesIO(_photo()), "漏水.jpg")})
    assert resp.status_code == 303
    for path in (f"/tasks/{task['id']}", f"/instances/{task['instance']}"):
        html = client.get(path).get_data(as_text=True)
        assert 'data-testid="attachment"' in html and "/thumb" in html


def test_a_5_mb_photo_uploads_in_a_few_seconds(client, token, steps):
    import time
    photo = _photo((2600, 2000), noise=True)
    assert len(photo) > 4_500_000
    task = _complaint(steps)["ready"][0]
    began = time.perf_counter()
    resp = _upload(client, f"/api/tasks/{task['id']}/attachments", photo, "big.jpg", token("dispatcher"))
    took = time.perf_counter() - began
    assert resp.status_code == 201 and took < 10, took
    print(f"\n5 MB photo ({len(photo) / 1e6:.1f} MB) uploaded in {took:.2f} s")


# -- payments -------------------------------------------------------------------------------------------

def test_finance_records_a_payment_on_a_fee_case_each_field_checked_and_no_json(client, token, auth, steps):
    started = steps.call(start_instance, "finance", process_id="fee_collection", data=FEE)
    url = f"/api/instances/{started['instance']}/payments"
    bad = client.post(url, headers=token("finance"), json={"amount": "abc", "channel": "比特币", "receipt_no": "",
                                                             "paid_at": "2099-01-01"})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"amount", "channel", "receipt_no", "paid_at"}
    over = client.post(url, headers=token("finance"), json={"amount": 5000, "channel": "wechat",
                                                              "receipt_no": "R-1", "paid_at": "2026-11-20"})
    assert over.status_code == 422 and "超过欠费余额" in over.get_json()["fields"]["amount"]["message"]
    assert client.post(url, headers=token("front_desk"), json={}).status_code == 403
    auth.login_as("finance")
    page = client.get(f"/instances/{started['instance']}").get_data(as_text=True)
    assert 'data-testid="payment-form"' in page and "JSON" not in page and "<textarea" not in page
    refused = client.post(f"/instances/{started['instance']}/payments",
                          data={"csrf_token": csrf_token(client, "/inbox"), "amount": "", "channel": "alipay",
                                "receipt_no": "R-2", "paid_at": "2026-11-20"})
    assert refused.status_code == 422 and 'data-testid="pay-amount-error"' in refused.get_data(as_text=True)
    assert 'value="R-2"' in refused.get_data(as_text=True)
    done = client.post(f"/instances/{started['instance']}/payments",
                       data={"csrf_token": csrf_token(client, "/inbox"), "amount": "500", "channel": "alipay",
                             "receipt_no": "R-2", "paid_at": "2026-11-20"})
    assert done.status_code == 302
    shown = client.get(f"/instances/{started['instance']}").get_data(as_text=True)
    assert re.search(r'data-testid="payment">¥500.00 · 支付宝 · 收据 R-2 · 2026-11-20', shown)
    assert client.get(f"/api/instances/{started['instance']}", headers=token("finance")).get_json()["data"][
        "balance"] == 700


# -- people, printing ----------------------------------------------------------------------------------

def test_the_admin_adds_and_disables_people_in_the_browser_and_pages_show_real_names(client, auth, steps, web_db):
    auth.login_as("front_desk")
    assert client.get("/people").status_code == 403
    auth.logout()
    auth.login_as("admin")
    token = csrf_token(client, "/people")
    bad = client.post("/people/new", data={"csrf_token": token, "name": "wang_li", "display_name": "",
                                           "phone": "139abc"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'data-testid="error-display_name"' in html and 'data-testid="error-phone"' in html
    assert 'data-testid="error-groups"' in html
    ok = client.post("/people/new", data={"csrf_token": token, "name": "wang_li", "display_name": "王丽",
                                          "phone": "13900000102", "groups": ["dispatcher"], "password": "secret1"})
    assert ok.status_code == 302
    assert "王丽" in client.get("/people").get_data(as_text=True)
    started = _complaint(steps)
    steps.call(__import__("engine.usecases.tasks", fromlist=["claim_task"]).claim_task, "wang_li",
               task_id=started["ready"][0]["id"])
    assert "王丽（wang_li）" in client.get(f"/instances/{started['instance']}").get_data(as_text=True)
    off = client.post("/people/wang_li", data={"csrf_token": token, "display_name": "王丽", "phone": "",
                                               "groups": ["dispatcher"]})
    assert off.status_code == 302
    auth.logout()
    assert auth.login("wang_li", "secret1").status_code != 302          # disabled: may not sign in
    assert [e["data"]["after"]["active"] for e in _events(web_db, "user_changed")] == [False]


def test_the_complaint_record_prints_and_the_letterhead_is_an_admin_setting(client, auth, steps):
    started = _complaint(steps)
    auth.login_as("admin")
    page = client.get(f"/instances/{started['instance']}/record").get_data(as_text=True)
    assert "投诉处理单" in page and "楼上卫生间漏水" in page
    bad = client.post("/settings", data={"csrf_token": csrf_token(client, "/settings"), "name": ""})
    assert bad.status_code == 422 and 'data-testid="setting-error-name"' in bad.get_data(as_text=True)
    saved = client.post("/settings", data={"csrf_token": csrf_token(client, "/settings"),
                                           "name": "深圳某物业服务有限公司", "address": "深南大道 1 号",
                                           "phone": "0755-88888888", "payment_channels": "前台现金、POS；微信、支付宝"})
    assert saved.status_code == 302
    from datetime import date
    from decimal import Decimal

    from engine.rules.letters import Arrears, render
    with steps.db.uow(readonly=True) as uow:
        from engine.step.documents import letterhead
        company = letterhead(uow)
    debt = Arrears(owner="王五", room="5-1-301", period="2026年度", amount_due=Decimal("1200"), arrears=Decimal("1200"),
                   paid=Decimal("0"), due_date=date(2026, 11, 30), late_fee_rate=Decimal("0.0003"),
                   as_of=date(2026, 12, 20), days_overdue=20, late_fee=Decimal("7.20"))
    html = render("reminder", debt, number="TS-2026-000001", issued_on=date(2026, 12, 20), data={}, company=company)
    for text in ("深圳某物业服务有限公司", "深南大道 1 号", "0755-88888888", "前台现金、POS；微信、支付宝", "盖章处"):
        assert text in html
