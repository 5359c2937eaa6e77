"""The admin's pages besides the dial-plan editor (``pages.dialplan_editor``): prompts
(list, upload, listen, generate from text), the sign-out schedule and the calendar's
overrides and notices, the R5 categories.

Each form is one call to the service the API's view calls (``PromptService``,
``AdminService``, ``CalendarAdmin``, ``Classifier``), parsed by the API's own parsers,
so the page and the API refuse the same input with the same code; the refusal is shown
at its field and nothing is saved.

Uploads: the form is multipart; the pages' CSRF check reads it whole (the app's request
size limit, aiohttp's ``client_max_size``), then the file goes to the library's
``from_upload`` as the API's does (type sniffed, converted, length and silence checked).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from agent_state.admin import _entry as schedule_entry
from agent_state.admin_service import LABELS, AdminService
from calls.classification import Classifier
from core.errors import HotlineError, InvalidInput
from core.request_actor import actor_of
from dialplan.model import Language
from ivr.calendar import HOLIDAYS, OverrideKind
from ivr.calendar_input import notice_from_json, override_from_json, parse_date, parse_year
from ivr.calendar_service import Calendar, CalendarAdmin
from ivr.prompt_service import PromptService
from ivr.prompts import language as prompt_language
from ivr.prompts import prompt_name, prompt_text
from pages import guard, i18n, routes, views
from pages.dialplan_editor import DialPlanEditor
from web.errors import status_for

Errors = dict[str, tuple[str, str, str]]  # field → (code, text, detail)
CHUNK = 64 * 1024
TEXT_MAX = 4000
SCHEDULE_ROWS_EXTRA = 3  # blank rows to add entries with
CALENDAR_DAYS = 42  # the days the calendar page lists from its first date
PROMPT_FIELDS = {"input.prompt_name": "name", "input.prompt_language": "language"}


def _error(request: web.Request, exc: HotlineError) -> tuple[str, str, str]:
    return exc.code, i18n.error_text(guard.language_of(request), exc.code), exc.message


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value[:TEXT_MAX] if isinstance(value, str) else ""


def _render(
    request: web.Request, template: str, context: dict[str, Any], errors: Errors
) -> web.Response:
    status = status_for(next(iter(errors.values()))[0]) if errors else 200
    return views.render(request, template, {**context, "errors": errors}, status=status)


class AdminPlanPages:
    def __init__(
        self,
        prompts: PromptService,
        admin: AdminService,
        calendar: Calendar,
        classifier: Classifier,
        timezone: str,
    ) -> None:
        self.prompts = prompts
        self.admin = admin
        self.calendar = CalendarAdmin(calendar)
        self.classifier = classifier
        self.tz = ZoneInfo(timezone)

    # ---- prompts ------------------------------------------------------------------------

    async def prompts_page(
        self, request: web.Request, errors: Errors | None = None, typed: Mapping[str, Any] = {}
    ) -> web.Response:
        records = await self.prompts.all(actor_of(request))
        context = {
            "records": records,
            "languages": [lang.value for lang in Language],
            "typed": {k: _text(typed, k) for k in ("name", "language", "text", "kind")},
            "unwritable": self.prompts.writable(),
            "max_bytes": self.prompts.library.limits.max_bytes,
        }
        return _render(request, "admin_prompts.html", context, errors or {})

    async def prompts_get(self, request: web.Request) -> web.Response:
        return await self.prompts_page(request)

    async def upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            lang = prompt_language(form.get("language"))
            name = prompt_name(form.get("name"))
            part = form.get("file")
            if not isinstance(part, web.FileField):
                raise InvalidInput("choose an audio file to upload", field="file")
            await self.prompts.upload(actor_of(request), lang, name, _chunks(part))
        except HotlineError as exc:
            field = PROMPT_FIELDS.get(exc.code, "file")
            return await self.prompts_page(
                request, {f"upload:{field}": _error(request, exc)}, {**form, "kind": "upload"}
            )
        return views.see_other("/admin/prompts")

    async def generate(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            lang = prompt_language(form.get("language"))
            name = prompt_name(form.get("name"))
            text = prompt_text(_text(form, "text"))
            await self.prompts.generate(actor_of(request), lang, name, text)
        except HotlineError as exc:
            field = PROMPT_FIELDS.get(exc.code, "text")
            return await self.prompts_page(
                request, {f"generate:{field}": _error(request, exc)}, {**form, "kind": "generate"}
            )
        return views.see_other("/admin/prompts")

    async def listen(self, request: web.Request) -> web.StreamResponse:
        """The wav Asterisk plays, for the page's <audio> (the API's needs a bearer token)."""
        lang = prompt_language(request.match_info["language"])
        name = prompt_name(request.match_info["name"])
        path = self.prompts.file(actor_of(request), lang, name)
        return web.FileResponse(
            path, headers={"Content-Type": "audio/wav", "Cache-Control": "no-store"}
        )

    # ---- the schedule and the calendar --------------------------------------------------

    async def schedule_page(
        self, request: web.Request, errors: Errors | None = None, typed: Any = None
    ) -> web.Response:
        today = datetime.now(self.tz).date()
        try:
            start = parse_date(request.query["from"], "from") if "from" in request.query else today
        except HotlineError:
            start = today
        days = self.calendar.days(actor_of(request), start, start + timedelta(CALENDAR_DAYS - 1))
        year = start.year
        notice = self.calendar.calendar.notice(year)
        entries = typed if typed is not None else await self.admin.schedule()
        context = {
            "entries": [
                (w, at if isinstance(at, str) else at.strftime("%H:%M"), label)
                for w, at, label in entries
            ],
            "extra": range(SCHEDULE_ROWS_EXTRA),
            "labels": LABELS,
            "days": [(d, self.calendar.calendar.override(d.day)) for d in days],
            "holidays": list(HOLIDAYS),
            "override_kinds": [k.value for k in OverrideKind],
            "year": year,
            "notice": notice,
            "unofficial": self.calendar.calendar.unofficial_years(today),
            "start": start.isoformat(),
        }
        return _render(request, "admin_schedule.html", context, errors or {})

    async def schedule_get(self, request: web.Request) -> web.Response:
        return await self.schedule_page(request)

    async def save_schedule(self, request: web.Request) -> web.Response:
        form = await request.post()
        rows = _schedule_rows(form)
        try:
            entries = []
            for i, (weekday, at, label) in enumerate(rows):
                try:
                    entries.append(schedule_entry({"weekday": weekday, "at": at, "label": label}))
                except HotlineError as exc:
                    raise InvalidInput(exc.message, field=f"row{i}") from exc
            await self.admin.replace_schedule(actor_of(request), entries)
        except HotlineError as exc:
            field = str(exc.details.get("field", "entries"))
            return await self.schedule_page(
                request, {f"schedule:{field}": _error(request, exc)}, rows
            )
        return views.see_other("/admin/schedule")

    async def set_override(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            day = parse_date(_text(form, "day"), "day")
            body: dict[str, Any] = {"kind": _text(form, "kind"), "note": _text(form, "note")}
            if body["kind"] == OverrideKind.HOLIDAY.value:
                body["holiday"] = _text(form, "holiday")
            await self.calendar.set_override(actor_of(request), override_from_json(day, body))
        except HotlineError as exc:
            field = str(exc.details.get("field", "day"))
            return await self.schedule_page(request, {f"override:{field}": _error(request, exc)})
        return views.see_other("/admin/schedule")

    async def clear_override(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            day = parse_date(_text(form, "day"), "day")
            await self.calendar.clear_override(actor_of(request), day)
        except HotlineError as exc:
            return await self.schedule_page(request, {"clear:day": _error(request, exc)})
        return views.see_other("/admin/schedule")

    async def set_notice(self, request: web.Request) -> web.Response:
        """A year's notice: one holiday a line (``from to key``), make-up days by space."""
        form = await request.post()
        try:
            year = parse_year(_text(form, "year"))
            ranges = [
                dict(zip(("from", "to", "holiday"), line.split(), strict=False))
                for line in _text(form, "holidays").splitlines()
                if line.strip()
            ]
            make_up = _text(form, "make_up_days").replace(",", " ").split()
            notice = notice_from_json(year, {"holidays": ranges, "make_up_days": make_up})
            await self.calendar.set_notice(actor_of(request), notice)
        except HotlineError as exc:
            field = str(exc.details.get("field", "year")).split("[")[0]
            return await self.schedule_page(request, {f"notice:{field}": _error(request, exc)})
        return views.see_other(f"/admin/schedule?from={year}-01-01")

    # ---- categories ---------------------------------------------------------------------

    async def categories_page(
        self, request: web.Request, errors: Errors | None = None, typed: str | None = None
    ) -> web.Response:
        names = await self.classifier.categories()
        context = {"categories": names, "typed": "\n".join(names) if typed is None else typed}
        return _render(request, "admin_categories.html", context, errors or {})

    async def categories_get(self, request: web.Request) -> web.Response:
        return await self.categories_page(request)

    async def save_categories(self, request: web.Request) -> web.Response:
        typed = _text(await request.post(), "categories")
        names = [line.strip() for line in typed.splitlines() if line.strip()]
        try:
            await self.classifier.replace_categories(actor_of(request), names)
        except HotlineError as exc:
            return await self.categories_page(request, {"categories": _error(request, exc)}, typed)
        return views.see_other("/admin/categories")

    def handlers(self) -> dict[routes.Key, routes.Handler]:
        return {
            ("GET", "/admin/prompts"): self.prompts_get,
            ("POST", "/admin/prompts/upload"): self.upload,
            ("POST", "/admin/prompts/generate"): self.generate,
            ("GET", "/admin/prompts/{language}/{name}/audio"): self.listen,
            ("GET", "/admin/schedule"): self.schedule_get,
            ("POST", "/admin/schedule"): self.save_schedule,
            ("POST", "/admin/calendar/override"): self.set_override,
            ("POST", "/admin/calendar/override/clear"): self.clear_override,
            ("POST", "/admin/calendar/notice"): self.set_notice,
            ("GET", "/admin/categories"): self.categories_get,
            ("POST", "/admin/categories"): self.save_categories,
        }


async def _chunks(part: web.FileField) -> AsyncIterator[bytes]:
    while chunk := part.file.read(CHUNK):
        yield chunk


def _schedule_rows(form: Mapping[str, Any]) -> list[tuple[Any, str, str]]:
    """The schedule form's rows (weekday_N, at_N, label_N); a row without a time is none."""
    rows = []
    for i in range(100):
        if f"at_{i}" not in form:
            break
        at = _text(form, f"at_{i}").strip()
        if not at:
            continue
        raw_day = _text(form, f"weekday_{i}")
        weekday: Any = int(raw_day) if raw_day.isdigit() and len(raw_day) == 1 else raw_day
        rows.append((weekday, at, _text(form, f"label_{i}")))
    return rows


def handlers(services: Any, timezone: str) -> dict[routes.Key, routes.Handler]:
    """Every page of this area: the dial-plan editor's and the others' (``services``:
    ``pages.setup.PageServices``)."""
    pages = AdminPlanPages(
        services.prompts, services.admin, services.calendar, services.classifier, timezone
    )
    return {**DialPlanEditor(services.dialplan).handlers(), **pages.handlers()}
