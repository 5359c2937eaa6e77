"""``init_app``: the aiohttp application factory (aiohttp-demos' shape)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
from aiohttp import web

from accounts.model import parse_extensions
from accounts.passwords import PasswordCost, Passwords
from accounts.service import AccountService
from accounts.sign_in import PasswordSignIn
from accounts.views import AccountViews
from agent_state.admin import AdminViews
from agent_state.admin_service import AdminService
from agent_state.audit import AuditTrail
from agent_state.lockout_views import LockoutViews
from agent_state.service import AgentService
from agent_state.views import AgentViews, StreamLimits
from ami import AmiClient
from callback.assembly import callback_service
from callback.service import CallbackService
from callback.views import CallbackViews
from calls import views as call_views
from calls.classification import Classifier
from core.errors import ConfigError
from core.settings import Settings
from db.durable import DurableWrites
from departments.service import DepartmentService
from departments.views import DepartmentViews
from deskphones.assembly import phone_service
from deskphones.service import PhoneService
from deskphones.views import PhoneViews
from dialplan.assembly import dial_plan_service
from dialplan.service import DialPlanService
from dialplan.views import DialPlanViews
from ivr.calendar_service import Calendar
from ivr.calendar_views import CalendarViews
from ivr.prompt_service import PromptService
from ivr.prompt_views import PromptViews
from pages.guard import page_middleware
from pages.setup import PageServices, add_pages
from reports.service import ReportService
from reports.views import ReportViews
from web import auth, openapi
from web.errors import error_middleware
from web.metrics import Metrics
from web.sessions import Sessions

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
AMI = web.AppKey("ami", AmiClient)
METRICS = web.AppKey("metrics", Metrics)
STARTED = web.AppKey("started", float)
# "active" or "standby" (hotline/standby.py): read at each /healthz
ROLE: web.AppKey[Callable[[], str]] = web.AppKey("role")
AGENTS = web.AppKey("agents", AgentService)
WRITES = web.AppKey("writes", DurableWrites)  # the journal of writes waiting for PostgreSQL
CALENDAR = web.AppKey("calendar", Calendar)  # the one working-day calendar
DIALPLAN = web.AppKey("dialplan", DialPlanService)
PROMPTS = web.AppKey("prompts", PromptService)
PHONES = web.AppKey("phones", PhoneService)  # the desk phones admins publish


async def healthz(request: web.Request) -> web.Response:
    """200 when this service drives Asterisk (``role`` active), AMI is logged in and the
    database answers; 503 otherwise. A standby answers 503 so that a load balancer
    sends agents only to the active service."""
    ami = request.app[AMI]
    db_ok = True
    try:
        async with request.app[POOL].acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1", timeout=2)
    except Exception:
        db_ok = False
    last = ami.last_event_at
    role = request.app[ROLE]() if ROLE in request.app else "active"
    writes = request.app.get(WRITES)
    journalled = writes.depth if writes is not None else 0
    body: dict[str, object] = {
        "role": role,
        "ami": ami.state.value,
        "ami_reconnects": ami.reconnects,
        "ami_last_event_age_s": None if last is None else round(time.monotonic() - last, 1),
        "database": "ok" if db_ok else "unreachable",
        "uptime_s": round(time.monotonic() - request.app[STARTED], 1),
        "journalled": journalled,
    }
    if CALENDAR in request.app:  # a year whose 调休 is not official yet: a warning only
        today = datetime.now(ZoneInfo(request.app[SETTINGS].timezone)).date()
        body["calendar"] = request.app[CALENDAR].health(today)
    prompts = request.app.get(PROMPTS)
    if prompts is not None:
        # Unwritable prompts stop admins publishing new ones, not callers hearing the
        # ones in place: said here, but not a 503 that takes the service out of the
        # load balancer (agents would lose their pages over an admin's problem)
        unwritable = prompts.writable()
        body["prompts"] = "writable" if unwritable is None else f"unwritable: {unwritable}"
    if not db_ok:
        # the service decides on from memory; what it must store waits in the journal
        body["status"] = f"degraded: database away, {journalled} entries journalled"
    elif journalled:
        body["status"] = f"degraded: replaying, {journalled} entries journalled"
    healthy = role == "active" and ami.is_ready and db_ok
    return web.json_response(body, status=200 if healthy else 503)


async def metrics(request: web.Request) -> web.Response:
    await request.app[METRICS].refresh(request.app[POOL])
    return web.Response(
        body=request.app[METRICS].render(),
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


async def calls(request: web.Request) -> web.Response:
    """Call records hold citizens' numbers and names: a session is required (the auth
    middleware sees to it, as for everything under /api)."""
    tz = ZoneInfo(request.app[SETTINGS].timezone)
    body = await call_views.list_calls(request.app[POOL], request.query, tz)
    return call_views.json_response(body)


async def _load_phones(app: web.Application) -> None:
    await app[PHONES].load()  # the published phones join the accounts' and desks' lists


async def _load_calendar(app: web.Application) -> AsyncIterator[None]:
    await app[CALENDAR].load()
    yield


def init_app(
    settings: Settings,
    pool: asyncpg.Pool,
    ami: AmiClient,
    metrics_: Metrics,
    agents: AgentService | None = None,
    *,
    role: Callable[[], str] | None = None,
    writes: DurableWrites | None = None,
    calendar: Calendar | None = None,
    dialplan: DialPlanService | None = None,
    prompts: PromptService | None = None,
    callbacks: CallbackService | None = None,
) -> web.Application:
    """``calendar``: the service's one calendar (loaded); without one, the app makes its
    own and loads it as it starts. ``callbacks``: the callback API's service (with the
    dispatcher, so that an agent can confirm through the API); without one, the app
    makes its own, whose confirmations answer 503."""
    app = web.Application(middlewares=[error_middleware, auth.auth_middleware, page_middleware])
    app[SETTINGS] = settings
    app[POOL] = pool
    app[AMI] = ami
    app[METRICS] = metrics_
    app[STARTED] = time.monotonic()
    if role is not None:
        app[ROLE] = role
    if writes is not None:
        app[WRITES] = writes
    app[PROMPTS] = prompts or PromptService.from_settings(settings, pool)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    if agents is None:  # a standby (hotline/standby.py): health only, no domain routes
        return app
    app[AGENTS] = agents
    app.router.add_get("/api/calls", calls)
    sessions = Sessions(pool)
    passwords = Passwords(PasswordCost.of(settings))
    auth.add_routes(app, sessions, agents, PasswordSignIn(pool, agents.sign_ins, passwords))
    accounts = _add_accounts(app, settings, agents, sessions, passwords)
    app[PHONES] = phone_service(settings, pool, agents, accounts)
    PhoneViews(app[PHONES]).add_routes(app)
    app.on_startup.append(_load_phones)
    classifier = Classifier(pool)
    call_views.add_routes(app, classifier)
    limits = StreamLimits(
        keepalive_s=settings.sse_keepalive_s,
        queue_size=settings.sse_queue_size,
        on_dropped=metrics_.sse_client_dropped,
    )
    app[CALENDAR] = calendar or Calendar(pool)
    if calendar is None:
        app.cleanup_ctx.append(_load_calendar)
    callbacks = callbacks or callback_service(
        settings, pool, app[CALENDAR], known_agent=lambda job: job in agents.members
    )
    callback_views = CallbackViews(callbacks, ZoneInfo(settings.timezone))
    AgentViews(
        agents, classifier, AuditTrail(pool, agents), limits, case_of=callback_views.case
    ).add_routes(app)
    admin = AdminService(pool, app[CALENDAR])
    AdminViews(admin).add_routes(app)
    CalendarViews(app[CALENDAR]).add_routes(app)
    LockoutViews(agents).add_routes(app)
    app[DIALPLAN] = dialplan or dial_plan_service(
        settings, pool, calendar=app[CALENDAR], prompts=app[PROMPTS]
    )
    DialPlanViews(app[DIALPLAN]).add_routes(app)
    openapi.add_routes(app)
    PromptViews(app[PROMPTS]).add_routes(app)
    callback_views.add_routes(app)
    reports = ReportService(
        pool,
        timezone=settings.timezone,
        answer_s=settings.staffing_answer_s,
        target=settings.staffing_target,
    )
    ReportViews(reports).add_routes(app)
    departments = DepartmentService(pool, ami, agents)
    DepartmentViews(departments).add_routes(app)
    services = PageServices(
        pool=pool,
        ami=ami,
        agents=agents,
        accounts=accounts,
        admin=admin,
        classifier=classifier,
        calendar=app[CALENDAR],
        dialplan=app[DIALPLAN],
        prompts=app[PROMPTS],
        callbacks=callbacks,
        callback_views=callback_views,
        reports=reports,
        phones=app[PHONES],
        departments=departments,
    )
    add_pages(app, settings, services)  # pages/: the same sessions, in a cookie
    return app


def _add_accounts(
    app: web.Application,
    settings: Settings,
    agents: AgentService,
    sessions: Sessions,
    passwords: Passwords,
) -> AccountService:
    """The admin's accounts API; a change reaches the agents' roster and ends the
    account's sessions."""
    try:
        phones = parse_extensions(settings.desk_phones)
    except ValueError as exc:
        raise ConfigError(f"setting desk_phones: {exc}") from exc
    accounts = AccountService(
        app[POOL],
        passwords,
        agents.sign_ins.checker,
        signed_in=agents.is_signed_in,
        phones=phones,
        queues=frozenset({settings.queue}),
    )
    accounts.on_change(lambda job: agents.reload_roster())
    accounts.on_change(sessions.end_for)
    AccountViews(accounts).add_routes(app)
    return accounts
