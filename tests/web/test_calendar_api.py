"""The calendar's admin API on a real PostgreSQL: days with their kind, holiday, source
and official flag; overrides; a year's official notice; /healthz's warning."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ami.client import ConnectionState
from ivr.calendar import unofficial_years
from tests.web.conftest import SUPERVISOR, Floor
from web.app import AMI, CALENDAR, DIALPLAN, SETTINGS

NOTICE_2027 = {
    "holidays": [
        {"from": "2027-01-01", "to": "2027-01-03", "holiday": "new_years_day"},
        {"from": "2027-02-05", "to": "2027-02-12", "holiday": "spring_festival"},
    ],
    "make_up_days": ["2027-02-14", "2027-02-20"],
}


async def _days(floor: Floor, start: str, end: str) -> dict[str, Any]:
    response = await floor.client.get(
        "/api/admin/calendar",
        params={"from": start, "to": end},
        headers=await floor.admin_headers(),
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


def _by_day(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["day"]: d for d in body["days"]}


async def test_an_admin_reads_the_days_with_their_holiday_source_and_official_flag(
    floor: Floor,
) -> None:
    body = await _days(floor, "2026-12-30", "2027-01-04")
    days = _by_day(body)
    assert len(days) == 6
    assert days["2026-12-31"] | {"note": ""} == {
        "day": "2026-12-31",
        "weekday": 4,
        "kind": "working",
        "working": True,
        "holiday": None,
        "holiday_name": None,
        "wish": None,
        "official": True,
        "source": "chinese_calendar",
        "note": "",
    }
    new_year = days["2027-01-01"]
    assert (new_year["kind"], new_year["holiday"], new_year["holiday_name"]) == (
        "holiday",
        "new_years_day",
        "元旦",
    )
    assert new_year["wish"] == "新年好"
    assert (new_year["source"], new_year["official"]) == ("holidays_package", False)
    assert body["unofficial_years"] == [2027] and "2027" in body["warning"]


async def test_an_override_names_a_holiday_and_is_cleared(floor: Floor) -> None:
    admin = await floor.admin_headers()
    made = await floor.client.put(
        "/api/admin/calendar/overrides/2026-12-01",
        headers=admin,
        json={"kind": "holiday", "holiday": "national_day", "note": "演练"},
    )
    assert made.status == 200, await made.text()
    assert (await made.json())["holiday_name"] == "国庆节"
    day = _by_day(await _days(floor, "2026-12-01", "2026-12-01"))["2026-12-01"]
    assert (day["kind"], day["holiday"], day["source"], day["note"]) == (
        "holiday",
        "national_day",
        "override",
        "演练",
    )
    # the sign-out schedule's question reads the same calendar
    assert not await floor.app[CALENDAR].is_working_day(date(2026, 12, 1))
    row = await floor.pool.fetchrow("SELECT kind, holiday, set_by FROM calendar_overrides")
    assert dict(row) == {"kind": "holiday", "holiday": "national_day", "set_by": "1099"}
    cleared = await floor.client.delete("/api/admin/calendar/overrides/2026-12-01", headers=admin)
    assert cleared.status == 200
    assert ((await cleared.json())["kind"], (await cleared.json())["source"]) == (
        "working",
        "chinese_calendar",
    )
    assert await floor.app[CALENDAR].is_working_day(date(2026, 12, 1))


async def test_a_calendar_change_reaches_the_compiled_dial_plan_at_once(floor: Floor) -> None:
    """The time switch and holiday greeting run in Asterisk from a compiled calendar: an
    override is handed to the publisher with the versions Asterisk runs, no republish
    needed (the sandbox's own days: tomorrow, as the service's clock says)."""
    publisher = floor.app[DIALPLAN].publisher
    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    admin = await floor.admin_headers()
    path = f"/api/admin/calendar/overrides/{tomorrow.isoformat()}"
    made = await floor.client.put(
        path, headers=admin, json={"kind": "holiday", "holiday": "national_day"}
    )
    assert made.status == 200, await made.text()
    versions, _, calendar = publisher.releases[-1]
    assert versions == (0,)  # nothing published: the default plan, no new version
    assert "HL_DAY=holiday" in _compiled_day(calendar, tomorrow)
    assert "HL_HOLIDAY=national_day" in _compiled_day(calendar, tomorrow)
    await floor.client.delete(path, headers=admin)
    assert "national_day" not in _compiled_day(publisher.releases[-1][2], tomorrow)


def _compiled_day(calendar: str, day: date) -> str:
    """The compiled calendar's extension for ``day``, or "" (an ordinary day)."""
    head = f"exten => {day:%Y%m%d},1,"
    return calendar.split(head, 1)[1].split("exten =>", 1)[0] if head in calendar else ""


async def test_the_older_calendar_route_writes_the_same_overrides(floor: Floor) -> None:
    boss = await floor.admin_headers()
    put = await floor.client.put("/api/calendar/2026-10-01", headers=boss, json={"working": True})
    assert put.status == 200
    day = _by_day(await _days(floor, "2026-10-01", "2026-10-01"))["2026-10-01"]
    assert (day["kind"], day["source"]) == ("working", "override")


async def test_a_years_official_notice_makes_its_make_up_days_official(floor: Floor) -> None:
    admin = await floor.admin_headers()
    put = await floor.client.put(
        "/api/admin/calendar/notices/2027", headers=admin, json=NOTICE_2027
    )
    assert put.status == 200, await put.text()
    got = await floor.client.get("/api/admin/calendar/notices/2027", headers=admin)
    notice = await got.json()
    assert notice["holidays"][1] == {
        "from": "2027-02-05",
        "to": "2027-02-12",
        "holiday": "spring_festival",
        "holiday_name": "春节",
    }
    assert (notice["make_up_days"], notice["entered_by"]) == (NOTICE_2027["make_up_days"], "1099")
    body = await _days(floor, "2027-02-12", "2027-02-14")
    assert [(d["kind"], d["source"], d["official"]) for d in body["days"]] == [
        ("holiday", "notice", True),
        ("rest", "weekday_rule", True),
        ("make_up", "notice", True),
    ]
    assert body["unofficial_years"] == [] and "warning" not in body
    # entered again, it replaces the year's notice whole
    again = {**NOTICE_2027, "make_up_days": ["2027-02-20"]}
    await floor.client.put("/api/admin/calendar/notices/2027", headers=admin, json=again)
    day = _by_day(await _days(floor, "2027-02-14", "2027-02-14"))["2027-02-14"]
    assert day["kind"] == "rest"
    gone = await floor.client.delete("/api/admin/calendar/notices/2027", headers=admin)
    assert gone.status == 200
    missing = await floor.client.get("/api/admin/calendar/notices/2027", headers=admin)
    assert missing.status == 404


async def test_bad_entries_are_a_400_naming_the_field(floor: Floor) -> None:
    admin = await floor.admin_headers()
    cases: list[tuple[str, str, Any, str]] = [
        (
            "PUT",
            "/api/admin/calendar/notices/2027",
            {**NOTICE_2027, "make_up_days": ["2027-02-15"]},
            "make_up_days[0]",
        ),
        (
            "PUT",
            "/api/admin/calendar/notices/2027",
            {"holidays": [{"from": "2027-01-01", "to": "2027-01-03", "holiday": "boxing_day"}]},
            "holidays[0].holiday",
        ),
        ("PUT", "/api/admin/calendar/notices/27", NOTICE_2027, "year"),
        ("PUT", "/api/admin/calendar/overrides/2026-13-01", {"kind": "rest"}, "day"),
        ("PUT", "/api/admin/calendar/overrides/2026-12-01", {"kind": "holiday"}, "holiday"),
        ("GET", "/api/admin/calendar?from=2026-12-01", None, "to"),
        ("GET", "/api/admin/calendar?from=2026-12-01&to=2028-12-01", None, "to"),
    ]
    for method, path, json, field in cases:
        response = await floor.client.request(method, path, headers=admin, json=json)
        body = await response.json()
        assert (response.status, body["error"], body.get("field")) == (
            400,
            "input.invalid",
            field,
        ), (path, body)
    assert await floor.pool.fetchval("SELECT count(*) FROM calendar_notices") == 0


async def test_only_an_admin_edits_the_calendar(floor: Floor) -> None:
    boss = await floor.headers(SUPERVISOR)
    for method, path in [
        ("GET", "/api/admin/calendar?from=2026-12-01&to=2026-12-02"),
        ("PUT", "/api/admin/calendar/notices/2027"),
        ("PUT", "/api/admin/calendar/overrides/2026-12-01"),
    ]:
        response = await floor.client.request(method, path, headers=boss, json=NOTICE_2027)
        assert response.status == 403, path


async def test_healthz_warns_of_a_year_not_official_yet_without_failing(floor: Floor) -> None:
    floor.app[AMI].state = ConnectionState.READY  # as if AMI were logged in
    today = datetime.now(ZoneInfo(floor.app[SETTINGS].timezone)).date()
    expected = unofficial_years(today, {})
    response = await floor.client.get("/healthz")
    body = await response.json()
    assert response.status == 200, body
    assert body["calendar"]["unofficial_years"] == expected
    assert ("warning" in body["calendar"]) is bool(expected)
    admin = await floor.admin_headers()
    for year in expected:
        notice = {
            "holidays": [
                {"from": f"{year}-10-01", "to": f"{year}-10-03", "holiday": "national_day"}
            ]
        }
        put = await floor.client.put(
            f"/api/admin/calendar/notices/{year}", headers=admin, json=notice
        )
        assert put.status == 200
    body = await (await floor.client.get("/healthz")).json()
    assert body["calendar"] == {"unofficial_years": []}
