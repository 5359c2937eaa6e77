"""The pages' route table: every page and who may open it, in one place.

A page is added with a row here and a handler in its view module (``routes()``);
``register`` refuses a handler without a row. The pages' middleware (``pages.guard``)
reads the row of each request: no session → the sign-in page (a form post: 401); a
role not in the row → 403 ``auth.forbidden``. ``tests/web/test_page_roles.py`` walks
this table with every role.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from core.actor import Role

Roles = frozenset[Role] | None  # None: open to anyone (signing in, the language, CSS)
Key = tuple[str, str]  # (method, path as registered)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

OPEN: Roles = None
ANYONE: Roles = frozenset(Role)
AGENTS: Roles = frozenset({Role.AGENT})
SUPERVISORS: Roles = frozenset({Role.SUPERVISOR})
ADMINS: Roles = frozenset({Role.ADMIN})
STAFF: Roles = frozenset({Role.SUPERVISOR, Role.ADMIN})

PAGE_ROLES: dict[Key, Roles] = {
    ("GET", "/"): OPEN,  # to the role's home (HOME), or to log in
    ("GET", "/signin"): OPEN,
    ("POST", "/signin"): OPEN,
    ("GET", "/lang/{code}"): OPEN,
    ("GET", "/static/{name}"): OPEN,
    ("GET", "/home"): ANYONE,
    ("POST", "/signout"): ANYONE,
    # the agent console (agent_console.py)
    ("GET", "/agent"): AGENTS,
    ("GET", "/agent/events"): AGENTS,
    ("POST", "/agent/state"): AGENTS,
    #
    # ---- the console's calls: screen pop, wrap-up, hold (agent_console.py) ----
    ("POST", "/agent/wrap-up"): AGENTS,  # console_calls.py: R5, then 示闲 or 置忙
    #
    # ---- case work: escalate, transfer, my callbacks, departments (casework.py) ----
    ("GET", "/agent/escalate"): AGENTS,
    ("POST", "/agent/escalate"): AGENTS,
    ("POST", "/agent/transfer"): AGENTS,
    ("GET", "/agent/callbacks"): AGENTS,
    ("GET", "/agent/callbacks/{id}/recording"): AGENTS,
    ("POST", "/agent/callbacks/{id}/outcome"): AGENTS,
    ("GET", "/admin/departments"): ADMINS,
    ("POST", "/admin/departments"): ADMINS,
    ("POST", "/admin/departments/{id}"): ADMINS,
    ("POST", "/admin/departments/{id}/disable"): ADMINS,
    #
    # ---- the wallboard (wallboard.py) ----
    ("GET", "/wallboard"): SUPERVISORS,
    ("GET", "/wallboard/events"): SUPERVISORS,
    ("GET", "/wallboard/charts/{name}"): SUPERVISORS,
    ("POST", "/wallboard/agents/{job}/state"): SUPERVISORS,
    #
    # ---- admin: accounts and desk phones (admin_agents.py) ----
    ("GET", "/admin/agents"): ADMINS,
    ("POST", "/admin/agents"): ADMINS,
    ("GET", "/admin/agents/{job}"): ADMINS,
    ("POST", "/admin/agents/{job}"): ADMINS,
    ("POST", "/admin/agents/{job}/disabled"): ADMINS,
    ("POST", "/admin/agents/{job}/secret"): ADMINS,
    ("GET", "/admin/phones"): ADMINS,
    ("POST", "/admin/phones"): ADMINS,
    ("POST", "/admin/phones/{extension}/password"): ADMINS,
    ("POST", "/admin/phones/{extension}/active"): ADMINS,
    #
    # ---- admin: dial plan, prompts, schedule and calendar, categories (admin_plans.py) ----
    ("GET", "/admin/dialplan"): ADMINS,
    ("POST", "/admin/dialplan/drafts"): ADMINS,
    ("POST", "/admin/dialplan/versions/{version}/rollback"): ADMINS,
    ("GET", "/admin/dialplan/drafts/{draft}"): ADMINS,
    ("POST", "/admin/dialplan/drafts/{draft}/plan"): ADMINS,
    ("POST", "/admin/dialplan/drafts/{draft}/nodes"): ADMINS,
    ("POST", "/admin/dialplan/drafts/{draft}/nodes/{node}"): ADMINS,
    ("POST", "/admin/dialplan/drafts/{draft}/nodes/{node}/remove"): ADMINS,
    ("POST", "/admin/dialplan/drafts/{draft}/publish"): ADMINS,
    ("POST", "/admin/dialplan/drafts/{draft}/delete"): ADMINS,
    ("GET", "/admin/prompts"): ADMINS,
    ("POST", "/admin/prompts/upload"): ADMINS,
    ("POST", "/admin/prompts/generate"): ADMINS,
    ("GET", "/admin/prompts/{language}/{name}/audio"): ADMINS,
    ("GET", "/admin/schedule"): ADMINS,
    ("POST", "/admin/schedule"): ADMINS,
    ("POST", "/admin/calendar/override"): ADMINS,
    ("POST", "/admin/calendar/override/clear"): ADMINS,
    ("POST", "/admin/calendar/notice"): ADMINS,
    ("GET", "/admin/categories"): ADMINS,
    ("POST", "/admin/categories"): ADMINS,
    #
    # ---- reports (reports_pages.py) ----
    # the figures' one rule, as the API's (core.actor.FIGURE_READERS: tests/pure checks)
    ("GET", "/reports"): STAFF,
    ("GET", "/reports/quality.csv"): STAFF,
}

# the links at the top of every page, per role: (path, message id)
NAV: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.AGENT: (("/agent", "nav.console"), ("/agent/callbacks", "nav.my_callbacks")),
    Role.SUPERVISOR: (("/wallboard", "nav.wallboard"), ("/reports", "nav.reports")),
    Role.ADMIN: (
        ("/admin/agents", "nav.admin_agents"),
        ("/admin/phones", "nav.admin_phones"),
        ("/admin/dialplan", "nav.admin_dialplan"),
        ("/admin/prompts", "nav.admin_prompts"),
        ("/admin/schedule", "nav.admin_schedule"),
        ("/admin/categories", "nav.admin_categories"),
        ("/admin/departments", "nav.admin_departments"),
        ("/reports", "nav.reports"),
    ),
}

# where each role lands after logging in
HOME: dict[Role, str] = {
    Role.AGENT: "/agent",
    Role.SUPERVISOR: "/wallboard",
    Role.ADMIN: "/admin/agents",
}


def roles_for(method: str, path: str) -> tuple[bool, Roles]:
    """Whether ``(method, path)`` is a page, and who may open it."""
    key = ("GET" if method == "HEAD" else method, path)
    return key in PAGE_ROLES, PAGE_ROLES.get(key)


def register(app: web.Application, handlers: Mapping[Key, Handler]) -> None:
    for (method, path), handler in handlers.items():
        if (method, path) not in PAGE_ROLES:
            raise KeyError(f"page {method} {path} has no row in pages.routes.PAGE_ROLES")
        app.router.add_route(method, path, handler)
