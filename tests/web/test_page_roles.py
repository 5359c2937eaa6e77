"""Every page × every kind of visitor, over the pages' route table (``pages.routes``):
exactly the expected answer, so a wrong role gets 403 on every page. A new page without
a row here fails the first test. Form posts carry their CSRF token (its absence has
tests of its own: ``test_pages.py``)."""

from __future__ import annotations

import re
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
    ("GET", "/"): (303, 303, 303, 303),  # to log in, or to the role's home (LANDS)
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
    ("GET", "/agent/escalate"): (303, 200, 403, 403),
    ("POST", "/agent/escalate"): (401, 400, 403, 403),  # no question, no category
    ("POST", "/agent/transfer"): (401, 400, 403, 403),  # no department chosen
    ("GET", "/agent/callbacks"): (303, 200, 403, 403),
    ("GET", "/agent/callbacks/{id}/recording"): (303, 400, 403, 403),  # "{id}": no UUID
    ("POST", "/agent/callbacks/{id}/outcome"): (401, 400, 403, 403),
    ("GET", "/admin/departments"): (303, 403, 403, 200),
    ("POST", "/admin/departments"): (401, 403, 403, 303),
    ("POST", "/admin/departments/{id}"): (401, 403, 403, 400),  # "{id}": no whole number
    ("POST", "/admin/departments/{id}/disable"): (401, 403, 403, 400),
    #
    # ---- the wallboard ----
    ("GET", "/wallboard"): (303, 403, 200, 403),
    ("GET", "/wallboard/events"): (303, 403, 200, 403),
    ("GET", "/wallboard/charts/{name}"): (303, 403, 200, 403),
    # a supervisor passes; the model then refuses: 1001 is signed out (409)
    ("POST", "/wallboard/agents/{job}/state"): (401, 403, 409, 403),
    #
    # ---- admin: accounts and desk phones ----
    ("GET", "/admin/agents"): (303, 403, 403, 200),
    ("POST", "/admin/agents"): (401, 403, 403, 303),
    ("GET", "/admin/agents/{job}"): (303, 403, 403, 200),
    ("POST", "/admin/agents/{job}"): (401, 403, 403, 303),
    ("POST", "/admin/agents/{job}/disabled"): (401, 403, 403, 303),
    ("POST", "/admin/agents/{job}/secret"): (401, 403, 403, 303),
    ("GET", "/admin/phones"): (303, 403, 403, 200),
    ("POST", "/admin/phones"): (401, 403, 403, 303),
    ("POST", "/admin/phones/{extension}/password"): (401, 403, 403, 404),
    ("POST", "/admin/phones/{extension}/active"): (401, 403, 403, 404),
    #
    # ---- admin: dial plan, prompts, schedule and calendar, categories ----
    ("GET", "/admin/dialplan"): (303, 403, 403, 200),
    ("POST", "/admin/dialplan/drafts"): (401, 403, 403, 400),
    ("POST", "/admin/dialplan/versions/{version}/rollback"): (401, 403, 403, 404),
    ("GET", "/admin/dialplan/drafts/{draft}"): (303, 403, 403, 404),
    ("POST", "/admin/dialplan/drafts/{draft}/plan"): (401, 403, 403, 404),
    ("POST", "/admin/dialplan/drafts/{draft}/nodes"): (401, 403, 403, 404),
    ("POST", "/admin/dialplan/drafts/{draft}/nodes/{node}"): (401, 403, 403, 404),
    ("POST", "/admin/dialplan/drafts/{draft}/nodes/{node}/remove"): (401, 403, 403, 404),
    ("POST", "/admin/dialplan/drafts/{draft}/publish"): (401, 403, 403, 404),
    ("POST", "/admin/dialplan/drafts/{draft}/delete"): (401, 403, 403, 404),
    ("GET", "/admin/prompts"): (303, 403, 403, 200),
    ("POST", "/admin/prompts/upload"): (401, 403, 403, 400),
    ("POST", "/admin/prompts/generate"): (401, 403, 403, 400),
    ("GET", "/admin/prompts/{language}/{name}/audio"): (303, 403, 403, 404),
    ("GET", "/admin/schedule"): (303, 403, 403, 200),
    ("POST", "/admin/schedule"): (401, 403, 403, 303),
    ("POST", "/admin/calendar/override"): (401, 403, 403, 400),
    ("POST", "/admin/calendar/override/clear"): (401, 403, 403, 400),
    ("POST", "/admin/calendar/notice"): (401, 403, 403, 400),
    ("GET", "/admin/categories"): (303, 403, 403, 200),
    ("POST", "/admin/categories"): (401, 403, 403, 400),
    #
    # ---- reports ----
    ("GET", "/reports"): (303, 403, 200, 200),
    ("GET", "/reports/quality.csv"): (303, 403, 400, 400),  # no from/to here
}
# where a GET page that answers 303 sends each visitor (otherwise: to log in)
LANDS = {
    ("/", "agent"): "/agent",
    ("/", "supervisor"): "/wallboard",
    ("/", "admin"): "/admin/agents",
}
CONCRETE = {"/lang/{code}": "/lang/en?next=/agent", "/static/{name}": "/static/pages.css"}
# the admin's pages act on the supervisor's account (signed out) and on phone 3009 (none)
CONCRETE |= {
    "/admin/agents/{job}": f"/admin/agents/{SUPERVISOR}",
    "/admin/agents/{job}/disabled": f"/admin/agents/{SUPERVISOR}/disabled",
    "/admin/agents/{job}/secret": f"/admin/agents/{SUPERVISOR}/secret",
    "/admin/phones/{extension}/password": "/admin/phones/3009/password",
    "/admin/phones/{extension}/active": "/admin/phones/3009/active",
}
CONCRETE["/wallboard/charts/{name}"] = "/wallboard/charts/calls.svg"  # the wallboard
CONCRETE["/wallboard/agents/{job}/state"] = f"/wallboard/agents/{AGENT}/state"
# admin: dial plan, prompts — a draft, version and prompt that do not exist (404)
CONCRETE |= {
    path: path.replace("{draft}", "1").replace("{version}", "1").replace("{node}", "x")
    for _, path in TABLE
    if path.startswith("/admin/dialplan/")
}
CONCRETE["/admin/prompts/{language}/{name}/audio"] = "/admin/prompts/zh/x/audio"
# case work: an {id} that is no callback's UUID nor a department's number (400 for the role)
CONCRETE |= {
    p: p.replace("{id}", "x")
    for p in (
        "/agent/callbacks/{id}/recording",
        "/agent/callbacks/{id}/outcome",
        "/admin/departments/{id}",
        "/admin/departments/{id}/disable",
    )
}
FORMS: dict[str, dict[str, str]] = {
    "/signin": {"job_number": AGENT, "kind": "pin", "secret": PIN},
    "/agent/state": {"action": "sign_in", "pin": PIN},
    "/admin/agents": {
        "job_number": "1070",
        "name": "新主管",
        "role": "supervisor",
        "password": "a passphrase of the test",
    },
    f"/admin/agents/{SUPERVISOR}": {"name": "班长", "role": "supervisor", "extension": "2009"},
    f"/admin/agents/{SUPERVISOR}/disabled": {"disabled": "false"},
    f"/admin/agents/{SUPERVISOR}/secret": {"kind": "pin", "secret": "135790"},
    "/admin/phones": {"extension": "3001", "password": "desk-phone-pw.1"},
    "/admin/phones/3009/password": {"password": "desk-phone-pw.1"},
    f"/wallboard/agents/{AGENT}/state": {"action": "force_busy"},  # the wallboard
    "/admin/departments": {"name": "社保科", "number": "88881234"},
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
    concrete = CONCRETE.get(path, path)
    body = FORMS.get(concrete, {})
    form = {**body, "csrf": guard.csrf_for(key)} if method == "POST" else None
    floor.client.session.cookie_jar.clear()
    return await floor.client.request(
        method,
        concrete,
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
            assert response.headers["Location"] == LANDS.get((path, visitor), "/signin")
        response.close()  # the stream: its status is all we need
    assert tuple(got) == TABLE[(method, path)], dict(zip(VISITORS, got, strict=True))


async def test_a_wrong_role_sees_the_refusal_as_a_page_with_its_code(floor: Floor) -> None:
    response = await visit(floor, "supervisor", "GET", "/agent")
    assert response.status == 403
    assert response.content_type == "text/html"
    page = await response.text()
    assert 'id="error-code">auth.forbidden<' in page
    assert "您的角色无权访问此页面" in page


PARAMETER = re.compile(r"\{[^}]*\}")


def allowed_visitor(roles: frozenset[Role] | None) -> str:
    """A visitor the row lets in (nobody, for an open page)."""
    if roles is None:
        return "none"
    return next(v for v in ("agent", "supervisor", "admin") if WHO[v][1] in roles)


async def test_every_form_post_of_the_table_without_its_csrf_token_is_refused(
    floor: Floor,
) -> None:
    """Every page route that changes something (any method but GET/HEAD), as a visitor
    its row lets in, with its form but no token, then with another cookie's token: 403
    ``auth.csrf_invalid``. A form any area adds to ``PAGE_ROLES`` is walked too
    (a ``{parameter}`` of its path is ``1``)."""
    posts = sorted(key for key in PAGE_ROLES if key[0] not in guard.SAFE_METHODS)
    assert ("POST", "/signin") in posts and ("POST", "/agent/state") in posts
    refused = {}
    for method, path in posts:
        visitor = allowed_visitor(PAGE_ROLES[(method, path)])
        key = await cookie_of(floor, visitor)
        name = guard.SIGNIN_COOKIE if visitor == "none" else guard.SESSION_COOKIE
        for token in (None, guard.csrf_for("another cookie")):
            form = {**FORMS.get(path, {}), **({"csrf": token} if token else {})}
            floor.client.session.cookie_jar.clear()
            response = await floor.client.request(
                method,
                PARAMETER.sub("1", path),
                headers={"Cookie": f"{name}={key}"},
                data=form,
                allow_redirects=False,
            )
            page = await response.text()
            refused[(method, path, token)] = (
                response.status,
                'id="error-code">auth.csrf_invalid<' in page,
            )
    assert set(refused.values()) == {(403, True)}, refused
