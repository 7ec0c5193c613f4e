"""SpiffWorkflow's reading of time, routed through our Clock: the single patch point.

SpiffWorkflow's timer module calls ``datetime.now(timezone.utc)`` when it evaluates a timer; here that
module's ``datetime`` is replaced, once at import, by a subclass whose ``now`` asks the Clock of the
current ``clock_context``. Outside one it refuses, so a forgotten context fails loudly instead of
silently reading the wall clock."""
from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, tzinfo
from datetime import datetime as _datetime

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _spiff_timer

from engine.clock import Clock

_current_clock: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("wuye_clock", default=None)


class _ClockDatetime(_datetime):
    """SpiffWorkflow's timer module reads ``datetime.now(timezone.utc)``; this makes it read our Clock.
    A subclass (not a function) because the module also calls fromisoformat/combine on the name."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _datetime:  # type: ignore[override]  # returns a plain datetime
        now = current_now()
        return now.astimezone(tz) if tz else now.astimezone(UTC).replace(tzinfo=None)


_spiff_timer.datetime = _ClockDatetime


def current_now() -> _datetime:
    """The time of the current ``clock_context`` (aware)."""
    clock = _current_clock.get()
    if clock is None:
        raise RuntimeError("SpiffWorkflow read the time outside engine.spiff.clock_context()")
    return clock.now()


@contextmanager
def clock_context(clock: Clock) -> Iterator[None]:
    """Every call into SpiffWorkflow that may evaluate a timer runs inside this."""
    token = _current_clock.set(clock)
    try:
        yield
    finally:
        _current_clock.reset(token)

