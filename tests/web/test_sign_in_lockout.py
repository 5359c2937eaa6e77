"""Sign-in lockout through the API on a real PostgreSQL: wrong PINs lock a job number
from that address only, the API says until when, a supervisor lifts it, every step is
audited; a PIN outside the policy is a 400; a flood past the worker's queue is a 429."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from agent_state.carrier import AsteriskCarrier
from agent_state.pin_checker import PinChecker, SignInGuard
from agent_state.service import AgentService, utc_now
from agent_state.sign_in import LockedOut, LockoutPolicy, WrongCredentials, phone_origin
from ami import AmiClient
from calls.service import QueueWaiting
from core.settings import Settings
from db.pool import open_pool
from tests.e2e.agents import PIN, make_roster
from web.app import init_app
from web.metrics import Metrics

WRONG = "0000"


@dataclasses.dataclass
class Api:
    client: TestClient  # type: ignore[type-arg]
    service: AgentService
    pool: asyncpg.Pool

    async def sign_in(self, job: str, pin: str) -> tuple[int, dict[str, object]]:
        response = await self.client.post("/api/sessions", json={"job_number": job, "pin": pin})
        return response.status, await response.json()

    async def headers(self, job: str) -> dict[str, str]:
        status, body = await self.sign_in(job, PIN)
        assert status == 201, body
        return {"Authorization": f"Bearer {body['token']}"}

    async def audit(self, job: str) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT what FROM sign_in_audit WHERE job_number = $1 ORDER BY id", job
        )
        return [r["what"] for r in rows]


async def make_api(db: str, settings: Settings, pending_max: int) -> Api:
    await make_roster(db, {"1001": 0, "1009": 0})
    pool = await open_pool(db, min_size=1, max_size=4)
    await pool.execute("UPDATE agents SET role = 'supervisor' WHERE job_number = '1009'")
    ami = AmiClient("127.0.0.1", 1, "nobody", "not-connected-000000")
    guard = SignInGuard(pool, PinChecker(pending_max), LockoutPolicy(max_failures=3), utc_now)
    carrier = AsteriskCarrier(ami, on_failure=lambda job: None)
    service = AgentService(pool, carrier, wrap_up_s=30, sign_ins=guard)
    await service.load()
    app = init_app(
        dataclasses.replace(settings, database_url=db),
        pool,
        ami,
        Metrics(ami, QueueWaiting(ami)),
        service,
    )
    client = TestClient(TestServer(app))
    await client.start_server()
    return Api(client, service, pool)


@pytest.fixture
async def api(fresh_db: str, settings: Settings) -> AsyncIterator[Api]:
    made = await make_api(fresh_db, settings, pending_max=8)
    yield made
    await made.client.close()
    made.service.stop()
    await made.pool.close()


async def test_wrong_pins_lock_the_job_number_from_that_address_until_a_time(api: Api) -> None:
    assert [(await api.sign_in("1001", WRONG))[0] for _ in range(2)] == [401, 401]
    status, body = await api.sign_in("1001", WRONG)  # the third, with this policy
    assert status == 423 and body["error"] == "agent.locked_out"
    until = datetime.fromisoformat(str(body["until"]))
    assert until > datetime.now(until.tzinfo)
    status, body = await api.sign_in("1001", PIN)  # even the right PIN, from here
    assert status == 423 and body["until"] == until.isoformat()
    assert await api.audit("1001") == ["failed", "failed", "failed", "locked"]


async def test_a_stranger_cannot_lock_the_agent_out_of_its_own_phone(api: Api) -> None:
    for _ in range(3):
        await api.sign_in("1001", WRONG)
    assert (await api.sign_in("1001", PIN))[0] == 423  # locked from this address
    member = await api.service.check_pin("1001", PIN, origin=phone_origin("2001"))
    assert member.job_number == "1001"  # the agent's desk phone still works
    with pytest.raises(WrongCredentials):
        await api.service.check_pin("1001", WRONG, origin=phone_origin("2009"))


async def test_a_supervisor_lifts_the_lockout_and_an_agent_cannot(api: Api) -> None:
    agent = await api.headers("1001")
    for _ in range(3):
        await api.sign_in("1001", WRONG)
    refused = await api.client.delete("/api/agents/1001/lockout", headers=agent)
    assert refused.status == 403
    supervisor = await api.headers("1009")
    lifted = await api.client.delete("/api/agents/1001/lockout", headers=supervisor)
    assert lifted.status == 200
    assert (await lifted.json())["lifted"] == ["127.0.0.1"]
    assert (await api.sign_in("1001", PIN))[0] == 201
    assert (await api.client.delete("/api/agents/4242/lockout", headers=supervisor)).status == 404
    rows = await api.pool.fetch(
        "SELECT what, actor FROM sign_in_audit WHERE job_number = '1001' ORDER BY id"
    )
    assert [(r["what"], r["actor"]) for r in rows][-2:] == [("locked", None), ("lifted", "1009")]


async def test_a_right_pin_ends_a_run_of_wrong_ones(api: Api) -> None:
    for _ in range(2):
        await api.sign_in("1001", WRONG)
    assert (await api.sign_in("1001", PIN))[0] == 201
    for _ in range(2):  # two more: not yet the limit, the earlier two no longer count
        assert (await api.sign_in("1001", WRONG))[0] == 401
    assert await api.audit("1001") == ["failed", "failed", "succeeded", "failed", "failed"]


async def test_the_audit_is_append_only(api: Api) -> None:
    await api.sign_in("1001", WRONG)
    with pytest.raises(asyncpg.RaiseError):
        await api.pool.execute("DELETE FROM sign_in_audit")


@pytest.mark.parametrize("pin", ["12", "1234567890123", "12ab", "１２３４"])
async def test_a_pin_outside_the_policy_is_a_400_and_no_failure(api: Api, pin: str) -> None:
    status, body = await api.sign_in("1001", pin)
    assert status == 400 and body["error"] == "input.invalid_pin"
    assert await api.audit("1001") == []


async def test_a_flood_past_the_pending_checks_is_shed_with_429(
    fresh_db: str, settings: Settings
) -> None:
    flood = await make_api(fresh_db, settings, pending_max=2)
    try:
        answers = await asyncio.gather(*(flood.sign_in("1001", PIN) for _ in range(12)))
    finally:
        await flood.client.close()
        flood.service.stop()
        await flood.pool.close()
    statuses = sorted(status for status, _ in answers)
    assert 201 in statuses and 429 in statuses, statuses
    shed = [body for status, body in answers if status == 429]
    assert all(body["error"] == "agent.sign_in_overloaded" for body in shed)
    assert set(statuses) <= {201, 429}


def test_locked_out_carries_until_in_its_details() -> None:
    error = LockedOut("locked", until="2025-03-03T09:15:00+00:00")
    assert error.code == "agent.locked_out" and error.details == {
        "until": "2025-03-03T09:15:00+00:00"
    }
