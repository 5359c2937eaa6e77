"""The agents' HTTP API through aiohttp's test client on a real PostgreSQL: sessions,
who may do what, the error contract, wrap-up classification and the live stream.
(AMI is not connected here: the agent-state end-to-end tests drive real Asterisk.)"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ami import AmiClient
from calls import repo as calls_repo
from calls.model import CallRecord, HungUp, Outcome, Source
from calls.service import QueueWaiting
from core.actor import Actor, Role
from core.settings import Settings
from db.pool import open_pool
from tests.e2e.agents import PIN, make_roster
from tests.web.conftest import echoing_service
from web.app import init_app
from web.metrics import Metrics
from web.sessions import Sessions


@pytest.fixture
async def client(fresh_db: str, settings: Settings) -> AsyncIterator[TestClient]:
    await make_roster(fresh_db, {"1001": 0, "1002": 0, "1009": 0})
    pool = await open_pool(fresh_db, min_size=1, max_size=4)
    await pool.execute("UPDATE agents SET role = 'supervisor' WHERE job_number = '1009'")
    ami = AmiClient("127.0.0.1", 1, "nobody", "not-connected-000000")
    service = echoing_service(pool, ami)
    await service.load()
    app = init_app(
        dataclasses.replace(settings, database_url=fresh_db),
        pool,
        ami,
        Metrics(ami, QueueWaiting(ami)),
        service,
    )
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    service.stop()
    await pool.close()


async def token(client: TestClient, job: str, pin: str = PIN) -> dict[str, str]:
    response = await client.post("/api/sessions", json={"job_number": job, "pin": pin})
    assert response.status == 201
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def test_sessions_refuse_bad_bodies_and_wrong_pins(client: TestClient) -> None:
    bad = await client.post("/api/sessions", data=b"{not json")
    assert bad.status == 400 and (await bad.json())["error"] == "input.invalid"
    listed = await client.post("/api/sessions", json=["1001", PIN])
    assert listed.status == 400
    missing = await client.post("/api/sessions", json={"job_number": "1001"})
    assert missing.status == 400 and "pin" in (await missing.json())["message"]
    wrong = await client.post("/api/sessions", json={"job_number": "1001", "pin": "0000"})
    assert wrong.status == 401 and (await wrong.json())["error"] == "agent.wrong_credentials"
    nobody = await client.post("/api/sessions", json={"job_number": "4242", "pin": PIN})
    assert nobody.status == 401


async def test_the_floor_needs_a_session(client: TestClient) -> None:
    assert (await client.get("/api/agents")).status == 401
    forged = await client.get("/api/agents", headers={"Authorization": "Bearer forged"})
    assert forged.status == 401 and (await forged.json())["error"] == "auth.required"
    agents = await (await client.get("/api/agents", headers=await token(client, "1001"))).json()
    assert [(a["job_number"], a["state"], a["name"]) for a in agents["agents"]] == [
        ("1001", "logged_out", "坐席1001"),
        ("1002", "logged_out", "坐席1002"),
        ("1009", "logged_out", "坐席1009"),
    ]


async def test_an_agent_changes_only_its_own_state(client: TestClient) -> None:
    me = await token(client, "1001")
    other = await client.post("/api/agents/1002/state", headers=me, json={"state": "busy"})
    assert other.status == 403 and (await other.json())["error"] == "auth.forbidden"
    signed_in = await client.post(
        "/api/agents/1001/state", headers=me, json={"state": "sign_in", "pin": PIN}
    )
    assert signed_in.status == 200 and (await signed_in.json())["label"] == "idle"
    busy = await client.post(
        "/api/agents/1001/state", headers=me, json={"state": "busy", "reason": "break"}
    )
    assert (await busy.json())["label"] == "busy(break)"
    odd = await client.post(
        "/api/agents/1001/state", headers=me, json={"state": "busy", "reason": "supervisor"}
    )
    assert odd.status == 400
    unknown = await client.post("/api/agents/1001/state", headers=me, json={"state": "nap"})
    assert unknown.status == 400


async def test_illegal_requests_are_409_with_the_reason(client: TestClient) -> None:
    me = await token(client, "1002")
    response = await client.post("/api/agents/1002/state", headers=me, json={"state": "idle"})
    body = await response.json()
    assert response.status == 409 and body["error"] == "agent.illegal_transition"
    assert "logged_out" in body["message"]


async def test_a_supervisor_forces_busy_and_signs_out(client: TestClient) -> None:
    me = await token(client, "1001")
    await client.post("/api/agents/1001/state", headers=me, json={"state": "sign_in", "pin": PIN})
    boss = await token(client, "1009")
    forced = await client.post("/api/agents/1001/state", headers=boss, json={"state": "force_busy"})
    assert (await forced.json())["label"] == "busy(supervisor)"
    out = await client.post("/api/agents/1001/state", headers=boss, json={"state": "sign_out"})
    assert (await out.json())["state"] == "logged_out"
    not_boss = await client.post("/api/agents/1001/state", headers=me, json={"state": "force_busy"})
    assert not_boss.status == 403


async def test_wrap_up_classifies_the_agents_own_call(client: TestClient, fresh_db: str) -> None:
    at = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    call = CallRecord(
        linkedid="9.1",
        caller_number="13800000000",
        caller_name="",
        entry_number="12333",
        entered_at=at,
        ended_at=at,
        outcome=Outcome.ANSWERED,
        hung_up_first=HungUp.CALLER,
        source=Source.AMI,
        agent_job_number="1001",
        agent_answered_at=at,
    )
    conn = await asyncpg.connect(fresh_db)
    await calls_repo.insert(conn, call)
    me = await token(client, "1001")
    categories = (await (await client.get("/api/categories", headers=me)).json())["categories"]
    assert categories[0] == "养老保险" and "建议投诉" in categories
    bad = await client.post(
        "/api/calls/9.1/wrap-up", headers=me, json={"category": "天气", "summary": "x"}
    )
    assert bad.status == 400
    long = await client.post(
        "/api/calls/9.1/wrap-up", headers=me, json={"category": "养老保险", "summary": "长" * 501}
    )
    assert long.status == 400
    not_mine = await client.post(
        "/api/calls/9.1/wrap-up",
        headers=await token(client, "1002"),
        json={"category": "养老保险", "summary": "问养老金"},
    )
    assert not_mine.status == 409
    ok = await client.post(
        "/api/calls/9.1/wrap-up",
        headers=me,
        json={"category": "养老保险", "summary": "咨询养老金领取条件"},
    )
    assert ok.status == 200
    row = await conn.fetchrow("SELECT category, summary, classified_by FROM calls")
    await conn.close()
    assert tuple(row) == ("养老保险", "咨询养老金领取条件", "1001")


async def test_the_stream_sends_the_floor_then_each_change(client: TestClient) -> None:
    me = await token(client, "1001")
    response = await client.get("/api/agents/stream", headers=me)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")

    async def next_event() -> dict[str, object]:
        lines = []
        while True:
            line = (await asyncio.wait_for(response.content.readline(), 5)).decode()
            if line == "\n" and lines:
                break
            if line.startswith("data: "):
                lines.append(line[6:])
        return dict(json.loads("".join(lines)))

    snapshot = [await next_event() for _ in range(3)]
    assert [e["job_number"] for e in snapshot] == ["1001", "1002", "1009"]
    await client.post("/api/agents/1001/state", headers=me, json={"state": "sign_in", "pin": PIN})
    change = await next_event()
    assert (change["job_number"], change["label"], change["previous"], change["event"]) == (
        "1001",
        "idle",
        "logged_out",
        "SignIn",
    )
    response.close()


async def admin_token(database_url: str) -> dict[str, str]:
    """A session of an admin (the floor's 1099), made in the database directly."""
    pool = await open_pool(database_url, min_size=1, max_size=1)
    try:
        await pool.execute(
            "INSERT INTO agents (job_number, name, role, password_hash)"
            " VALUES ('1099', '管理员', 'admin', 'x') ON CONFLICT DO NOTHING"
        )
        session = await Sessions(pool).create(Actor("1099", Role.ADMIN))
    finally:
        await pool.close()
    return {"Authorization": f"Bearer {session}"}


async def test_an_admin_edits_categories_schedule_and_calendar(
    client: TestClient, fresh_db: str
) -> None:
    """The admin pages' rule (/admin/categories, /admin/schedule): admins only, the
    supervisor no more."""
    agent, boss = await token(client, "1001"), await admin_token(fresh_db)
    for who in (agent, await token(client, "1009")):
        denied = await client.put("/api/categories", headers=who, json={"categories": ["其他"]})
        assert denied.status == 403
    bad = await client.put("/api/categories", headers=boss, json={"categories": ["a", "a"]})
    assert bad.status == 400
    ok = await client.put(
        "/api/categories", headers=boss, json={"categories": ["社会保障卡", "养老保险", "新分类"]}
    )
    assert ok.status == 200
    listed = (await (await client.get("/api/categories", headers=agent)).json())["categories"]
    assert listed == ["社会保障卡", "养老保险", "新分类"]

    schedule = {
        "entries": [
            {"weekday": 1, "at": "12:00", "label": "noon_break"},
            {"weekday": 1, "at": "18:00", "label": "end_of_day"},
        ]
    }
    saved = await client.put("/api/schedule", headers=boss, json=schedule)
    assert (await saved.json()) == schedule
    wrong = await client.put(
        "/api/schedule",
        headers=boss,
        json={"entries": [{"weekday": 8, "at": "12:00", "label": "noon_break"}]},
    )
    assert wrong.status == 400 and "weekday" in (await wrong.json())["message"]
    assert (
        await client.put(
            "/api/schedule",
            headers=boss,
            json={"entries": [{"weekday": 1, "at": "noon", "label": "noon_break"}]},
        )
    ).status == 400

    made = await client.put(
        "/api/calendar/2026-10-01", headers=boss, json={"working": True, "note": "值班"}
    )
    assert made.status == 200
    assert (
        await client.put("/api/calendar/2026-13-01", headers=boss, json={"working": True})
    ).status == 400
    conn = await asyncpg.connect(fresh_db)
    assert await conn.fetchval("SELECT kind FROM calendar_overrides") == "working"
    await client.delete("/api/calendar/2026-10-01", headers=boss)
    assert await conn.fetchval("SELECT count(*) FROM calendar_overrides") == 0
    await conn.close()


async def test_control_characters_and_odd_types_get_a_clear_400(
    client: TestClient, fresh_db: str
) -> None:
    """PostgreSQL cannot store NUL: without the check these were 500s."""
    boss, me = await admin_token(fresh_db), await token(client, "1001")
    nul = await client.put("/api/categories", headers=boss, json={"categories": ["养老\u0000"]})
    assert nul.status == 400 and "control character" in (await nul.json())["message"]
    line = await client.put("/api/categories", headers=boss, json={"categories": ["a\nb"]})
    assert line.status == 400
    note = await client.put(
        "/api/calendar/2026-10-01", headers=boss, json={"working": True, "note": "值班\u0000"}
    )
    assert note.status == 400
    weekday = await client.put(
        "/api/schedule",
        headers=boss,
        json={"entries": [{"weekday": True, "at": "12:00", "label": "noon_break"}]},
    )
    assert weekday.status == 400 and "weekday" in (await weekday.json())["message"]
    summary = await client.post(
        "/api/calls/9.9/wrap-up", headers=me, json={"category": "养老保险", "summary": "问\u0000题"}
    )
    assert summary.status == 400 and "summary" in (await summary.json())["message"]
    lines = await client.post(
        "/api/calls/9.9/wrap-up",
        headers=me,
        json={"category": "养老保险", "summary": "第一行\n第二行"},
    )
    assert lines.status == 409  # allowed text; only the call is not on record


async def test_an_agent_signs_in_at_another_desk_phone_and_frees_it_at_sign_out(
    client: TestClient,
) -> None:
    """Hot desking on the web: the sign-in body names the desk phone (default: the
    home extension); a phone another agent holds is refused with agent.phone_taken."""
    me, other = await token(client, "1001"), await token(client, "1002")
    bad = await client.post(
        "/api/agents/1001/state",
        headers=me,
        json={"state": "sign_in", "pin": PIN, "extension": "2x"},
    )
    assert bad.status == 400 and (await bad.json())["field"] == "extension"
    hot = await client.post(
        "/api/agents/1001/state",
        headers=me,
        json={"state": "sign_in", "pin": PIN, "extension": "2002"},
    )
    assert hot.status == 200 and (await hot.json())["phone"] == "2002"
    home = await client.post(
        "/api/agents/1002/state", headers=other, json={"state": "sign_in", "pin": PIN}
    )
    body = await home.json()
    assert home.status == 409 and body["error"] == "agent.phone_taken", body
    assert "2002" in body["message"] and body["phone"] == "2002"
    out = await client.post("/api/agents/1001/state", headers=me, json={"state": "sign_out"})
    assert out.status == 200 and (await out.json())["phone"] is None
    home = await client.post(
        "/api/agents/1002/state", headers=other, json={"state": "sign_in", "pin": PIN}
    )
    assert home.status == 200 and (await home.json())["phone"] == "2002"
