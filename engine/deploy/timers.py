"""Deploy-time rules for timer definitions (timeDuration, timeDate, timeCycle).

Why: SpiffWorkflow *evaluates* a timer's text, so Camunda's bare ``PT2H`` would be a NameError the
first time a token reaches the timer, and a cron cycle (``0 0/5 * * * ?``, which Camunda accepts)
can never run. A plain ISO 8601 literal is quoted in the copy SpiffWorkflow parses; anything else
must be an expression the sandbox accepts (``add_working_hours(received_at, 8)``)."""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from lxml import etree

from engine.deploy.expressions import not_empty, runs_in_the_sandbox, text_of
from engine.deploy.problems import Context, Finding
from engine.spiff.timers import TimerRefused, check_timer

__all__ = ["TIMER", "timer_is_not_cron", "timer_is_not_empty", "timer_is_within_bounds", "timer_runs_in_the_sandbox"]

TIMER = "定时表达式 (timer)"
# Quartz/cron (`0/5 0/1 * 1/1 * ?`): Camunda accepts it in timeCycle; we only run ISO 8601 intervals.
_CRON = re.compile(r"^(?=.*[*?])[0-9*?/,-]+(\s+[0-9*?/,LW#A-Za-z-]+){4,6}$")
_ISO_LITERAL = re.compile(r"^(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
                          r"|\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)(/.*)?$")


def timer_is_not_cron(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    text = text_of(node)
    if _CRON.match(text):
        yield Finding(node, f"不支持 cron 表达式 {text!r} (cron timers are not supported: use an "
                            "ISO 8601 repeating interval such as R/PT5M)")


def timer_is_not_empty(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    yield from not_empty(node, TIMER)


def timer_runs_in_the_sandbox(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """An ISO literal is quoted (it is then a string expression); an expression must pass the sandbox."""
    text = text_of(node)
    if _ISO_LITERAL.match(text):
        node.text = f'"{text}"'       # Camunda writes PT2H; SpiffWorkflow evaluates it
    elif not _CRON.match(text):
        yield from runs_in_the_sandbox(ctx, node, TIMER)


def timer_is_within_bounds(ctx: Context, node: etree._Element) -> Iterator[Finding]:
    """A literal timer (`P99999999Y`, `R/PT0S`, or the same quoted) is parsed here within the bounds
    of engine/spiff/timers.py: at most TIMER_MAX_YEARS long, a cycle's period at least
    TIMER_MIN_PERIOD seconds. What an expression computes is checked by the same bounds when it runs."""
    text = text_of(node)
    literal = text if _ISO_LITERAL.match(text) else _string_constant(text)
    if literal is None:
        return
    try:
        check_timer(etree.QName(node).localname, literal)
    except TimerRefused as e:
        yield Finding(node, f"{TIMER}: {e.message}")


def _string_constant(text: str) -> str | None:
    """The string an expression is when it is nothing but a string literal ("PT2H"), else None."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None
