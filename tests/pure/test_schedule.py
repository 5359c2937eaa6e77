"""R2c: working days from the official calendar (with 调休) and sign-out times."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from agent_state.schedule import due
from ivr.calendar import is_working_day, official_working_day

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-02-14", True),  # a Saturday made a working day for the Spring Festival (调休)
        ("2026-02-16", False),  # a Monday in the Spring Festival holiday
        ("2026-10-01", False),  # National Day
        ("2026-10-10", True),  # Saturday, 调休 after National Day
        ("2026-11-29", False),  # an ordinary Sunday
        ("2026-11-30", True),  # an ordinary Monday
    ],
)
def test_the_official_calendar_decides_working_days(day: str, working: bool) -> None:
    assert official_working_day(date.fromisoformat(day)) is working


def test_an_admin_override_wins() -> None:
    assert is_working_day(date(2026, 10, 1), True)
    assert not is_working_day(date(2026, 11, 30), False)


def test_a_year_the_package_does_not_know_falls_back_to_weekdays() -> None:
    assert official_working_day(date(2030, 1, 7))  # a Monday
    assert not official_working_day(date(2030, 1, 6))  # a Sunday


SCHEDULE = [
    (1, time(13, 30), "noon_break"),
    (1, time(19, 30), "end_of_day"),
    (2, time(13, 30), "noon_break"),
]


def test_due_finds_the_times_passed_since_the_last_check() -> None:
    since = datetime(2026, 11, 30, 13, 29, 50, tzinfo=TZ)  # a Monday
    until = datetime(2026, 11, 30, 13, 30, 5, tzinfo=TZ)
    assert due(SCHEDULE, since, until) == [
        (datetime(2026, 11, 30, 13, 30, tzinfo=TZ), "noon_break")
    ]
    assert due(SCHEDULE, until, until.replace(minute=40)) == []


def test_due_across_midnight_and_days() -> None:
    since = datetime(2026, 11, 30, 19, 0, tzinfo=TZ)
    until = datetime(2026, 12, 1, 14, 0, tzinfo=TZ)
    assert [label for _, label in due(SCHEDULE, since, until)] == ["end_of_day", "noon_break"]
