"""HTTP API of the agents (aiohttp handlers; the web package routes them).

    POST /api/sessions                 {job_number, pin} -> {token, role}   (agent or supervisor)
    GET  /api/agents                   every agent: state, since, why
    POST /api/agents/{job}/state       {state: sign_in|idle|busy|sign_out|force_busy, reason?}
    POST /api/calls/{linkedid}/wrap-up {category, summary, then?: idle|busy}
    GET  /api/categories               the R5 call categories
    GET  /api/agents/stream            server-sent events: one per state change

An agent acts on itself; a supervisor may force any agent busy or sign it out.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from agent_state import repo, requests
from agent_state.model import Agent, SignIn, Source
from agent_state.service import (
    SESSION_LIFETIME,
    AgentService,
    Change,
    NotAllowed,
    new_session_token,
    token_hash,
)
from core.actor import Actor, Role
from core.encoding import json_dumps
from core.errors import Forbidden, InvalidInput, Unauthorized

AGENTS = web.AppKey("agents", AgentService)
SUMMARY_MAX = 500


async def read_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("the body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    return body


def _text(
    body: dict[str, Any], key: str, *, required: bool = True, multiline: bool = False
) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{key} must be a non-empty string")
    check_text(key, value, multiline=multiline)
    return value


def check_text(key: str, value: str, *, multiline: bool = False) -> str:
    """Refuse control characters (PostgreSQL cannot even store NUL); a summary may keep
    its line breaks and tabs."""
    allowed = "\n\t" if multiline else ""
    if any((ord(c) < 32 or ord(c) == 127) and c not in allowed for c in value):
        raise InvalidInput(f"{key} holds a control character")
    return value


async def who(request: web.Request) -> Actor:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized("sign in first: POST /api/sessions, then send 'Authorization: Bearer'")
    found = await repo.session(request.app[AGENTS].pool, token_hash(header[7:]))
    if found is None:
        raise Unauthorized("the session expired or does not exist; sign in again")
    return Actor(found[0], Role(found[1]))


def agent_json(agent: Agent, name: str = "") -> dict[str, Any]:
    return {
        "job_number": agent.job_number,
        "name": name,
        "state": agent.state.value,
        "busy_reason": agent.busy_reason.value if agent.busy_reason else None,
        "label": agent.label,
        "since": agent.since.isoformat() if agent.since else None,
        "wrap_up_deadline": agent.wrap_up_deadline.isoformat() if agent.wrap_up_deadline else None,
        "sign_out_pending": agent.sign_out_pending,
        "phone_reachable": agent.phone_reachable,
    }


async def create_session(request: web.Request) -> web.Response:
    body = await read_body(request)
    service = request.app[AGENTS]
    job, pin = _text(body, "job_number"), _text(body, "pin")
    assert job is not None and pin is not None
    member = await service.check_pin(job, pin, origin=request.remote or "")
    token, hashed = new_session_token()
    await repo.create_session(
        service.pool, hashed, job, member.role.value, datetime.now(UTC) + SESSION_LIFETIME
    )
    return web.json_response(
        {"token": token, "role": member.role.value, "job_number": job}, status=201
    )


async def list_agents(request: web.Request) -> web.Response:
    await who(request)
    service = request.app[AGENTS]
    agents = [
        agent_json(service.agents[job], member.name)
        for job, member in sorted(service.members.items())
        if job in service.agents
    ]
    return web.json_response({"agents": agents}, dumps=json_dumps)


async def change_state(request: web.Request) -> web.Response:
    actor = await who(request)
    job = request.match_info["job"]
    body = await read_body(request)
    what = _text(body, "state")
    reason = _text(body, "reason", required=False)
    assert what is not None
    service = request.app[AGENTS]
    event = requests.parse(what, source=Source.WEB, reason=reason)
    if isinstance(event, SignIn):
        if job != actor.job_number:
            raise Forbidden("an agent signs in only itself")
        pin = _text(body, "pin")
        assert pin is not None
        agent = await service.sign_in(job, pin, source=Source.WEB)
    else:
        agent = await service.request(actor, job, event)
    return web.json_response(agent_json(agent, service.member(job).name), dumps=json_dumps)


async def wrap_up(request: web.Request) -> web.Response:
    """R5: the call's category and summary; then idle (or busy) at once if asked."""
    actor = await who(request)
    body = await read_body(request)
    category, summary = _text(body, "category"), _text(body, "summary", multiline=True)
    assert category is not None and summary is not None
    then = _text(body, "then", required=False)
    service = request.app[AGENTS]
    if category not in await repo.categories(service.pool):
        raise InvalidInput(f"unknown category {category!r}; see GET /api/categories")
    if len(summary) > SUMMARY_MAX:
        raise InvalidInput(f"the summary is limited to {SUMMARY_MAX} characters")
    if then not in (None, "idle", "busy"):
        raise InvalidInput("then must be idle or busy")
    linkedid = request.match_info["linkedid"]
    if not await repo.classify_call(
        service.pool,
        linkedid,
        category=category,
        summary=summary,
        job_number=actor.job_number,
        at=datetime.now(UTC),
    ):
        raise NotAllowed(
            f"call {linkedid} is not on record as answered by agent {actor.job_number} "
            "(yet: it is written when the call ends)"
        )
    agent = service.agents.get(actor.job_number)
    if then is not None and agent is not None:
        event = requests.parse(then, source=Source.WEB)
        agent = await service.request(actor, actor.job_number, event)
    return web.json_response(
        {"linkedid": linkedid, "category": category, "agent": agent_json(agent) if agent else None},
        dumps=json_dumps,
    )


async def categories(request: web.Request) -> web.Response:
    return web.json_response(
        {"categories": await repo.categories(request.app[AGENTS].pool)}, dumps=json_dumps
    )


async def stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the floor as it changes (one ``agent`` event per change)."""
    await who(request)
    service = request.app[AGENTS]
    changes: asyncio.Queue[Change] = asyncio.Queue(maxsize=1000)
    unsubscribe = service.subscribe(lambda c: changes.put_nowait(c) if not changes.full() else None)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    try:
        for job, agent in sorted(service.agents.items()):
            await _send(response, agent_json(agent, service.members[job].name))
        while True:
            try:
                change = await asyncio.wait_for(changes.get(), 15)
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            body = agent_json(change.after, service.members[change.after.job_number].name)
            body.update(event=change.event, source=change.source, previous=change.before.label)
            await _send(response, body)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        unsubscribe()
    return response


async def _send(response: web.StreamResponse, body: dict[str, Any]) -> None:
    await response.write(f"event: agent\ndata: {json_dumps(body)}\n\n".encode())


def add_routes(app: web.Application, service: AgentService) -> None:
    app[AGENTS] = service
    app.router.add_post("/api/sessions", create_session)
    app.router.add_get("/api/agents", list_agents)
    app.router.add_get("/api/agents/stream", stream)
    app.router.add_post("/api/agents/{job}/state", change_state)
    app.router.add_post("/api/calls/{linkedid}/wrap-up", wrap_up)
    app.router.add_get("/api/categories", categories)
