"""The pages through aiohttp's test client: logging in with a cookie session, CSRF on
every form post, logging out, the language switch, the console's buttons."""

from __future__ import annotations

import re

from aiohttp import ClientResponse

from agent_state.model import State
from core.actor import Actor, Role
from pages import guard
from tests.e2e.agents import PIN
from tests.web.conftest import AGENT, Floor
from web.sessions import Sessions

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def csrf_of(response: ClientResponse) -> str:
    found = CSRF.search(await response.text())
    assert found, "the page has no CSRF field"
    return found.group(1)


async def log_in(floor: Floor, job: str = AGENT, secret: str = PIN) -> ClientResponse:
    token = await csrf_of(await floor.client.get("/signin"))
    form = {"job_number": job, "kind": "pin", "secret": secret, "csrf": token}
    return await floor.client.post("/signin", data=form, allow_redirects=False)


async def test_logging_in_sets_a_strict_http_only_session_cookie(floor: Floor) -> None:
    first = await floor.client.get("/signin")
    signin_cookie = first.headers["Set-Cookie"]
    assert "hotline_signin=" in signin_cookie and "HttpOnly" in signin_cookie
    response = await log_in(floor)
    assert response.status == 303 and response.headers["Location"] == "/agent"
    cookie = response.cookies[guard.SESSION_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert not cookie["secure"]  # page_cookie_secure is off by default (loopback)
    page = await floor.client.get("/agent")
    assert page.status == 200 and 'id="state" data-state="logged_out">已签出<' in await page.text()


async def test_a_wrong_pin_is_shown_at_its_field(floor: Floor) -> None:
    response = await log_in(floor, secret="9999")
    assert response.status == 401
    assert 'id="error-secret" data-code="agent.wrong_credentials"' in await response.text()


async def test_the_api_does_not_take_the_cookie(floor: Floor) -> None:
    await log_in(floor)
    assert (await floor.client.get("/api/agents")).status == 401


async def test_a_form_post_without_its_csrf_token_is_refused(floor: Floor) -> None:
    await log_in(floor)
    form = {"action": "sign_in", "pin": PIN}
    refused = await floor.client.post("/agent/state", data=form, allow_redirects=False)
    assert refused.status == 403
    assert 'id="error-code">auth.csrf_invalid<' in await refused.text()
    assert floor.service.agents[AGENT].state is State.LOGGED_OUT
    # another session's token is no better
    other = await Sessions(floor.pool).create(Actor(AGENT, Role.AGENT))
    wrong = {**form, "csrf": guard.csrf_for(other)}
    assert (await floor.client.post("/agent/state", data=wrong)).status == 403
    assert floor.service.agents[AGENT].state is State.LOGGED_OUT
    # with its token the same form goes through
    token = await csrf_of(await floor.client.get("/agent"))
    done = await floor.client.post(
        "/agent/state", data={**form, "csrf": token}, allow_redirects=False
    )
    assert done.status == 303 and floor.service.agents[AGENT].state is State.IDLE


async def test_the_log_in_form_needs_its_token_too(floor: Floor) -> None:
    form = {"job_number": AGENT, "kind": "pin", "secret": PIN}
    refused = await floor.client.post("/signin", data=form, allow_redirects=False)
    assert refused.status == 403 and guard.SESSION_COOKIE not in refused.cookies


async def test_console_buttons_go_through_the_model(floor: Floor) -> None:
    await log_in(floor)
    token = await csrf_of(await floor.client.get("/agent"))

    async def press(**form: str) -> ClientResponse:
        data = {**form, "csrf": token}
        return await floor.client.post("/agent/state", data=data, allow_redirects=False)

    assert (await press(action="sign_in", pin=PIN)).status == 303
    assert (await press(action="busy", reason="break")).status == 303
    page = await (await floor.client.get("/agent")).text()
    assert ">置忙(休息)<" in page
    refused = await press(action="busy", reason="supervisor")  # not an agent's reason
    assert refused.status == 400 and 'id="error-reason"' in await refused.text()
    assert (await press(action="sign_out")).status == 303
    again = await press(action="idle")  # signed out: the model refuses
    assert again.status == 409 and 'data-code="agent.illegal_transition"' in await again.text()


async def test_logging_out_ends_the_session(floor: Floor) -> None:
    await log_in(floor)
    token = await csrf_of(await floor.client.get("/agent"))
    out = await floor.client.post("/signout", data={"csrf": token}, allow_redirects=False)
    assert out.status == 303
    assert await floor.pool.fetchval("SELECT count(*) FROM web_sessions") == 0
    assert (await floor.client.get("/agent", allow_redirects=False)).status == 303


async def test_english_when_asked_for_and_only_local_paths_back(floor: Floor) -> None:
    switched = await floor.client.get("/lang/en?next=/signin", allow_redirects=False)
    assert switched.headers["Location"] == "/signin"
    assert ">Log in<" in await (await floor.client.get("/signin")).text()
    away = await floor.client.get("/lang/zh?next=//elsewhere.example", allow_redirects=False)
    assert away.headers["Location"] == "/signin"
