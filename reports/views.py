"""HTTP views of the reports (aiohttp handlers); supervisors and admins only.

GET /api/reports/quality?from=YYYY-MM-DD&to=YYYY-MM-DD&by=day|agent|queue[&format=csv]
    the quality figures (reports/model.py's FIGURES), per local day, agent or queue; to
    defaults to from; format=csv (or /api/reports/quality.csv): UTF-8 with BOM, Chinese
    headers
GET /api/reports/staffing?day=YYYY-MM-DD&weeks=4
    per half hour of the day: expected callers, handle time, agents needed (Erlang C for
    the 15 秒接通率 target), agents signed in (for a day begun)

Bad parameters: 400 ``input.report_query``.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from aiohttp import web

from core.encoding import json_dumps
from core.request_actor import actor_of
from reports.model import BadReportQuery, parse_by, parse_days, to_csv, to_json
from reports.service import QualityReport, ReportService

SERVICE = web.AppKey("reports", ReportService)
PREFIX = "/api/reports"
WEEKS_MAX = 26


def _only(query: Any, allowed: set[str]) -> None:
    unknown = set(query) - allowed
    if unknown:
        raise BadReportQuery(f"unknown parameter(s): {', '.join(sorted(unknown))}")


def _quality_json(report: QualityReport) -> dict[str, Any]:
    return {
        "by": report.by.value,
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "categories": report.category_names,
        "rows": to_json(report.rows),
    }


def csv_response(report: QualityReport) -> web.Response:
    """The report as a CSV download: the API's and the pages' (``/reports/quality.csv``)
    alike, byte for byte."""
    first, last = report.first.isoformat(), report.last.isoformat()
    name = f"质量报表-{report.by.value}-{first}-{last}.csv"
    return web.Response(
        body=to_csv(report.by, report.rows, report.category_names),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


class ReportViews:
    def __init__(self, service: ReportService) -> None:
        self.service = service

    def add_routes(self, app: web.Application) -> None:
        app[SERVICE] = self.service
        app.router.add_get(PREFIX + "/quality", self.quality)
        app.router.add_get(PREFIX + "/quality.csv", self.quality_csv)
        app.router.add_get(PREFIX + "/staffing", self.staffing)

    async def _report(self, request: web.Request, *, csv: bool) -> web.Response:
        actor = actor_of(request)
        self.service.may_read(actor)  # before the parameters: a 403 says it all
        query = request.query
        _only(query, {"from", "to", "by", "format"})
        fmt = query.get("format", "csv" if csv else "json")
        if fmt not in ("json", "csv"):
            raise BadReportQuery("format must be json or csv")
        first, last = parse_days(query.get("from"), query.get("to"))
        report = await self.service.quality(actor, first, last, parse_by(query.get("by")))
        if fmt == "json":
            return web.json_response(_quality_json(report), dumps=json_dumps)
        return csv_response(report)

    async def quality(self, request: web.Request) -> web.Response:
        return await self._report(request, csv=False)

    async def quality_csv(self, request: web.Request) -> web.Response:
        return await self._report(request, csv=True)

    async def staffing(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        self.service.may_read(actor)
        query = request.query
        _only(query, {"day", "weeks"})
        raw_weeks = query.get("weeks", "4")
        if not raw_weeks.isascii() or not raw_weeks.isdigit() or len(raw_weeks) > 3:
            raise BadReportQuery(f"weeks must be a whole number from 1 to {WEEKS_MAX}")
        weeks = int(raw_weeks)
        if not 1 <= weeks <= WEEKS_MAX:
            raise BadReportQuery(f"weeks must be a whole number from 1 to {WEEKS_MAX}")
        try:
            day = (
                date.fromisoformat(query["day"])
                if "day" in query
                else self.service.clock().astimezone(self.service.tz).date()
            )
        except ValueError:
            raise BadReportQuery("day must be YYYY-MM-DD (a local day)") from None
        advice = await self.service.staffing(actor, day, weeks)
        body = {
            "day": advice.day.isoformat(),
            "weeks": advice.weeks,
            "answer_s": advice.answer_s,
            "target": advice.target,
            "talk_avg_s": advice.measured.talk_avg_s,
            "wrap_up_avg_s": advice.measured.wrap_up_avg_s,
            "handle_s": advice.measured.handle_s,
            "half_hours": [
                {
                    "starts": h.starts,
                    "expected_arrivals": h.expected_arrivals,
                    "handle_s": h.handle_s,
                    "agents_needed": h.agents_needed,
                    "agents_signed_in": h.agents_signed_in,
                    "agents_seen": h.agents_seen,
                }
                for h in advice.half_hours
            ],
        }
        return web.json_response(body, dumps=json_dumps)
