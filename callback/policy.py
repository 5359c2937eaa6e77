"""When a callback may be dispatched and when it is tried again (pure rules).

``WorkingHours`` is the working-hours gate: the centre's hours (setting ``working_hours``,
read by ``dialplan.default_plan.parse_working_hours``) on the days the one calendar
(``ivr.calendar``) opens, by the same rule as the dial plan's time switch
(``dialplan.simulate.time_switch_branch``): a holiday or a weekday made a day off is
closed, a 调休 make-up day keeps Monday's hours, any other day its weekday's hours.
``retry_at`` is the retry policy: how many attempts, how far apart, never outside
working hours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from callback.model import AttemptResult
from core.errors import ConfigError
from dialplan.default_plan import parse_working_hours
from dialplan.model import Hours, Weekday
from ivr.calendar import Day, DayKind

WeekHours = tuple[tuple[Weekday, tuple[Hours, ...]], ...]
OpenAt = Callable[[datetime], datetime | None]

_NOT_COUNTED = frozenset({AttemptResult.NO_AGENT, AttemptResult.NOT_CONFIRMED})
_NEVER_AGAIN = frozenset({AttemptResult.INVALID_NUMBER, AttemptResult.ANSWERED})
_FAR = 3660  # days: past this no working day is looked for (a calendar gone wrong)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int  # counted attempts in all (settings.callback_attempts)
    spacing: timedelta  # between counted attempts (settings.callback_retry_spacing_s)
    # before a callback nobody idle took (or not confirmed) is offered again
    # (settings.callback_no_agent_retry_s); zero: at once
    pause: timedelta = timedelta(0)


def retry_at(
    policy: RetryPolicy,
    attempts_so_far: int,
    result: AttemptResult,
    now: datetime,
    open_at: OpenAt,
) -> datetime | None:
    """When to try again after an attempt that ended with ``result`` at ``now`` (None:
    give up). ``attempts_so_far`` counts the counted attempts *before* this one (the
    callback's ``attempts``). No agent and not confirmed are not counted and go again
    ``policy.pause`` later, moved into working hours; an invalid number never goes again
    (nor does an answered attempt: its outcome decides); no answer, busy and failed go
    again ``spacing`` later, moved into working hours, until ``policy.attempts`` counted
    attempts were made."""
    if result in _NEVER_AGAIN:
        return None
    if result in _NOT_COUNTED:
        return open_at(now + policy.pause)
    if attempts_so_far + 1 >= policy.attempts:
        return None
    return open_at(now + policy.spacing)


@dataclass(frozen=True)
class WorkingHours:
    """The working-hours gate; every moment in and out is timezone-aware."""

    hours: WeekHours | None  # None: always open (setting ``working_hours = always``)
    day_of: Callable[[date], Day]  # the one calendar (``Calendar.day_of``)
    zone: tzinfo  # the centre's zone: ``ZoneInfo(settings.timezone)``
    make_up_day: Weekday = Weekday.MON  # whose hours a 调休 make-up day keeps

    @classmethod
    def from_setting(cls, text: str, day_of: Callable[[date], Day], zone: tzinfo) -> WorkingHours:
        return cls(parse_working_hours(text), day_of, zone)

    def is_open(self, moment: datetime) -> bool:
        if self.hours is None:
            return True
        local = _aware(moment).astimezone(self.zone)
        return any(local.time() in period for period in self._periods(local.date()))

    def next_open(self, moment: datetime, horizon_days: int = 30) -> datetime | None:
        """``moment`` if it is open, else the start of the next opening period within
        ``horizon_days`` (None: none that soon)."""
        if self.is_open(moment):
            return moment
        assert self.hours is not None
        local = _aware(moment).astimezone(self.zone)
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            for period in self._periods(day):
                start = self._at(day, period.start)
                if start >= local:
                    return start.astimezone(moment.tzinfo)
        return None

    def end_of_working_day(self, day: date) -> datetime:
        """When ``day``'s last opening period ends (midnight after it when it has none, or
        when the centre is always open)."""
        periods = self._periods(day) if self.hours is not None else ()
        return self._at(day, max((p.end for p in periods), default=24 * 60))

    def due_at(self, now: datetime, working_days: int) -> datetime:
        """An escalation's default due time: the end of the ``working_days``-th working
        day after today's (0: today's, or the next working day's when today is not one)."""
        today = _aware(now).astimezone(self.zone).date()
        day = today + timedelta(days=1 if working_days > 0 else 0)
        remaining = max(working_days, 1)
        for _ in range(_FAR):
            if self.day_of(day).working:
                remaining -= 1
                if remaining == 0:
                    return self.end_of_working_day(day)
            day += timedelta(days=1)
        raise ConfigError(f"the calendar has no working day in the {_FAR} days after {today}")

    def _periods(self, day: date) -> tuple[Hours, ...]:
        """The opening periods of ``day`` by the calendar (the time switch's rule)."""
        assert self.hours is not None
        seen = self.day_of(day)
        if seen.kind is DayKind.HOLIDAY or (seen.kind is DayKind.REST and not seen.ordinary):
            return ()
        weekday = Weekday(day.isoweekday())
        if seen.working and weekday >= Weekday.SAT:
            weekday = self.make_up_day
        return dict(self.hours).get(weekday, ())

    def _at(self, day: date, minutes: int) -> datetime:
        return datetime.combine(day, time(0), self.zone) + timedelta(minutes=minutes)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment} has no time zone: callbacks keep timezone-aware times")
    return moment
