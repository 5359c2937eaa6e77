"""A supervisor lifts a sign-in lockout (too many wrong PINs).

DELETE /api/agents/{job}/lockout   -> {job_number, lifted: [origin, …]}   supervisor only

Every lock of that job number goes (from every phone and address); each lock still in
force gets a ``lifted`` audit row naming the supervisor.
"""

from __future__ import annotations

from aiohttp import web

from agent_state.views import AGENTS, check_text, who
from core.errors import Forbidden


async def lift_lockout(request: web.Request) -> web.Response:
    actor = await who(request)
    if not actor.is_supervisor:
        raise Forbidden("only a supervisor lifts a sign-in lockout")
    job = check_text("job_number", request.match_info["job"])
    service = request.app[AGENTS]
    service.member(job)  # 404 for a job number nobody has
    lifted = await service.sign_ins.lift(job, actor=actor.job_number)
    return web.json_response({"job_number": job, "lifted": lifted})


def add_routes(app: web.Application) -> None:
    app.router.add_delete("/api/agents/{job}/lockout", lift_lockout)
