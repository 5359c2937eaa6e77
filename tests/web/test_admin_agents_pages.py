"""The admin's accounts and desk-phone pages and the phones API on a real PostgreSQL
(Asterisk's side is ``FakePhonePublisher``): a new agent from the page signs in with its
PIN; every mistake is said at its field and nothing is saved; a phone is published with
its digest only; a publish Asterisk refuses leaves nothing behind; no CSRF token → 403."""

from __future__ import annotations

from typing import Any

from core.actor import Actor, Role
from deskphones import repo as phones_repo
from deskphones.model import digest_of
from pages import guard
from tests.phone_fakes import FakePhonePublisher
from tests.web.conftest import ADMIN, AGENT, Floor
from web.app import PHONES
from web.sessions import Sessions

PHONE_PW = "desk-phone-pw.1"


async def post(floor: Floor, path: str, form: dict[str, Any], *, csrf: bool = True) -> Any:
    key = await Sessions(floor.pool).create(Actor(ADMIN, Role.ADMIN))
    data = {**form, "csrf": guard.csrf_for(key)} if csrf else form
    return await floor.client.post(
        path,
        data=data,
        headers={"Cookie": f"{guard.SESSION_COOKIE}={key}"},
        allow_redirects=False,
    )


NEW_AGENT = {
    "job_number": "1060",
    "name": "新坐席",
    "role": "agent",
    "extension": "2006",
    "queues": "12333",
    "pin": "8642",
}


async def test_an_agent_made_on_the_page_signs_in_with_the_pin_the_admin_typed(
    floor: Floor,
) -> None:
    response = await post(floor, "/admin/agents", NEW_AGENT)
    assert response.status == 303, await response.text()
    signed = await floor.client.post("/api/sessions", json={"job_number": "1060", "pin": "8642"})
    assert signed.status == 201


async def test_every_mistake_is_at_its_field_and_nothing_is_saved(floor: Floor) -> None:
    bad = {**NEW_AGENT, "job_number": "10x", "pin": "12", "queues": "999"}
    response = await post(floor, "/admin/agents", bad)
    assert response.status == 400
    page = await response.text()
    for field in ("job_number", "pin", "queues"):
        assert f'id="error-{field}"' in page
    assert "8642" not in page and 'value="12"' not in page  # no secret shown back
    count = await floor.pool.fetchval("SELECT count(*) FROM agents WHERE name = '新坐席'")
    assert count == 0


async def test_a_taken_job_number_is_said_at_its_field(floor: Floor) -> None:
    response = await post(floor, "/admin/agents", {**NEW_AGENT, "job_number": AGENT})
    assert response.status == 409
    assert 'id="error-job_number" data-code="account.conflict"' in await response.text()


async def test_an_edit_renames_and_a_disable_is_kept(floor: Floor) -> None:
    form = {"name": "改名", "role": "agent", "extension": "2001", "queues": "12333"}
    assert (await post(floor, f"/admin/agents/{AGENT}", form)).status == 303
    assert (
        await post(floor, f"/admin/agents/{AGENT}/disabled", {"disabled": "true"})
    ).status == 303
    row = await floor.pool.fetchrow(
        "SELECT name, extension, disabled_at IS NOT NULL AS off FROM agents WHERE job_number = $1",
        AGENT,
    )
    assert (row["name"], row["extension"], row["off"]) == ("改名", "2001", True)


async def test_a_form_without_its_csrf_token_is_refused(floor: Floor) -> None:
    assert (await post(floor, "/admin/agents", NEW_AGENT, csrf=False)).status == 403
    assert (await post(floor, "/admin/phones", {"extension": "3001"}, csrf=False)).status == 403


async def test_a_phone_is_published_with_its_digest_only(floor: Floor) -> None:
    fake = floor.app[PHONES].publisher
    assert isinstance(fake, FakePhonePublisher)
    response = await post(floor, "/admin/phones", {"extension": "3001", "password": PHONE_PW})
    assert response.status == 303
    (published,) = fake.published
    assert [p.extension for p in published] == ["3001"]
    assert published[0].digest == digest_of("3001", "hotline", PHONE_PW)
    stored = await floor.pool.fetchrow("SELECT * FROM desk_phones")
    assert PHONE_PW not in str(dict(stored))
    assert floor.app[PHONES].active == {"3001"}
    page = await (await floor.client.get("/admin/phones", headers=await _cookie(floor))).text()
    assert 'id="phone-3001"' in page and PHONE_PW not in page


async def test_a_bad_phone_is_said_at_its_field_and_a_refused_publish_saves_nothing(
    floor: Floor,
) -> None:
    bad = await post(floor, "/admin/phones", {"extension": "3001", "password": "semi;colon-pw1"})
    assert bad.status == 400
    assert 'id="error-password" data-code="input.invalid_phone_password"' in await bad.text()
    clash = await post(floor, "/admin/phones", {"extension": "2001", "password": PHONE_PW})
    assert clash.status == 400 and 'id="error-extension"' in await clash.text()

    floor.app[PHONES].publisher = FakePhonePublisher(fail=True)
    refused = await post(floor, "/admin/phones", {"extension": "3001", "password": PHONE_PW})
    assert refused.status == 502
    assert 'data-code="phones.publish_failed"' in await refused.text()
    async with floor.pool.acquire() as conn:
        assert await phones_repo.phones(conn) == []
    assert floor.app[PHONES].active == frozenset()


async def test_the_api_adds_refuses_a_second_and_disables(floor: Floor) -> None:
    admin = await floor.admin_headers()
    body = {"extension": "3002", "password": PHONE_PW}
    assert (await floor.client.post("/api/admin/phones", headers=admin, json=body)).status == 201
    again = await floor.client.post("/api/admin/phones", headers=admin, json=body)
    assert again.status == 409 and (await again.json())["error"] == "phones.conflict"
    off = await floor.client.put(
        "/api/admin/phones/3002/active", headers=admin, json={"active": False}
    )
    assert off.status == 200 and (await off.json()) == {"extension": "3002", "active": False}
    assert floor.app[PHONES].active == frozenset()
    unknown = await floor.client.post(
        "/api/admin/phones", headers=admin, json={**body, "secret": "x"}
    )
    assert unknown.status == 400


async def _cookie(floor: Floor) -> dict[str, str]:
    key = await Sessions(floor.pool).create(Actor(ADMIN, Role.ADMIN))
    return {"Cookie": f"{guard.SESSION_COOKIE}={key}"}
