"""The live stream never leaves a slow client silently behind, and the audit shows each
transition and why."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from aiohttp import ClientResponse

from agent_state import repo
from agent_state.model import Agent, BusyReason, ForceBusy, Source, State
from agent_state.service import Change
from callback import repo as callback_repo
from callback.model import Kind, Reason, Request
from core.settings import Settings
from tests.e2e.agents import PIN
from tests.web.conftest import AGENT, OTHER, SUPERVISOR, Floor, open_floor


async def _events(response: ClientResponse) -> list[tuple[str, dict[str, object]]]:
    """Every event until the server ends the stream."""
    events, name, data = [], "", []
    while True:
        line = (await asyncio.wait_for(response.content.readline(), 10)).decode()
        if not line:
            return events
        if line.startswith("event: "):
            name = line[7:].strip()
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "\n" and data:
            events.append((name, json.loads("".join(data))))
            name, data = "", []


async def _dropped(floor: Floor) -> float:
    text = await (await floor.client.get("/metrics")).text()
    line = next(x for x in text.splitlines() if x.startswith("hotline_sse_clients_dropped_total"))
    return float(line.split()[1])


async def test_a_client_too_slow_for_its_queue_gets_a_resync_and_is_counted(
    fresh_db: str, settings: Settings
) -> None:
    async with open_floor(fresh_db, settings, sse_queue_size=2, sse_keepalive_s=5) as floor:
        me = await floor.headers(AGENT)
        assert await _dropped(floor) == 0
        standing = set(floor.service._listeners)  # the app's own (the consoles' calls)
        response = await floor.client.get("/api/agents/stream", headers=me)
        assert response.status == 200
        first = await asyncio.wait_for(response.content.readline(), 5)
        assert first.startswith(b"event: agent")
        before = floor.service.agents[AGENT]
        after = Agent(AGENT, State.BUSY, BusyReason.MANUAL, since=datetime.now(UTC))
        # many changes in one go, faster than any client: the queue (2) overflows
        for _ in range(10):
            for listener in list(floor.service._listeners):
                listener(Change(before, after, "GoBusy", "web", datetime.now(UTC)))
        events = await asyncio.wait_for(_events(response), 20)  # the server ends the stream
        assert events[-1][0] == "resync" and events[-1][1]["reason"] == "slow_client"
        assert sum(1 for name, _ in events if name == "agent") < 3 + 10
        assert await _dropped(floor) == 1
        assert set(floor.service._listeners) == standing  # unsubscribed: nothing piles up
        again = await floor.client.get("/api/agents/stream", headers=me)
        assert again.status == 200  # it reconnects and gets the floor afresh
        again.close()


async def test_the_audit_lists_transitions_newest_first_with_why(floor: Floor) -> None:
    me = await floor.headers(AGENT)
    for body in ({"state": "sign_in", "pin": PIN}, {"state": "busy"}, {"state": "idle"}):
        response = await floor.client.post(f"/api/agents/{AGENT}/state", headers=me, json=body)
        assert response.status == 200
    before = floor.service.agents[AGENT]
    reconciled = Agent(AGENT, State.BUSY, BusyReason.RECONCILED, since=datetime.now(UTC))
    why = "database: idle; asterisk: paused"
    await repo.save_transition(
        floor.pool,
        before,
        reconciled,
        ForceBusy(source=Source.SYSTEM, reason=BusyReason.RECONCILED, why=why),
        datetime.now(UTC),
    )
    response = await floor.client.get(f"/api/agents/{AGENT}/audit?limit=3", headers=me)
    assert response.status == 200
    rows = (await response.json())["audit"]
    assert [(r["event"], r["to_state"], r["to_reason"]) for r in rows] == [
        ("ForceBusy", "busy", "reconciled"),
        ("GoIdle", "idle", None),
        ("PauseConfirmed", "busy", "manual"),  # the busy request, in force
    ]
    assert rows[0]["detail"] == "database: idle; asterisk: paused"
    assert rows[1]["detail"] is None and rows[1]["actor"] == AGENT
    assert rows[1]["source"] == "web" and rows[1]["sign_out_pending"] is False


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        (SUPERVISOR, f"/api/agents/{AGENT}/audit", 200),
        (OTHER, f"/api/agents/{AGENT}/audit", 403),
        (AGENT, "/api/agents/4242/audit", 403),
        (SUPERVISOR, "/api/agents/4242/audit", 404),
        (AGENT, f"/api/agents/{AGENT}/audit?limit=0", 400),
        (AGENT, f"/api/agents/{AGENT}/audit?limit=many", 400),
        (AGENT, f"/api/agents/{AGENT}/audit?limit=99999999999999999999", 400),
        (AGENT, f"/api/agents/{AGENT}/audit?since=yesterday", 400),
    ],
)
async def test_the_audit_is_the_agents_own_or_a_supervisors(
    floor: Floor, who: str, path: str, status: int
) -> None:
    response = await floor.client.get(path, headers=await floor.headers(who))
    assert response.status == status, await response.text()


async def test_an_agent_offered_a_callback_sees_its_case_and_script_in_the_stream(
    floor: Floor,
) -> None:
    """R12: the agent who answers a callback sees the case and the script with their own
    job number on the live stream; an inbound call carries no case."""
    now = datetime.now(UTC)
    number = "13900007777"
    request = Request(
        kind=Kind.RETURN_VISIT,
        number=number,
        reason=Reason(Kind.RETURN_VISIT, at=now),
        not_before=now,
        priority_at=now,
        question="养老金到账时间",
    )
    opened = await callback_repo.open_callback(floor.pool, request, now)
    (claim,) = await callback_repo.claim(floor.pool, "test", now, 60, 1)
    assert claim.callback.id == opened.callback.id and claim.callback.attempt_id
    me = await floor.headers(AGENT)
    response = await floor.client.get("/api/agents/stream", headers=me)
    assert response.status == 200
    before = floor.service.agents[AGENT]
    ringing = Agent(AGENT, State.RINGING, since=now)
    for call in ("1800000000.9", claim.callback.attempt_id):
        for listener in list(floor.service._listeners):
            listener(Change(before, ringing, "Offered", "asterisk", now, call=call))
    seen: list[dict[str, object]] = []
    while len([e for e in seen if e.get("event") == "Offered"]) < 2:
        line = (await asyncio.wait_for(response.content.readline(), 5)).decode()
        if line.startswith("data: "):
            seen.append(json.loads(line[6:]))
    response.close()
    inbound, offered = [e for e in seen if e.get("event") == "Offered"]
    assert inbound["call"] == "1800000000.9" and inbound["callback"] is None
    case = offered["callback"]
    assert isinstance(case, dict)
    assert (case["id"], case["number"], case["question"]) == (
        str(opened.callback.id),
        number,
        "养老金到账时间",
    )
    assert f"我是{AGENT}号咨询员" in str(case["script"])


async def test_metrics_count_the_live_callbacks_by_kind_and_state(floor: Floor) -> None:
    def live(text: str) -> str:
        key = 'hotline_callbacks_live{kind="return_visit",state="open"}'
        return next(x for x in text.splitlines() if x.startswith(key)).split()[1]

    assert live(await (await floor.client.get("/metrics")).text()) == "0.0"
    now = datetime.now(UTC)
    request = Request(
        kind=Kind.RETURN_VISIT,
        number="13900008888",
        reason=Reason(Kind.RETURN_VISIT, at=now),
        not_before=now,
        priority_at=now,
    )
    await callback_repo.open_callback(floor.pool, request, now)
    text = await (await floor.client.get("/metrics")).text()
    assert live(text) == "1.0"
    assert 'hotline_callback_attempts_total{result="answered"}' in text
