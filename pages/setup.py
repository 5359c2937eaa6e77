"""Wiring the pages into the web application (``web.app.init_app`` calls this)."""

from __future__ import annotations

import aiohttp_jinja2
import jinja2
from aiohttp import web

from agent_state.service import AgentService
from core.settings import Settings
from pages import guard, routes, views
from pages.agent_console import AgentConsole


def add_pages(app: web.Application, settings: Settings, agents: AgentService) -> None:
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
    console = AgentConsole(agents, settings.sse_keepalive_s)
    routes.register(app, console.handlers())
    app.on_shutdown.append(console.close_streams)
