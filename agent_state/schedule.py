"""R2c: the noon break and the end of the day sign agents out — on working days.

Working days follow the official Chinese calendar with its 调休 (a Saturday or Sunday
made a working day, a weekday made a holiday) from the ``chinese-calendar`` package;
an admin override for a date wins. For a year the package does not know yet, Monday to
Friday are taken as working days, and a warning says that overrides are needed.

``due`` is pure; ``ScheduleRunner`` checks every few seconds and signs out every
signed-in agent when a sign-out time passes (those on a call: when it ends).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from agent_state import repo
from agent_state.model import SignOut, Source, State
from agent_state.service import AgentService
from core.logging import get_logger

log = get_logger("agent_state")

Entry = tuple[int, time, str]  # ISO weekday (1 = Monday), time of day, label
_warned_years: set[int] = set()


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


def due(schedule: Iterable[Entry], since: datetime, until: datetime) -> list[tuple[datetime, str]]:
    """The sign-out times in ``(since, until]`` (local, aware datetimes), in order."""
    found = []
    day = since.date()
    while day <= until.date():
        for weekday, at, label in schedule:
            if weekday == day.isoweekday():
                moment = datetime.combine(day, at, tzinfo=since.tzinfo)
                if since < moment <= until:
                    found.append((moment, label))
        day += timedelta(days=1)
    return sorted(found)


class ScheduleRunner:
    def __init__(self, service: AgentService, tz: ZoneInfo, every_s: float = 10.0) -> None:
        self.service = service
        self.tz = tz
        self.every_s = every_s
        self.last = datetime.now(tz)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="sign-out-schedule")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                await self.check(datetime.now(self.tz))
            except Exception:
                log.exception("sign-out schedule check failed")

    async def check(self, now: datetime) -> list[str]:
        """Sign everyone out for each sign-out time since the last check; the agents done."""
        since, self.last = self.last, now
        pool = self.service.pool
        signed_out: list[str] = []
        for moment, label in due(await repo.schedule(pool), since, now):
            override = await repo.calendar_override(pool, moment.date())
            if not is_working_day(moment.date(), override):
                continue
            log.info("scheduled sign-out", label=label, at=moment.isoformat())
            for job, agent in list(self.service.agents.items()):
                if agent.state is not State.LOGGED_OUT and not agent.sign_out_pending:
                    await self.service.apply(job, SignOut(source=Source.SYSTEM), actor=label)
                    signed_out.append(job)
        return signed_out
