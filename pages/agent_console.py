"""The agent console (``/agent``), first slice: the agent's state and for how long, live,
and 签入 (with the PIN) / 示闲 / 置忙 (with a reason) / 签出.

Each button is a form post (with its CSRF token) that goes through the same service
calls as the API's ``POST /api/agents/{job}/state``: ``requests.parse`` turns the word
into a model event, ``AgentService.sign_in`` / ``request`` decide through the pure
model. Nothing is decided here; a refusal is shown at its field.

Live: ``/agent/events`` is a server-sent-events stream of this agent's own state (the
API's ``/api/agents/stream`` carries every agent's and needs a bearer token, which a
browser's ``EventSource`` cannot send). It keeps only the latest state per client, so a
slow client skips to the newest and never falls behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from agent_state import requests
from agent_state.model import Agent, SignIn, Source, State
from agent_state.service import AgentService, Change
from core import inputs
from core.encoding import json_dumps
from core.errors import HotlineError
from core.request_actor import actor_of
from pages import guard, i18n, routes, views
from pages.console_calls import ConsoleCalls
from web.errors import status_for

# another module's part of the console page: its template context (e.g. case work's
# escalate and transfer choices, ``casework.CaseWork.console_context``)
Section = Callable[[], Awaitable[Mapping[str, object]]]

ACTIONS = ("sign_in", "idle", "busy", "sign_out")
BUSY_REASONS = tuple(requests.AGENT_BUSY_REASONS)  # manual, break
WORD_MAX = 20


class AgentConsole:
    def __init__(
        self,
        agents: AgentService,
        keepalive_s: float,
        calls: ConsoleCalls | None = None,
        sections: Sequence[Section] = (),
    ) -> None:
        self.agents = agents
        self.keepalive_s = keepalive_s
        self.calls = calls  # the call half: screen pop, wrap-up, hold (console_calls.py)
        self.sections = tuple(sections)  # other modules' parts of the page (casework.py)
        # the open streams, each woken to end when the app shuts down (a stream waits
        # up to keepalive_s between writes, and would hold the shutdown up that long)
        self._streams: set[asyncio.Event] = set()
        self._closing = False

    async def close_streams(self, _app: web.Application) -> None:
        self._closing = True
        for wake in self._streams:
            wake.set()

    def _agent(self, job: str) -> Agent:
        return self.agents.agents.get(job) or Agent(job)

    async def page(self, request: web.Request) -> web.Response:
        return await self._render(request, {})

    async def _render(
        self,
        request: web.Request,
        errors: dict[str, tuple[str, str]],
        status: int = 200,
        form: dict[str, str] | None = None,
    ) -> web.Response:
        job = actor_of(request).job_number
        agent = self._agent(job)
        lang = guard.language_of(request)
        member = self.agents.members.get(job)
        context = {
            "errors": errors,
            "name": member.name if member else "",
            "job": job,
            "live": state_json(lang, agent),
            "signed_in": agent.state is not State.LOGGED_OUT,
            "busy_reasons": BUSY_REASONS,
            "wrap_form": form or {},  # the wrap-up form as posted, shown again
        }
        if self.calls is not None:
            context.update(await self.calls.context(lang, agent))
        for section in self.sections:
            context.update(await section())
        return views.render(request, "agent.html", context, status=status)

    async def change(self, request: web.Request) -> web.Response:
        """One button: sign_in (with the PIN), idle, busy (with a reason), sign_out."""
        actor = actor_of(request)
        form = await request.post()
        action = str(form.get("action", ""))[:WORD_MAX]
        field = "pin" if action == "sign_in" else "reason" if action == "busy" else "action"
        try:
            event = requests.parse(
                action, source=Source.WEB, reason=_reason(form) if action == "busy" else None
            )
            if isinstance(event, SignIn):
                pin = inputs.check_text("pin", str(form.get("pin", ""))[: inputs.PIN_MAX])
                await self.agents.sign_in(
                    actor.job_number, pin, source=Source.WEB, origin=request.remote or ""
                )
            else:
                await self.agents.request(actor, actor.job_number, event)
        except HotlineError as exc:
            text = i18n.error_text(guard.language_of(request), exc.code)
            return await self._render(request, {field: (exc.code, text)}, status_for(exc.code))
        return views.see_other("/agent")

    async def events(self, request: web.Request) -> web.StreamResponse:
        """``event: state`` with this agent's state now, then at each change."""
        job = actor_of(request).job_number
        lang = guard.language_of(request)
        latest: list[Agent] = [self._agent(job)]
        changed = asyncio.Event()
        changed.set()

        def deliver(change: Change) -> None:
            if change.after.job_number == job:
                latest[0] = change.after
                changed.set()

        unsubscribe = self.agents.subscribe(deliver)
        unwatch = self.calls.watch(job, changed.set) if self.calls else lambda: None
        self._streams.add(changed)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        try:
            await response.prepare(request)
            while not self._closing:
                try:
                    async with asyncio.timeout(self.keepalive_s):
                        await changed.wait()
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                changed.clear()
                if self._closing:
                    break
                body = json_dumps(state_json(lang, latest[0]))
                await response.write(f"event: state\ndata: {body}\n\n".encode())
                if self.calls is not None:
                    call = json_dumps(await self.calls.live_json(lang, latest[0]))
                    await response.write(f"event: call\ndata: {call}\n\n".encode())
        except ConnectionResetError:
            pass
        finally:
            unsubscribe()
            unwatch()
            self._streams.discard(changed)
        return response

    def handlers(self) -> dict[routes.Key, routes.Handler]:
        calls = self.calls.handlers(self._render) if self.calls else {}
        return {
            ("GET", "/agent"): self.page,
            ("GET", "/agent/events"): self.events,
            ("POST", "/agent/state"): self.change,
            **calls,
        }


def _reason(form: Any) -> str:
    """The reason chosen (the model's parse refuses any but an agent's own)."""
    return str(form.get("reason") or "manual")[:WORD_MAX]


def state_json(lang: i18n.Language, agent: Agent) -> dict[str, Any]:
    """What the console shows of a state, as the page renders it and the stream sends it."""
    now = datetime.now(UTC)
    return {
        "state": agent.state.value,
        "text": i18n.state_text(lang, agent),
        "since": agent.since.isoformat() if agent.since else None,
        "now": now.isoformat(),
        "duration": i18n.duration_text(now - agent.since) if agent.since else "",
        "signed_in": agent.state is not State.LOGGED_OUT,
    }
