"""Admin edits of what the agent rules read (supervisors act as admins for now).

PUT /api/categories          {categories: [name, …]}          R5's list, in order
GET /api/schedule                                               R2c sign-out times
PUT /api/schedule            {entries: [{weekday, at, label}]}  weekday 1 = Monday
PUT /api/calendar/{day}      {working: bool, note?}             override the calendar
DELETE /api/calendar/{day}                                      back to the official one
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from aiohttp import web

from agent_state import repo
from agent_state.views import AGENTS, check_text, read_body, who
from core.errors import Forbidden, InvalidInput

LABELS = ("noon_break", "end_of_day")


async def _supervisor(request: web.Request) -> None:
    if not (await who(request)).is_supervisor:
        raise Forbidden("only a supervisor edits categories, schedules and the calendar")


async def put_categories(request: web.Request) -> web.Response:
    await _supervisor(request)
    names = (await read_body(request)).get("categories")
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(n, str) and 1 <= len(n) <= 40 and n.strip() == n for n in names)
    ):
        raise InvalidInput("categories must be a list of 1-40 character names")
    if len(set(names)) != len(names):
        raise InvalidInput("a category is listed twice")
    for name in names:
        check_text("a category", name)
    await repo.replace_categories(request.app[AGENTS].pool, names)
    return web.json_response({"categories": names})


def _entry(raw: Any) -> tuple[int, time, str]:
    if not isinstance(raw, dict):
        raise InvalidInput("each entry is an object {weekday, at, label}")
    weekday, at, label = raw.get("weekday"), raw.get("at"), raw.get("label")
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 1 <= weekday <= 7:
        raise InvalidInput("weekday must be 1 (Monday) to 7 (Sunday)")
    try:
        moment = time.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidInput("at must be a time of day such as 13:30")
    if label not in LABELS:
        raise InvalidInput(f"label must be one of {', '.join(LABELS)}")
    return weekday, moment, label


async def get_schedule(request: web.Request) -> web.Response:
    await who(request)
    entries = await repo.schedule(request.app[AGENTS].pool)
    return web.json_response(
        {
            "entries": [
                {"weekday": w, "at": at.isoformat(timespec="minutes"), "label": label}
                for w, at, label in entries
            ]
        }
    )


async def put_schedule(request: web.Request) -> web.Response:
    await _supervisor(request)
    raw = (await read_body(request)).get("entries")
    if not isinstance(raw, list):
        raise InvalidInput("entries must be a list")
    entries = [_entry(e) for e in raw]
    if len({(w, at) for w, at, _ in entries}) != len(entries):
        raise InvalidInput("two entries share a weekday and time")
    await repo.replace_schedule(request.app[AGENTS].pool, entries)
    return await get_schedule(request)


def _day(request: web.Request) -> date:
    try:
        return date.fromisoformat(request.match_info["day"])
    except ValueError as exc:
        raise InvalidInput("the day must be YYYY-MM-DD") from exc


async def put_calendar(request: web.Request) -> web.Response:
    await _supervisor(request)
    day = _day(request)
    body = await read_body(request)
    working, note = body.get("working"), body.get("note", "")
    if not isinstance(working, bool) or not isinstance(note, str) or len(note) > 200:
        raise InvalidInput("working must be true or false; note a text of up to 200")
    check_text("note", note)
    await repo.set_calendar_override(request.app[AGENTS].pool, day, working, note)
    return web.json_response({"day": day.isoformat(), "working": working, "note": note})


async def delete_calendar(request: web.Request) -> web.Response:
    await _supervisor(request)
    day = _day(request)
    await repo.set_calendar_override(request.app[AGENTS].pool, day, None, "")
    return web.json_response({"day": day.isoformat(), "working": None})


def add_routes(app: web.Application) -> None:
    app.router.add_put("/api/categories", put_categories)
    app.router.add_get("/api/schedule", get_schedule)
    app.router.add_put("/api/schedule", put_schedule)
    app.router.add_put("/api/calendar/{day}", put_calendar)
    app.router.add_delete("/api/calendar/{day}", delete_calendar)
