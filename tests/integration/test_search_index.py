"""The desk's search index on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm): every word a
substring, Chinese of any length, phone digits, written with every step and read back in order."""
import pytest

from engine.usecases.search import search
from engine.usecases.start_instance import start_instance
from tests.support import BPMN_DIR, act, deploy_files

BODIES = ["上门维修预约 3-2-1102 张三 13812345678 卫生间漏水，天花板发霉",
          "上门维修预约 3-2-1103 李四 13955556666 电梯异响",
          "上门维修预约 7-1-101 王五 13700001234 楼上装修噪音 漏水"]


@pytest.fixture
def indexed(db):
    deploy_files(db, BPMN_DIR / "leave_request.bpmn")
    ids = [act(db, start_instance, as_="front_desk", process_id="visit_request",
               data={"room": room})["instance"] for room in ("3-2-1102", "3-2-1103", "7-1-101")]
    with db.uow() as uow:
        assert uow.search.count() == 3          # each start wrote its row, in its own transaction
        for instance_id, body in zip(ids, BODIES, strict=True):
            uow.search.put(instance_id, body)
        uow.commit()
    return db, ids


CASES = [("漏水", [2, 0]), ("天花板发霉", [0]), ("5678", [0]), ("3-2-11", [1, 0]), ("漏水 噪音", [2]), ("张三", [0]),
         ("电梯", [1]), ("停车", [])]


def test_each_word_is_found_as_a_substring_newest_first(indexed):
    """Two-character words too, which the trigram indexes cannot answer alone (SQLite: none found);
    read straight from the newest rows' text and through the index (``recent=0``) alike."""
    db, ids = indexed
    with db.uow(readonly=True) as uow:
        for q, expected in CASES:
            for recent in (5000, 1, 0):
                found = [i.id for i in uow.search.instances(q.split(), process_ids=["visit_request"], recent=recent)]
                assert found == [ids[k] for k in expected], (q, recent)


def test_the_search_use_case_answers_by_kind_and_a_room_filter_narrows_it(indexed):
    db, ids = indexed
    found = act(db, search, as_="dispatcher", q="漏水")
    assert [(r["kind"], r["instance"]) for r in found["results"]] == [("instance", ids[2]), ("instance", ids[0])]
    with db.uow(readonly=True) as uow:
        assert [i.id for i in uow.search.instances(["漏水"], room="3-2")] == [ids[0]]
