"""Wiring the pages into the web application (``web.app.init_app`` calls this)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from accounts.service import AccountService
from agent_state.admin_service import AdminService
from agent_state.service import AgentService
from ami import AmiClient
from callback.service import CallbackService
from callback.views import CallbackViews
from calls.classification import Classifier
from core.settings import Settings
from departments.service import DepartmentService
from deskphones.service import PhoneService
from dialplan.service import DialPlanService
from ivr.calendar_service import Calendar
from ivr.prompt_service import PromptService
from pages import admin_plans, guard, routes, views
from pages.admin_agents import AdminAgents
from pages.agent_console import AgentConsole
from pages.casework import CaseWork
from pages.console_calls import make_console_calls as console_calls
from pages.reports_pages import ReportPages
from pages.wallboard import add_wallboard
from reports.service import ReportService


@dataclass(frozen=True)
class PageServices:
    """The services the pages stand on: the same objects the API's views use (a page
    never re-implements a rule the API has)."""

    pool: Any  # asyncpg.Pool
    ami: AmiClient
    agents: AgentService
    accounts: AccountService
    admin: AdminService  # schedule
    classifier: Classifier  # categories, wrap-ups
    calendar: Calendar
    dialplan: DialPlanService
    prompts: PromptService
    callbacks: CallbackService
    callback_views: CallbackViews  # the case a call or an offer carries
    reports: ReportService
    phones: PhoneService  # the desk phones admins publish
    departments: DepartmentService  # case work: department numbers, transfers (R11b)


def add_pages(app: web.Application, settings: Settings, services: PageServices) -> None:
    """Templates, then every page of ``routes.PAGE_ROLES`` with its handler. Needs the
    sessions and sign-in checks ``web.auth.add_routes`` put on the app; the middleware
    (``guard.page_middleware``) is given when the app is made."""
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("pages", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    app[guard.PAGE_SETTINGS] = settings
    routes.register(app, views.handlers())
    casework = CaseWork(services, settings)  # escalate, transfer: a section of the console
    console = AgentConsole(
        services.agents,
        settings.sse_keepalive_s,
        console_calls(services, settings),
        sections=(casework.console_context,),
    )
    routes.register(app, console.handlers())
    app.on_shutdown.append(console.close_streams)
    # ---- case work ----
    casework.add(app)

    # ---- the wallboard ----
    add_wallboard(app, settings, services)

    # ---- admin: accounts and desk phones ----
    routes.register(app, AdminAgents(services.accounts, services.phones).handlers())

    # ---- admin: dial plan, prompts, schedule and calendar, categories ----
    routes.register(app, admin_plans.handlers(services, settings.timezone))

    # ---- reports ----
    routes.register(app, ReportPages(services.reports, services.callbacks).handlers())
