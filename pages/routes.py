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
    #
    # ---- the wallboard (wallboard.py) ----
    #
    # ---- admin: accounts and desk phones (admin_agents.py) ----
    #
    # ---- admin: dial plan, prompts, schedule and calendar, categories (admin_plans.py) ----
    #
    # ---- reports (reports_pages.py) ----
    #
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
HOME: dict[Role, str] = {Role.AGENT: "/agent", Role.SUPERVISOR: "/home", Role.ADMIN: "/home"}


def roles_for(method: str, path: str) -> tuple[bool, Roles]:
    """Whether ``(method, path)`` is a page, and who may open it."""
    key = ("GET" if method == "HEAD" else method, path)
    return key in PAGE_ROLES, PAGE_ROLES.get(key)


def register(app: web.Application, handlers: Mapping[Key, Handler]) -> None:
    for (method, path), handler in handlers.items():
        if (method, path) not in PAGE_ROLES:
            raise KeyError(f"page {method} {path} has no row in pages.routes.PAGE_ROLES")
        app.router.add_route(method, path, handler)
