"""The error contract beyond our own errors: nesting the JSON parser cannot take, a bug,
aiohttp's own refusals, and a database that goes away under a request — each a JSON
answer with a stable code and one structured log line, never a plain-text 500."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web
from structlog.testing import capture_logs

from asterisk_conf.sandbox.sandbox import Sandbox
from core.settings import Settings
from pages.routes import PAGE_ROLES
from tests.dialplan_fakes import good_plan
from tests.e2e.agents import PIN
from tests.web.conftest import AGENT, SUPERVISOR, Floor, open_floor
from web.app import POOL

DEEP = "[" * 5000 + "]" * 5000
DEEP_FIELD = '{"state": ' + DEEP + "}"


# routes whose body is not JSON: an upload's audio (its own tests refuse text as audio)
NOT_JSON = {("PUT", "/api/admin/prompts/{language}/{name}")}
NOT_JSON |= {key for key in PAGE_ROLES if key[0] == "POST"}  # the pages' forms
# these act on what the path names and read no body at all
NO_BODY = {
    ("POST", "/api/admin/dialplan/drafts/{draft}/validate"),
    ("POST", "/api/admin/dialplan/drafts/{draft}/publish"),
    ("POST", "/api/admin/dialplan/versions/{version}/rollback"),
    ("POST", "/api/callbacks/{id}/confirm"),
}


def _concrete(path: str) -> str:
    for name, value in (
        ("{job}", AGENT),
        ("{linkedid}", "9.1"),
        ("{day}", "2026-10-01"),
        ("{year}", "2027"),
        ("{draft}", "1"),
        ("{version}", "1"),
        ("{extension}", "3009"),  # a desk phone (none): the body is read first
        ("{id}", "00000000-0000-4000-8000-000000000001"),  # a callback: the body is read first
    ):
        path = path.replace(name, value)
    return path


async def test_json_nested_5000_deep_is_a_400_on_every_post_and_put(floor: Floor) -> None:
    boss = await floor.headers(SUPERVISOR)
    admin = await floor.admin_headers()
    # draft 1 and version 1 exist, so their routes get as far as reading the body
    drafts = "/api/admin/dialplan/drafts"
    made = await floor.client.post(drafts, json={"name": "x", "plan": good_plan()}, headers=admin)
    assert made.status == 201, await made.text()
    published = await floor.client.post(f"{drafts}/1/publish", headers=admin)
    assert published.status == 201, await published.text()
    routes = sorted(
        {
            (r.method, r.resource.canonical)
            for r in floor.app.router.routes()
            if r.method in ("POST", "PUT") and r.resource is not None
        }
        - NOT_JSON
        - NO_BODY
    )
    assert len(routes) >= 6
    for method, path in routes:
        for body in (DEEP, DEEP_FIELD):
            response = await floor.client.request(
                method,
                _concrete(path),
                data=body.encode(),
                headers=admin if path.startswith("/api/admin/") else boss,
            )
            assert response.status == 400, (method, path, await response.text())
            assert (await response.json())["error"] == "input.invalid"


def _boom(app: web.Application) -> None:
    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("kaboom: a secret detail")

    app.router.add_get("/boom", boom)


async def test_a_bug_is_a_json_500_and_one_structured_log_line(
    fresh_db: str, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_floor(fresh_db, settings, extra_routes=_boom) as floor:
        with capture_logs() as logs, caplog.at_level(logging.DEBUG):
            response = await floor.client.get("/boom")
            body = await response.json()
    assert response.status == 500 and response.content_type == "application/json"
    assert body["error"] == "internal.error" and "kaboom" not in body["message"]
    failed = [e for e in logs if e["event"] == "request failed"]
    assert len(failed) == 1
    line = failed[0]
    assert (line["path"], line["method"], line["error"], line["exc_type"]) == (
        "/boom",
        "GET",
        "internal.error",
        "RuntimeError",
    )
    assert line["log_level"] == "error"
    # aiohttp did not see the exception: no "Error handling request" with a traceback
    assert not [
        r
        for r in caplog.records
        if r.name.startswith("aiohttp") and (r.levelno >= logging.WARNING or r.exc_info)
    ]


async def test_aiohttps_own_refusals_are_json_with_stable_codes(floor: Floor) -> None:
    me = await floor.headers(AGENT)
    missing = await floor.client.get("/no-such-page")
    assert missing.status == 404 and (await missing.json())["error"] == "not_found"
    api_missing = await floor.client.get("/api/no-such-thing", headers=me)
    assert api_missing.status == 404 and (await api_missing.json())["error"] == "not_found"
    stranger = await floor.client.get("/api/no-such-thing")
    assert stranger.status == 401  # no route names for strangers
    method = await floor.client.delete("/healthz")
    assert method.status == 405 and (await method.json())["error"] == "http.method_not_allowed"
    assert "GET" in method.headers["Allow"]
    huge = await floor.client.post("/api/sessions", data=b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert huge.status == 413 and (await huge.json())["error"] == "input.too_large"


# ---- the database goes away under a request ----------------------------------------------


def _held_query(started: asyncio.Event):  # type: ignore[no-untyped-def]
    """A route whose query is still running when the test stops the server."""

    def add(app: web.Application) -> None:
        async def held(request: web.Request) -> web.Response:
            async with request.app[POOL].acquire() as conn:
                await conn.fetchval("SELECT 1")
                started.set()
                return web.json_response({"answer": await conn.fetchval("SELECT pg_sleep(20)")})

        app.router.add_get("/api/held", held)

    return add


@pytest.mark.alone  # stops the PostgreSQL every test database lives in
async def test_a_database_gone_mid_request_is_a_503_then_the_next_request_works(
    fresh_db: str, settings: Settings, sandbox: Sandbox
) -> None:
    started = asyncio.Event()
    async with open_floor(fresh_db, settings, extra_routes=_held_query(started)) as floor:
        me = await floor.headers(AGENT)
        signed_in = await floor.client.post(
            f"/api/agents/{AGENT}/state", headers=me, json={"state": "sign_in", "pin": PIN}
        )
        assert signed_in.status == 200
        in_flight = asyncio.ensure_future(floor.client.get("/api/held", headers=me))
        await asyncio.wait_for(started.wait(), 10)
        try:
            await asyncio.to_thread(sandbox.postgres.stop)
            cut = await asyncio.wait_for(in_flight, 10)
            assert cut.status == 503, await cut.text()
            assert (await cut.json())["error"] == "db.unavailable"
            down = await floor.client.get(f"/api/agents/{AGENT}/audit", headers=me)
            assert down.status == 503 and (await down.json())["error"] == "db.unavailable"
            # a change the agent asks for cannot be stored: refused, not half-done
            state = await floor.client.post(
                f"/api/agents/{AGENT}/state", headers=me, json={"state": "busy"}
            )
            assert state.status == 503 and (await state.json())["error"] == "db.unavailable"
            assert floor.service.agents[AGENT].label == "idle"
            assert floor.service.agents[AGENT].busy_pending is None
        finally:
            await asyncio.to_thread(sandbox.postgres.start)
        after = await floor.client.get(f"/api/agents/{AGENT}/audit", headers=me)
        assert after.status == 200, await after.text()
