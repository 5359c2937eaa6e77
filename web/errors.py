"""Domain errors to HTTP, in one place: the code is the contract, the message helps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from core.errors import HotlineError
from core.logging import get_logger

log = get_logger("web")

STATUS_BY_CODE_PREFIX = (
    ("input.", 400),
    ("auth.required", 401),
    ("agent.wrong_credentials", 401),
    ("agent.locked_out", 423),  # details: until (issue 8: a lockout is not an overload)
    ("agent.sign_in_overloaded", 429),
    ("auth.forbidden", 403),
    ("agent.illegal_transition", 409),
    ("agent.not_allowed", 409),
    ("not_found", 404),
    ("ami.", 503),
    ("db.", 503),
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def status_for(code: str) -> int:
    for prefix, status in STATUS_BY_CODE_PREFIX:
        if code.startswith(prefix):
            return status
    return 500


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except HotlineError as exc:
        status = status_for(exc.code)
        log.info("request refused", path=request.path, error=exc.code, status=status)
        return web.json_response(
            {"error": exc.code, "message": exc.message, **exc.details}, status=status
        )
