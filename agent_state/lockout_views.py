"""A supervisor lifts a sign-in lockout (too many wrong PINs).

DELETE /api/agents/{job}/lockout   -> {job_number, lifted: [origin, …]}   supervisor only

Every lock of that job number goes (from every phone and address); each lock still in
force gets a ``lifted`` audit row naming the supervisor. Who may lift is the service's
decision (``AgentService.lift_lockout``).
"""

from __future__ import annotations

from aiohttp import web

from agent_state.service import AgentService
from agent_state.views import path_job
from core.request_actor import actor_of


class LockoutViews:
    def __init__(self, agents: AgentService) -> None:
        self.agents = agents

    async def lift(self, request: web.Request) -> web.Response:
        job = path_job(request)
        lifted = await self.agents.lift_lockout(actor_of(request), job)
        return web.json_response({"job_number": job, "lifted": lifted})

    def add_routes(self, app: web.Application) -> None:
        app.router.add_delete("/api/agents/{job}/lockout", self.lift)
