"""The reports' API on a real PostgreSQL: the quality figures as JSON and as a CSV a
spreadsheet opens (UTF-8 with BOM, Chinese headers), the staffing advice, bad
parameters refused with one code, agents refused."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from calls import repo as calls_repo
from calls.model import CallRecord, HungUp, Outcome, Source
from tests.web.conftest import AGENT, SUPERVISOR, Floor

AT = datetime(2026, 3, 2, 2, 0, 5, tzinfo=UTC)  # 10:00 in the centre's zone
QUALITY = "/api/reports/quality"


async def _calls(floor: Floor) -> None:
    """Two callers asked for an agent on 2 March: one answered after 4 s, one gave up."""
    answered = CallRecord(
        linkedid="r.1",
        caller_number="13800000000",
        caller_name="",
        entry_number="12333",
        entered_at=AT,
        ended_at=AT.replace(minute=3),
        outcome=Outcome.ANSWERED,
        hung_up_first=HungUp.CALLER,
        source=Source.AMI,
        queue="12333",
        queue_joined_at=AT,
        agent_answered_at=AT.replace(second=9),
        agent_job_number=AGENT,
    )
    gave_up = CallRecord(
        linkedid="r.2",
        caller_number="13900000000",
        caller_name="",
        entry_number="12333",
        entered_at=AT,
        ended_at=AT.replace(second=40),
        outcome=Outcome.ABANDONED_QUEUE,
        hung_up_first=HungUp.CALLER,
        source=Source.AMI,
        queue="12333",
        queue_joined_at=AT,
    )
    for record in (answered, gave_up):
        assert await calls_repo.insert(floor.pool, record)


async def test_a_supervisor_reads_the_days_figures(floor: Floor) -> None:
    await _calls(floor)
    headers = await floor.headers(SUPERVISOR)
    response = await floor.client.get(
        QUALITY, params={"from": "2026-03-01", "to": "2026-03-02"}, headers=headers
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["by"], body["from"], body["to"]) == ("day", "2026-03-01", "2026-03-02")
    assert "建议投诉" in body["categories"]
    first, second = body["rows"]
    assert (first["key"], first["calls"], first["rate_15s"]) == ("2026-03-01", 0, None)
    assert (second["key"], second["calls"], second["asked_for_agent"]) == ("2026-03-02", 2, 2)
    assert (second["rate_15s"], second["rate_answered"], second["abandoned_queue"]) == (
        0.5,
        0.5,
        1,
    )


async def test_the_csv_starts_with_the_bom_and_has_chinese_headers(floor: Floor) -> None:
    await _calls(floor)
    headers = await floor.admin_headers()
    for path, params in (
        (QUALITY, {"from": "2026-03-02", "by": "agent", "format": "csv"}),
        (QUALITY + ".csv", {"from": "2026-03-02", "by": "agent"}),
    ):
        response = await floor.client.get(path, params=params, headers=headers)
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["Content-Disposition"]
        raw = await response.read()
        assert raw.startswith(b"\xef\xbb\xbf")
        table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert table[0][:2] == ["工号", "来电总数"]
        assert "15秒接通率" in table[0] and "人工接通率" in table[0]
        by_agent = {line[0]: dict(zip(table[0], line, strict=True)) for line in table[1:]}
        assert set(by_agent) == {AGENT, "(无)"}
        assert by_agent[AGENT]["人工接通"] == "1"
        assert by_agent["(无)"]["排队放弃"] == "1"


async def test_bad_parameters_are_a_400_with_a_stable_code(floor: Floor) -> None:
    headers = await floor.headers(SUPERVISOR)
    for path, params in (
        (QUALITY, {"from": "2026-3-2"}),
        (QUALITY, {"from": "2026-03-02", "to": "2026-03-01"}),
        (QUALITY, {"from": "2026-03-02", "by": "team"}),
        (QUALITY, {"from": "2026-03-02", "format": "xlsx"}),
        (QUALITY, {"from": "2026-03-02", "agent": "1001"}),
        ("/api/reports/staffing", {"weeks": "0"}),
        ("/api/reports/staffing", {"weeks": "four"}),
        ("/api/reports/staffing", {"day": "tomorrow"}),
    ):
        response = await floor.client.get(path, params=params, headers=headers)
        assert response.status == 400, (path, params)
        assert (await response.json())["error"] == "input.report_query", (path, params)


async def test_agents_may_not_read_the_reports(floor: Floor) -> None:
    headers = await floor.headers(AGENT)
    for path in (QUALITY + "?from=2026-03-02", QUALITY + ".csv", "/api/reports/staffing"):
        response = await floor.client.get(path, headers=headers)
        assert response.status == 403, path
        assert (await response.json())["error"] == "auth.forbidden"


async def test_the_staffing_advice_per_half_hour(floor: Floor) -> None:
    await _calls(floor)
    headers = await floor.headers(SUPERVISOR)
    response = await floor.client.get(
        "/api/reports/staffing", params={"day": "2026-03-09", "weeks": "1"}, headers=headers
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["weeks"], body["target"], body["answer_s"]) == (1, 0.9, 15.0)
    assert body["talk_avg_s"] == 176.0  # the one answered call: 10:00:09 to 10:03:05
    assert len(body["half_hours"]) == 48
    ten = body["half_hours"][20]
    assert (ten["starts"], ten["expected_arrivals"], ten["handle_s"]) == ("10:00", 2.0, 176.0)
    assert ten["agents_needed"] == 2
    assert ten["agents_signed_in"] == 0.0  # a past day: nobody signed in then
