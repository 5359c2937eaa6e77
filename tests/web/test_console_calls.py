"""The console's call half through aiohttp's test client and a real PostgreSQL: the screen
pop of a ringing call (the caller, their earlier calls, their open callbacks, the menu
path), the hold carried live to ``/agent/events``, and the wrap-up form (a bad
category at its field and nothing saved; no CSRF token: 403; a good one files the call
and makes the agent busy). No Asterisk: the AMI events are handed to the app's client
as it would hand them on."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import ClientResponse

from agent_state.model import Answered, BusyReason, CallEnded, Offered, State
from ami.events import parse_event
from calls import repo as calls_repo
from calls.model import CallRecord, HungUp, Outcome, Source
from tests.e2e.agents import PIN
from tests.web.conftest import AGENT, Floor
from tests.web.test_pages import csrf_of, log_in
from web.app import AMI

CALL = "1900000000.5"
NUMBER = "13800138000"
TRUNK = {"Channel": "PJSIP/trunk-00000005", "Uniqueid": CALL, "Linkedid": CALL}
DESK = {"Channel": "PJSIP/2001-00000006", "Uniqueid": "1900000000.6", "Linkedid": CALL}


def hand(floor: Floor, name: str, **headers: str) -> None:
    """An AMI event, as the app's AMI client hands it to its listeners."""
    stamp = f"{datetime.now(UTC).timestamp():.6f}"
    floor.app[AMI]._dispatch(parse_event({"Event": name, "Timestamp": stamp, **headers}))


def record(linkedid: str, at: datetime, **fields: Any) -> CallRecord:
    values: dict[str, Any] = {
        "linkedid": linkedid,
        "caller_number": NUMBER,
        "caller_name": "",
        "entry_number": "12333",
        "entered_at": at,
        "ended_at": at + timedelta(seconds=60),
        "outcome": Outcome.ANSWERED,
        "hung_up_first": HungUp.CALLER,
        "source": Source.AMI,
        "agent_job_number": AGENT,
        "agent_answered_at": at + timedelta(seconds=20),
    }
    return CallRecord(**{**values, **fields})


async def signed_in_and_ringing(floor: Floor) -> None:
    """The agent logged in and 签入 on the console; a caller went through the menu and
    rings the agent's phone."""
    assert (await log_in(floor)).status == 303
    token = await csrf_of(await floor.client.get("/agent"))
    form = {"action": "sign_in", "pin": PIN, "csrf": token}
    assert (await floor.client.post("/agent/state", data=form, allow_redirects=False)).status == 303
    hand(floor, "Newchannel", **TRUNK, Context="from-pstn", Exten="12333", CallerIDNum=NUMBER)
    for node in ("welcome", "menu", "queue"):
        user = {"UserEvent": "HotlineNode", "Node": node, "Version": "2", "PromptLanguage": "zh"}
        hand(floor, "UserEvent", **TRUNK, **user)
    hand(floor, "AgentCalled", **TRUNK, MemberName=AGENT, Queue="12333", CallerIDNum=NUMBER)
    await floor.service.adopt(AGENT, Offered(linkedid=CALL), linkedid=CALL)


async def test_the_pop_shows_the_caller_their_calls_and_callbacks(floor: Floor) -> None:
    earlier = datetime.now(UTC) - timedelta(days=2)
    await calls_repo.insert(floor.pool, record("1800000000.1", earlier))
    await floor.pool.execute(
        "UPDATE calls SET category = '养老保险' WHERE linkedid = '1800000000.1'"
    )
    visit = {"number": NUMBER, "at": "2030-12-01T10:00", "question": "回访:养老金到账"}
    made = await floor.client.post(
        "/api/callbacks/return-visits", json=visit, headers=await floor.headers(AGENT)
    )
    assert made.status == 201, await made.text()
    await signed_in_and_ringing(floor)
    page = await (await floor.client.get("/agent")).text()
    assert f'<strong id="pop-number">{NUMBER}</strong>' in page
    assert '<span id="pop-path">welcome → menu → queue</span>' in page
    assert "<td>已接通</td><td>养老保险</td>" in page  # the earlier call
    assert "<td>回访</td>" in page and "回访:养老金到账" in page  # the open callback
    assert 'id="wrap-up" hidden' in page  # not yet


async def next_event(response: ClientResponse, kind: str) -> dict[str, Any]:
    """The next server-sent event of ``kind``, its data as JSON."""
    name, data = "", ""
    while True:
        line = (await asyncio.wait_for(response.content.readline(), 5)).decode()
        if line.startswith("event: "):
            name = line[7:].strip()
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "\n" and name:
            if name == kind:
                return dict(json.loads(data))
            name, data = "", ""


async def test_the_stream_carries_the_pop_and_the_hold(floor: Floor) -> None:
    await signed_in_and_ringing(floor)
    await floor.service.adopt(AGENT, Answered(linkedid=CALL), linkedid=CALL)
    stream = await floor.client.get("/agent/events")
    call = await next_event(stream, "call")
    assert call["shown"] and call["number"] == NUMBER and call["hold_since"] is None
    hand(floor, "Hold", **DESK)  # the agent's phone holds the caller
    held = await next_event(stream, "call")
    assert held["hold_since"] is not None and held["hold_long_s"] == 30.0
    hand(floor, "Unhold", **DESK)
    assert (await next_event(stream, "call"))["hold_since"] is None
    stream.close()


async def in_wrap_up(floor: Floor) -> str:
    """The call answered and ended (its row written, as the recorder does); the console's
    wrap-up form, its CSRF token returned."""
    await signed_in_and_ringing(floor)
    await floor.service.adopt(AGENT, Answered(linkedid=CALL), linkedid=CALL)
    await calls_repo.insert(floor.pool, record(CALL, datetime.now(UTC) - timedelta(minutes=1)))
    await floor.service.adopt(AGENT, CallEnded(wrap_up_s=30))
    page = await floor.client.get("/agent")
    text = await page.text()
    assert f'id="wrap-up-call" value="{CALL}"' in text and 'id="wrap-up" hidden' not in text
    return await csrf_of(page)


async def category_of(floor: Floor) -> Any:
    return await floor.pool.fetchval("SELECT category FROM calls WHERE linkedid = $1", CALL)


async def test_a_bad_wrap_up_is_shown_at_its_field_and_nothing_is_saved(floor: Floor) -> None:
    token = await in_wrap_up(floor)
    form = {"call": CALL, "category": "天气", "summary": "问天气", "then": "idle", "csrf": token}
    bad = await floor.client.post("/agent/wrap-up", data=form, allow_redirects=False)
    page = await bad.text()
    assert bad.status == 400
    assert 'id="error-category" data-code="input.category_unknown"' in page
    assert "请从列表中选择业务分类" in page and "问天气" in page  # what was typed, kept
    empty = await floor.client.post(
        "/agent/wrap-up", data={**form, "category": "养老保险", "summary": ""}
    )
    assert empty.status == 400 and 'id="error-summary"' in await empty.text()
    assert await category_of(floor) is None
    assert floor.service.agents[AGENT].state is State.WRAP_UP


async def test_a_wrap_up_without_its_csrf_token_is_refused(floor: Floor) -> None:
    await in_wrap_up(floor)
    form = {"call": CALL, "category": "养老保险", "summary": "问养老金", "then": "idle"}
    refused = await floor.client.post("/agent/wrap-up", data=form, allow_redirects=False)
    assert refused.status == 403
    assert await category_of(floor) is None
    assert floor.service.agents[AGENT].state is State.WRAP_UP


async def test_a_wrap_up_files_the_call_then_busy(floor: Floor) -> None:
    token = await in_wrap_up(floor)
    form = {"call": CALL, "category": "养老保险", "summary": "问养老金", "then": "busy"}
    done = await floor.client.post(
        "/agent/wrap-up", data={**form, "csrf": token}, allow_redirects=False
    )
    assert done.status == 303 and done.headers["Location"] == "/agent"
    assert await category_of(floor) == "养老保险"
    agent = floor.service.agents[AGENT]
    assert agent.state is State.BUSY and agent.busy_reason is BusyReason.MANUAL
