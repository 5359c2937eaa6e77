"""The report pages on a real PostgreSQL: the API's numbers on the page (one cell per
figure and group), bad days at their field, the API's CSV byte for byte under the cookie
session, the callback figures beside them. Who may open them: test_page_roles.py."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from callback import repo as callback_repo
from callback.model import Kind, Reason, Request
from core.actor import Actor, Role
from pages import guard
from pages.reports_view import cell
from reports.model import FIGURE_NAMES
from reports.views import SERVICE
from tests.web.conftest import SUPERVISOR, Floor
from tests.web.test_reports_api import AT, _calls
from web.sessions import Sessions

DAYS = {"from": "2026-03-01", "to": "2026-03-02"}
CELL = re.compile(r'<td data-key="([^"]*)" data-figure="([a-z0-9_]+)">([^<]*)</td>')


async def page(
    floor: Floor, path: str, params: dict[str, str], role: Role = Role.SUPERVISOR
) -> Any:
    token = await Sessions(floor.pool).create(Actor(SUPERVISOR, role))
    floor.client.session.cookie_jar.clear()
    return await floor.client.get(
        path, params=params, headers={"Cookie": f"{guard.SESSION_COOKIE}={token}"}
    )


def cells_of(text: str, by: str) -> dict[tuple[str, str], str]:
    """The cells of the page's table ``by-<by>``: (key, figure) -> what it shows."""
    section = text.split(f'id="by-{by}"', 1)[1].split("</section>", 1)[0]
    return {(k, f): html.unescape(v) for k, f, v in CELL.findall(section)}


async def test_the_page_shows_the_apis_numbers_per_day_agent_and_queue(floor: Floor) -> None:
    await _calls(floor)
    response = await page(floor, "/reports", DAYS)
    assert response.status == 200, await response.text()
    text = await response.text()
    headers = await floor.headers(SUPERVISOR)
    for by in ("day", "agent", "queue"):
        api = await floor.client.get(
            "/api/reports/quality", params={**DAYS, "by": by}, headers=headers
        )
        rows = (await api.json())["rows"]
        expected = {
            (row["key"] or "", name): cell(name, row[name]) for row in rows for name in FIGURE_NAMES
        }
        assert rows and cells_of(text, by) == expected, by
    day = cells_of(text, "day")
    assert day[("2026-03-02", "answered")] == "1" and day[("2026-03-02", "rate_15s")] == "50.0%"
    assert day[("2026-03-02", "abandoned_queue")] == "1"
    assert cells_of(text, "agent")[("1001", "answered")] == "1"
    assert 'id="team-note"' in text and "按队列统计代替按班组统计" in text
    assert 'href="/reports/quality.csv?from=2026-03-01&amp;to=2026-03-02&amp;by=agent"' in text
    assert text.count("<svg") == 3 and "<script" not in text  # no staffing chart: no arrivals


async def test_the_callback_figures_are_the_apis(floor: Floor) -> None:
    visit = Request(
        Kind.RETURN_VISIT, "13800000000", Reason(Kind.RETURN_VISIT, AT), AT, AT, owner="1001"
    )
    await callback_repo.open_callback(floor.pool, visit, datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    headers = await floor.headers(SUPERVISOR)
    api = await floor.client.get("/api/callbacks/figures", params=DAYS, headers=headers)
    (row,) = (await api.json())["figures"]
    text = await (await page(floor, "/reports", DAYS, Role.ADMIN)).text()
    section = text.split('id="callbacks"', 1)[1].split("</section>", 1)[0]
    shown = [html.unescape(v) for v in re.findall(r"<td>([^<]*)</td>", section)]
    assert shown == [
        row["day"],
        "回访",
        *(str(row[c]) for c in ("opened", "done", "overdue", "failed", "attempts")),
        "—",  # attempts per callback: none attempted
    ]
    assert row["opened"] == 1


async def test_bad_days_are_shown_at_their_field(floor: Floor) -> None:
    for params, field in (
        ({"from": "2026-13-01", "to": "2026-03-02"}, "from"),
        ({"from": "2026-03-02", "to": "3/1/2026"}, "to"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),  # to before from
    ):
        response = await page(floor, "/reports", params)
        text = await response.text()
        assert response.status == 400, params
        assert f'id="error-{field}" data-code="input.report_query"' in text, params
        assert 'id="error-' not in text.replace(f'id="error-{field}"', ""), params
        assert 'id="by-day"' not in text  # no figures for days it did not understand


async def test_the_first_visit_shows_today(floor: Floor) -> None:
    response = await page(floor, "/reports", {})
    text = await response.text()
    today = datetime.now(UTC).astimezone(floor.app[SERVICE].tz).date().isoformat()
    assert response.status == 200 and f'id="from" name="from" type="date" value="{today}"' in text


async def test_the_csv_is_the_apis_byte_for_byte(floor: Floor) -> None:
    await _calls(floor)
    headers = await floor.headers(SUPERVISOR)
    for by in ("day", "agent", "queue"):
        params = {**DAYS, "by": by}
        api = await floor.client.get("/api/reports/quality.csv", params=params, headers=headers)
        mine = await page(floor, "/reports/quality.csv", params)
        assert mine.status == 200 and mine.content_type == "text/csv"
        body = await mine.read()
        assert body.startswith("\ufeff".encode()) and body == await api.read()
        assert mine.headers["Content-Disposition"] == api.headers["Content-Disposition"]
    bad = await page(floor, "/reports/quality.csv", {**DAYS, "by": "team"})
    assert bad.status == 400 and 'id="error-code">input.report_query<' in await bad.text()


async def test_the_landing_page_lists_the_roles_pages(floor: Floor) -> None:
    text = await (await page(floor, "/home", {})).text()
    assert '<li><a href="/wallboard">' in text and '<li><a href="/reports">' in text
