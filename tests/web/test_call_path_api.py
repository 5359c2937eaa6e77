"""The call's menu path, language, node ended in and holds (issue 10) round-trip through
PostgreSQL (migration 0013) and the calls API; R9's holds-over-30-s figure per agent/day."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from calls import repo
from calls.model import CallRecord, HungUp, Outcome, Source
from calls.path import CallHold
from dialplan.model import Language
from tests.web.conftest import AGENT, Floor

T = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
HELD = CallRecord(
    linkedid="7.1",
    caller_number="13900000001",
    caller_name="李四",
    entry_number="12333",
    entered_at=T,
    ended_at=T + timedelta(seconds=120),
    outcome=Outcome.ANSWERED,
    hung_up_first=HungUp.CALLER,
    source=Source.AMI,
    queue="pension",
    agent_job_number=AGENT,
    queue_joined_at=T + timedelta(seconds=18),
    agent_offered_at=T + timedelta(seconds=19),
    agent_answered_at=T + timedelta(seconds=20),
    plan_version=3,
    menu_path=("welcome", "choose_language", "main_menu", "pension_queue"),
    language=Language.UYGHUR,
    ended_node="pension_queue",
    holds=(CallHold(T + timedelta(seconds=30), 37.25), CallHold(T + timedelta(seconds=80), 5.0)),
)
ABANDONED_IN_MENU = dataclasses.replace(
    HELD,
    linkedid="7.2",
    outcome=Outcome.ABANDONED_GREETING,
    agent_job_number=None,
    queue=None,
    queue_joined_at=None,
    agent_offered_at=None,
    agent_answered_at=None,
    menu_path=("welcome", "main_menu"),
    language=Language.MANDARIN,
    ended_node="main_menu",
    holds=(),
    entered_at=T + timedelta(minutes=1),
)
REBUILT = dataclasses.replace(  # from CEL: holds not known
    HELD, linkedid="7.3", source=Source.CEL, holds=None, entered_at=T + timedelta(minutes=2)
)


async def seeded(floor: Floor) -> None:
    for record in (HELD, ABANDONED_IN_MENU, REBUILT):
        assert await repo.insert(floor.pool, record)


async def test_the_new_fields_round_trip_through_the_database(floor: Floor) -> None:
    await seeded(floor)
    for record in (HELD, ABANDONED_IN_MENU, REBUILT):
        assert await repo.by_linkedid(floor.pool, record.linkedid) == record


async def test_the_calls_api_shows_path_language_node_and_holds(floor: Floor) -> None:
    await seeded(floor)
    response = await floor.client.get("/api/calls", headers=await floor.headers(AGENT))
    assert response.status == 200
    calls = {c["linkedid"]: c for c in (await response.json())["calls"]}
    held = calls["7.1"]
    assert held["plan_version"] == 3 and held["language"] == "ug"
    assert held["menu_path"] == ["welcome", "choose_language", "main_menu", "pension_queue"]
    assert held["ended_node"] == "pension_queue"
    assert held["holds"] == [
        {"started_at": "2026-11-28T10:00:30+08:00", "length_s": 37.25},
        {"started_at": "2026-11-28T10:01:20+08:00", "length_s": 5.0},
    ]
    assert (held["hold_count"], held["hold_total_s"], held["long_holds"]) == (2, 42.25, 1)
    none, unknown = calls["7.2"], calls["7.3"]
    assert (none["holds"], none["hold_count"], none["ended_node"]) == ([], 0, "main_menu")
    assert (unknown["holds"], unknown["hold_count"], unknown["long_holds"]) == (None, None, None)


async def test_calls_are_filtered_by_the_node_they_ended_in(floor: Floor) -> None:
    await seeded(floor)
    headers = await floor.headers(AGENT)
    body = await (await floor.client.get("/api/calls?node=main_menu", headers=headers)).json()
    assert [c["linkedid"] for c in body["calls"]] == ["7.2"]
    bad = await floor.client.get("/api/calls?node=main;menu", headers=headers)
    assert bad.status == 400 and "node" in (await bad.json())["message"]


async def test_the_second_writer_of_a_call_adds_no_holds(floor: Floor) -> None:
    await seeded(floor)
    again = dataclasses.replace(HELD, holds=(CallHold(T, 99.0),) * 3)
    assert not await repo.insert(floor.pool, again)
    assert await floor.pool.fetchval("SELECT count(*) FROM call_holds WHERE linkedid = '7.1'") == 2


async def test_a_call_journalled_before_migration_0013_is_still_replayed(floor: Floor) -> None:
    old = repo.record_args(dataclasses.replace(HELD, linkedid="7.9"))[:18]
    assert await repo.write_record(floor.pool, old)
    record = await repo.by_linkedid(floor.pool, "7.9")
    assert record is not None and record.menu_path == () and record.holds is None


async def test_holds_over_30_s_per_agent_and_day(floor: Floor) -> None:
    await seeded(floor)
    figures = await repo.long_holds_by_agent_day(
        floor.pool, T - timedelta(days=1), T + timedelta(days=1), "Asia/Shanghai"
    )
    assert [dataclasses.astuple(f) for f in figures] == [
        (AGENT, datetime(2026, 11, 28).date(), 2, 1, 42.25, 1)
    ]
