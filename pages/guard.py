"""The pages' one middleware: the session from its cookie, CSRF, the role of each page.

- **Session.** The pages use the API's sessions (``web.sessions``: a random token, only
  its hash in PostgreSQL), carried in the cookie ``hotline_session`` (HttpOnly,
  SameSite=Strict, path ``/``, Secure when ``page_cookie_secure``). The API never reads
  the cookie: it keeps its bearer tokens.
- **CSRF.** Every form post (any method but GET/HEAD) to a page carries
  ``csrf`` (form field) or ``X-CSRF-Token`` (header): HMAC-SHA256 keyed by the cookie's
  own secret value — the session token, or before logging in the random
  ``hotline_signin`` cookie the sign-in page sets. A page on another site can neither
  read that cookie nor compute the token; without a match: 403 ``auth.csrf_invalid``.
- **Roles.** ``pages.routes.PAGE_ROLES`` says who may open each page; checked here for
  every page, nowhere else.

A refusal on a page is a page (``error.html``, the code shown), with the status the API
would give the same code (``web.errors.status_for``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import aiohttp_jinja2
from aiohttp import web

from core.actor import Actor
from core.errors import Forbidden, HotlineError, Unauthorized
from core.logging import get_logger
from core.request_actor import ACTOR
from core.settings import Settings
from db.errors import unavailable
from pages import i18n, routes
from web.auth import SESSIONS, TOKEN_MAX
from web.errors import Handler, status_for
from web.sessions import SESSION_LIFETIME

log = get_logger("pages")

SESSION_COOKIE = "hotline_session"
SIGNIN_COOKIE = "hotline_signin"  # before logging in: the CSRF token's key
LANG_COOKIE = "hotline_lang"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD"})
SIGNIN_COOKIE_S = 3600

PAGE_SETTINGS = web.AppKey("page_settings", Settings)
# the cookie value the CSRF token is keyed by (a new sign-in cookie: see csrf_token)
CSRF_KEY = web.RequestKey("csrf_key", str)
NEW_SIGNIN_KEY = web.RequestKey("new_signin_key", str)


class CsrfInvalid(HotlineError):
    """A page's form post without its CSRF token, or with one that is not this session's."""

    code = "auth.csrf_invalid"


def csrf_for(key: str) -> str:
    return hmac.new(key.encode(), b"hotline pages csrf v1", hashlib.sha256).hexdigest()


def csrf_token(request: web.Request) -> str:
    """The token this request's forms carry. Without any cookie yet (a first visit to the
    sign-in page) a fresh ``hotline_signin`` value is made; ``set_cookies`` sends it."""
    key = request.get(CSRF_KEY)
    if key is None:
        key = secrets.token_urlsafe(32)
        request[CSRF_KEY] = key
        request[NEW_SIGNIN_KEY] = key
    return csrf_for(key)


def language_of(request: web.Request) -> i18n.Language:
    return i18n.language(request.cookies.get(LANG_COOKIE))


def cookie_value(request: web.Request, name: str) -> str | None:
    value = request.cookies.get(name, "")
    ok = value and len(value) <= TOKEN_MAX and value.isascii() and value.isprintable()
    return value if ok else None


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    max_age = int(SESSION_LIFETIME.total_seconds()) if name == SESSION_COOKIE else SIGNIN_COOKIE_S
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.app[PAGE_SETTINGS].page_cookie_secure,
    )


def set_cookies(request: web.Request, response: web.StreamResponse) -> None:
    """The sign-in cookie made while this page rendered, if any."""
    new = request.get(NEW_SIGNIN_KEY)
    if new is not None:
        set_cookie(request, response, SIGNIN_COOKIE, new)


@web.middleware
async def page_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = request.match_info.route
    path = route.resource.canonical if route.resource is not None else ""
    is_page, roles = routes.roles_for(request.method, path)
    if not is_page:
        return await handler(request)
    try:
        actor = await _session(request)
        if request.method not in SAFE_METHODS:
            await _check_csrf(request)
        if roles is not None:
            if actor is None:
                if request.method in SAFE_METHODS:
                    raise web.HTTPSeeOther("/signin")
                raise Unauthorized("log in first")
            if actor.role not in roles:
                raise Forbidden(f"a {actor.role.value} may not open {path}")
        response = await handler(request)
        set_cookies(request, response)
        return response
    except HotlineError as exc:
        return error_page(request, exc)
    except Exception as exc:
        db = unavailable(exc)  # PostgreSQL away: a page that says so (503), as the API does
        if db is None:
            raise
        log.warning("database unavailable", path=request.path, exc_type=type(exc).__name__)
        return error_page(request, db)


async def _session(request: web.Request) -> Actor | None:
    token = cookie_value(request, SESSION_COOKIE)
    actor = await request.app[SESSIONS].actor(token) if token else None
    if token is not None:
        request[CSRF_KEY] = token
    else:
        signin = cookie_value(request, SIGNIN_COOKIE)
        if signin is not None:
            request[CSRF_KEY] = signin
    if actor is not None:
        request[ACTOR] = actor
    return actor


async def _check_csrf(request: web.Request) -> None:
    key = request.get(CSRF_KEY)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.post()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if key is None or sent is None or not hmac.compare_digest(sent, csrf_for(key)):
        log.warning("page form refused", path=request.path, why="csrf", had_cookie=key is not None)
        raise CsrfInvalid("this form has no valid CSRF token; reload the page")


def error_page(request: web.Request, exc: HotlineError) -> web.Response:
    status = status_for(exc.code)
    log.info("page refused", path=request.path, method=request.method, error=exc.code)
    lang = language_of(request)
    context = {**page_context(request), "code": exc.code, "text": i18n.error_text(lang, exc.code)}
    response = aiohttp_jinja2.render_template("error.html", request, context, status=status)
    set_cookies(request, response)
    return page_headers(response)


def page_headers(response: web.Response) -> web.Response:
    """A rendered page is never cached (it shows a session's state) nor framed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def page_context(request: web.Request) -> dict[str, object]:
    """What every template sees: ``t`` in the page's language, the CSRF token, who is
    logged in, and the path (for the language switch to come back to)."""
    lang = language_of(request)

    def t(key: str, **values: object) -> str:
        return i18n.t(lang, key, **values)

    actor = request.get(ACTOR)
    return {
        "t": t,
        "nav_links": routes.NAV[actor.role] if actor else (),
        "lang": lang.value,
        "other_lang": "en" if lang is i18n.Language.ZH else "zh",
        "csrf": csrf_token(request),
        "actor": actor,
        "path": request.path,
    }
