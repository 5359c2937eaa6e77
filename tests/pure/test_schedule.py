"""R2c: sign-out times (working days are the one calendar's: tests/pure/test_calendar.py)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from agent_state.schedule import due

TZ = ZoneInfo("Asia/Shanghai")


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
