"""Authentication: the bearer token of a web session resolves to an ``Actor`` on the
request (``core.request_actor.ACTOR``); domain views read it with ``actor_of``.

Open without a session: ``/``, ``/healthz``, ``/metrics`` and ``POST /api/sessions``
(signing in: an agent — or a supervisor at a desk phone — with job number and PIN; a
supervisor or an admin with job number and password). Everything else under ``/api``
answers 401 ``auth.required`` without a valid session — unknown ``/api`` paths too, so
a stranger learns no route names.
"""

from __future__ import annotations

from aiohttp import web

from accounts.model import PASSWORD_MAX
from accounts.sign_in import PasswordSignIn
from agent_state.service import AgentService
from core import inputs
from core.actor import Actor, Role
from core.errors import InvalidInput, Unauthorized
from core.request_actor import ACTOR
from web.errors import Handler
from web.sessions import Sessions

SESSIONS = web.AppKey("sessions", Sessions)
SIGN_INS = web.AppKey("sign_ins", AgentService)
PASSWORD_SIGN_INS = web.AppKey("password_sign_ins", PasswordSignIn)

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
    """``POST /api/sessions {job_number, pin}`` or ``{job_number, password}`` ->
    ``{token, role, job_number}`` (201). Both go through the same lockout."""
    body = inputs.json_object(await request.read())
    job = inputs.job_number(inputs.required_text(body, "job_number", max_len=20))
    origin = request.remote or ""
    if ("pin" in body) == ("password" in body):
        raise InvalidInput("give a pin (agents) or a password (supervisors, admins)")
    role: Role
    if "password" in body:
        password = inputs.required_text(body, "password", max_len=PASSWORD_MAX)
        account = await request.app[PASSWORD_SIGN_INS].check(job, password, origin)
        role = account.role
    else:
        pin = inputs.required_text(body, "pin", max_len=inputs.PIN_MAX)
        role = (await request.app[SIGN_INS].check_pin(job, pin, origin=origin)).role
    token = await request.app[SESSIONS].create(Actor(job, role))
    return web.json_response({"token": token, "role": role.value, "job_number": job}, status=201)


def add_routes(
    app: web.Application, sessions: Sessions, agents: AgentService, passwords: PasswordSignIn
) -> None:
    app[SESSIONS] = sessions
    app[SIGN_INS] = agents
    app[PASSWORD_SIGN_INS] = passwords
    app.router.add_post("/api/sessions", create_session)
