"""HTTP views of callbacks (aiohttp handlers); ``CallbackService`` decides who may.

GET  /api/callbacks                  supervisor: state, kind, owner, number, overdue, limit
GET  /api/callbacks/mine             the actor's live callbacks (owned or being worked)
GET  /api/callbacks/figures          supervisor, admin: ?from=YYYY-MM-DD&to=YYYY-MM-DD (local
                                     days): per day and kind; R13 suggestions and complaints
                                     per department
POST /api/callbacks/escalations      {call, category, question, owner?, due_at?, department?}
                                     the same call again: its details updated (200)
POST /api/callbacks/return-visits    {number, at, question, owner?, category?}
                                     Idempotency-Key: the same key again is the first (200)
GET  /api/callbacks/{id}             with reasons, attempts, history and the R12 script
GET  /api/callbacks/{id}/recording   the voicemail's .wav (?msg_id= when merged)
POST /api/callbacks/{id}/outcome     {outcome, note?, follow_up_at?}
POST /api/callbacks/{id}/reschedule  {at}
POST /api/callbacks/{id}/reassign    {owner|null}      supervisor
POST /api/callbacks/{id}/cancel      {why}             supervisor
POST /api/callbacks/{id}/confirm     the agent working it: dial the citizen (R12)

Times are ISO 8601; one without an offset is the centre's local time (``timezone``).
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from callback import repo
from callback.model import LIVE_STATES, Callback, Kind, Outcome, Reason, State
from callback.service import CallbackService
from callback.spool import MSG_ID
from core import inputs
from core.encoding import json_dumps
from core.errors import InvalidInput
from core.request_actor import actor_of

PREFIX = "/api/callbacks"
SERVICE = web.AppKey("callbacks", CallbackService)
TZ = web.AppKey("callbacks_tz", ZoneInfo)

LIST_MAX = 1000
QUESTION_MAX = 1000
NOTE_MAX = 1000
DEPARTMENT_MAX = 40
CATEGORY_MAX = 40
AT_MAX = 40
FIGURES_DAYS_MAX = 366
_NUMBER = re.compile(r"[0-9+]{1,32}")
IDEMPOTENCY_HEADER = "Idempotency-Key"  # the IETF draft's (httpapi-idempotency-key-header)
# printable ASCII but the quote and backslash; the draft's sf-string may come quoted
_IDEMPOTENCY_KEY = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,255}")


# ---- parsing ------------------------------------------------------------------------------


def callback_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["id"])
    except ValueError:
        raise InvalidInput("the callback id must be a UUID") from None


def parse_when(value: Any, key: str, tz: ZoneInfo) -> datetime:
    if not isinstance(value, str) or not 1 <= len(value) <= AT_MAX or not value.isascii():
        raise InvalidInput(f"{key} must be an ISO 8601 time such as 2026-12-01T09:30")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{key} must be an ISO 8601 time such as 2026-12-01T09:30") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)


def optional_when(body: dict[str, Any], key: str, tz: ZoneInfo) -> datetime | None:
    return None if body.get(key) is None else parse_when(body[key], key, tz)


def optional_job(body: dict[str, Any], key: str) -> str | None:
    value = inputs.text(body, key, required=False, max_len=20)
    return None if value is None else inputs.job_number(value, key)


def _enum(value: str | None, enum: Any, key: str) -> Any:
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        raise InvalidInput(f"{key} must be one of {', '.join(e.value for e in enum)}") from None


def parse_filter(query: Any, now: datetime) -> repo.Filter:
    unknown = set(query) - {"state", "kind", "owner", "number", "overdue", "limit"}
    if unknown:
        raise InvalidInput(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    owner = query.get("owner")
    number = query.get("number")
    if number is not None and not _NUMBER.fullmatch(number):
        raise InvalidInput("number must be digits or + (up to 32)")
    overdue = query.get("overdue")
    if overdue not in (None, "0", "1", "true", "false"):
        raise InvalidInput("overdue must be 1 or 0")
    return repo.Filter(
        state=_enum(query.get("state"), State, "state"),
        kind=_enum(query.get("kind"), Kind, "kind"),
        owner=None if owner is None else inputs.job_number(owner, "owner"),
        number=number,
        overdue_at=now if overdue in ("1", "true") else None,
        limit=inputs.whole_number(query.get("limit"), "limit", default=100, low=1, high=LIST_MAX),
    )


def parse_days(query: Any, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``from`` and ``to`` (both included) → ``[start, end)`` in the centre's time zone."""
    unknown = set(query) - {"from", "to"}
    if unknown:
        raise InvalidInput(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    try:
        first = date.fromisoformat(query["from"])
        last = date.fromisoformat(query["to"])
    except (KeyError, ValueError):
        raise InvalidInput("from and to must be days, YYYY-MM-DD") from None
    if not 0 <= (last - first).days < FIGURES_DAYS_MAX:
        raise InvalidInput(f"to must be from or after it, at most {FIGURES_DAYS_MAX} days")
    start = datetime.combine(first, time(), tzinfo=tz)
    return start, datetime.combine(last + timedelta(days=1), time(), tzinfo=tz)


def idempotency(request: web.Request, body: dict[str, Any]) -> tuple[str, str] | None:
    """The request's ``Idempotency-Key`` (``None`` without one) and the fingerprint of
    what it asks (route and body, key order and spacing aside)."""
    raw = request.headers.get(IDEMPOTENCY_HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput(
            f"{IDEMPOTENCY_HEADER} must be 1 to 255 printable ASCII characters, no spaces"
        )
    what = json.dumps([request.path, body], sort_keys=True, ensure_ascii=False)
    return key, hashlib.sha256(what.encode()).hexdigest()


# ---- shaping ------------------------------------------------------------------------------


def _when(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def reason_json(reason: Reason, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "kind": reason.kind.value,
        "at": _when(reason.at, tz),
        "msg_id": reason.msg_id,
        "call": reason.linkedid,
        "queue_joined_at": _when(reason.queue_joined_at, tz),
    }


def callback_json(c: Callback, tz: ZoneInfo, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "kind": c.kind.value,
        "state": c.state.value,
        "number": c.number,
        "created_at": _when(c.created_at, tz),
        "priority_at": _when(c.priority_at, tz),
        "not_before": _when(c.not_before, tz),
        "due_at": _when(c.due_at, tz),
        "overdue": bool(now and c.due_at and c.due_at <= now and c.state in LIVE_STATES),
        "owner": c.owner,
        "owner_since": _when(c.owner_since, tz),  # given to them by a supervisor then
        "category": c.category,
        "question": c.question,
        "department": c.department,
        "linked_to": str(c.linked_to) if c.linked_to else None,
        "reasons": [reason_json(r, tz) for r in c.reasons],
        "attempts_counted": c.attempts,
        "agent": c.agent,
        "outcome": c.outcome.value if c.outcome else None,
        "note": c.note,
        "updated_at": _when(c.updated_at, tz),
        "recording": any(r.msg_id for r in c.reasons if r.kind is Kind.VOICEMAIL),
    }


def _plain(value: Any, tz: ZoneInfo) -> Any:
    """History and attempt rows as JSON: times in the centre's zone, ids as text."""
    if isinstance(value, datetime):
        return _when(value, tz)
    if isinstance(value, uuid.UUID | date):
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(value, dict):
        return {k: _plain(v, tz) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, tz) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=json_dumps)


# ---- handlers -----------------------------------------------------------------------------


class CallbackViews:
    def __init__(self, service: CallbackService, tz: ZoneInfo) -> None:
        self.service = service
        self.tz = tz

    async def case(self, call: str, job_number: str) -> dict[str, Any] | None:
        """For the agents' live stream (``agent_state.views.CaseOf``): the callback an
        agent is offered, its case and the R12 script with their job number."""
        found = await self.service.offered(call, job_number)
        if found is None:
            return None
        callback, script = found
        return {**callback_json(callback, self.tz), "script": script}

    def add_routes(self, app: web.Application) -> None:
        app[SERVICE] = self.service
        app[TZ] = self.tz
        r = app.router
        r.add_get(PREFIX, self.listing)
        r.add_get(PREFIX + "/mine", self.mine)
        r.add_get(PREFIX + "/figures", self.figures)
        r.add_post(PREFIX + "/escalations", self.escalate)
        r.add_post(PREFIX + "/return-visits", self.return_visit)
        r.add_get(PREFIX + "/{id}", self.detail)
        r.add_get(PREFIX + "/{id}/recording", self.recording)
        r.add_post(PREFIX + "/{id}/outcome", self.outcome)
        r.add_post(PREFIX + "/{id}/reschedule", self.reschedule)
        r.add_post(PREFIX + "/{id}/reassign", self.reassign)
        r.add_post(PREFIX + "/{id}/cancel", self.cancel)
        r.add_post(PREFIX + "/{id}/confirm", self.confirm)

    def _many(self, callbacks: list[Callback]) -> web.Response:
        now = self.service.clock()
        items = [callback_json(c, self.tz, now) for c in callbacks]
        return json_response({"callbacks": items, "count": len(items)})

    def _one(self, callback: Callback, status: int = 200, **extra: Any) -> web.Response:
        body = callback_json(callback, self.tz, self.service.clock())
        return json_response({**body, **extra}, status)

    async def listing(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        where = parse_filter(request.query, self.service.clock())
        return self._many(await self.service.listing(actor, where))

    async def mine(self, request: web.Request) -> web.Response:
        return self._many(await self.service.mine(actor_of(request)))

    async def figures(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        self.service.may_read_figures(actor)  # before the parameters: a 403 says it all
        start, end = parse_days(request.query, self.tz)
        rows = await self.service.figures(actor, start, end)
        departments = await self.service.department_figures(actor, start, end)
        return json_response(
            {
                "figures": _plain(rows, self.tz),
                "suggestions_and_complaints": _plain(departments, self.tz),
            }
        )

    async def detail(self, request: web.Request) -> web.Response:
        found = await self.service.detail(actor_of(request), callback_id(request))
        return self._one(
            found.callback,
            history=_plain(found.history, self.tz),
            attempts=_plain(found.attempts, self.tz),
            script=found.script,
        )

    async def recording(self, request: web.Request) -> web.FileResponse:
        actor = actor_of(request)
        unknown = set(request.query) - {"msg_id"}
        if unknown:
            raise InvalidInput(f"unknown parameter(s): {', '.join(sorted(unknown))}")
        msg_id = request.query.get("msg_id")
        if msg_id is not None and not MSG_ID.fullmatch(msg_id):
            raise InvalidInput("msg_id must be a voicemail's msg_id")
        path = await self.service.recording(actor, callback_id(request), msg_id)
        return web.FileResponse(
            path, headers={"Content-Type": "audio/wav", "X-Content-Type-Options": "nosniff"}
        )

    async def outcome(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        body = inputs.json_object(await request.read())
        outcome = _enum(inputs.required_text(body, "outcome", max_len=20), Outcome, "outcome")
        note = inputs.text(body, "note", required=False, multiline=True, max_len=NOTE_MAX)
        follow_up_at = optional_when(body, "follow_up_at", self.tz)
        done = await self.service.record_outcome(
            actor, callback_id(request), outcome, note or "", follow_up_at
        )
        return self._one(done)

    async def reschedule(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        body = inputs.json_object(await request.read())
        at = parse_when(body.get("at"), "at", self.tz)
        return self._one(await self.service.reschedule(actor, callback_id(request), at))

    async def reassign(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        body = inputs.json_object(await request.read())
        if "owner" not in body:
            raise InvalidInput("owner is required: a job number, or null for anyone")
        owner = optional_job(body, "owner")
        return self._one(await self.service.reassign(actor, callback_id(request), owner))

    async def cancel(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        body = inputs.json_object(await request.read())
        why = inputs.required_text(body, "why", multiline=True, max_len=NOTE_MAX)
        return self._one(await self.service.cancel(actor, callback_id(request), why))

    async def confirm(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        return self._one(await self.service.confirm(actor, callback_id(request)), confirmed=True)

    async def escalate(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        body = inputs.json_object(await request.read())
        call = inputs.linkedid(inputs.required_text(body, "call", max_len=32))
        opened = await self.service.escalate(
            actor,
            call,
            category=inputs.required_text(body, "category", max_len=CATEGORY_MAX),
            question=inputs.required_text(body, "question", multiline=True, max_len=QUESTION_MAX),
            owner=optional_job(body, "owner"),
            due_at=optional_when(body, "due_at", self.tz),
            department=inputs.text(body, "department", required=False, max_len=DEPARTMENT_MAX),
        )
        return self._opened(opened)

    async def return_visit(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        body = inputs.json_object(await request.read())
        number = inputs.required_text(body, "number", max_len=32)
        key = idempotency(request, body)
        opened = await self.service.return_visit(
            actor,
            number,
            parse_when(body.get("at"), "at", self.tz),
            question=inputs.required_text(body, "question", multiline=True, max_len=QUESTION_MAX),
            owner=optional_job(body, "owner"),
            category=inputs.text(body, "category", required=False, max_len=CATEGORY_MAX),
            idempotency=key,
        )
        return self._opened(opened)

    def _opened(self, opened: repo.Opened) -> web.Response:
        """201 for a new callback; 200 for one made before (the same call's escalation,
        a merge, an Idempotency-Key's replay: the body as the first request's)."""
        return self._one(
            opened.callback,
            201 if opened.created and not opened.replayed else 200,
            created=opened.created,
            merged=opened.merged,
            linked_to_callback=str(opened.linked_to) if opened.linked_to else None,
        )
