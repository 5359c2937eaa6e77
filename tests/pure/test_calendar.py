"""The one working-day calendar: override > official notice > chinese-calendar > the
holidays package (fixed and lunar rules, no make-up days: not official) > weekdays."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest

from core.errors import InvalidInput
from ivr.calendar import (
    HOLIDAYS,
    Day,
    DayKind,
    HolidayRange,
    Notice,
    Override,
    OverrideKind,
    Source,
    day_of,
    days,
    package_key,
    unofficial_years,
)
from ivr.calendar_input import notice_from_json, override_from_json

D = date.fromisoformat
NO_OVERRIDES: dict[date, Override] = {}
NO_NOTICES: dict[int, Notice] = {}

# the State Council's 2027 notice, as an admin might enter it (dates for the tests)
NOTICE_2027 = Notice(
    2027,
    holidays=(
        HolidayRange(D("2027-02-05"), D("2027-02-12"), "spring_festival"),
        HolidayRange(D("2027-10-01"), D("2027-10-07"), "national_day"),
    ),
    make_up_days=(D("2027-02-14"), D("2027-10-09")),  # a Sunday, a Saturday
)


@pytest.mark.parametrize(
    ("day", "kind", "holiday"),
    [
        ("2026-10-01", DayKind.HOLIDAY, "national_day"),
        ("2026-02-16", DayKind.HOLIDAY, "spring_festival"),  # a Monday in the holiday
        ("2026-04-05", DayKind.HOLIDAY, "tomb_sweeping_day"),  # a Sunday, and 清明
        ("2026-02-14", DayKind.MAKE_UP, None),  # a Saturday worked for the Spring Festival
        ("2026-10-10", DayKind.MAKE_UP, None),  # a Saturday worked after National Day
        ("2026-11-29", DayKind.REST, None),  # an ordinary Sunday
        ("2026-11-30", DayKind.WORKING, None),  # an ordinary Monday
    ],
)
def test_chinese_calendar_decides_the_years_it_knows(
    day: str, kind: DayKind, holiday: str | None
) -> None:
    seen = day_of(D(day), NO_OVERRIDES, NO_NOTICES)
    assert (seen.kind, seen.holiday) == (kind, holiday)
    assert seen.official and seen.source is Source.CHINESE_CALENDAR
    assert seen.working is (kind in (DayKind.WORKING, DayKind.MAKE_UP))


@pytest.mark.parametrize(
    ("override", "kind", "holiday"),
    [
        (Override(D("2026-10-01"), OverrideKind.WORKING), DayKind.WORKING, None),  # 值班
        (Override(D("2026-11-29"), OverrideKind.WORKING), DayKind.MAKE_UP, None),  # a Sunday
        (Override(D("2026-02-14"), OverrideKind.REST), DayKind.REST, None),
        (
            Override(D("2026-11-30"), OverrideKind.HOLIDAY, "new_years_day"),
            DayKind.HOLIDAY,
            "new_years_day",
        ),
        (
            Override(D("2027-02-20"), OverrideKind.HOLIDAY, "spring_festival"),
            DayKind.HOLIDAY,
            "spring_festival",
        ),
    ],
)
def test_an_admin_override_wins(override: Override, kind: DayKind, holiday: str | None) -> None:
    notices = {2027: NOTICE_2027}
    seen = day_of(override.day, {override.day: override}, notices)
    assert (seen.kind, seen.holiday, seen.source) == (kind, holiday, Source.OVERRIDE)


def test_2027_is_known_from_the_holidays_package_but_not_official() -> None:
    """chinese-calendar 1.11 stops at 2026: the package's rules give 2027's Spring
    Festival, no make-up working day, and every day says it is not official yet."""
    spring = day_of(D("2027-02-06"), NO_OVERRIDES, NO_NOTICES)
    assert (spring.kind, spring.holiday) == (DayKind.HOLIDAY, "spring_festival")
    assert spring.source is Source.HOLIDAYS_PACKAGE and not spring.official
    year = [day_of(D("2027-01-01") + timedelta(n), {}, {}) for n in range(365)]
    assert not [d for d in year if d.kind is DayKind.MAKE_UP]
    assert not [d for d in year if d.official]
    assert {d.holiday for d in year if d.kind is DayKind.HOLIDAY} == set(HOLIDAYS)
    assert day_of(D("2027-02-14"), {}, {}).kind is DayKind.REST  # a Sunday: not worked yet


def test_an_official_notice_decides_its_year() -> None:
    notices = {2027: NOTICE_2027}
    seen = [day_of(D(d), NO_OVERRIDES, notices) for d in ("2027-02-11", "2027-02-14")]
    assert [(d.kind, d.holiday, d.source) for d in seen] == [
        (DayKind.HOLIDAY, "spring_festival", Source.NOTICE),
        (DayKind.MAKE_UP, None, Source.NOTICE),
    ]
    # a date the notice does not list follows the weekdays; the year is official now
    tomb = day_of(D("2027-04-05"), NO_OVERRIDES, notices)
    assert (tomb.kind, tomb.source, tomb.official) == (DayKind.WORKING, Source.WEEKDAY_RULE, True)
    assert all(d.official for d in seen)


def test_a_notice_wins_over_chinese_calendar() -> None:
    notice = Notice(2026, (HolidayRange(D("2026-11-30"), D("2026-11-30"), "national_day"),), ())
    seen = day_of(D("2026-11-30"), NO_OVERRIDES, {2026: notice})
    assert (seen.kind, seen.source) == (DayKind.HOLIDAY, Source.NOTICE)
    assert day_of(D("2026-10-01"), NO_OVERRIDES, {2026: notice}).kind is DayKind.WORKING


def test_unofficial_years_are_this_and_next_without_a_notice() -> None:
    assert unofficial_years(D("2026-11-30"), NO_NOTICES) == [2027]
    assert unofficial_years(D("2026-11-30"), {2027: NOTICE_2027}) == []
    assert unofficial_years(D("2027-03-01"), {2027: NOTICE_2027}) == [2028]


def test_days_lists_every_date_that_is_not_ordinary() -> None:
    overrides = {
        D("2026-11-30"): Override(D("2026-11-30"), OverrideKind.REST),  # a Monday off
        D("2026-11-29"): Override(D("2026-11-29"), OverrideKind.REST),  # a Sunday: ordinary
    }
    listed = days(D("2026-09-28"), D("2026-11-30"), overrides, NO_NOTICES)
    assert [d.day for d in listed if d.kind is DayKind.HOLIDAY] == [
        D("2026-10-01") + timedelta(n) for n in range(7)
    ]
    assert [d.day for d in listed if d.kind is not DayKind.HOLIDAY] == [
        D("2026-10-10"),
        D("2026-11-30"),
    ]
    assert all(not d.ordinary for d in listed)


def test_every_holiday_key_has_a_name_and_wish_and_every_source_maps_onto_them() -> None:
    for key, named in HOLIDAYS.items():
        assert named.name.endswith(("节", "旦")), key
        # 清明 alone has no customary wish; every other holiday's greeting carries one
        assert (named.wish is None) is (key == "tomb_sweeping_day"), key
    assert {h.name for h in chinese_calendar.Holiday} - set(HOLIDAYS) == {"anti_fascist_70th_day"}
    package = {"Chinese New Year's Eve", "Tomb-Sweeping Day", "Labor Day (observed)"}
    assert {package_key(n) for n in package} == {
        "spring_festival",
        "tomb_sweeping_day",
        "labour_day",
    }


def test_the_database_knows_the_same_holiday_keys() -> None:
    migration = Path(__file__).parents[2] / "db" / "migrations" / "0011_calendar.sql"
    for listed in re.findall(r"holiday IN \(([^)]*)\)", migration.read_text()):
        assert set(re.findall(r"'([a-z_]+)'", listed)) == set(HOLIDAYS)


def test_a_day_is_ordinary_when_its_weekday_says_what_it_is() -> None:
    assert Day(D("2026-11-30"), DayKind.WORKING).ordinary
    assert not Day(D("2026-11-30"), DayKind.REST).ordinary
    assert not Day(D("2026-11-28"), DayKind.MAKE_UP).ordinary


# ---- what an admin enters ----------------------------------------------------------------

GOOD: dict[str, Any] = {
    "holidays": [
        {"from": "2027-02-05", "to": "2027-02-12", "holiday": "spring_festival"},
        {"from": "2027-10-01", "to": "2027-10-07", "holiday": "national_day"},
    ],
    "make_up_days": ["2027-02-14", "2027-10-09"],
}


def test_a_good_notice_reads_as_entered() -> None:
    assert notice_from_json(2027, GOOD) == NOTICE_2027


def _with(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


SPRING = {"from": "2027-02-05", "to": "2027-02-12", "holiday": "spring_festival"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_with(holidays=[]), "holidays"),
        (_with(holidays="all"), "holidays"),
        (_with(holidays=[{**SPRING, "from": "2026-12-31"}]), "holidays[0].from"),
        (_with(holidays=[{**SPRING, "to": "2027-2-12"}]), "holidays[0].to"),
        (_with(holidays=[{**SPRING, "to": "2027-02-01"}]), "holidays[0].to"),
        (_with(holidays=[{**SPRING, "holiday": "christmas"}]), "holidays[0].holiday"),
        (_with(holidays=[SPRING, {**SPRING, "from": "2027-02-12"}]), "holidays[1]"),
        (_with(holidays=["2027-02-05"]), "holidays[0]"),
        (_with(make_up_days=["2027-02-15"]), "make_up_days[0]"),  # a Monday
        (_with(make_up_days=["2028-02-13"]), "make_up_days[0]"),  # another year
        (_with(make_up_days=["2027-02-14", "2027-02-14"]), "make_up_days[1]"),
        (_with(make_up_days=["2027-02-06"]), "make_up_days[0]"),  # inside the holiday
        (_with(make_up_days=[20270214]), "make_up_days[0]"),
    ],
)
def test_a_notice_that_cannot_be_official_is_refused_naming_the_field(
    body: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        notice_from_json(2027, body)
    assert refused.value.details["field"] == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "closed"}, "kind"),
        ({"kind": "holiday"}, "holiday"),
        ({"kind": "holiday", "holiday": "christmas"}, "holiday"),
        ({"kind": "working", "holiday": "national_day"}, "holiday"),
        ({"kind": "rest", "note": "x" * 201}, "note"),
    ],
)
def test_an_override_is_refused_naming_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        override_from_json(D("2026-10-01"), body)
    assert refused.value.details["field"] == field
