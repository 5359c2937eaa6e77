"""The one working-day calendar (pure rules): the sign-out schedule, the dial plan's time
switch and holiday greeting, and callback dispatch all ask ``day_of``.

What a date is, first rule that speaks wins:

1. an admin's **override** for that date (working, a named holiday, or a rest day);
2. the year's **official notice** (the State Council's, entered by an admin: holiday
   ranges with their key, and the 调休 make-up working days);
3. ``chinese-calendar`` for the years it knows (2004–2026 in 1.11): holidays with their
   name, and its in-lieu working days as make-up days;
4. past its years, the ``holidays`` package: holidays that follow fixed and lunar rules
   (it has 2027's Spring Festival) but not the State Council's make-up working days —
   such a year's days are ``official=False`` until an admin enters the notice;
5. otherwise Monday to Friday work, Saturday and Sunday rest.

``Calendar`` (``ivr.calendar_service``) keeps the overrides and notices from PostgreSQL
and answers ``day_of(date)`` synchronously from them.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar
import holidays as holidays_package


class DayKind(enum.Enum):
    WORKING = "working"  # a working day
    REST = "rest"  # not a working day and no holiday: a weekend, or an admin's day off
    HOLIDAY = "holiday"  # a public holiday (the official calendar's, or an admin's)
    MAKE_UP = "make_up"  # 调休: a weekend day made a working day


class Source(enum.Enum):
    """Which rule decided a date (shown to admins)."""

    OVERRIDE = "override"
    NOTICE = "notice"
    CHINESE_CALENDAR = "chinese_calendar"
    HOLIDAYS_PACKAGE = "holidays_package"
    WEEKDAY_RULE = "weekday_rule"


@dataclass(frozen=True)
class Day:
    """What the calendar says of one date: the dial plan's time switch and holiday
    greeting, the sign-out schedule and callback dispatch all read this.

    An *ordinary* day is a working Monday–Friday or a resting Saturday/Sunday with no
    holiday: its weekday's hours apply. A make-up day keeps the make-up hours, a holiday
    is a holiday, and a Monday–Friday made ``REST`` by an admin is closed all day."""

    day: date
    kind: DayKind
    holiday: str | None = None  # the holiday's key (e.g. ``spring_festival``) on a holiday
    official: bool = True  # False: this year's make-up working days are not official yet
    source: Source = Source.WEEKDAY_RULE

    @property
    def working(self) -> bool:
        return self.kind in (DayKind.WORKING, DayKind.MAKE_UP)

    @property
    def ordinary(self) -> bool:
        usual = DayKind.WORKING if self.day.isoweekday() <= 5 else DayKind.REST
        return self.kind is usual and self.holiday is None


@dataclass(frozen=True)
class HolidayName:
    name: str  # the holiday's Chinese name
    wish: str | None  # what the greeting wishes the caller (R7), None: no customary wish


# The holidays of the State Council's notices, with their names and wishes (R7).
HOLIDAYS: Mapping[str, HolidayName] = {
    "new_years_day": HolidayName("元旦", "新年好"),
    "spring_festival": HolidayName("春节", "春节快乐"),
    # 清明 is a day for remembering the dead: no wish is customary, so none is spoken
    "tomb_sweeping_day": HolidayName("清明节", None),
    "labour_day": HolidayName("劳动节", "劳动节快乐"),
    "dragon_boat_festival": HolidayName("端午节", "端午安康"),
    "mid_autumn_festival": HolidayName("中秋节", "中秋快乐"),
    "national_day": HolidayName("国庆节", "国庆快乐"),
}


class OverrideKind(enum.Enum):
    WORKING = "working"
    HOLIDAY = "holiday"  # with a holiday key
    REST = "rest"


@dataclass(frozen=True)
class Override:
    """An admin's word on one date."""

    day: date
    kind: OverrideKind
    holiday: str | None = None  # a key of ``HOLIDAYS`` when ``kind`` is HOLIDAY
    note: str = ""
    set_by: str = ""
    set_at: datetime | None = None


@dataclass(frozen=True)
class HolidayRange:
    first: date
    last: date  # inclusive
    holiday: str  # a key of ``HOLIDAYS``


@dataclass(frozen=True)
class Notice:
    """A year's official notice (国务院办公厅关于…部分节假日安排的通知), as an admin entered it."""

    year: int
    holidays: tuple[HolidayRange, ...]
    make_up_days: tuple[date, ...]
    entered_by: str = ""
    entered_at: datetime | None = None


# ---- the rules ------------------------------------------------------------------------


def day_of(day: date, overrides: Mapping[date, Override], notices: Mapping[int, Notice]) -> Day:
    """What ``day`` is, by the first rule that speaks (see the module's doc)."""
    official = is_official_year(day.year, notices)
    override = overrides.get(day)
    if override is not None:
        return _overridden(override, official)
    notice = notices.get(day.year)
    if notice is not None:
        return _by_notice(day, notice)
    if knows_year(day.year):
        return _by_chinese_calendar(day)
    return _by_holidays_package(day)


def days(
    start: date, end: date, overrides: Mapping[date, Override], notices: Mapping[int, Notice]
) -> list[Day]:
    """Every date in ``[start, end]`` that is not an ordinary day (for the compiler)."""
    found = []
    day = start
    while day <= end:
        seen = day_of(day, overrides, notices)
        if not seen.ordinary:
            found.append(seen)
        day += timedelta(days=1)
    return found


def is_official_year(year: int, notices: Mapping[int, Notice]) -> bool:
    """True when the year's make-up working days are known from an official source."""
    return year in notices or knows_year(year)


def unofficial_years(today: date, notices: Mapping[int, Notice]) -> list[int]:
    """Of this year and the next, those whose make-up working days are not official yet."""
    return [y for y in (today.year, today.year + 1) if not is_official_year(y, notices)]


def weekday_kind(day: date) -> DayKind:
    return DayKind.WORKING if day.isoweekday() <= 5 else DayKind.REST


def _overridden(override: Override, official: bool) -> Day:
    if override.kind is OverrideKind.HOLIDAY:
        kind = DayKind.HOLIDAY
    elif override.kind is OverrideKind.REST:
        kind = DayKind.REST
    else:
        weekend = override.day.isoweekday() > 5
        kind = DayKind.MAKE_UP if weekend else DayKind.WORKING
    holiday = override.holiday if kind is DayKind.HOLIDAY else None
    return Day(override.day, kind, holiday, official, Source.OVERRIDE)


def _by_notice(day: date, notice: Notice) -> Day:
    for span in notice.holidays:
        if span.first <= day <= span.last:
            return Day(day, DayKind.HOLIDAY, span.holiday, True, Source.NOTICE)
    if day in notice.make_up_days:
        return Day(day, DayKind.MAKE_UP, None, True, Source.NOTICE)
    return Day(day, weekday_kind(day), None, True, Source.WEEKDAY_RULE)


@functools.cache
def knows_year(year: int) -> bool:
    """Whether ``chinese-calendar`` has the State Council's notice for ``year``."""
    try:
        chinese_calendar.get_holiday_detail(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


# chinese-calendar's holiday names (its ``Holiday`` enum's values) → our keys
_CHINESE_CALENDAR_KEYS = {h.value: h.name for h in chinese_calendar.Holiday if h.name in HOLIDAYS}


def _by_chinese_calendar(day: date) -> Day:
    resting, name = chinese_calendar.get_holiday_detail(day)
    key = _CHINESE_CALENDAR_KEYS.get(name) if name else None
    if resting and name:
        kind = DayKind.HOLIDAY
    elif resting:
        kind = DayKind.REST
    else:  # a working day; one named for a holiday on a weekend is its make-up day
        kind = DayKind.MAKE_UP if name and day.isoweekday() > 5 else DayKind.WORKING
    holiday = key if kind is DayKind.HOLIDAY else None
    return Day(day, kind, holiday, True, Source.CHINESE_CALENDAR)


# the holidays package's English names → our keys; the first that matches wins
_PACKAGE_KEYS = (
    ("chinese new year", "spring_festival"),
    ("spring festival", "spring_festival"),
    ("new year", "new_years_day"),
    ("tomb-sweeping", "tomb_sweeping_day"),
    ("labor day", "labour_day"),
    ("labour day", "labour_day"),
    ("dragon boat", "dragon_boat_festival"),
    ("mid-autumn", "mid_autumn_festival"),
    ("national day", "national_day"),
)


def package_key(name: str) -> str | None:
    """Our key for a holiday name of the ``holidays`` package (None: not one of ours)."""
    lowered = name.lower()
    return next((key for part, key in _PACKAGE_KEYS if part in lowered), None)


@functools.cache
def _package_holidays(year: int) -> Mapping[date, str]:
    return dict(holidays_package.country_holidays("CN", years=year, language="en_US").items())


def _by_holidays_package(day: date) -> Day:
    name = _package_holidays(day.year).get(day)
    if name is None:
        return Day(day, weekday_kind(day), None, False, Source.WEEKDAY_RULE)
    return Day(day, DayKind.HOLIDAY, package_key(name), False, Source.HOLIDAYS_PACKAGE)
