"""Search benchmark of issue 11: the desk's one search box (``engine.usecases.search.search``, as
``GET /api/search`` calls it, in a read-only unit of work) over 100,000 instances on SQLite (FTS5
trigram) and on PostgreSQL (pg_trgm GIN); goal p95 < 100 ms.

The data: the real processes deployed (``wuye init --demo``); 100,000 instance rows of complaint,
repair, fee collection and move-in (their stored state a stub: search never reads it), each with the
search text the step would write for it (``engine.rules.search_text.search_body`` over generated
case data: an owner's name, an 11-digit phone, a room, a complaint or repair text made of common
phrases), and a register of 8,000 rooms with their owners. The queries, round-robin, as a
supervisor (who sees every process) and a front-desk clerk: the last four digits of an existing
phone, an owner's name, part of a room, a two-character word (漏水, below the trigram index's
three), a longer phrase, two words.

``python -m bench --only search [--quick] [--no-pg]``."""
from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from engine.clock import FixedClock, parse_instant
from engine.rules.search_text import search_body
from engine.step.search import labels_of
from engine.usecases.init import initialize
from engine.usecases.runner import Database, connect, handle
from engine.usecases.search import search

NOW = parse_instant("2026-11-23T09:00:00+08:00")
CLOCK = FixedClock(NOW)
MIX = ("complaint",) * 5 + ("repair",) * 3 + ("fee_collection", "move_in")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建国"
PHRASES = ("楼上装修噪音", "卫生间漏水", "天花板发霉", "电梯异响", "门禁卡失灵", "停车位被占", "垃圾未及时清运",
           "热水器不出热水", "窗户关不严", "地漏返水", "墙面开裂", "灯坏了", "宠物扰民", "下水道堵塞", "外墙渗水")
WHO = {"complaint": ("complainant", "phone", "content"), "repair": ("reporter", "phone", "content"),
       "fee_collection": ("owner", None, "period"), "move_in": ("owner", "phone", None)}


def _room(j: int) -> str:
    return f"{j % 20 + 1}-{j // 20 % 4 + 1}-{j // 80 % 33 + 1}{j // 2640 % 4 + 1:02d}"


def _case(rng: random.Random, j: int, process: str) -> dict[str, Any]:
    name_key, phone_key, text_key = WHO[process]
    data: dict[str, Any] = {"room": _room(j), name_key: rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)}
    if phone_key:
        data[phone_key] = "1" + "".join(rng.choice("3456789") + "".join(rng.choices("0123456789", k=9)))
    if text_key:
        data[text_key] = "，".join(rng.sample(PHRASES, 2)) if text_key == "content" else "2026年度"
    return data


def populate(db: Database, n: int) -> list[dict[str, Any]]:
    """``n`` instances with their search rows and 8,000 register rooms; returns a sample of the cases."""
    rng = random.Random(11)
    with db.uow(readonly=True) as uow:
        defs = {k: uow.definitions.latest("bpmn", k) for k in set(MIX)}
        specs = {k: (d.id, d.meta.get("name") or k, d.meta.get("case"), labels_of(d.meta)) for k, d in defs.items()
                 if d is not None}
        first = (uow.session.execute(__import__("sqlalchemy").text("SELECT max(id) FROM instances")).scalar() or 0) + 1
    instances, bodies, sample = [], [], []
    for j in range(n):
        process = MIX[j % len(MIX)]
        definition_id, name, case, labels = specs[process]
        data = _case(rng, j, process)
        started = NOW.replace(microsecond=0) - __import__("datetime").timedelta(minutes=j)
        instances.append({"id": first + j, "definition_id": definition_id, "process_id": process,
                          "status": "running" if j % 8 == 0 else "completed", "state": "{}", "serializer_version": "1",
                          "version": 1, "room": data["room"], "retries": 0, "started_by": "front_desk",
                          "started_at": started, "updated_at": started})
        bodies.append({"instance_id": first + j, "body": search_body(process_name=name, room=data["room"], data=data,
                                                                     spec=case, labels=labels)})
        if j % 997 == 0:
            sample.append(data)
    rooms = [{"code": _room(j), "building": j % 20 + 1, "unit": j // 20 % 4 + 1, "updated_at": NOW,
              "updated_by": "bench"} for j in range(8000)]
    people = [{"room_code": r["code"], "kind": "owner", "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
               "phones": "1" + "".join(rng.choices("0123456789", k=10)), "position": 0} for r in rooms]
    from storage.models import Instance, InstanceSearch, Room, RoomPerson
    with db.uow() as uow:
        conn = uow.session.connection()
        for table, rows in ((Instance, instances), (InstanceSearch, bodies), (Room, rooms), (RoomPerson, people)):
            for i in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[i:i + 5000])
        uow.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return sample


def queries(sample: list[dict[str, Any]]) -> list[str]:
    out = []
    for data in sample:
        phone = next((v for k, v in data.items() if k == "phone"), None)
        name = next(v for k, v in data.items() if k in ("complainant", "reporter", "owner"))
        out += [q for q in (phone[-4:] if phone else None, name, data["room"][:-2], "漏水", "天花板发霉",
                            "电梯 异响") if q]
    return out


def measure(db: Database, qs: list[str], users: tuple[str, ...]) -> dict[str, Any]:
    samples, found = [], []
    for i, q in enumerate(qs):
        began = time.perf_counter()
        result = handle(db, search, actor=users[i % len(users)], clock=CLOCK, q=q)
        samples.append((time.perf_counter() - began) * 1000)
        found.append(len(result["results"]))
    samples.sort()
    return {"calls": len(samples), "p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 1), "max_ms": round(samples[-1], 1),
            "mean_results": round(statistics.mean(found), 1)}


def bench_database(url: str, n: int) -> dict[str, Any]:
    db = connect(url)
    try:
        handle(db, initialize, actor=None, clock=CLOCK, demo=True, simulation=True)
        began = time.perf_counter()
        sample = populate(db, n)
        loaded = time.perf_counter() - began
        qs = queries(sample)
        measure(db, qs[:20], ("cs_supervisor",))                     # warm the caches
        return {"instances": n, "load_s": round(loaded, 1),
                "supervisor_and_front_desk": measure(db, qs, ("cs_supervisor", "front_desk"))}
    finally:
        db.dispose()


def run(pg: bool = True, quick: bool = False) -> dict[str, Any]:
    n = 20_000 if quick else 100_000
    out: dict[str, Any] = {"note": "engine.usecases.search.search per call (instances and owners), read-only unit "
                                   "of work; shared 2-core machine: noisy"}
    with tempfile.TemporaryDirectory(prefix="wuye-bench-search-") as tmp:
        out["sqlite"] = bench_database(f"sqlite:///{Path(tmp) / 'search.sqlite3'}", n)
    if pg:
        from bench.pgserver import ServerMissing, new_database, throwaway_server
        try:
            with throwaway_server() as server:
                out["postgres"] = bench_database(new_database(server), n)
        except ServerMissing as e:
            out["postgres"] = f"skipped: {e}"
    return out
