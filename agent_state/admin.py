"""Admin edits of what the agent rules read (supervisors act as admins for now).

GET /api/schedule                                               R2c sign-out times
PUT /api/schedule            {entries: [{weekday, at, label}]}  weekday 1 = Monday
PUT /api/calendar/{day}      {working: bool, note?}             override the calendar
DELETE /api/calendar/{day}                                      back to the official one

(The R5 categories are ``calls.views``'.) Views parse; ``AdminService`` decides.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from aiohttp import web

from agent_state.admin_service import NOTE_MAX, AdminService
from agent_state.schedule_repo import Entry
from agent_state.views import read_body
from core.encoding import json_dumps
from core.errors import InvalidInput
from core.inputs import check_text
from core.request_actor import actor_of

ENTRIES_MAX = 100
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _entry(raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise InvalidInput("each entry is an object {weekday, at, label}")
    weekday, at, label = raw.get("weekday"), raw.get("at"), raw.get("label")
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 1 <= weekday <= 7:
        raise InvalidInput("weekday must be 1 (Monday) to 7 (Sunday)")
    try:
        moment = time.fromisoformat(at) if isinstance(at, str) and len(at) <= 8 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is not None:
        raise InvalidInput("at must be a time of day such as 13:30")
    if not isinstance(label, str):
        raise InvalidInput("label must be noon_break or end_of_day")
    return weekday, moment, label


def _day(request: web.Request) -> date:
    raw = request.match_info["day"]
    try:
        if not _DAY.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput("the day must be YYYY-MM-DD") from exc


def _schedule_json(entries: list[Entry]) -> web.Response:
    return web.json_response(
        {
            "entries": [
                {"weekday": w, "at": at.isoformat(timespec="minutes"), "label": label}
                for w, at, label in entries
            ]
        },
        dumps=json_dumps,
    )


class AdminViews:
    def __init__(self, admin: AdminService) -> None:
        self.admin = admin

    async def get_schedule(self, request: web.Request) -> web.Response:
        actor_of(request)
        return _schedule_json(await self.admin.schedule())

    async def put_schedule(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        raw = (await read_body(request)).get("entries")
        if not isinstance(raw, list) or len(raw) > ENTRIES_MAX:
            raise InvalidInput(f"entries must be a list of up to {ENTRIES_MAX}")
        entries = [_entry(e) for e in raw]
        return _schedule_json(await self.admin.replace_schedule(actor, entries))

    async def put_calendar(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        day = _day(request)
        body = await read_body(request)
        working, note = body.get("working"), body.get("note", "")
        if not isinstance(working, bool) or not isinstance(note, str) or len(note) > NOTE_MAX:
            raise InvalidInput(f"working must be true or false; note a text of up to {NOTE_MAX}")
        check_text("note", note)
        await self.admin.set_working_day(actor, day, working, note)
        return web.json_response(
            {"day": day.isoformat(), "working": working, "note": note}, dumps=json_dumps
        )

    async def delete_calendar(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        day = _day(request)
        await self.admin.clear_working_day(actor, day)
        return web.json_response({"day": day.isoformat(), "working": None})

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/schedule", self.get_schedule)
        app.router.add_put("/api/schedule", self.put_schedule)
        app.router.add_put("/api/calendar/{day}", self.put_calendar)
        app.router.add_delete("/api/calendar/{day}", self.delete_calendar)
