"""The agent's case work and the admin's department numbers (R11, R12, R13).

- ``/agent`` (the console) gets a section, ``casework_escalate.html``: escalate the call
  (R11a) — the call at the agent's desk phone now, else the agent's last answered call —
  through ``CallbackService.escalate`` (the API's ``POST /api/callbacks/escalations``),
  and transfer the caller to a department (R11b) through ``DepartmentService.transfer``.
  The console's handler is not this module's: it asks ``console_context`` for the
  section's choices (categories, active departments).
- ``/agent/callbacks``: the agent's own callbacks (``CallbackService.mine``), each with
  the R12 script in their job number, the voicemail to listen to (served here under the
  cookie session: ``CallbackService.recording``, the same rule as the API's) and the
  outcome form (``CallbackService.record_outcome``).
- ``/admin/departments``: list, add, edit, disable (``DepartmentService``).

Nothing is decided here: each form's fields are read by a pure function (``read_*``);
a refusal is shown at its field, the page re-rendered with the status of its code.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from callback.model import Outcome, State
from callback.service import NotYourCallToEscalate, script_for
from callback.views import QUESTION_MAX, parse_when
from calls import repo as calls_repo
from core import inputs
from core.actor import Actor
from core.errors import HotlineError, InvalidInput
from core.request_actor import actor_of
from core.settings import Settings
from departments import model
from departments.model import Department
from pages import i18n, routes, views
from pages.guard import language_of
from web.errors import status_for

Errors = dict[str, tuple[str, str]]
NOTE_MAX = 1000


class BadQuestion(InvalidInput):
    code = "input.escalation_question"


class BadCategory(InvalidInput):
    code = "input.escalation_category"


class BadWhen(InvalidInput):
    code = "input.casework_time"


class BadDepartment(InvalidInput):
    code = "input.department_choice"


class BadOutcome(InvalidInput):
    code = "input.callback_outcome"


@dataclass(frozen=True)
class Escalation:
    question: str
    category: str
    department: int | None
    due_at: datetime | None


@dataclass(frozen=True)
class OutcomeForm:
    outcome: Outcome
    note: str
    follow_up_at: datetime | None


def _field(form: Mapping[str, Any], key: str) -> str:
    return str(form.get(key, "")).strip()


def _when(raw: str, tz: ZoneInfo) -> datetime | None:
    if not raw:
        return None
    try:
        return parse_when(raw, "at", tz)
    except InvalidInput:
        raise BadWhen("a time such as 2026-12-01T09:30") from None


def department_choice(raw: str) -> int | None:
    """'' for none, else a department's id (whole number)."""
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise BadDepartment("choose a department from the list")
    return int(raw)


def read_escalation(
    form: Mapping[str, Any], tz: ZoneInfo
) -> tuple[Escalation | None, list[tuple[str, HotlineError]]]:
    """Every field's refusal at once, so each shows at its field."""
    refused: list[tuple[str, HotlineError]] = []
    got: dict[str, Any] = {}
    question = _field(form, "question")
    if not question or len(question) > QUESTION_MAX:
        refused.append(("question", BadQuestion(f"1 to {QUESTION_MAX} characters")))
    else:
        try:
            got["question"] = inputs.check_text("question", question, multiline=True)
        except InvalidInput:
            refused.append(("question", BadQuestion("no control characters")))
    category = _field(form, "category")
    if not category or len(category) > 40:
        refused.append(("category", BadCategory("choose a category")))
    got["category"] = category
    for key, read in (
        ("department", department_choice),
        ("due_at", lambda raw: _when(raw, tz)),
    ):
        try:
            got[key] = read(_field(form, key))
        except HotlineError as exc:
            refused.append((key, exc))
    if refused:
        return None, refused
    return Escalation(**got), []


def read_outcome(form: Mapping[str, Any], tz: ZoneInfo) -> OutcomeForm:
    try:
        outcome = Outcome(_field(form, "outcome"))
    except ValueError:
        raise BadOutcome("choose an outcome") from None
    note = _field(form, "note")[:NOTE_MAX]
    inputs.check_text("note", note, multiline=True)
    return OutcomeForm(outcome, note, _when(_field(form, "follow_up_at"), tz))


def takes_outcome(state: State) -> bool:
    """An outcome is recorded once the citizen was reached (the model's transition
    table: in progress → done, or open again for a follow-up)."""
    return state is State.IN_PROGRESS


def read_department(form: Mapping[str, Any]) -> model.Draft:
    return model.draft(_field(form, "name"), _field(form, "number"))


def field_of_department_error(code: str) -> str:
    """Where a department's refusal shows: the number, else the name."""
    return "number" if code == model.BadNumber.code else "name"


class CaseWork:
    def __init__(self, services: Any, settings: Settings) -> None:
        self.callbacks = services.callbacks
        self.classifier = services.classifier
        self.departments = services.departments
        self.tz = ZoneInfo(settings.timezone)

    def add(self, app: web.Application) -> None:
        routes.register(app, self.handlers())

    def handlers(self) -> dict[routes.Key, routes.Handler]:
        return {
            ("GET", "/agent/escalate"): self.escalate_page,
            ("POST", "/agent/escalate"): self.escalate,
            ("POST", "/agent/transfer"): self.transfer,
            ("GET", "/agent/callbacks"): self.my_callbacks,
            ("GET", "/agent/callbacks/{id}/recording"): self.recording,
            ("POST", "/agent/callbacks/{id}/outcome"): self.outcome,
            ("GET", "/admin/departments"): self.departments_page,
            ("POST", "/admin/departments"): self.add_department,
            ("POST", "/admin/departments/{id}"): self.edit_department,
            ("POST", "/admin/departments/{id}/disable"): self.disable_department,
        }

    # ---- the console's section ------------------------------------------------------------

    async def _choices(self) -> dict[str, Any]:
        return {
            "categories": await self.classifier.categories(),
            "departments": await self.departments.active(),
        }

    async def console_context(self) -> dict[str, object]:
        """The console page's case-work section (``agent_console.AgentConsole``'s
        ``sections``): its choices, no error yet."""
        return {"casework": {**await self._choices(), "errors": {}, "values": {}}}

    async def _section(
        self, request: web.Request, errors: Errors, values: Mapping[str, str], status: int = 200
    ) -> web.Response:
        casework = {**await self._choices(), "errors": errors, "values": dict(values)}
        return views.render(request, "casework_section.html", {"casework": casework}, status=status)

    async def escalate_page(self, request: web.Request) -> web.Response:
        return await self._section(request, {}, {})

    async def escalate(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        form = await request.post()
        values = {k: _field(form, k) for k in ("question", "category", "department", "due_at")}
        got, refused = read_escalation(form, self.tz)
        if got is None:
            return await self._refused(request, refused, values)
        try:
            department = await self._department_name(got.department)
            linkedid, live = await self._call_of(actor)
            await self.callbacks.escalate(
                actor,
                linkedid,
                category=got.category,
                question=got.question,
                due_at=got.due_at,
                department=department,
                live_caller=live,
            )
        except HotlineError as exc:
            return await self._refused(request, [(_escalation_field(exc), exc)], values)
        return views.see_other("/agent?escalated=1")

    async def _department_name(self, department_id: int | None) -> str | None:
        if department_id is None:
            return None
        for department in await self.departments.active():
            if department.id == department_id:
                return str(department.name)
        raise model.Inactive(f"department {department_id} is not in use")

    async def _call_of(self, actor: Actor) -> tuple[str, str | None]:
        """The call at the agent's desk phone now (with its caller), else the last one
        the agent answered (on record)."""
        caller = await self.departments.caller_of(actor.job_number)
        if caller is not None:
            return caller.linkedid, caller.caller_number
        last = await calls_repo.last_answered_by(self.callbacks.pool, actor.job_number)
        if last is None:
            raise NotYourCallToEscalate(f"agent {actor.job_number} has answered no call")
        return last.linkedid, None

    async def transfer(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        form = await request.post()
        values = {"transfer_department": _field(form, "department")}
        try:
            which = department_choice(values["transfer_department"])
            if which is None:
                raise BadDepartment("choose a department")
            await self.departments.transfer(actor, which)
        except HotlineError as exc:
            return await self._refused(request, [("transfer_department", exc)], values)
        return views.see_other("/agent?transferred=1")

    async def _refused(
        self,
        request: web.Request,
        refused: list[tuple[str, HotlineError]],
        values: Mapping[str, str],
    ) -> web.Response:
        lang = language_of(request)
        errors = {field: (exc.code, i18n.error_text(lang, exc.code)) for field, exc in refused}
        status = max(status_for(exc.code) for _, exc in refused)
        return await self._section(request, errors, values, status)

    # ---- my callbacks -------------------------------------------------------------------

    async def my_callbacks(self, request: web.Request) -> web.Response:
        return await self._my_callbacks(request, {}, None)

    async def _my_callbacks(
        self, request: web.Request, errors: Errors, failed: str | None, status: int = 200
    ) -> web.Response:
        actor = actor_of(request)
        mine = await self.callbacks.mine(actor)
        now = self.callbacks.clock()
        context = {
            "callbacks": [self._callback_row(c, now) for c in mine],
            "script": script_for(self.callbacks.centre_name, actor.job_number),
            "outcomes": [o.value for o in Outcome],
            "errors": errors,
            "failed": failed,
        }
        return views.render(request, "casework_callbacks.html", context, status=status)

    def _callback_row(self, c: Any, now: datetime) -> dict[str, Any]:
        def local(at: datetime | None) -> str:
            return at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if at else ""

        return {
            "id": str(c.id),
            "kind": c.kind.value,
            "state": c.state.value,
            "number": c.number,
            "question": c.question,
            "category": c.category or "",
            "department": c.department or "",
            "due_at": local(c.due_at),
            "overdue": bool(c.due_at and c.due_at <= now),
            "recording": any(r.msg_id for r in c.reasons if r.kind.value == "voicemail"),
            "takes_outcome": takes_outcome(c.state),
        }

    async def recording(self, request: web.Request) -> web.FileResponse:
        path = await self.callbacks.recording(actor_of(request), _callback_id(request))
        return web.FileResponse(
            path, headers={"Content-Type": "audio/wav", "X-Content-Type-Options": "nosniff"}
        )

    async def outcome(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        form = await request.post()
        which = str(request.match_info["id"])
        try:
            callback_id = _callback_id(request)
            got = read_outcome(form, self.tz)
            await self.callbacks.record_outcome(
                actor, callback_id, got.outcome, got.note, got.follow_up_at
            )
        except HotlineError as exc:
            lang = language_of(request)
            field = "follow_up_at" if exc.code == BadWhen.code else "outcome"
            errors = {field: (exc.code, i18n.error_text(lang, exc.code))}
            return await self._my_callbacks(request, errors, which, status_for(exc.code))
        return views.see_other("/agent/callbacks")

    # ---- the admin's departments ----------------------------------------------------------

    async def departments_page(self, request: web.Request) -> web.Response:
        return await self._departments(request, {}, None, {})

    async def _departments(
        self,
        request: web.Request,
        errors: Errors,
        failed: str | None,
        values: Mapping[str, str],
        status: int = 200,
    ) -> web.Response:
        listed: list[Department] = await self.departments.listing(actor_of(request))
        context = {"departments": listed, "errors": errors, "failed": failed, "values": values}
        return views.render(request, "casework_departments.html", context, status=status)

    async def _department_refused(
        self, request: web.Request, exc: HotlineError, failed: str, values: Mapping[str, str]
    ) -> web.Response:
        text = i18n.error_text(language_of(request), exc.code)
        errors = {field_of_department_error(exc.code): (exc.code, text)}
        return await self._departments(request, errors, failed, values, status_for(exc.code))

    async def add_department(self, request: web.Request) -> web.Response:
        form = await request.post()
        values = {k: _field(form, k) for k in ("name", "number")}
        try:
            await self.departments.create(actor_of(request), read_department(form))
        except HotlineError as exc:
            return await self._department_refused(request, exc, "new", values)
        return views.see_other("/admin/departments")

    async def edit_department(self, request: web.Request) -> web.Response:
        form = await request.post()
        which = str(request.match_info["id"])
        values = {k: _field(form, k) for k in ("name", "number")}
        try:
            department_id = _department_id(which)
            draft = read_department(form)
            await self.departments.update(actor_of(request), department_id, draft)
        except HotlineError as exc:
            return await self._department_refused(request, exc, which, values)
        return views.see_other("/admin/departments")

    async def disable_department(self, request: web.Request) -> web.Response:
        await self.departments.disable(actor_of(request), _department_id(request.match_info["id"]))
        return views.see_other("/admin/departments")


def _escalation_field(exc: HotlineError) -> str:
    """Where a refusal of the escalation service shows."""
    if exc.code in (model.Inactive.code, BadDepartment.code):
        return "department"
    if exc.code == InvalidInput.code:  # the service knows no such category
        return "category"
    return "call"


def _callback_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["id"])
    except ValueError:
        raise InvalidInput("the callback id must be a UUID") from None


def _department_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput("the department id must be a whole number")
    return int(raw)
