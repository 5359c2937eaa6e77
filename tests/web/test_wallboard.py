"""The supervisor's wallboard through aiohttp's test client on a real PostgreSQL: the
page, the stream's first event and a change arriving on it, the force-busy and
sign-out forms (the API's service call, CSRF, a refusal at the agent's row), the
charts. Who may open each route: ``test_page_roles.py``."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from agent_state.model import BusyReason, GoBusy, Source, State
from core.actor import Actor, Role
from pages import guard
from tests.e2e.agents import PIN
from tests.web.conftest import AGENT, OTHER, SUPERVISOR, Floor
from web.sessions import Sessions


async def as_supervisor(floor: Floor) -> str:
    """The supervisor's session cookie on the client; its CSRF token."""
    token = await Sessions(floor.pool).create(Actor(SUPERVISOR, Role.SUPERVISOR))
    floor.client.session.cookie_jar.update_cookies({guard.SESSION_COOKIE: token})
    return guard.csrf_for(token)


async def signed_in(floor: Floor, *jobs: str) -> None:
    for job in jobs:
        await floor.service.sign_in(job, PIN, source=Source.WEB, origin="127.0.0.1")


def row_of(page: str, job: str) -> str:
    found = re.search(rf'<tr id="agent-{job}".*?</tr>', page, re.S)
    assert found, f"no row for {job}"
    return found.group(0)


async def test_the_board_shows_each_agent_with_state_and_why(floor: Floor) -> None:
    await as_supervisor(floor)
    await signed_in(floor, AGENT, OTHER)
    await floor.service.request(Actor(OTHER, Role.AGENT), OTHER, GoBusy(reason=BusyReason.BREAK))
    response = await floor.client.get("/wallboard")
    assert response.status == 200
    page = await response.text()
    assert ">示闲<" in row_of(page, AGENT)
    other = row_of(page, OTHER)
    assert ">置忙(休息)<" in other and 'data-forced="false"' in other
    assert ">已签出<" in row_of(page, SUPERVISOR)
    assert 'id="rate_15s">—<' in page  # no call today: no rate, not 0 %
    assert 'id="callbacks_open">0<' in page and 'id="callbacks_overdue">0<' in page
    assert 'data-key="signed_in">2<' in page
    assert 'src="/wallboard/charts/calls.svg"' in page


async def next_board(stream: Any) -> dict[str, Any]:
    """The next ``event: board`` of a server-sent-events response (within 5 s)."""
    async with asyncio.timeout(5):
        while True:
            line = (await stream.content.readline()).decode()
            if line.startswith("data: "):
                board: dict[str, Any] = json.loads(line[6:])
                return board


async def test_the_stream_starts_with_the_board_and_carries_each_change(floor: Floor) -> None:
    await as_supervisor(floor)
    await signed_in(floor, AGENT)
    stream = await floor.client.get("/wallboard/events")
    assert stream.status == 200 and stream.content_type == "text/event-stream"
    first = await next_board(stream)
    assert [a["job"] for a in first["agents"]] == [AGENT, OTHER, SUPERVISOR]
    assert first["agents"][0]["state"] == "idle" and first["summary"]["signed_in"] == 1
    await floor.service.force_reconciled(AGENT, "the test")
    while (board := await next_board(stream))["agents"][0]["state"] == "idle":
        pass  # the figures' first reading may come in between
    assert board["agents"][0]["text"] == "置忙(系统校正)" and board["agents"][0]["forced"]
    stream.close()


async def test_a_supervisor_forces_an_agent_busy_and_signs_it_out(floor: Floor) -> None:
    csrf = await as_supervisor(floor)
    await signed_in(floor, AGENT)
    url = f"/wallboard/agents/{AGENT}/state"
    done = await floor.client.post(
        url, data={"action": "force_busy", "csrf": csrf}, allow_redirects=False
    )
    assert done.status == 303 and done.headers["Location"] == "/wallboard"
    agent = floor.service.agents[AGENT]
    assert (agent.state, agent.busy_reason) == (State.BUSY, BusyReason.SUPERVISOR)
    actor = await floor.pool.fetchval(
        "SELECT actor FROM agent_state_audit WHERE job_number = $1 AND event = 'ForceBusy'",
        AGENT,
    )
    assert actor == SUPERVISOR  # the supervisor is on the audit row, as through the API
    page = await (await floor.client.get("/wallboard")).text()
    assert ">置忙(班长置忙)<" in row_of(page, AGENT)
    out = await floor.client.post(
        url, data={"action": "sign_out", "csrf": csrf}, allow_redirects=False
    )
    assert out.status == 303 and floor.service.agents[AGENT].state is State.LOGGED_OUT


async def test_a_form_without_its_csrf_token_changes_nothing(floor: Floor) -> None:
    await as_supervisor(floor)
    await signed_in(floor, AGENT)
    url = f"/wallboard/agents/{AGENT}/state"
    refused = await floor.client.post(url, data={"action": "force_busy"}, allow_redirects=False)
    assert refused.status == 403
    assert 'id="error-code">auth.csrf_invalid<' in await refused.text()
    assert floor.service.agents[AGENT].state is State.IDLE


async def test_a_refusal_is_shown_at_the_agents_row(floor: Floor) -> None:
    csrf = await as_supervisor(floor)
    url = f"/wallboard/agents/{AGENT}/state"
    signed_out = await floor.client.post(url, data={"action": "force_busy", "csrf": csrf})
    assert signed_out.status == 409
    page = await signed_out.text()
    assert 'id="error-agent-1001" data-code="agent.illegal_transition"' in row_of(page, AGENT)
    await signed_in(floor, AGENT)
    idle = await floor.client.post(url, data={"action": "idle", "csrf": csrf})  # not the board's
    assert idle.status == 400 and 'id="error-agent-1001" data-code="input.invalid"' in (
        await idle.text()
    )
    assert floor.service.agents[AGENT].state is State.IDLE
    nobody = await floor.client.post("/wallboard/agents/4242/state", data={"csrf": csrf})
    assert nobody.status == 400 and 'id="error-board"' in await nobody.text()


async def test_charts_are_svg_from_here(floor: Floor) -> None:
    await as_supervisor(floor)
    for name in ("calls", "two_rings", "wrap_up"):
        chart = await floor.client.get(f"/wallboard/charts/{name}.svg")
        assert chart.status == 200 and chart.content_type == "image/svg+xml"
        assert "<svg" in await chart.text()
    assert (await floor.client.get("/wallboard/charts/nothing.svg")).status == 404
