"""The retry policy and the working-hours gate (the calendar decides the days)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from callback.model import AttemptResult
from callback.policy import RetryPolicy, WorkingHours, retry_at
from dialplan.default_plan import parse_working_hours
from dialplan.model import TimeSwitch
from dialplan.simulate import time_switch_branch
from ivr.calendar import Day, DayKind, weekday_kind

ZONE = ZoneInfo("Asia/Shanghai")
HOURS = "mon-fri 09:00-13:00 15:30-19:30"

# a week in December 2026 the calendar makes unusual (Mon 7 … Tue 15)
SPECIAL = {
    date(2026, 12, 11): Day(date(2026, 12, 11), DayKind.HOLIDAY, "national_day"),  # Fri
    date(2026, 12, 13): Day(date(2026, 12, 13), DayKind.MAKE_UP),  # Sun, 调休
    date(2026, 12, 14): Day(date(2026, 12, 14), DayKind.REST),  # Mon, an admin's day off
}


def day_of(day: date) -> Day:
    return SPECIAL.get(day) or Day(day, weekday_kind(day))


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, day, hh, mm, tzinfo=ZONE)


GATE = WorkingHours.from_setting(HOURS, day_of, ZONE)
ALWAYS = WorkingHours.from_setting("always", day_of, ZONE)
WITH_SATURDAY = WorkingHours.from_setting(HOURS + "; sat 09:00-12:00", day_of, ZONE)


@pytest.mark.parametrize(
    ("gate", "moment", "open_"),
    [
        (GATE, at(7, 8, 59), False),
        (GATE, at(7, 9, 0), True),
        (GATE, at(7, 12, 59), True),
        (GATE, at(7, 13, 0), False),
        (GATE, at(7, 15, 30), True),
        (GATE, at(7, 19, 29), True),
        (GATE, at(7, 19, 30), False),
        (GATE, at(11, 10), False),  # a holiday
        (GATE, at(12, 10), False),  # an ordinary Saturday
        (GATE, at(13, 10), True),  # a make-up Sunday keeps Monday's hours
        (GATE, at(13, 14), False),
        (GATE, at(14, 10), False),  # a Monday made a day off
        (GATE, datetime(2026, 12, 7, 2, 0, tzinfo=UTC), True),  # 10:00 in the centre
        (GATE, datetime(2026, 12, 7, 12, 0, tzinfo=UTC), False),  # 20:00 in the centre
        (ALWAYS, at(11, 3), True),
        (ALWAYS, at(12, 23, 59), True),
        (WITH_SATURDAY, at(12, 10), True),  # the centre opens on Saturdays
        (WITH_SATURDAY, at(12, 12), False),
    ],
)
def test_the_gate_is_open_in_working_hours_on_the_days_the_calendar_opens(
    gate: WorkingHours, moment: datetime, open_: bool
) -> None:
    assert gate.is_open(moment) is open_


@pytest.mark.parametrize("text", [HOURS, HOURS + "; sat 09:00-12:00"])
def test_the_gate_agrees_with_the_dial_plans_time_switch(text: str) -> None:
    hours = parse_working_hours(text)
    assert hours is not None
    switch = TimeSwitch("t", hours, open="open", closed="closed", holiday="holiday")
    gate = WorkingHours(hours, day_of, ZONE)
    for day in range(7, 16):
        for minute in range(0, 24 * 60, 15):
            moment = at(day, minute // 60, minute % 60)
            branch, _ = time_switch_branch(switch, day_of(moment.date()), moment.time())
            assert gate.is_open(moment) is (branch == "open"), moment


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(7, 8), at(7, 9)),
        (at(7, 10, 17), at(7, 10, 17)),  # open: now
        (at(7, 13, 10), at(7, 15, 30)),
        (at(7, 19, 30), at(8, 9)),
        (at(10, 20), at(13, 9)),  # past the holiday and the Saturday to the make-up day
        (at(13, 20), at(15, 9)),  # past the day off
        (datetime(2026, 12, 7, 0, 0, tzinfo=UTC), datetime(2026, 12, 7, 1, 0, tzinfo=UTC)),
    ],
)
def test_next_open_is_the_next_working_moment(moment: datetime, expected: datetime) -> None:
    found = GATE.next_open(moment)
    assert found == expected
    assert found is not None and found.utcoffset() == moment.utcoffset()


def test_next_open_gives_up_past_its_horizon() -> None:
    assert GATE.next_open(at(7, 20), horizon_days=0) is None
    assert GATE.next_open(at(7, 20), horizon_days=1) == at(8, 9)
    closed = WorkingHours(GATE.hours, lambda d: Day(d, DayKind.HOLIDAY, "spring_festival"), ZONE)
    assert closed.next_open(at(7, 8)) is None
    assert ALWAYS.next_open(at(11, 3)) == at(11, 3)


def test_times_without_a_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        GATE.is_open(datetime(2026, 12, 7, 10))


@pytest.mark.parametrize(
    ("gate", "day", "end"),
    [
        (GATE, date(2026, 12, 7), at(7, 19, 30)),
        (GATE, date(2026, 12, 13), at(13, 19, 30)),  # make-up: Monday's hours
        (
            WorkingHours.from_setting("mon-fri 08:00-24:00", day_of, ZONE),
            date(2026, 12, 7),
            at(8, 0),
        ),
        (ALWAYS, date(2026, 12, 7), at(8, 0)),
    ],
)
def test_a_working_day_ends_with_its_last_period(
    gate: WorkingHours, day: date, end: datetime
) -> None:
    assert gate.end_of_working_day(day) == end


@pytest.mark.parametrize(
    ("now", "working_days", "due"),
    [
        (at(7, 11), 1, at(8, 19, 30)),
        (at(10, 11), 1, at(13, 19, 30)),  # past the holiday and the Saturday
        (at(10, 11), 2, at(15, 19, 30)),  # and past the day off
        (at(12, 11), 1, at(13, 19, 30)),  # asked on a Saturday
        (at(10, 11), 0, at(10, 19, 30)),  # today's end
        (at(11, 11), 0, at(13, 19, 30)),  # today is a holiday: the next working day's
        (datetime(2026, 12, 7, 17, 0, tzinfo=UTC), 1, at(9, 19, 30)),  # already Tuesday there
    ],
)
def test_an_escalation_is_due_at_the_end_of_the_nth_working_day(
    now: datetime, working_days: int, due: datetime
) -> None:
    assert GATE.due_at(now, working_days) == due


POLICY = RetryPolicy(attempts=3, spacing=timedelta(minutes=30), pause=timedelta(minutes=1))
R = AttemptResult


@pytest.mark.parametrize(
    ("so_far", "result", "now", "expected"),
    [
        (0, R.NO_ANSWER, at(7, 10), at(7, 10, 30)),
        (1, R.BUSY, at(7, 10), at(7, 10, 30)),
        (1, R.FAILED, at(7, 10), at(7, 10, 30)),
        (2, R.NO_ANSWER, at(7, 10), None),  # the third counted attempt was the last
        (5, R.BUSY, at(7, 10), None),
        (0, R.NO_ANSWER, at(7, 12, 45), at(7, 15, 30)),  # moved into working hours
        (0, R.BUSY, at(7, 19, 10), at(8, 9)),
        (0, R.NO_ANSWER, at(10, 19, 10), at(13, 9)),  # across the holiday
        (5, R.NO_AGENT, at(7, 10), at(7, 10, 1)),  # not counted: after the pause
        (5, R.NOT_CONFIRMED, at(7, 10), at(7, 10, 1)),
        (0, R.NO_AGENT, at(7, 12, 59), at(7, 15, 30)),  # the pause ends after hours
        (0, R.NOT_CONFIRMED, at(7, 20), at(8, 9)),  # at the next working moment
        (0, R.INVALID_NUMBER, at(7, 10), None),  # never again
        (0, R.ANSWERED, at(7, 10), None),  # the outcome decides
    ],
)
def test_the_retry_policy(
    so_far: int, result: AttemptResult, now: datetime, expected: datetime | None
) -> None:
    assert retry_at(POLICY, so_far, result, now, GATE.next_open) == expected


def test_no_working_moment_in_sight_gives_up() -> None:
    assert retry_at(POLICY, 0, R.NO_ANSWER, at(7, 10), lambda _t: None) is None
    assert retry_at(POLICY, 0, R.NO_AGENT, at(7, 10), lambda _t: None) is None


def test_one_attempt_in_all_means_no_retry() -> None:
    once = RetryPolicy(attempts=1, spacing=timedelta(minutes=30))
    assert retry_at(once, 0, R.NO_ANSWER, at(7, 10), GATE.next_open) is None
    assert retry_at(once, 0, R.NO_AGENT, at(7, 10), GATE.next_open) == at(7, 10)


def test_the_gate_takes_the_centres_zone_not_the_servers() -> None:
    urumqi = WorkingHours.from_setting(HOURS, day_of, ZoneInfo("Asia/Urumqi"))
    # 09:30 in Beijing is 07:30 in Ürümqi: closed there
    assert GATE.is_open(at(7, 9, 30)) and not urumqi.is_open(at(7, 9, 30))
    found = urumqi.next_open(at(7, 9, 30))
    assert found is not None and found == at(7, 11)
    assert found.astimezone(ZoneInfo("Asia/Urumqi")).time() == time(9)
