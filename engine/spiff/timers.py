"""Bounds on timer definitions, at deploy and at run time: SpiffWorkflow 3.2 has none.

Why: `get_timedelta_from_start` adds up the days of every month of a duration one month at a time,
so `P99999999Y` loops 1.2 billion times inside a step (minutes of a held lock, deaf to SIGTERM); a
cycle `R/PT0S` never gets ahead of the clock, so every refresh fires it again. Here SpiffWorkflow's
own parsing functions are wrapped, once at import (the seam's patch, like engine/spiff/clock.py), so
every timer text — an ISO literal or what an expression computed — is checked before that work:

- a duration (alone, or a cycle's period) of at most ``TIMER_MAX_YEARS`` years;
- a cycle's period of at least ``TIMER_MIN_PERIOD`` seconds.

``check_timer`` is the deploy-time twin: the same parsing and bounds, on a literal, running nothing."""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.clock import FixedClock
from engine.spiff.clock import clock_context
from engine.spiff.limits import SandboxError

__all__ = ["TIMER_MAX_YEARS", "TIMER_MIN_PERIOD", "TimerRefused", "check_timer"]


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


TIMER_MAX_YEARS = _env_int("WUYE_TIMER_MAX_YEARS", 10)          # the longest duration or cycle period
TIMER_MIN_PERIOD = _env_int("WUYE_TIMER_MIN_PERIOD_SECONDS", 60)  # the shortest period of a repeating timer
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
