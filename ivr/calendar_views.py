"""The admin API of the calendar (role admin; ``CalendarAdmin`` decides, views parse).

GET    /api/admin/calendar?from=YYYY-MM-DD&to=YYYY-MM-DD   every date: kind, holiday,
                                                           official, source
PUT    /api/admin/calendar/overrides/{day}   {kind: working|holiday|rest, holiday?, note?}
DELETE /api/admin/calendar/overrides/{day}   back to the official calendar
GET    /api/admin/calendar/notices/{year}    the year's official notice as entered
PUT    /api/admin/calendar/notices/{year}    {holidays: [{from, to, holiday}],
                                              make_up_days: [dates]}
DELETE /api/admin/calendar/notices/{year}

Refusals are 400 JSON whose ``field`` names what to fix.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from core import inputs
from core.actor import Actor
from core.encoding import json_dumps
from core.errors import InvalidInput
from core.request_actor import actor_of
from ivr.calendar import HOLIDAYS, Day, Notice
from ivr.calendar_input import (
    RANGE_MAX_DAYS,
    notice_from_json,
    override_from_json,
    parse_date,
    parse_year,
)
from ivr.calendar_service import Calendar, CalendarAdmin, unofficial_warning


def day_json(day: Day, note: str = "") -> dict[str, Any]:
    named = HOLIDAYS.get(day.holiday) if day.holiday else None
    return {
        "day": day.day.isoformat(),
        "weekday": day.day.isoweekday(),
        "kind": day.kind.value,
        "working": day.working,
        "holiday": day.holiday,
        "holiday_name": named.name if named else None,
        "wish": named.wish if named else None,
        "official": day.official,
        "source": day.source.value,
        "note": note,
    }


def notice_json(notice: Notice) -> dict[str, Any]:
    return {
        "year": notice.year,
        "holidays": [
            {
                "from": s.first.isoformat(),
                "to": s.last.isoformat(),
                "holiday": s.holiday,
                "holiday_name": HOLIDAYS[s.holiday].name,
            }
            for s in notice.holidays
        ],
        "make_up_days": [d.isoformat() for d in notice.make_up_days],
        "entered_by": notice.entered_by,
        "entered_at": notice.entered_at.isoformat() if notice.entered_at else None,
    }


def _json(body: dict[str, Any]) -> web.Response:
    return web.json_response(body, dumps=json_dumps)


class CalendarViews:
    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.admin = CalendarAdmin(calendar)

    def _admin(self, request: web.Request) -> Actor:
        """The admin asking, checked before the path or the body is read."""
        actor = actor_of(request)
        self.admin.check(actor)
        return actor

    def _day_json(self, day: Day) -> dict[str, Any]:
        override = self.calendar.override(day.day)
        return day_json(day, override.note if override else "")

    async def get_days(self, request: web.Request) -> web.Response:
        actor = self._admin(request)
        start = parse_date(request.query.get("from"), "from")
        end = parse_date(request.query.get("to"), "to")
        if end < start:
            raise InvalidInput("to is before from", field="to")
        if (end - start).days >= RANGE_MAX_DAYS:
            raise InvalidInput(f"ask for at most {RANGE_MAX_DAYS} days at once", field="to")
        days = self.admin.days(actor, start, end)
        years = sorted({d.day.year for d in days if not d.official})
        body: dict[str, Any] = {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "days": [self._day_json(d) for d in days],
            "unofficial_years": years,
        }
        if years:
            body["warning"] = unofficial_warning(years)
        return _json(body)

    async def put_override(self, request: web.Request) -> web.Response:
        actor = self._admin(request)
        day = _path_day(request)
        override = override_from_json(day, inputs.json_object(await request.read()))
        return _json(self._day_json(await self.admin.set_override(actor, override)))

    async def delete_override(self, request: web.Request) -> web.Response:
        actor = self._admin(request)
        return _json(self._day_json(await self.admin.clear_override(actor, _path_day(request))))

    async def get_notice(self, request: web.Request) -> web.Response:
        actor = self._admin(request)
        return _json(notice_json(self.admin.notice(actor, _path_year(request))))

    async def put_notice(self, request: web.Request) -> web.Response:
        actor = self._admin(request)
        year = _path_year(request)
        notice = notice_from_json(year, inputs.json_object(await request.read()))
        return _json(notice_json(await self.admin.set_notice(actor, notice)))

    async def delete_notice(self, request: web.Request) -> web.Response:
        actor = self._admin(request)
        year = _path_year(request)
        await self.admin.clear_notice(actor, year)
        return _json({"year": year, "notice": None})

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/calendar", self.get_days)
        app.router.add_put("/api/admin/calendar/overrides/{day}", self.put_override)
        app.router.add_delete("/api/admin/calendar/overrides/{day}", self.delete_override)
        app.router.add_get("/api/admin/calendar/notices/{year}", self.get_notice)
        app.router.add_put("/api/admin/calendar/notices/{year}", self.put_notice)
        app.router.add_delete("/api/admin/calendar/notices/{year}", self.delete_notice)


def _path_day(request: web.Request) -> date:
    return parse_date(request.match_info["day"], "day")


def _path_year(request: web.Request) -> int:
    return parse_year(request.match_info["year"])
