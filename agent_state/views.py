"""HTTP API of the agents (aiohttp handlers; the web package routes them and resolves
the session: ``actor_of(request)`` is who asks).

    GET  /api/agents                   every agent: state, since, why
    POST /api/agents/{job}/state       {state: sign_in|idle|busy|sign_out|force_busy, reason?,
                                        pin? and extension? (the desk phone) to sign in}
    GET  /api/agents/{job}/audit       ?limit= the agent's transitions, newest first, and why
    POST /api/calls/{linkedid}/wrap-up {category, summary, then?: idle|busy}
    GET  /api/agents/stream            server-sent events: one per state change (with the
                                       call, and a callback's case when one is offered)

Views parse and call a service; who may do what is the services' decision.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiohttp import web

from agent_state import requests
from agent_state.audit import AuditTrail
from agent_state.model import Agent, SignIn, Source
from agent_state.repo import AuditRow
from agent_state.service import AgentService, Change
from calls.classification import CATEGORY_MAX, SUMMARY_MAX, Classifier
from core import inputs
from core.encoding import json_dumps
from core.errors import Forbidden, InvalidInput
from core.logging import get_logger
from core.request_actor import actor_of

log = get_logger("agent_state")

WORD_MAX = 20  # state, reason, then: short words
AUDIT_LIMIT_DEFAULT = 100


async def read_body(request: web.Request) -> dict[str, Any]:
    return inputs.json_object(await request.read())


def path_job(request: web.Request) -> str:
    return inputs.job_number(request.match_info["job"], "the job number in the path")


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
        # 置忙 asked for, not yet in force (Asterisk's confirmation, or a call first)
        "busy_pending": agent.busy_pending.value if agent.busy_pending else None,
        "phone_reachable": agent.phone_reachable,
        "phone": agent.phone,  # the desk phone of the session (hot desking); None signed out
    }


def audit_json(row: AuditRow) -> dict[str, Any]:
    return {**row.__dict__, "at": row.at.isoformat()}


# the callback offered to an agent, looked up for the live stream: (Linkedid, the agent's
# job number) → its case as JSON, or None when the call is not a callback
CaseOf = Callable[[str, str], Awaitable[dict[str, Any] | None]]
CASE_EVENTS = frozenset({"Offered", "Answered"})


@dataclass(frozen=True)
class StreamLimits:
    """How the live stream treats its clients (settings ``sse_*``)."""

    keepalive_s: float
    queue_size: int
    on_dropped: Callable[[], None] = lambda: None  # a slow client was cut off


class AgentViews:
    def __init__(
        self,
        agents: AgentService,
        classifier: Classifier,
        audit: AuditTrail,
        stream_limits: StreamLimits,
        case_of: CaseOf | None = None,
    ) -> None:
        self.agents = agents
        self.classifier = classifier
        self.audit_trail = audit
        self.limits = stream_limits
        self.case_of = case_of

    async def list_agents(self, request: web.Request) -> web.Response:
        actor_of(request)
        service = self.agents
        agents = [
            agent_json(service.agents[job], member.name)
            for job, member in sorted(service.members.items())
            if job in service.agents
        ]
        return web.json_response({"agents": agents}, dumps=json_dumps)

    async def change_state(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        job = path_job(request)
        body = await read_body(request)
        what = inputs.required_text(body, "state", max_len=WORD_MAX)
        reason = inputs.text(body, "reason", required=False, max_len=WORD_MAX)
        event = requests.parse(what, source=Source.WEB, reason=reason)
        if isinstance(event, SignIn):
            if job != actor.job_number:
                raise Forbidden("an agent signs in only itself")
            pin = inputs.required_text(body, "pin", max_len=inputs.PIN_MAX)
            phone = inputs.text(body, "extension", required=False, max_len=20)
            agent = await self.agents.sign_in(
                job,
                pin,
                source=Source.WEB,
                origin=request.remote or "",
                extension=None if phone is None else inputs.extension(phone),
            )
        else:
            agent = await self.agents.request(actor, job, event)
        return web.json_response(agent_json(agent, self.agents.member(job).name), dumps=json_dumps)

    async def audit(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        job = path_job(request)
        unknown = set(request.query) - {"limit"}
        if unknown:
            raise InvalidInput(f"unknown parameter(s): {', '.join(sorted(unknown))}")
        limit = inputs.whole_number(
            request.query.get("limit"), "limit", default=AUDIT_LIMIT_DEFAULT, low=1, high=1000
        )
        rows = await self.audit_trail.recent(actor, job, limit)
        return web.json_response(
            {"job_number": job, "audit": [audit_json(r) for r in rows]}, dumps=json_dumps
        )

    async def wrap_up(self, request: web.Request) -> web.Response:
        """R5: the call's category and summary; then idle (or busy) at once if asked."""
        actor = actor_of(request)
        linkedid = inputs.linkedid(request.match_info["linkedid"])
        body = await read_body(request)
        category = inputs.required_text(body, "category", max_len=CATEGORY_MAX)
        summary = inputs.required_text(body, "summary", multiline=True, max_len=SUMMARY_MAX)
        then = inputs.text(body, "then", required=False, max_len=WORD_MAX)
        if then not in (None, "idle", "busy"):
            raise InvalidInput("then must be idle or busy")
        await self.classifier.classify(actor, linkedid, category, summary)
        agent = self.agents.agents.get(actor.job_number)
        if then is not None and agent is not None:
            event = requests.parse(then, source=Source.WEB)
            agent = await self.agents.request(actor, actor.job_number, event)
        return web.json_response(
            {
                "linkedid": linkedid,
                "category": category,
                "agent": agent_json(agent) if agent else None,
            },
            dumps=json_dumps,
        )

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: the floor, then one ``agent`` event per change. A client
        too slow for its queue is cut off after a ``resync`` event (never silently
        behind): it reconnects and starts again from a fresh floor."""
        actor_of(request)
        feed = _Feed(self.limits, request)
        unsubscribe = self.agents.subscribe(feed.deliver)
        feed.unsubscribe = unsubscribe
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        try:
            for job, agent in sorted(self.agents.agents.items()):
                await _send(response, "agent", agent_json(agent, self._name(job)))
            await self._follow(response, feed)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            unsubscribe()
            feed.done()
        return response

    async def _follow(self, response: web.StreamResponse, feed: _Feed) -> None:
        while not feed.overflowed:
            try:
                async with asyncio.timeout(self.limits.keepalive_s):
                    change = await feed.changes.get()
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            body = agent_json(change.after, self._name(change.after.job_number))
            body.update(event=change.event, source=change.source, previous=change.before.label)
            body.update(call=change.call or None)
            if change.call and change.event in CASE_EVENTS:
                body.update(callback=await self._case(change))
            await _send(response, "agent", body)
        await _send(
            response,
            "resync",
            {
                "reason": "slow_client",
                "message": "changes came faster than this client read them; "
                "reconnect for a fresh floor",
            },
        )

    async def _case(self, change: Change) -> dict[str, Any] | None:
        """A callback offered to the agent (R12): its case and script, with their job
        number; None for an inbound call. The stream goes on if it cannot be read."""
        if self.case_of is None:
            return None
        try:
            return await self.case_of(change.call, change.after.job_number)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("callback case not read for the stream", call=change.call, error=repr(exc))
            return None

    def _name(self, job: str) -> str:
        member = self.agents.members.get(job)
        return member.name if member else ""

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/agents", self.list_agents)
        app.router.add_get("/api/agents/stream", self.stream)
        app.router.add_post("/api/agents/{job}/state", self.change_state)
        app.router.add_get("/api/agents/{job}/audit", self.audit)
        app.router.add_post("/api/calls/{linkedid}/wrap-up", self.wrap_up)


class _Feed:
    """One stream client's queue of changes; on overflow it stops taking changes, counts
    the drop, and cuts the connection if the client still has not caught up after a
    keepalive period (a client that never reads blocks even the ``resync`` write)."""

    def __init__(self, limits: StreamLimits, request: web.Request) -> None:
        self.limits = limits
        self.request = request
        self.changes: asyncio.Queue[Change] = asyncio.Queue(maxsize=limits.queue_size)
        self.overflowed = False
        self.unsubscribe: Callable[[], None] = lambda: None
        self._cut: asyncio.TimerHandle | None = None

    def deliver(self, change: Change) -> None:
        if self.overflowed:
            return
        try:
            self.changes.put_nowait(change)
        except asyncio.QueueFull:
            self.overflowed = True
            self.unsubscribe()
            self.limits.on_dropped()
            log.warning("stream client too slow; cut off", queue_size=self.limits.queue_size)
            self._cut = asyncio.get_running_loop().call_later(self.limits.keepalive_s, self._abort)

    def _abort(self) -> None:
        transport = self.request.transport
        if transport is not None:
            transport.close()

    def done(self) -> None:
        if self._cut is not None:
            self._cut.cancel()


async def _send(response: web.StreamResponse, event: str, body: dict[str, Any]) -> None:
    await response.write(f"event: {event}\ndata: {json_dumps(body)}\n\n".encode())
