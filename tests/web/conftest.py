"""The web tier's app on a real PostgreSQL: a floor of two agents (1001, 1002) and a
supervisor (1009), all with PIN 2468, and an admin (1099) with ``ADMIN_PASSWORD``; AMI is
never connected here.

``EchoingCarrier`` stands in for Asterisk's side of a request to leave idle: where
Asterisk would confirm the pause or the removal with an event, it adopts the
confirmation. (Tier 3 proves the real thing against Asterisk.)"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from accounts.passwords import PasswordCost, Passwords
from agent_state.carrier import AsteriskCarrier
from agent_state.member import Member
from agent_state.model import (
    Agent,
    Command,
    PauseConfirmed,
    PauseMember,
    RemoveConfirmed,
    RemoveMember,
    State,
)
from agent_state.service import AgentService
from ami import AmiClient
from calls.service import QueueWaiting
from core.actor import Actor, Role
from core.settings import Settings
from db.pool import open_pool
from tests.dialplan_fakes import FakePrompts, FakePublisher
from tests.e2e.agents import PIN, make_roster
from tests.phone_fakes import FakePhonePublisher
from web.app import DIALPLAN, PHONES, init_app
from web.metrics import Metrics
from web.sessions import Sessions

AGENT, OTHER, SUPERVISOR = "1001", "1002", "1009"
ADMIN = "1099"  # an admin account: no desk phone, no queue
ADMIN_PASSWORD = "floor admin passphrase"


@dataclass
class Floor:
    client: TestClient
    app: web.Application
    service: AgentService
    pool: asyncpg.Pool
    database_url: str

    async def admin_headers(self) -> dict[str, str]:
        """A session of the floor's admin (issue 10's admin API)."""
        token = await Sessions(self.pool).create(Actor(ADMIN, Role.ADMIN))
        return {"Authorization": f"Bearer {token}"}

    async def headers(self, job: str, pin: str = PIN) -> dict[str, str]:
        response = await self.client.post("/api/sessions", json={"job_number": job, "pin": pin})
        assert response.status == 201, await response.text()
        return {"Authorization": f"Bearer {(await response.json())['token']}"}

    async def password_headers(self, job: str, password: str) -> dict[str, str]:
        """Signed in with a password, as supervisors and admins do."""
        body = {"job_number": job, "password": password}
        response = await self.client.post("/api/sessions", json=body)
        assert response.status == 201, await response.text()
        return {"Authorization": f"Bearer {(await response.json())['token']}"}


class EchoingCarrier(AsteriskCarrier):
    """No Asterisk here: a pause or removal asked for from idle is confirmed at once."""

    service: AgentService | None = None
    confirming: ClassVar[set[asyncio.Task[None]]] = set()

    async def carry_out(self, member: Member, agent: Agent, commands: Iterable[Command]) -> None:
        if agent.state is not State.IDLE or not agent.leaving or self.service is None:
            return
        for command in commands:
            if isinstance(command, PauseMember | RemoveMember):
                confirm = (
                    PauseConfirmed() if isinstance(command, PauseMember) else RemoveConfirmed()
                )
                task = asyncio.ensure_future(self.service.adopt(member.job_number, confirm))
                self.confirming.add(task)
                task.add_done_callback(self.confirming.discard)


def echoing_service(pool: asyncpg.Pool, ami: AmiClient, **options: Any) -> AgentService:
    carrier = EchoingCarrier(ami, on_failure=lambda job: None)
    service = AgentService(pool, carrier, wrap_up_s=30, **options)
    carrier.service = service
    return service


@contextlib.asynccontextmanager
async def open_floor(
    database_url: str, settings: Settings, *, extra_routes: Any = None, **changes: Any
) -> AsyncIterator[Floor]:
    await make_roster(database_url, {AGENT: 0, OTHER: 0, SUPERVISOR: 0})
    pool = await open_pool(database_url, min_size=1, max_size=4)
    await pool.execute("UPDATE agents SET role = 'supervisor' WHERE job_number = $1", SUPERVISOR)
    await pool.execute(
        "INSERT INTO agents (job_number, name, role, password_hash)"
        " VALUES ($1, '管理员', 'admin', $2)",
        ADMIN,
        Passwords(PasswordCost.of(settings)).hash(ADMIN_PASSWORD),
    )
    ami = AmiClient("127.0.0.1", 1, "nobody", "not-connected-000000")
    service = echoing_service(pool, ami)
    await service.load()
    app = init_app(
        dataclasses.replace(settings, database_url=database_url, **changes),
        pool,
        ami,
        Metrics(ami, QueueWaiting(ami)),
        service,
    )
    # no web test publishes to the sandbox's Asterisk (tests/e2e/ do): a stand-in that
    # records what it was handed; the plans' prompts are taken as recorded
    app[DIALPLAN].publisher = FakePublisher()
    app[DIALPLAN].prompts = FakePrompts()
    app[PHONES].publisher = FakePhonePublisher()  # tests/e2e/test_desk_phones.py: real
    if extra_routes is not None:
        extra_routes(app)
    try:
        async with TestClient(TestServer(app)) as client:
            yield Floor(client, app, service, pool, database_url)
    finally:
        service.stop()
        await pool.close()


@pytest.fixture
async def floor(fresh_db: str, settings: Settings) -> AsyncIterator[Floor]:
    async with open_floor(fresh_db, settings) as opened:
        yield opened
