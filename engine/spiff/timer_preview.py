"""When a timer would fall due if it started now: the modeler's "started now, falls due at …".

The expression is evaluated as the engine evaluates it (the sandbox, the business-calendar
functions), every variable it names standing for the moment it starts (``received_at``,
``created_at``: a deadline is reckoned from when the case came in, which is now for a preview);
a ``timeDuration``/``timeCycle`` result is read as SpiffWorkflow reads it (ISO 8601 duration)."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import simpleeval
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.spiff.expressions import evaluate
from engine.spiff.limits import SandboxError

__all__ = ["TimerPreviewError", "timer_due"]


# Camunda writes PT2H unquoted; the deploy quotes it (engine/deploy/timers.py), so it is the string here
_ISO_LITERAL = re.compile(r"^(R\d*/)?P(?=\d|T\d)[0-9YMWDTHS.]+$")
_EVALUATION_ERRORS = (SandboxError, simpleeval.InvalidExpression, SyntaxError, ValueError, TypeError, ArithmeticError,
                      KeyError, AttributeError)


class TimerPreviewError(Exception):
    """The expression does not give a due time; the message says why."""


class _Now(Mapping[str, Any]):
    """Every variable is the start instant."""

    def __init__(self, now: str) -> None:
        self.now = now

    def __getitem__(self, key: str) -> Any:
        return self.now

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def timer_due(kind: str, expression: str, functions: Mapping[str, Callable[..., Any]], now: datetime) -> datetime:
    """``kind``: timeDate, timeDuration or timeCycle (the first period)."""
    try:
        value = expression.strip() if _ISO_LITERAL.match(expression.strip()) else \
            evaluate(expression, _Now(now.isoformat()), functions)
    except _EVALUATION_ERRORS as e:       # the sandbox's refusals and the calendar's errors alike
        raise TimerPreviewError(str(e) or type(e).__name__) from None
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    try:
        if kind == "timeDate":
            due: datetime = TimerEventDefinition.get_datetime(text)
            return due if due.tzinfo else due.replace(tzinfo=now.tzinfo)
        if kind == "timeCycle":          # R3/PT1H: the first period
            text = next((part for part in text.split("/") if part.startswith("P")), text)
        delta: timedelta = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(text),
                                                                          now)
        return now + delta
    except (ValueError, TypeError, KeyError, OverflowError) as e:       # SpiffWorkflow's own parse errors
        raise TimerPreviewError(f"{text!r}: {e}") from None
