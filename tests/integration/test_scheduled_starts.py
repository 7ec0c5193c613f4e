"""Scheduled starts (issue 12): a timer start event is a schedule the timer sweep starts one new
instance per due moment of — exactly once across several loops on PostgreSQL, catching up after
downtime with one instance per missed moment or one for all (``catchUp``), the next start shown to
the process owner, a new version taking the schedule over, each start an audit event."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cli.timer_loop import TimerLoop
from engine.clock import FixedClock, parse_instant, to_iso
from engine.errors import BadInput
from engine.usecases.audit import verify_audit
from engine.usecases.definitions import list_definitions, process_versions
from engine.usecases.instances import history, show_instance
from engine.usecases.scheduled_starts import list_schedules
from engine.usecases.timers import fire_due_timers
from storage.models import Event, Instance
from tests.integration.loops import wait_until
from tests.support import BPMN_DIR, act, database, deploy_files

T0 = parse_instant("2031-03-03T08:00:00+08:00")          # a Monday
HOUR = timedelta(hours=1)


MODEL = (BPMN_DIR / "timers" / "scheduled_check.bpmn").read_text(encoding="utf-8")


def scheduled_bpmn(pid: str, timer: str, catch_up: str | None = None, kind: str = "timeCycle",
                   label: str = "计划检查") -> tuple[str, bytes]:
    """tests/bpmn/timers/scheduled_check.bpmn as process ``pid`` with this timer (on line 7)."""
    props = (f'<bpmn:extensionElements><camunda:properties><camunda:property name="catchUp" value="{catch_up}"/>'
             "</camunda:properties></bpmn:extensionElements>") if catch_up else ""
    xml = (MODEL.replace('id="defs_scheduled_check"', f'id="defs_{pid}"').replace('id="scheduled_check"', f'id="{pid}"')
           .replace('name="每周检查" isExecutable="true">', f'name="{label}" isExecutable="true">{props}')
           .replace('<bpmn:timeCycle>every_week(1, "09:00")</bpmn:timeCycle>', f"<bpmn:{kind}>{timer}</bpmn:{kind}>"))
    return f"{pid}.bpmn", xml.encode()


def sweep(db, at) -> list[dict]:
    return [f for f in act(db, fire_due_timers, as_=None, at=FixedClock(at)) if f.get("scheduled_start")]


def moments(db, pid: str) -> list[str]:
    return [s["due_at"] for s in act(db, list_schedules, as_=None, at=FixedClock(T0))[pid]["starts"]]


def test_one_instance_per_due_moment_and_after_downtime_each_or_one_as_the_process_says(sqlite_db):
    db = sqlite_db
    deploy_files(db, scheduled_bpmn("hourly_each", "R/2031-03-03T09:00:00+08:00/PT1H"),
                 scheduled_bpmn("hourly_one", "R/2031-03-03T09:00:00+08:00/PT1H", catch_up="one"), at=FixedClock(T0))
    first = parse_instant("2031-03-03T09:00:00+08:00")
    assert sweep(db, first) == []                                   # due at 09:00, started just after
    started = sweep(db, first + timedelta(seconds=1))
    assert sorted(s["process"] for s in started) == ["hourly_each", "hourly_one"]
    assert sweep(db, first + timedelta(minutes=30)) == []           # once per moment
    one = next(s for s in started if s["process"] == "hourly_one")
    shown = act(db, show_instance, instance_id=one["instance"])
    assert [t["name"] for t in shown["ready"]] == ["check"] and shown["data"]["scheduled_for"] == to_iso(first)
    assert [e["type"] for e in act(db, history, instance_id=one["instance"])][:1] == ["instance_started"]
    # down from 09:30 to 14:10: 10:00 … 14:00 were missed
    back = sweep(db, parse_instant("2031-03-03T14:10:00+08:00"))
    each = [s["due_at"][11:16] for s in back if s["process"] == "hourly_each"]
    assert each == ["10:00", "11:00", "12:00", "13:00", "14:00"]
    [caught] = [s for s in back if s["process"] == "hourly_one"]
    assert caught["due_at"][11:16] == "14:00" and caught["skipped"] == 4
    assert moments(db, "hourly_each")[-1] == moments(db, "hourly_one")[-1] == "2031-03-03T14:00:00+08:00"
    for pid in ("hourly_each", "hourly_one"):
        assert act(db, process_versions, as_="process_owner", process_id=pid)["next_start"] == \
            "2031-03-03T15:00:00+08:00"
    with db.uow(readonly=True) as uow:
        audited = [e.data for e in uow.session.scalars(select(Event).where(Event.type == "scheduled_start"))]
    assert len(audited) == 6 + 2 and {a["process"] for a in audited} == {"hourly_each", "hourly_one"}
    assert act(db, verify_audit)["ok"]


def test_a_long_downtime_catches_up_in_bounded_time_and_says_how_many_it_skipped(sqlite_db):
    deploy_files(sqlite_db, scheduled_bpmn("minutely", "R/2031-03-03T09:00:00+08:00/PT1M", catch_up="one"),
                 at=FixedClock(T0))
    [started] = sweep(sqlite_db, parse_instant("2032-03-03T09:00:30+08:00"))    # a year of minutes missed
    assert started["skipped"] == 366 * 24 * 60 and started["due_at"] == "2032-03-03T09:00:00+08:00"


def test_a_new_version_takes_over_the_schedule_where_the_old_one_left_it(sqlite_db):
    db = sqlite_db
    deploy_files(db, scheduled_bpmn("quarterly", 'every_quarter(25, "09:00")'), at=FixedClock(T0))
    assert act(db, process_versions, as_="process_owner", process_id="quarterly")["next_start"] == \
        "2031-03-25T09:00:00+08:00"
    [march] = sweep(db, parse_instant("2031-03-25T09:00:01+08:00"))
    deploy_files(db, scheduled_bpmn("quarterly", 'every_quarter(25, "09:00")', label="季度检查（第2版）"),
                 at=FixedClock(parse_instant("2031-04-01T10:00:00+08:00")))
    listed = {d["id"]: d for d in act(db, list_definitions, as_="process_owner")["definitions"]}
    assert listed["quarterly"]["latest"] == 2 and listed["quarterly"]["next_start"] == "2031-06-25T09:00:00+08:00"
    assert sweep(db, parse_instant("2031-06-20T09:00:00+08:00")) == []
    [june] = sweep(db, parse_instant("2031-06-25T09:00:01+08:00"))
    assert (march["version"], june["version"]) == (1, 2)
    assert moments(db, "quarterly") == ["2031-03-25T09:00:00+08:00", "2031-06-25T09:00:00+08:00"]
    deploy_files(db, ("quarterly.bpmn", scheduled_bpmn("quarterly", "x")[1].replace(
        b'<bpmn:timerEventDefinition id="td"><bpmn:timeCycle>x</bpmn:timeCycle></bpmn:timerEventDefinition>', b"")),
        at=FixedClock(parse_instant("2031-07-01T10:00:00+08:00")))     # a version without the timer: no schedule
    assert act(db, process_versions, as_="process_owner", process_id="quarterly")["next_start"] is None
    assert sweep(db, parse_instant("2031-09-25T09:00:01+08:00")) == []


@pytest.mark.parametrize(("kind", "timer", "says"), [
    ("timeCycle", 'every_week(8, "09:00")', "1 to 7"),
    ("timeCycle", "R/2031-03-03T09:00:00+08:00/PT10S", "at least a minute"),
    ("timeCycle", "add_days(now(), 1)", "ISO cycle or one of"),
    ("timeDuration", "PT1H", "timeDate or a timeCycle"),
    ("timeDate", "tomorrow", "ISO instant"),
])
def test_a_schedule_wuye_cannot_run_is_refused_with_its_line(sqlite_db, kind, timer, says):
    with pytest.raises(BadInput) as refused:
        deploy_files(sqlite_db, scheduled_bpmn("bad", timer, kind=kind), at=FixedClock(T0))
    assert "bad.bpmn:7:" in refused.value.message and says in refused.value.message


def test_a_bad_catch_up_property_is_refused(sqlite_db):
    with pytest.raises(BadInput, match="catchUp must be each or one"):
        deploy_files(sqlite_db, scheduled_bpmn("bad", 'every_day("09:00")', catch_up="all"), at=FixedClock(T0))


@pytest.mark.postgres
def test_three_loops_on_postgres_start_each_due_moment_exactly_once(pg_url, tmp_path):
    from tests.support import initialized
    empty = tmp_path / "no-processes"
    empty.mkdir()
    db = initialized(pg_url, empty)
    pids = [f"sched_{n}" for n in range(3)]
    deploy_files(db, *[scheduled_bpmn(p, "R/2031-03-03T09:00:00+08:00/PT1H") for p in pids], at=FixedClock(T0))
    clock = FixedClock(T0 + timedelta(hours=8, minutes=30))      # 09:00 … 16:00: 8 moments each
    others = [database(pg_url) for _ in range(2)]                  # each loop its own engine, as a process has
    loops = [TimerLoop(d, clock, name=f"loop{n}") for n, d in enumerate([db, *others])]

    def started() -> int:
        with db.uow(readonly=True) as uow:
            return uow.session.scalar(select(func.count()).select_from(Instance))
    try:
        for loop in loops:
            loop.start()
        wait_until(lambda: started() >= 24 and all(loop.sweeps for loop in loops), 120, "24 scheduled starts")
    finally:
        for loop in loops:
            loop.stop()
        for d in others:
            d.dispose()
    assert sum(loop.started for loop in loops) == 24 == started()
    for p in pids:
        assert len(moments(db, p)) == len(set(moments(db, p))) == 8
    assert act(db, verify_audit)["ok"]
    db.dispose()
