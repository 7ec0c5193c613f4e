"""Reading a year of the State Council's holiday notice as an administrator enters it.

Two forms, one reader: a CSV file with rows ``date,kind,name`` (an optional header row
``date,kind,name``), or the same typed or pasted into the browser, where a tab or spaces may stand
for the commas and one row may cover a range (``2027-02-06~2027-02-13,holiday,春节``, as the
notice writes "2月6日至13日放假"). ``kind`` is ``holiday`` or ``workday`` (also 放假/休 and 上班/班).
A 调休 working day must fall on a Saturday or Sunday: a weekday marked ``workday`` is a typing
mistake. Blank lines and lines starting with ``#`` are skipped.

A bad row refuses the whole text, naming its line; a year's days are replaced by the rows given
for it, so every year the text touches must be complete."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

from engine.errors import BadInput

__all__ = ["NoticeDay", "parse_notice"]

HOLIDAY, WORKDAY = "holiday", "workday"
_KINDS = {"holiday": HOLIDAY, "放假": HOLIDAY, "休": HOLIDAY, "假": HOLIDAY,
          "workday": WORKDAY, "上班": WORKDAY, "班": WORKDAY, "补班": WORKDAY}
_RANGE = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s*(?:(?:~|\uff5e|至|\.\.)\s*(\d{4}-\d{1,2}-\d{1,2}))?\s*$")
_MAX_ROWS = 2_000
_MAX_RANGE = 31


@dataclass(frozen=True)
class NoticeDay:
    day: date
    kind: str
    name: str
    line: int


def _refuse(line: int, reason: str, en: str) -> BadInput:
    return BadInput(f"第 {line} 行：{reason}，未保存任何内容 (line {line}: {en}; nothing was stored)",
                    fields={f"line {line}": {"key": "calendar.row", "message": reason, "en": en}})


def _day(text: str, line: int) -> date:
    try:
        y, m, d = (int(part) for part in text.split("-"))
        return date(y, m, d)
    except ValueError:
        raise _refuse(line, f"日期无效 {text!r}", f"not a date: {text!r}") from None


def _cells(raw: str) -> list[str]:
    if "," in raw or "，" in raw:
        return [c.strip() for c in next(csv.reader(io.StringIO(raw.replace("，", ","))))]
    return raw.split(None, 2)


def parse_notice(text: str) -> list[NoticeDay]:
    """The days of ``text`` (see module doc), sorted; BadInput naming the first bad line."""
    out: dict[date, NoticeDay] = {}
    for number, raw in enumerate(text.replace("\ufeff", "").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = _cells(raw)
        if number == 1 and [c.lower() for c in cells[:2]] == ["date", "kind"]:
            continue
        if len(cells) < 2 or len(cells) > 3:
            raise _refuse(number, "应为 日期,类型,名称 三列", "expected date,kind,name")
        when = _RANGE.match(cells[0])
        if not when:
            raise _refuse(number, f"日期无效 {cells[0]!r}（应为 2027-02-06 或 2027-02-06~2027-02-13）",
                          f"not a date or range: {cells[0]!r}")
        first = _day(when.group(1), number)
        last = _day(when.group(2), number) if when.group(2) else first
        if last < first or (last - first).days >= _MAX_RANGE or last.year != first.year:
            raise _refuse(number, "日期范围无效（结束早于开始、跨年或超过 31 天）",
                          "the range ends before it starts, crosses a year or exceeds 31 days")
        kind = _KINDS.get(cells[1].strip().lower())
        if kind is None:
            raise _refuse(number, f"类型应为 holiday（放假）或 workday（上班），而不是 {cells[1]!r}",
                          f"kind must be holiday or workday, not {cells[1]!r}")
        name = (cells[2] if len(cells) == 3 else "").strip()
        if len(name) > 100:
            raise _refuse(number, "名称超过 100 个字", "name longer than 100 characters")
        day = first
        while day <= last:
            if kind == WORKDAY and day.weekday() < 5:
                weekday = "一二三四五"[day.weekday()]
                raise _refuse(number, f"{day.isoformat()} 是周{weekday}，本来就上班；调休上班日应是周六或周日",
                              f"{day.isoformat()} is a weekday already; a make-up working day falls on a weekend")
            if day in out:
                raise _refuse(number, f"{day.isoformat()} 与第 {out[day].line} 行重复",
                              f"{day.isoformat()} is already given on line {out[day].line}")
            out[day] = NoticeDay(day, kind, name, number)
            if len(out) > _MAX_ROWS:
                raise _refuse(number, f"超过 {_MAX_ROWS} 天", f"more than {_MAX_ROWS} days")
            day += timedelta(days=1)
    if not out:
        raise BadInput("没有任何日期：请按 日期,类型,名称 每行一天 (no dates: one row date,kind,name per day)",
                       fields={"text": {"key": "calendar.empty", "message": "没有任何日期"}})
    return sorted(out.values(), key=lambda d: d.day)
