"""The pages everyone shares: ``/`` (to the role's home), logging in and out, the
language switch, the style sheet and script, and a landing page.

Logging in: agents with 工号 + PIN, supervisors and admins with 工号 + password — the
same checks and the same lockout as ``POST /api/sessions`` (``web.auth``): wrong PINs or
passwords for one job number from one address lock it out from there
(``sign_in_max_failures`` in ``sign_in_failure_window_s``), and past
``sign_in_pending_max`` checks at once a log-in is refused at once (429).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import aiohttp_jinja2
from aiohttp import web

from core import inputs
from core.actor import Actor, Role
from core.errors import HotlineError, NotFound
from core.request_actor import ACTOR, actor_of
from pages import guard, i18n, routes
from web.auth import PASSWORD_SIGN_INS, SESSIONS, SIGN_INS
from web.errors import status_for

STATIC = Path(__file__).parent / "static"
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
# the files the pages may load: what the folder holds, by name (read once; a request
# names one of these or gets 404, so no path from a request ever reaches the disk)
STATIC_TYPES = {
    path.name: MEDIA_TYPES[path.suffix]
    for path in sorted(STATIC.iterdir())
    if path.suffix in MEDIA_TYPES
}
SECRET_MAX = 200


async def signin_page(request: web.Request) -> web.Response:
    return render(request, "signin.html", {"errors": {}, "job_number": "", "kind": "pin"})


async def signin(request: web.Request) -> web.StreamResponse:
    """A session for the job number, or the form again with the error at its field."""
    form = await request.post()
    job, kind, secret = (str(form.get(k, "")) for k in ("job_number", "kind", "secret"))
    kind = "password" if kind == "password" else "pin"
    try:
        job = inputs.job_number(job)
    except HotlineError as exc:
        return _signin_refused(request, job, kind, "job_number", exc)
    try:
        role = await _check(request, job, kind, secret)
    except HotlineError as exc:
        return _signin_refused(request, job, kind, "secret", exc)
    token = await request.app[SESSIONS].create(Actor(job, role))
    old = guard.cookie_value(request, guard.SESSION_COOKIE)
    if old is not None:
        await request.app[SESSIONS].end(old)
    response = see_other(routes.HOME[role])
    guard.set_cookie(request, response, guard.SESSION_COOKIE, token)
    response.del_cookie(guard.SIGNIN_COOKIE, path="/")
    return response


async def _check(request: web.Request, job: str, kind: str, secret: str) -> Role:
    origin = request.remote or ""  # the API's sessions count from the same origin
    if kind == "password":
        password = inputs.check_text("secret", secret[:SECRET_MAX])
        account = await request.app[PASSWORD_SIGN_INS].check(job, password, origin)
        return account.role
    pin = inputs.check_text("secret", secret[: inputs.PIN_MAX])
    return (await request.app[SIGN_INS].check_pin(job, pin, origin=origin)).role


def _signin_refused(
    request: web.Request, job: str, kind: str, field: str, exc: HotlineError
) -> web.Response:
    lang = guard.language_of(request)
    errors = {field: (exc.code, i18n.error_text(lang, exc.code))}
    context = {"errors": errors, "job_number": job if job.isdigit() else "", "kind": kind}
    return render(request, "signin.html", context, status=status_for(exc.code))


async def signout(request: web.Request) -> web.StreamResponse:
    """Logging out of the pages (not 签出: an agent stays in the queue until it signs out)."""
    token = guard.cookie_value(request, guard.SESSION_COOKIE)
    if token is not None:
        await request.app[SESSIONS].end(token)
    response = see_other("/signin")
    response.del_cookie(guard.SESSION_COOKIE, path="/")
    return response


async def switch_language(request: web.Request) -> web.StreamResponse:
    """``/lang/en?next=/agent``: the language cookie, then back to the page (a path of
    this site only). A preference of the browser, no state of the service: a plain link."""
    lang = i18n.language(request.match_info["code"])
    back = request.query.get("next", "")
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = "/signin"
    response = see_other(back)
    response.set_cookie(
        guard.LANG_COOKIE, lang.value, max_age=365 * 86400, path="/", samesite="Strict"
    )
    return response


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC_TYPES:
        raise NotFound(f"no file {name!r} here")
    return web.Response(
        body=(STATIC / name).read_bytes(),
        content_type=STATIC_TYPES[name],
        charset="utf-8",
        headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


async def root(request: web.Request) -> web.Response:
    """``/``: a browser goes to its role's first page (``routes.HOME``), or to log in."""
    actor = request.get(ACTOR)
    return see_other(routes.HOME[actor.role] if actor is not None else "/signin")


async def home(request: web.Request) -> web.Response:
    """A plain landing page: who is logged in, and the links of the role's pages."""
    return render(request, "home.html", {"home": routes.HOME[actor_of(request).role]})


def see_other(location: str) -> web.Response:
    """After a form post: the page to show next (303, so the browser GETs it)."""
    return web.Response(status=303, headers={"Location": location})


def render(
    request: web.Request, template: str, context: Mapping[str, object], *, status: int = 200
) -> web.Response:
    response = aiohttp_jinja2.render_template(
        template, request, {**guard.page_context(request), **context}, status=status
    )
    return guard.page_headers(response)


def handlers() -> dict[routes.Key, routes.Handler]:
    return {
        ("GET", "/signin"): signin_page,
        ("POST", "/signin"): signin,
        ("POST", "/signout"): signout,
        ("GET", "/lang/{code}"): switch_language,
        ("GET", "/static/{name}"): static,
        ("GET", "/home"): home,
        ("GET", "/"): root,
    }
