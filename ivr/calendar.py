"""The one working-day calendar: sign-out schedules, menus and callbacks all ask it.

Working days follow the official Chinese calendar with its 调休 (a Saturday or Sunday
made a working day, a weekday made a holiday) from the ``chinese-calendar`` package;
an admin override for a date wins. For a year the package does not know yet, Monday to
Friday are taken as working days, and a warning says that overrides are needed.

``official_working_day`` and ``is_working_day`` are pure; ``Calendar`` reads and keeps
the overrides (SQL in ``queries.sql``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import chinese_calendar

from core.logging import get_logger
from db.sql import load_queries

log = get_logger("ivr")
Q = load_queries("ivr")

_warned_years: set[int] = set()


class DayKind(enum.Enum):
    WORKING = "working"  # an ordinary working day
    REST = "rest"  # an ordinary weekend day
    HOLIDAY = "holiday"  # a public holiday (the official calendar's, or an admin's)
    MAKE_UP = "make_up"  # 调休: a weekend day made a working day


@dataclass(frozen=True)
class Day:
    """What the calendar says of one date: the dial plan's time switch and holiday
    greeting, the sign-out schedule and callback dispatch all read this."""

    day: date
    kind: DayKind
    holiday: str | None = None  # the holiday's key (e.g. ``spring_festival``) on a holiday
    official: bool = True  # False: this year's make-up working days are not official yet

    @property
    def working(self) -> bool:
        return self.kind in (DayKind.WORKING, DayKind.MAKE_UP)


def official_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "the official calendar for this year is not known yet; Monday-Friday "
                "are working days until calendar_overrides say otherwise",
                year=day.year,
            )
        return day.isoweekday() <= 5


def is_working_day(
    day: date, override: bool | None, official: Callable[[date], bool] = official_working_day
) -> bool:
    return override if override is not None else official(day)


class Calendar:
    """Working days with the admins' overrides from PostgreSQL."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def override(self, day: date) -> bool | None:
        value = await self.pool.fetchval(Q["calendar_override"], day)
        return None if value is None else bool(value)

    async def is_working_day(self, day: date) -> bool:
        return is_working_day(day, await self.override(day))

    async def set_override(self, day: date, working: bool, note: str) -> None:
        await self.pool.execute(Q["set_calendar_override"], day, working, note)

    async def clear_override(self, day: date) -> None:
        """Back to the official calendar for ``day``."""
        await self.pool.execute(Q["delete_calendar_override"], day)
