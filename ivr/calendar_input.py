"""An admin's calendar entries from JSON, checked (pure): each refusal is an
``InvalidInput`` whose ``field`` names what to fix (e.g. ``holidays[2].to``).

A year's official notice is one body::

    {"holidays": [{"from": "2027-02-05", "to": "2027-02-11", "holiday": "spring_festival"}],
     "make_up_days": ["2027-02-14"]}

Its dates lie in the year, its holiday keys are ``ivr.calendar.HOLIDAYS``', its holiday
ranges do not overlap each other or a make-up day, and make-up days fall on weekends
(调休 turns a Saturday or a Sunday into a working day).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from core.errors import InvalidInput
from core.inputs import check_text
from ivr.calendar import HOLIDAYS, HolidayRange, Notice, Override, OverrideKind

NOTE_MAX = 200
RANGES_MAX = 20  # a notice has seven holidays; room for a split one or two
MAKE_UP_MAX = 20
YEAR_MIN, YEAR_MAX = 2000, 2100
RANGE_MAX_DAYS = 400  # the dates one GET /api/admin/calendar may ask for
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(raw: object, field: str) -> date:
    try:
        if not isinstance(raw, str) or not _DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(f"{field} must be a date YYYY-MM-DD", field=field) from exc


def parse_year(raw: str, field: str = "year") -> int:
    if not re.fullmatch(r"[0-9]{4}", raw) or not YEAR_MIN <= int(raw) <= YEAR_MAX:
        raise InvalidInput(f"{field} must be a year from {YEAR_MIN} to {YEAR_MAX}", field=field)
    return int(raw)


def holiday_key(raw: object, field: str) -> str:
    if not isinstance(raw, str) or raw not in HOLIDAYS:
        known = ", ".join(HOLIDAYS)
        raise InvalidInput(f"{field} must be one of {known}", field=field)
    return raw


def override_from_json(day: date, body: dict[str, Any]) -> Override:
    """``{"kind": "working" | "holiday" | "rest", "holiday"?: key, "note"?: text}``."""
    kinds = ", ".join(k.value for k in OverrideKind)
    try:
        kind = OverrideKind(body.get("kind"))
    except ValueError:
        raise InvalidInput(f"kind must be one of {kinds}", field="kind") from None
    raw_holiday = body.get("holiday")
    if kind is OverrideKind.HOLIDAY:
        holiday: str | None = holiday_key(raw_holiday, "holiday")
    elif raw_holiday is not None:
        raise InvalidInput("holiday is given only with kind holiday", field="holiday")
    else:
        holiday = None
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        raise InvalidInput(f"note must be a text of up to {NOTE_MAX} characters", field="note")
    check_text("note", note)
    return Override(day, kind, holiday, note)


def notice_from_json(year: int, body: dict[str, Any]) -> Notice:
    ranges = _list(body, "holidays", RANGES_MAX)
    if not ranges:
        raise InvalidInput("holidays must list the year's holidays", field="holidays")
    spans = tuple(_range(raw, f"holidays[{i}]") for i, raw in enumerate(ranges))
    make_up = tuple(
        parse_date(raw, f"make_up_days[{i}]")
        for i, raw in enumerate(_list(body, "make_up_days", MAKE_UP_MAX))
    )
    notice = Notice(year, spans, make_up)
    check_notice(notice)
    return notice


def check_notice(notice: Notice) -> None:
    """Refuse a notice that cannot be the State Council's (the field says where)."""
    for i, span in enumerate(notice.holidays):
        for name, at in (("from", span.first), ("to", span.last)):
            _in_year(notice.year, at, f"holidays[{i}].{name}")
        if span.last < span.first:
            raise InvalidInput(f"holidays[{i}].to is before its from", field=f"holidays[{i}].to")
        for j, other in enumerate(notice.holidays[:i]):
            if span.first <= other.last and other.first <= span.last:
                raise InvalidInput(f"holidays[{i}] overlaps holidays[{j}]", field=f"holidays[{i}]")
    seen: set[date] = set()
    for i, day in enumerate(notice.make_up_days):
        field = f"make_up_days[{i}]"
        _in_year(notice.year, day, field)
        if day.isoweekday() <= 5:
            raise InvalidInput(f"{field} ({day}) is not a Saturday or Sunday", field=field)
        if day in seen:
            raise InvalidInput(f"{field} ({day}) is listed twice", field=field)
        seen.add(day)
        if any(s.first <= day <= s.last for s in notice.holidays):
            raise InvalidInput(f"{field} ({day}) lies in a holiday", field=field)


def _list(body: dict[str, Any], key: str, most: int) -> list[Any]:
    value = body.get(key, [])
    if not isinstance(value, list) or len(value) > most:
        raise InvalidInput(f"{key} must be a list of up to {most}", field=key)
    return value


def _range(raw: object, field: str) -> HolidayRange:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{field} must be an object {{from, to, holiday}}", field=field)
    first = parse_date(raw.get("from"), f"{field}.from")
    last = parse_date(raw.get("to"), f"{field}.to")
    return HolidayRange(first, last, holiday_key(raw.get("holiday"), f"{field}.holiday"))


def _in_year(year: int, day: date, field: str) -> None:
    if day.year != year:
        raise InvalidInput(f"{field} ({day}) is not in {year}", field=field)
