"""``Calendar``: the one working-day calendar with the admins' overrides and official
notices from PostgreSQL, kept in memory — loaded asynchronously, asked synchronously
(``day_of``), so the simulator, the sign-out schedule and callback dispatch read it
without a query. Every change made through it reloads it; ``is_working_day`` reloads
first, so a row written by another process counts too.

``CalendarAdmin`` is what the admin API may do with it (role admin only).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from core.actor import Actor, Role
from core.errors import Forbidden, NotFound
from core.logging import get_logger
from ivr import calendar, calendar_repo
from ivr.calendar import Day, Notice, Override

log = get_logger("ivr")


def unofficial_warning(years: list[int]) -> str:
    listed = ", ".join(str(y) for y in years)
    return (
        f"the State Council's make-up working days (调休) for {listed} are not official "
        "yet: holidays follow the fixed and lunar rules and no weekend is worked; enter "
        "the year's notice (PUT /api/admin/calendar/notices/<year>) once it is published"
    )


class Calendar:
    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.overrides: Mapping[date, Override] = {}
        self.notices: Mapping[int, Notice] = {}
        # told after every change (the dial plan compiles the calendar into Asterisk's
        # dialplan, so it must hear of it); a listener's error reaches the admin
        self.listeners: list[Callable[[], Awaitable[None]]] = []

    async def _changed(self) -> None:
        await self.load()
        for listener in self.listeners:
            await listener()

    async def load(self) -> None:
        """Read the overrides and notices again (both replaced at once)."""
        overrides = await calendar_repo.overrides(self.pool)
        notices = await calendar_repo.notices(self.pool)
        self.overrides, self.notices = overrides, notices

    async def day_function(self) -> Callable[[date], Day]:
        """``day_of`` on fresh data: what the dial plan's publish and simulate ask."""
        await self.load()
        return self.day_of

    # ---- asked synchronously -----------------------------------------------------------

    def day_of(self, day: date) -> Day:
        return calendar.day_of(day, self.overrides, self.notices)

    def days(self, start: date, end: date) -> list[Day]:
        """The dates in ``[start, end]`` that are not ordinary days (for the compiler)."""
        return calendar.days(start, end, self.overrides, self.notices)

    def unofficial_years(self, today: date) -> list[int]:
        """Of ``today``'s year and the next, those whose make-up days are not official."""
        return calendar.unofficial_years(today, self.notices)

    def health(self, today: date) -> dict[str, Any]:
        """``/healthz``'s ``calendar`` entry: a warning, never a failure."""
        years = self.unofficial_years(today)
        body: dict[str, Any] = {"unofficial_years": years}
        if years:
            body["warning"] = unofficial_warning(years)
        return body

    def override(self, day: date) -> Override | None:
        return self.overrides.get(day)

    def notice(self, year: int) -> Notice | None:
        return self.notices.get(year)

    # ---- asked and changed asynchronously ----------------------------------------------

    async def is_working_day(self, day: date) -> bool:
        """The sign-out schedule's question, on fresh data."""
        await self.load()
        return self.day_of(day).working

    async def set_override(self, override: Override, by: str) -> None:
        await calendar_repo.set_override(self.pool, override, by)
        log.info(
            "calendar override set",
            day=override.day.isoformat(),
            kind=override.kind.value,
            holiday=override.holiday,
            by=by,
        )
        await self._changed()

    async def clear_override(self, day: date, by: str = "") -> bool:
        """Back to the official calendar for ``day``; True if there was an override."""
        cleared = await calendar_repo.delete_override(self.pool, day)
        log.info("calendar override cleared", day=day.isoformat(), cleared=cleared, by=by)
        await self._changed()
        return cleared

    async def set_notice(self, notice: Notice, by: str) -> None:
        await calendar_repo.replace_notice(self.pool, notice, by)
        log.info(
            "calendar notice entered",
            year=notice.year,
            holidays=len(notice.holidays),
            make_up_days=len(notice.make_up_days),
            by=by,
        )
        await self._changed()

    async def clear_notice(self, year: int, by: str) -> bool:
        cleared = await calendar_repo.delete_notice(self.pool, year)
        log.info("calendar notice removed", year=year, cleared=cleared, by=by)
        await self._changed()
        return cleared


class CalendarAdmin:
    """The admin API's calendar: who may do what is decided here, the views parse."""

    def __init__(self, calendar_: Calendar) -> None:
        self.calendar = calendar_

    @staticmethod
    def check(actor: Actor) -> None:
        if actor.role is not Role.ADMIN:
            raise Forbidden("only an admin reads and edits the calendar")

    def days(self, actor: Actor, start: date, end: date) -> list[Day]:
        self.check(actor)
        return [self.calendar.day_of(start.fromordinal(n)) for n in _ordinals(start, end)]

    async def set_override(self, actor: Actor, override: Override) -> Day:
        self.check(actor)
        await self.calendar.set_override(override, actor.job_number)
        return self.calendar.day_of(override.day)

    async def clear_override(self, actor: Actor, day: date) -> Day:
        self.check(actor)
        await self.calendar.clear_override(day, actor.job_number)
        return self.calendar.day_of(day)

    def notice(self, actor: Actor, year: int) -> Notice:
        self.check(actor)
        notice = self.calendar.notice(year)
        if notice is None:
            raise NotFound(f"no official notice for {year} has been entered", year=year)
        return notice

    async def set_notice(self, actor: Actor, notice: Notice) -> Notice:
        self.check(actor)
        await self.calendar.set_notice(notice, actor.job_number)
        return self.notice(actor, notice.year)

    async def clear_notice(self, actor: Actor, year: int) -> None:
        self.check(actor)
        if not await self.calendar.clear_notice(year, actor.job_number):
            raise NotFound(f"no official notice for {year} has been entered", year=year)


def _ordinals(start: date, end: date) -> range:
    return range(start.toordinal(), end.toordinal() + 1)
