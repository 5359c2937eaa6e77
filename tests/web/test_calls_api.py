"""The call list API and the error contract, through aiohttp's test client on a real
PostgreSQL (one fresh database per test)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from agent_state.carrier import AsteriskCarrier
from agent_state.service import AgentService
from ami import AmiClient
from calls import repo
from calls.model import CallRecord, HungUp, Outcome, Source
from calls.service import QueueWaiting
from core.settings import Settings
from db.migrate import migrate
from db.pool import open_pool
from tests.e2e.agents import PIN, make_roster
from web.app import init_app
from web.metrics import Metrics

BASE = CallRecord(
    linkedid="1.1",
    caller_number="13800000001",
    caller_name="王五",
    entry_number="12333",
    entered_at=datetime(2026, 11, 28, 16, 30, tzinfo=UTC),  # 2026-11-29 00:30 in Beijing
    ended_at=datetime(2026, 11, 28, 16, 31, tzinfo=UTC),
    outcome=Outcome.ANSWERED,
    hung_up_first=HungUp.CALLER,
    source=Source.AMI,
    queue="12333",
    agent_job_number="1001",
    queue_joined_at=datetime(2026, 11, 28, 16, 30, 10, tzinfo=UTC),
    agent_offered_at=datetime(2026, 11, 28, 16, 30, 11, tzinfo=UTC),
    agent_answered_at=datetime(2026, 11, 28, 16, 30, 12, tzinfo=UTC),
)


@pytest.fixture
async def client(fresh_db: str, settings: Settings) -> AsyncIterator[TestClient]:
    pool = await open_pool(fresh_db, min_size=1, max_size=2)
    async with pool.acquire() as conn:
        await migrate(conn)
    await repo.insert(pool, BASE)
    await repo.insert(
        pool,
        dataclasses.replace(
            BASE,
            linkedid="1.2",
            caller_number="13800000002",
            agent_job_number="1002",
            entered_at=BASE.entered_at - timedelta(hours=1),
        ),
    )  # 2026-11-28 in Beijing
    await repo.insert(
        pool,
        dataclasses.replace(
            BASE,
            linkedid="1.3",
            outcome=Outcome.ABANDONED_QUEUE,
            agent_job_number=None,
            agent_answered_at=None,
            entered_at=BASE.entered_at + timedelta(minutes=5),
        ),
    )
    await make_roster(fresh_db, {"1001": 0})
    ami = AmiClient("127.0.0.1", 1, "nobody", "not-connected-000000")  # never started
    agents = AgentService(pool, AsteriskCarrier(ami, on_failure=lambda job: None), wrap_up_s=30)
    await agents.load()
    app = init_app(
        dataclasses.replace(settings, database_url=fresh_db),
        pool,
        ami,
        Metrics(ami, QueueWaiting(ami)),
        agents,
    )
    async with TestClient(TestServer(app)) as test_client:
        response = await test_client.post("/api/sessions", json={"job_number": "1001", "pin": PIN})
        token = (await response.json())["token"]
        test_client.session.headers["Authorization"] = f"Bearer {token}"
        yield test_client
    await pool.close()


async def test_calls_are_listed_newest_first_with_local_times(client: TestClient) -> None:
    response = await client.get("/api/calls")
    assert response.status == 200
    body = await response.json()
    assert [c["linkedid"] for c in body["calls"]] == ["1.3", "1.1", "1.2"]
    first = next(c for c in body["calls"] if c["linkedid"] == "1.1")
    assert first["caller_name"] == "王五"
    assert first["entered_at"] == "2026-11-29T00:30:00+08:00"
    assert first["ring_s"] == 1.0 and first["wait_s"] == 2.0 and first["talk_s"] == 48.0
    assert "王五" in await response.text()  # UTF-8, not \\u escapes


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("date=2026-11-29", ["1.3", "1.1"]),
        ("date=2026-11-28", ["1.2"]),
        ("number=13800000002", ["1.2"]),
        ("agent=1001", ["1.1"]),
        ("outcome=abandoned_queue", ["1.3"]),
        ("limit=1", ["1.3"]),
        ("date=2026-11-29&agent=1002", []),
    ],
)
async def test_filters(client: TestClient, query: str, expected: list[str]) -> None:
    body = await (await client.get(f"/api/calls?{query}")).json()
    assert [c["linkedid"] for c in body["calls"]] == expected


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ("date=29/11/2026", "date"),
        ("number=1380;DROP", "number"),
        ("agent=10a1", "agent"),
        ("outcome=lost", "outcome"),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("colour=red", "colour"),
    ],
)
async def test_malformed_parameters_get_a_clear_400(
    client: TestClient, query: str, mentions: str
) -> None:
    response = await client.get(f"/api/calls?{query}")
    assert response.status == 400
    body = await response.json()
    assert body["error"] == "input.invalid" and mentions in body["message"]


async def test_healthz_is_503_while_ami_is_not_connected(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 503
    body = await response.json()
    assert body["ami"] == "disconnected" and body["database"] == "ok"


async def test_written_once_per_linkedid(fresh_db: str) -> None:
    conn = await asyncpg.connect(fresh_db)
    try:
        await migrate(conn)
        assert await repo.insert(conn, BASE)
        assert not await repo.insert(conn, dataclasses.replace(BASE, source=Source.CEL))
        assert (await repo.by_linkedid(conn, "1.1")).source is Source.AMI  # type: ignore[union-attr]
    finally:
        await conn.close()


async def test_call_records_need_a_session(client: TestClient) -> None:
    anonymous = await client.session.get(
        client.make_url("/api/calls"), headers={"Authorization": ""}
    )
    assert anonymous.status == 401
    assert (await anonymous.json())["error"] == "auth.required"
