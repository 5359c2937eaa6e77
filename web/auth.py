"""Authentication: the bearer token of a web session resolves to an ``Actor`` on the
request (``core.request_actor.ACTOR``); domain views read it with ``actor_of``.

Open without a session: ``/``, ``/healthz``, ``/metrics`` and ``POST /api/sessions``
(signing in). Everything else under ``/api`` answers 401 ``auth.required`` without a
valid session — unknown ``/api`` paths too, so a stranger learns no route names.
"""

from __future__ import annotations

from aiohttp import web

from agent_state.service import AgentService
from core import inputs
from core.actor import Actor
from core.errors import Unauthorized
from core.request_actor import ACTOR
from web.errors import Handler
from web.sessions import Sessions

SESSIONS = web.AppKey("sessions", Sessions)
SIGN_INS = web.AppKey("sign_ins", AgentService)

OPEN_API = frozenset({("POST", "/api/sessions")})
TOKEN_MAX = 200  # ours are 43 characters; anything much longer is not one of ours


def needs_session(method: str, path: str) -> bool:
    under_api = path == "/api" or path.startswith("/api/")
    return under_api and (method, path) not in OPEN_API


def bearer_token(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > TOKEN_MAX:
        return None
    return token if token.isascii() and token.isprintable() else None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if needs_session(request.method, request.path):
        token = bearer_token(request.headers.get("Authorization", ""))
        if token is None:
            raise Unauthorized(
                "sign in first: POST /api/sessions, then send 'Authorization: Bearer <token>'"
            )
        actor = await request.app[SESSIONS].actor(token)
        if actor is None:
            raise Unauthorized("the session expired or does not exist; sign in again")
        request[ACTOR] = actor
    return await handler(request)


async def create_session(request: web.Request) -> web.Response:
    """``POST /api/sessions {job_number, pin}`` -> ``{token, role, job_number}`` (201)."""
    body = inputs.json_object(await request.read())
    job = inputs.job_number(inputs.required_text(body, "job_number", max_len=20))
    pin = inputs.required_text(body, "pin", max_len=inputs.PIN_MAX)
    member = await request.app[SIGN_INS].check_pin(job, pin, origin=request.remote or "")
    token = await request.app[SESSIONS].create(Actor(job, member.role))
    return web.json_response(
        {"token": token, "role": member.role.value, "job_number": job}, status=201
    )


def add_routes(app: web.Application, sessions: Sessions, agents: AgentService) -> None:
    app[SESSIONS] = sessions
    app[SIGN_INS] = agents
    app.router.add_post("/api/sessions", create_session)
