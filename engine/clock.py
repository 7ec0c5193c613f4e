"""The engine's only source of "now", plus parsing/formatting of instants.

Why: every deadline (procedures §2) is computed from a clock that tests and simulations
can set, so nothing else in the code base may read the wall clock. ``SystemClock.now`` is
the single permitted call (marked ``# clock-ok`` so a lint can grep for violations).

Conventions used everywhere:
- internally, instants are tz-aware ``datetime`` in UTC;
- text without an offset is Asia/Shanghai local time (that is what the desk types);
- everything shown in JSON goes through :func:`to_iso` (Shanghai offset, ``+08:00``).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

__all__ = ["SHANGHAI", "Clock", "FixedClock", "SystemClock", "parse_instant", "require_aware", "to_iso"]

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Longest accepted ISO text; anything longer is garbage and must not cost parsing time.
_MAX_ISO_LEN = 64
# The years an instant typed anywhere may have, in its own offset and in UTC: at the calendar's
# edges (0001-01-01T00:00:00+14:00, 9999-12-31T23:59:59-01:00) converting to UTC or adding a
# deadline overflows; no appointment, payment or deadline of a property company lies out here.
MIN_YEAR, MAX_YEAR = 1900, 2999


def require_aware(dt: object, what: str = "datetime") -> datetime:
    """Return ``dt`` if it is a tz-aware datetime, else raise ValueError (naive times are ambiguous)."""
    if not isinstance(dt, datetime):
        raise ValueError(f"{what} must be a datetime, got {type(dt).__name__}: {dt!r}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {dt.isoformat()}")
    return dt


@runtime_checkable
class Clock(Protocol):
    """Anything that can tell the current instant (tz-aware, UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, used in production."""

    def now(self) -> datetime:
        return datetime.now(UTC)  # clock-ok


class FixedClock:
    """A clock that stands still until told to move; for tests and simulations."""

    def __init__(self, at: datetime) -> None:
        self._at = require_aware(at, "FixedClock time").astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward (or back, with a negative delta); return the new time."""
        if not isinstance(delta, timedelta):
            raise ValueError(f"advance() needs a timedelta, got {type(delta).__name__}")
        self._at = self._at + delta
        return self._at

    def set(self, at: datetime) -> datetime:
        """Jump to ``at`` (tz-aware); return the new time."""
        self._at = require_aware(at, "FixedClock time").astimezone(UTC)
        return self._at


def instant(clock: Clock) -> Clock:
    """The real clock stopped at its current instant, for one transaction: everything a step records
    happened at one time (its events, its task rows, the deadlines it sets), so that re-executing the
    step at that recorded time gives back exactly the same record. A FixedClock is already still."""
    return FixedClock(clock.now()) if isinstance(clock, SystemClock) else clock


def parse_instant(text: str) -> datetime:
    """Parse ISO 8601 text into an aware UTC datetime.

    ``2026-11-20T17:00:00+08:00`` and ``...Z`` keep their offset; ``2026-11-20T17:00`` (no
    offset) is Shanghai local time; ``2026-11-20`` (date only) is 00:00 Shanghai.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO 8601 date/time string, got {type(text).__name__}: {text!r}")
    s = text.strip()
    if not s or len(s) > _MAX_ISO_LEN or not s.isascii():        # ASCII digits only, as typed
        raise ValueError(f"not an ISO 8601 date/time: {text[:_MAX_ISO_LEN]!r}")
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(
            f"not an ISO 8601 date/time: {text!r} (expected e.g. '2026-11-20T17:00:00+08:00' or '2026-11-20')"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=SHANGHAI)
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise ValueError(f"year {dt.year} of {text!r} is out of the supported years {MIN_YEAR}..{MAX_YEAR}")
    utc = dt.astimezone(UTC)
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise ValueError(f"{text!r} is out of the supported years {MIN_YEAR}..{MAX_YEAR} in UTC")
    return utc


def to_iso(dt: datetime) -> str:
    """Format an aware datetime as ISO 8601 in Shanghai time, e.g. ``2026-11-23T10:00:00+08:00``.

    Microseconds appear only when non-zero (``datetime.isoformat`` behaviour).
    """
    return require_aware(dt).astimezone(SHANGHAI).isoformat()
