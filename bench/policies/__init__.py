"""How simulated staff answer forms: one small policy per process, plus a generic form filler.

Why: the simulator must drive every process in ``processes/`` without knowing their diagrams. It
reads each form from the task JSON the engine returns (the same contract the web app uses) and
fills it with random but valid data: an enum picks one of its options, a boolean is a coin, a
long/double stays within min/max, a date lands near the clock, a string is Chinese sample text
within minlength/maxlength. A process's policy module (``bench/policies/<process id>.py``, holding
``POLICY``) only says what the generic filler cannot guess: realistic start data and the odds of
the decisions that steer the paths (an owner is satisfied 9 times in 10, not 1 in 2). A process
with no module gets the generic policy, so a new BPMN file is simulated from the day it lands."""
from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.clock import SHANGHAI, to_iso

# A field's answer: a constant, or a function of (rng, ctx) where ctx = {"now", "task", "data", "case",
# "filled"}: "data" is a function returning the instance's data, "filled" the answers given so far.
Answer = Any
# What a policy function reads by key; its values are of several kinds (a datetime, the task JSON, a
# function, an int), hence Any.
Ctx = dict[str, Any]
# The task JSON, its form entries, an instance's data and a message's payload: JSON objects.
Json = dict[str, Any]
SKIP = object()          # leave the field out (its default applies)

SAMPLE_TEXT = ("已与业主电话沟通，业主表示理解", "现场查看后已安排处理", "按规程办理完毕", "业主对处理结果满意",
               "资料已核对无误", "已登记并通知相关部门", "已上门查看并拍照记录", "楼道灯已更换",
               "已向业主说明收费标准", "工程部已派人维修", "业主要求尽快处理", "已归档")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英")


def chance(p: float) -> Callable[[random.Random, Ctx], bool]:
    """A boolean that is true with probability ``p``."""
    return lambda rng, ctx: rng.random() < p


def pick(weights: dict[str, float]) -> Callable[[random.Random, Ctx], str]:
    """One of the keys, with the given relative weights."""
    keys, w = list(weights), list(weights.values())
    return lambda rng, ctx: rng.choices(keys, w)[0]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def phone(rng: random.Random) -> str:
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def room(rng: random.Random, building: int | None = None) -> str:
    return f"{building or rng.randint(1, 18)}-{rng.randint(1, 4)}-{rng.randint(1, 30)}{rng.randint(1, 4):02d}"


def text(rng: random.Random, minlength: int | None = None, maxlength: int | None = None) -> str:
    s = rng.choice(SAMPLE_TEXT)
    while minlength and len(s) < minlength:
        s += "，" + rng.choice(SAMPLE_TEXT)
    return s[:maxlength] if maxlength else s


def near(now: datetime, rng: random.Random, *, min_hours: float = 0.5, max_hours: float = 48) -> str:
    """An instant shortly after ``now``, on a whole minute, as ISO with offset."""
    at = now + timedelta(hours=rng.uniform(min_hours, max_hours))
    return to_iso(at.replace(second=0, microsecond=0))


def working_hour(day: datetime, rng: random.Random, first: int = 9, last: int = 16) -> datetime:
    """A whole-minute instant between ``first`` and ``last`` o'clock on ``day``'s Shanghai date."""
    local = day.astimezone(SHANGHAI).replace(hour=rng.randint(first, last), minute=rng.choice((0, 15, 30, 45)),
                                             second=0, microsecond=0)
    return local


def generic_value(f: Json, rng: random.Random, ctx: Ctx) -> Any:
    """A random valid value for one form field of the task JSON (design.md's `form` entries)."""
    kind = f["type"]
    if kind == "enum":
        return rng.choice(f["options"])["id"]
    if kind == "boolean":
        return True if f.get("confirmed") else rng.random() < 0.5
    if kind == "long":
        low = int(f["min"]) if f.get("min") is not None else 0
        high = int(f["max"]) if f.get("max") is not None else low + 10
        return rng.randint(low, min(high, low + 100))
    if kind == "double":
        lowest = float(f["min"]) if f.get("min") is not None else 0.0
        highest = float(f["max"]) if f.get("max") is not None else lowest + 5000.0
        return round(rng.uniform(lowest, min(highest, lowest + 5000.0)), 2)
    if kind == "date" and f.get("not_future"):
        return to_iso(ctx["now"].replace(microsecond=0))     # a time that has happened: now, at the latest
    if kind == "date":
        return near(ctx["now"], rng)
    return text(rng, f.get("minlength"), f.get("maxlength"))


@dataclass
class Policy:
    """What one process's simulated staff do beyond the generic filler.

    ``start``: start-form answers by field id (constants or functions of (rng, ctx)), applied over
    the generic ones; ``answers``: per task name (BPMN element id), per field id; ``payments``: for
    processes that wait for BPMN messages, a function (rng, start data, start time) -> list of
    (delay after the start, message name, payload) (the follow-up-rate KPI finds the follow-up
    tasks in the BPMN itself); ``start_hours``: (first, last) hour of day cases
    are started in, or None for round the clock; ``optional_fill``: the chance an optional field
    is filled in."""
    process: str
    start: dict[str, Answer] = field(default_factory=dict)
    answers: dict[str, dict[str, Answer]] = field(default_factory=dict)
    payments: Callable[[random.Random, Json, datetime], list[tuple[timedelta, str, Json]]] | None = None
    start_hours: tuple[int, int] | None = (9, 16)
    start_days: tuple[float, float] = (0.0, 0.8)       # share of the month in which cases start
    optional_fill: float = 0.6

    def _value(self, answer: Answer, rng: random.Random, ctx: Ctx) -> Any:
        return answer(rng, ctx) if callable(answer) else answer

    def fill(self, form: list[Json], overrides: dict[str, Answer], rng: random.Random, ctx: Ctx) -> Json:
        out: Json = {}
        for f in form:
            if f.get("readonly"):
                continue
            if f["id"] in overrides:
                value = self._value(overrides[f["id"]], rng, {**ctx, "filled": out})
                if value is not SKIP:
                    out[f["id"]] = value
                continue
            if f.get("required_if") and out.get(f["required_if"]) is True:
                out[f["id"]] = True if f["type"] == "boolean" else generic_value(f, rng, ctx)
                continue                                # required once the field it names is 是
            if f.get("default") is not None and not f.get("required"):
                continue                                # the form's own default is a valid answer
            if not f.get("required") and rng.random() >= self.optional_fill:
                continue
            if f.get("required") and f.get("default") is not None and rng.random() < 0.5:
                continue                                # accept the default as a person often does
            out[f["id"]] = generic_value(f, rng, ctx)
        return out

    def start_data(self, form: list[Json], rng: random.Random, now: datetime, case: int) -> Json:
        return self.fill(form, self.start, rng, {"now": now, "task": None, "data": dict, "case": case})

    def answer(self, task: Json, data: Callable[[], Json], rng: random.Random, now: datetime) -> Json:
        """``data`` returns the instance's current data; it is only called by answers that need it."""
        ctx = {"now": now, "task": task, "data": data, "case": task.get("instance")}
        return self.fill(task.get("form") or [], self.answers.get(task["name"], {}), rng, ctx)


def policy_for(process_id: str) -> Policy:
    """The process's own policy module if there is one, else the generic policy."""
    try:
        module = importlib.import_module(f"bench.policies.{process_id}")
    except ModuleNotFoundError as e:
        if e.name != f"bench.policies.{process_id}":
            raise
        return Policy(process=process_id)
    return module.POLICY
