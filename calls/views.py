"""HTTP views of call records and their classification (aiohttp handlers).

GET /api/calls          call records, filtered (the web app routes it): date, number,
                        agent, outcome, node (the dial-plan node the call ended in), limit
GET /api/categories     the R5 call categories, in order
PUT /api/categories     {categories: [name, ...]}   a supervisor's edit of the list
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from calls import repo
from calls.classification import Classifier
from calls.model import CallRecord, Outcome
from core.encoding import json_dumps
from core.errors import InvalidInput
from core.inputs import check_text, json_object
from core.request_actor import actor_of
from dialplan.model import NODE_ID

CLASSIFIER = web.AppKey("classifier", Classifier)
CATEGORIES_MAX = 100

MAX_LIMIT = 1000
_NUMBER = re.compile(r"^[0-9*#+]{1,32}$")
_JOB_NUMBER = re.compile(r"^[0-9]{1,20}$")


def parse_filters(query: Any, tz: ZoneInfo) -> dict[str, Any]:
    """Query parameters to repository filters; anything malformed is a clear 400."""
    unknown = set(query) - {"date", "number", "agent", "outcome", "node", "limit"}
    if unknown:
        raise InvalidInput(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    since = until = None
    if "date" in query:
        try:
            day = date.fromisoformat(query["date"])
        except ValueError as exc:
            raise InvalidInput("date must be YYYY-MM-DD (a day in the centre's time zone)") from exc
        since = datetime.combine(day, time(), tzinfo=tz)
        until = since + timedelta(days=1)
    number = query.get("number")
    if number is not None and not _NUMBER.fullmatch(number):
        raise InvalidInput("number must be digits, *, # or + (up to 32)")
    agent = query.get("agent")
    if agent is not None and not _JOB_NUMBER.fullmatch(agent):
        raise InvalidInput("agent must be a job number (digits)")
    outcome = query.get("outcome")
    if outcome is not None and outcome not in {o.value for o in Outcome}:
        raise InvalidInput(f"outcome must be one of {', '.join(o.value for o in Outcome)}")
    node = query.get("node")
    if node is not None and not NODE_ID.fullmatch(node):
        raise InvalidInput("node must be a node id (a-z, 0-9, _; starting with a letter)")
    try:
        limit = int(query.get("limit", "100"))
    except ValueError as exc:
        raise InvalidInput("limit must be a whole number") from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    return {
        "since": since,
        "until": until,
        "number": number,
        "agent": agent,
        "outcome": outcome,
        "limit": limit,
        "ended_node": node,
    }


def to_json(record: CallRecord, tz: ZoneInfo) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return value.astimezone(tz).isoformat() if value else None

    return {
        "linkedid": record.linkedid,
        "caller_number": record.caller_number,
        "caller_name": record.caller_name,
        "entry_number": record.entry_number,
        "entered_at": when(record.entered_at),
        "greeting_done_at": when(record.greeting_done_at),
        "queue_joined_at": when(record.queue_joined_at),
        "agent_offered_at": when(record.agent_offered_at),
        "agent_answered_at": when(record.agent_answered_at),
        "ended_at": when(record.ended_at),
        "queue": record.queue,
        "agent_job_number": record.agent_job_number,
        "ring_s": record.ring_s,
        "wait_s": record.wait_s,
        "talk_s": record.talk_s,
        "outcome": record.outcome.value,
        "hung_up_first": record.hung_up_first.value,
        "source": record.source.value,
        "plan_version": record.plan_version,
        "menu_path": list(record.menu_path),
        "language": record.language.value if record.language else None,
        "ended_node": record.ended_node,
        # holds: null when not known (a call rebuilt from CEL), [] when there were none
        "holds": None
        if record.holds is None
        else [{"started_at": when(h.started_at), "length_s": h.length_s} for h in record.holds],
        "hold_count": record.hold_count,
        "hold_total_s": record.hold_total_s,
        "long_holds": record.long_holds,
    }


async def list_calls(pool: Any, query: Any, tz: ZoneInfo) -> dict[str, Any]:
    filters = parse_filters(query, tz)
    records = await repo.list_calls(pool, **filters)
    return {"calls": [to_json(r, tz) for r in records], "count": len(records)}


def json_response(body: dict[str, Any]) -> web.Response:
    return web.json_response(body, dumps=json_dumps)


async def get_categories(request: web.Request) -> web.Response:
    return json_response({"categories": await request.app[CLASSIFIER].categories()})


async def put_categories(request: web.Request) -> web.Response:
    actor = actor_of(request)
    names = json_object(await request.read()).get("categories")
    if (
        not isinstance(names, list)
        or not 1 <= len(names) <= CATEGORIES_MAX
        or not all(isinstance(n, str) for n in names)
    ):
        raise InvalidInput(f"categories must be a list of 1-{CATEGORIES_MAX} names")
    for name in names:
        check_text("a category", name)
    return json_response(
        {"categories": await request.app[CLASSIFIER].replace_categories(actor, names)}
    )


def add_routes(app: web.Application, classifier: Classifier) -> None:
    app[CLASSIFIER] = classifier
    app.router.add_get("/api/categories", get_categories)
    app.router.add_put("/api/categories", put_categories)
