"""Errors to HTTP, in one place: the code is the contract, the message helps.

Every answer of the API that is not a success is JSON ``{"error": <code>, "message":
…}``: our ``HotlineError``s by their code's prefix, aiohttp's own (unknown route,
method, body too large) with stable codes, a database that went away as 503
``db.unavailable``, and anything unexpected as 500 ``internal.error`` with one
structured log line (never aiohttp's plain-text page and raw traceback).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from core.errors import HotlineError
from core.logging import get_logger
from db.errors import unavailable

log = get_logger("web")

STATUS_BY_CODE_PREFIX = (
    ("input.prompt_too_large", 413),  # an uploaded prompt past prompt_max_bytes
    ("input.", 400),
    ("dialplan.invalid", 400),  # the plan's JSON or a field's characters; names the field
    ("dialplan.problems", 422),  # details: problems, each naming its node
    ("dialplan.publish_failed", 502),  # Asterisk did not take it; the former live stays
    ("dialplan.publish_in_progress", 409),
    ("dialplan.draft_", 409),  # draft_name_taken, draft_changed
    ("dialplan.version_failed", 409),  # a rollback to a version that never went live
    ("auth.required", 401),
    ("agent.wrong_credentials", 401),
    ("agent.locked_out", 423),  # details: until (issue 8: a lockout is not an overload)
    ("agent.sign_in_overloaded", 429),
    ("auth.forbidden", 403),
    ("auth.csrf_invalid", 403),  # a page's form post without its token (pages/guard.py)
    ("agent.illegal_transition", 409),
    ("agent.not_allowed", 409),
    ("agent.phone_taken", 409),  # hot desking: another agent is signed in at that desk phone
    ("agent.not_home_phone", 409),  # hot desking off: only at the agent's own desk phone
    ("not_found", 404),
    ("callback.invalid_number", 400),  # the number to call failed the check
    ("callback.dispatch_unavailable", 503),
    ("callback.idempotency_key_reused", 422),  # the same Idempotency-Key, another request
    ("callback.recording_removed", 410),  # the message went after its retention time
    ("callback.", 409),  # illegal_transition, stale attempt, not your call, no number
    ("phones.publish_failed", 502),  # Asterisk did not take the desk phones; none changed
    ("phones.conflict", 409),  # the extension has a phone, or an agent is signed in there
    ("department.", 409),  # name taken, disabled, the agent on no call (departments/)
    ("account.conflict", 409),  # job number or extension taken; signed in: sign out first
    ("prompt.in_use", 409),  # built in, or the live dial plan plays it
    ("prompt.", 503),  # the audio tools or the prompts folder (tool_failed, unwritable)
    ("ami.", 503),
    ("db.", 503),
)

# aiohttp's own refusals, raised before or around our handlers
CODE_BY_HTTP_STATUS = {
    400: "input.invalid",
    404: "not_found",
    405: "http.method_not_allowed",
    413: "input.too_large",
}
INTERNAL = "internal.error"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def status_for(code: str) -> int:
    for prefix, status in STATUS_BY_CODE_PREFIX:
        if code.startswith(prefix):
            return status
    return 500


def _answer(code: str, message: str, status: int, **details: object) -> web.Response:
    return web.json_response({"error": code, "message": message, **details}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except HotlineError as exc:
        return _refused(request, exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _http_refusal(request, exc)
    except Exception as exc:
        db = unavailable(exc)
        if db is not None:
            log.warning(
                "database unavailable",
                path=request.path,
                method=request.method,
                error=db.code,
                exc_type=type(exc).__name__,
                cause=str(exc)[:200],
            )
            return _refused(request, db)
        log.error(
            "request failed",
            path=request.path,
            method=request.method,
            error=INTERNAL,
            exc_type=type(exc).__name__,
            exc_info=exc,
        )
        return _answer(INTERNAL, "something went wrong on our side; it has been logged", 500)


def _refused(request: web.Request, exc: HotlineError) -> web.Response:
    status = status_for(exc.code)
    log.info(
        "request refused", path=request.path, method=request.method, error=exc.code, status=status
    )
    return _answer(exc.code, exc.message, status, **exc.details)


def _http_refusal(request: web.Request, exc: web.HTTPException) -> web.Response:
    code = CODE_BY_HTTP_STATUS.get(exc.status, f"http.{exc.status}")
    log.info("request refused", path=request.path, method=request.method, error=code)
    response = _answer(code, exc.reason, exc.status)
    if "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response
