"""The quality report pages (``/reports``), for supervisors and admins
(``core.actor.FIGURE_READERS``, the API's one rule; ``pages.routes`` checks it).

``GET /reports?from=YYYY-MM-DD&to=YYYY-MM-DD`` — the standard's quality figures per day,
agent and queue (the queue stands for the team: there is none in the data), R13's
suggestions and complaints per department, callbacks opened / done / overdue, charts,
and the staffing advice for the range's last day beside the agents signed in. Each
table is one call of the service the API uses (``ReportService``, ``CallbackService``):
the same numbers, never a query of the page's own. Bad days: the form again, the
message at its field (400).

``GET /reports/quality.csv?from=…&to=…&by=day|agent|queue`` — the API's CSV (UTF-8
with BOM), byte for byte, under the page's cookie session.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from callback.service import CallbackService
from core.request_actor import actor_of
from pages import guard, i18n, reports_charts, routes
from pages.reports_view import (
    CALLBACK_COLUMNS,
    DEPARTMENT_COLUMNS,
    STAFFING_WEEKS,
    FieldError,
    callback_rows,
    department_rows,
    parse_range,
    quality_table,
    staffing_rows,
)
from pages.views import render
from reports.model import BadReportQuery, By, parse_by, parse_days
from reports.service import ReportService
from reports.views import csv_response

TEMPLATE = "reports_page.html"


class ReportPages:
    def __init__(self, reports: ReportService, callbacks: CallbackService) -> None:
        self.reports = reports
        self.callbacks = callbacks

    def today(self) -> date:
        return self.reports.clock().astimezone(self.reports.tz).date()

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=self.reports.tz)

    async def page(self, request: web.Request) -> web.Response:
        query = request.query
        raw_from, raw_to = query.get("from", ""), query.get("to", "")
        days, problems = parse_range(raw_from, raw_to, self.today())
        form = {"from": raw_from, "to": raw_to}
        if days is None:
            context = {"form": form, "errors": self._errors(request, problems), "report": None}
            return render(request, TEMPLATE, context, status=400)
        first, last = days
        form = {"from": first.isoformat(), "to": last.isoformat()}
        report = await self._report(request, first, last)
        return render(request, TEMPLATE, {"form": form, "errors": {}, "report": report})

    def _errors(
        self, request: web.Request, problems: dict[str, FieldError]
    ) -> dict[str, tuple[str, str]]:
        lang = guard.language_of(request)
        return {
            field: (BadReportQuery.code, i18n.t(lang, problem.message, **problem.values))
            for field, problem in problems.items()
        }

    async def _report(self, request: web.Request, first: date, last: date) -> dict[str, Any]:
        actor = actor_of(request)
        lang = guard.language_of(request)

        def t(key: str) -> str:
            return i18n.t(lang, key)

        tables = {by: await self.reports.quality(actor, first, last, by) for by in By}
        days = tables[By.DAY]
        start, end = self._midnight(first), self._midnight(last + timedelta(days=1))
        callbacks = await self.callbacks.figures(actor, start, end)
        departments = await self.callbacks.department_figures(actor, start, end)
        advice = await self.reports.staffing(actor, last, STAFFING_WEEKS)
        return {
            "first": first.isoformat(),
            "last": last.isoformat(),
            "tables": [quality_table(by, tables[by].rows) for by in By],
            "charts": [
                reports_charts.two_rings_per_day(days.rows, t),
                reports_charts.abandoned_per_day(days.rows, t),
                reports_charts.calls_per_category(days.rows, days.category_names, t),
            ],
            "staffing_chart": reports_charts.staffing(advice.half_hours, t),
            "callback_columns": CALLBACK_COLUMNS,
            "callbacks": callback_rows(callbacks),
            "department_columns": DEPARTMENT_COLUMNS,
            "departments": department_rows(departments),
            "staffing": advice,
            "target": f"{advice.target * 100:.0f}%",
            "half_hours": staffing_rows(advice.half_hours),
        }

    async def quality_csv(self, request: web.Request) -> web.Response:
        """The API's CSV (``reports.views.csv_response``): bad parameters, the error page
        with ``input.report_query`` (400)."""
        query = request.query
        first, last = parse_days(query.get("from"), query.get("to"))
        report = await self.reports.quality(
            actor_of(request), first, last, parse_by(query.get("by"))
        )
        return csv_response(report)

    def handlers(self) -> dict[routes.Key, routes.Handler]:
        return {
            ("GET", "/reports"): self.page,
            ("GET", "/reports/quality.csv"): self.quality_csv,
        }
