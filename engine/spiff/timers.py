"""Bounds on timer definitions, at deploy and at run time: SpiffWorkflow 3.2 has none.

Why: `get_timedelta_from_start` adds up the days of every month of a duration one month at a time,
so `P99999999Y` loops 1.2 billion times inside a step (minutes of a held lock, deaf to SIGTERM); a
cycle `R/PT0S` never gets ahead of the clock, so every refresh fires it again. Here SpiffWorkflow's
own parsing functions are wrapped, once at import (the seam's patch, like engine/spiff/clock.py), so
every timer text — an ISO literal or what an expression computed — is checked before that work:

- a duration (alone, or a cycle's period) of at most ``TIMER_MAX_YEARS`` years;
- a cycle's period of at least ``TIMER_MIN_PERIOD`` seconds;
- a cycle timer more than ``CYCLE_CATCH_UP`` periods behind (a server down for months, an
  appointment typed in the past) is moved on arithmetically, so it fires once for all of them
  instead of one period per refresh (settling would need as many rounds as periods).

``check_timer`` is the deploy-time twin: the same parsing and bounds, on a literal, running nothing."""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition

from engine.clock import FixedClock
from engine.environment import positive_int
from engine.spiff.clock import clock_context, current_now
from engine.spiff.limits import SandboxError

__all__ = ["CYCLE_CATCH_UP", "TIMER_MAX_YEARS", "TIMER_MIN_PERIOD", "TimerRefused", "check_timer"]


TIMER_MAX_YEARS = positive_int("WUYE_TIMER_MAX_YEARS", 10)          # the longest duration or cycle period
TIMER_MIN_PERIOD = positive_int("WUYE_TIMER_MIN_PERIOD_SECONDS", 60)  # the shortest period of a repeating timer
# A cycle timer at most this many periods behind fires each period on its own (its branch, event and
# violation each time); further behind, it fires once, for all of them, and says how many.
CYCLE_CATCH_UP = 10
_DAYS = {"years": 366, "months": 31, "weeks": 7, "days": 1}
_SECONDS = {"hours": 3600, "minutes": 60, "seconds": 1}


class TimerRefused(SandboxError):
    """A timer text outside the bounds (or not ISO 8601 at all); the message says which and why."""


def _check_span(parsed: dict[str, Any]) -> None:
    """An upper estimate of a parsed duration (366-day years, 31-day months), before SpiffWorkflow
    counts its months one by one."""
    days = sum(float(parsed.get(k, 0)) * n for k, n in _DAYS.items())
    seconds = sum(float(parsed.get(k, 0)) * n for k, n in _SECONDS.items())
    if days + seconds / 86400 > TIMER_MAX_YEARS * 366:
        raise TimerRefused(f"定时时长超过 {TIMER_MAX_YEARS} 年 (a timer duration may be at most "
                           f"{TIMER_MAX_YEARS} years; WUYE_TIMER_MAX_YEARS)")


_from_start = TimerEventDefinition.get_timedelta_from_start
_from_end = TimerEventDefinition.get_timedelta_from_end
_recurring = TimerEventDefinition.parse_iso_recurring_interval


def _bounded_from_start(parsed_duration: dict[str, Any], start: datetime | None = None) -> timedelta:
    _check_span(parsed_duration)
    return _from_start(parsed_duration, start)  # type: ignore[no-any-return]  # SpiffWorkflow is untyped


def _bounded_from_end(parsed_duration: dict[str, Any], end: datetime) -> timedelta:
    _check_span(parsed_duration)
    return _from_end(parsed_duration, end)  # type: ignore[no-any-return]  # SpiffWorkflow is untyped


def _bounded_recurring(expression: str) -> tuple[int, datetime, timedelta]:
    cycles, start, period = _recurring(expression)
    if period.total_seconds() < TIMER_MIN_PERIOD:
        raise TimerRefused(f"重复定时的周期 {period.total_seconds():g} 秒太短，至少 {TIMER_MIN_PERIOD} 秒 "
                           f"(a repeating timer's period must be at least {TIMER_MIN_PERIOD} s; "
                           "WUYE_TIMER_MIN_PERIOD_SECONDS)")
    return cycles, start, period


_cycle_complete = CycleTimerEventDefinition.cycle_complete


def _caught_up_cycle_complete(self: CycleTimerEventDefinition, my_task: Any) -> bool:
    """SpiffWorkflow's ``cycle_complete`` (fire one period if due), with the periods owed beyond
    CYCLE_CATCH_UP skipped first: all but the last of k owed periods are taken off the counter of
    cycles (which then drops by k, the count the step records) and ``next`` moves on by as many
    periods, so this refresh fires once, for the last of them."""
    value = my_task._get_internal_data("event_value")
    if value is None:        # the first time: evaluated and parsed as SpiffWorkflow does it
        cycles, start, period = TimerEventDefinition.parse_iso_recurring_interval(
            my_task.workflow.script_engine.evaluate(my_task, self.expression))
        value = {"cycles": cycles, "next": start.isoformat(), "duration": period.total_seconds()}
        my_task._set_internal_data(event_value=value)
    cycles, period = value.get("cycles"), float(value.get("duration") or 0)
    if isinstance(cycles, int) and cycles != 0 and period > 0:
        due, now = datetime.fromisoformat(value["next"]), current_now()
        owed = math.ceil((now - due).total_seconds() / period)       # periods due: due + i * period < now
        owed = min(owed, cycles) if cycles > 0 else owed
        if owed > CYCLE_CATCH_UP:
            value["next"] = (due + timedelta(seconds=(owed - 1) * period)).isoformat()
            value["cycles"] = cycles - (owed - 1)
    return _cycle_complete(self, my_task)  # type: ignore[no-any-return]  # SpiffWorkflow is untyped


CycleTimerEventDefinition.cycle_complete = _caught_up_cycle_complete
TimerEventDefinition.get_timedelta_from_start = staticmethod(_bounded_from_start)
TimerEventDefinition.get_timedelta_from_end = staticmethod(_bounded_from_end)
TimerEventDefinition.parse_iso_recurring_interval = staticmethod(_bounded_recurring)


def check_timer(kind: str, text: str) -> None:
    """Deploy-time check of a literal timer text; ``kind`` is timeDuration, timeDate or timeCycle.
    Raises TimerRefused with the reason; parses as SpiffWorkflow will, within the bounds."""
    try:
        with clock_context(FixedClock(datetime(2000, 1, 1, tzinfo=UTC))):   # `R/PT1H` starts "now"
            _parse(kind, text)
    except TimerRefused:
        raise
    except Exception as e:  # noqa: BLE001 -- SpiffWorkflow says 'Invalid duration' with a bare Exception
        raise TimerRefused(f"不是有效的 ISO 8601 定时 {text!r} (not a valid ISO 8601 timer: {e})") from None


def _parse(kind: str, text: str) -> None:
    if kind == "timeCycle":
        _bounded_recurring(text)
    elif kind == "timeDuration":
        _bounded_from_start(TimerEventDefinition.parse_iso_duration(text), datetime(2000, 1, 1, tzinfo=UTC))
    else:
        TimerEventDefinition.parse_time_or_duration(text)
