"""Every page × every kind of visitor, over the pages' route table (``pages.routes``):
exactly the expected answer, so a wrong role gets 403 on every page. A new page without
a row here fails the first test. Form posts carry their CSRF token (its absence has
tests of its own: ``test_pages.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from core.actor import Actor, Role
from pages import guard
from pages.routes import PAGE_ROLES
from tests.e2e.agents import PIN
from tests.web.conftest import ADMIN, AGENT, SUPERVISOR, Floor
from web.sessions import Sessions

VISITORS = ("none", "agent", "supervisor", "admin")
WHO = {"agent": (AGENT, Role.AGENT), "supervisor": (SUPERVISOR, Role.SUPERVISOR)}
WHO["admin"] = (ADMIN, Role.ADMIN)

# none (no session: GET pages send it to /signin), agent, supervisor, admin
TABLE: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("GET", "/signin"): (200, 200, 200, 200),
    ("POST", "/signin"): (303, 303, 303, 303),
    ("GET", "/lang/{code}"): (303, 303, 303, 303),
    ("GET", "/static/{name}"): (200, 200, 200, 200),
    ("GET", "/home"): (303, 200, 200, 200),
    ("POST", "/signout"): (401, 303, 303, 303),
    ("GET", "/agent"): (303, 200, 403, 403),
    ("GET", "/agent/events"): (303, 200, 403, 403),
    ("POST", "/agent/state"): (401, 303, 403, 403),
    #
    # ---- the console's calls ----
    ("POST", "/agent/wrap-up"): (401, 400, 403, 403),  # the agent's: no call to file (400)
    #
    # ---- case work ----
    #
    # ---- the wallboard ----
    #
    # ---- admin: accounts and desk phones ----
    #
    # ---- admin: dial plan, prompts, schedule and calendar, categories ----
    #
    # ---- reports ----
    #
}
CONCRETE = {"/lang/{code}": "/lang/en?next=/agent", "/static/{name}": "/static/pages.css"}
FORMS: dict[str, dict[str, str]] = {
    "/signin": {"job_number": AGENT, "kind": "pin", "secret": PIN},
    "/agent/state": {"action": "sign_in", "pin": PIN},
}


def test_the_table_covers_every_page() -> None:
    assert set(TABLE) == set(PAGE_ROLES)


async def cookie_of(floor: Floor, visitor: str) -> str:
    """A session cookie for the visitor; for nobody, the sign-in page's cookie."""
    if visitor == "none":
        return "signin-cookie-of-the-test"
    job, role = WHO[visitor]
    return await Sessions(floor.pool).create(Actor(job, role))


async def visit(floor: Floor, visitor: str, method: str, path: str) -> Any:
    key = await cookie_of(floor, visitor)
    name = guard.SIGNIN_COOKIE if visitor == "none" else guard.SESSION_COOKIE
    form = {**FORMS.get(path, {}), "csrf": guard.csrf_for(key)} if method == "POST" else None
    floor.client.session.cookie_jar.clear()
    return await floor.client.request(
        method,
        CONCRETE.get(path, path),
        headers={"Cookie": f"{name}={key}"},
        data=form,
        allow_redirects=False,
    )


@pytest.mark.parametrize(("method", "path"), sorted(TABLE))
async def test_each_visitor_gets_exactly_its_pages(floor: Floor, method: str, path: str) -> None:
    got = []
    for visitor in VISITORS:
        response = await visit(floor, visitor, method, path)
        got.append(response.status)
        if response.status == 303 and method == "GET" and path not in CONCRETE:
            assert response.headers["Location"] == "/signin"
        response.close()  # the stream: its status is all we need
    assert tuple(got) == TABLE[(method, path)], dict(zip(VISITORS, got, strict=True))


async def test_a_wrong_role_sees_the_refusal_as_a_page_with_its_code(floor: Floor) -> None:
    response = await visit(floor, "supervisor", "GET", "/agent")
    assert response.status == 403
    assert response.content_type == "text/html"
    page = await response.text()
    assert 'id="error-code">auth.forbidden<' in page
    assert "您的角色无权访问此页面" in page
