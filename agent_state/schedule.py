"""R2c: the noon break and the end of the day sign agents out — on working days.

Working days are the one calendar's (``ivr.calendar``: the official calendar with 调休,
and the admins' overrides).

``due`` is pure; ``ScheduleRunner`` checks every few seconds and signs out every
signed-in agent when a sign-out time passes (those on a call: when it ends).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from agent_state import schedule_repo
from agent_state.model import SignOut, Source, State
from agent_state.schedule_repo import Entry
from agent_state.service import AgentService
from core.logging import get_logger
from core.tasks import cancel_and_wait
from ivr.calendar_service import Calendar

log = get_logger("agent_state")


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
    def __init__(
        self,
        service: AgentService,
        tz: ZoneInfo,
        every_s: float = 10.0,
        calendar: Calendar | None = None,
    ) -> None:
        self.service = service
        self.calendar = calendar or Calendar(service.pool)
        self.tz = tz
        self.every_s = every_s
        self.last = datetime.now(tz)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="sign-out-schedule")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

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
        signed_out: list[str] = []
        for moment, label in due(await schedule_repo.schedule(self.service.pool), since, now):
            if not await self.calendar.is_working_day(moment.date()):
                continue
            log.info("scheduled sign-out", label=label, at=moment.isoformat())
            for job, agent in list(self.service.agents.items()):
                if agent.state is not State.LOGGED_OUT and not agent.sign_out_pending:
                    await self.service.apply(job, SignOut(source=Source.SYSTEM), actor=label)
                    signed_out.append(job)
        return signed_out
