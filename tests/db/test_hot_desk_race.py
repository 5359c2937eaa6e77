"""Hot desking in PostgreSQL: two agents never hold one desk phone, however their
sign-ins race (the unique index on signed-in agents' phones, migration 0020), and the
phone is the session's: stored with the state, freed at sign-out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest

from agent_state import repo
from agent_state.carrier import AsteriskCarrier
from agent_state.model import Agent, BusyReason, SignIn, SignOut, Source, State
from agent_state.seats import PhoneTaken
from agent_state.service import AgentService
from ami import AmiClient
from db.pool import open_pool
from tests.e2e.agents import PIN, make_roster

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _signed_in(job: str, phone: str) -> tuple[object, ...]:
    event = SignIn(source=Source.WEB, phone=phone)
    after = Agent(job, State.BUSY, BusyReason.MANUAL, AT, phone=phone)
    return repo.transition_args(Agent(job), after, event, AT)


async def _waiting_on_a_lock(conn: asyncpg.Connection, pid: int, timeout: float = 10) -> None:
    """Until PostgreSQL shows backend ``pid`` waiting for a lock (polled)."""
    query = "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await conn.fetchval(query, pid):
        if loop.time() > deadline:
            raise AssertionError(f"backend {pid} never waited for a lock")
        await asyncio.sleep(0.02)


async def test_two_sign_ins_racing_for_one_phone_leave_it_to_one_agent(fresh_db: str) -> None:
    """The first transaction has written its agent at phone 2003 and not committed; the
    second waits on the index, and once the first commits it is refused: PhoneTaken."""
    await make_roster(fresh_db, {"1001": 0, "1002": 0, "1003": 0})
    first, second = await asyncpg.connect(fresh_db), await asyncpg.connect(fresh_db)
    try:
        async with first.transaction():
            await repo.write_transition(first, _signed_in("1001", "2003"))
            racing = asyncio.ensure_future(
                repo.write_transition(second, _signed_in("1002", "2003"))
            )
            await _waiting_on_a_lock(first, second.get_server_pid())  # on the index
            assert not racing.done()
        with pytest.raises(PhoneTaken) as refused:
            await racing
        assert refused.value.code == "agent.phone_taken"
        assert refused.value.details == {"phone": "2003"}
        rows = await first.fetch("SELECT job_number, phone FROM agent_states ORDER BY 1")
        assert [tuple(r) for r in rows] == [("1001", "2003")]
        # signed out, the phone is free for the next shift
        out = repo.transition_args(
            Agent("1001", State.BUSY, BusyReason.MANUAL, AT, phone="2003"),
            Agent("1001", State.LOGGED_OUT, since=AT),
            SignOut(),
            AT,
        )
        await repo.write_transition(first, out)
        await repo.write_transition(second, _signed_in("1002", "2003"))
        assert await first.fetchval("SELECT job_number FROM agent_states WHERE phone = '2003'") == (
            "1002"
        )
    finally:
        await first.close()
        await second.close()


async def test_the_service_lets_one_of_two_concurrent_sign_ins_take_the_phone(
    fresh_db: str,
) -> None:
    """Both at once at phone 2003 (agent 1003's home): one is signed in there, the other
    refused with agent.phone_taken; a restart reads the phone back (the same member)."""
    await make_roster(fresh_db, {"1001": 0, "1002": 0, "1003": 0})
    pool = await open_pool(fresh_db, min_size=2, max_size=4)
    ami = AmiClient("127.0.0.1", 1, "nobody", "not-connected-000000")  # AMI away: stored anyway
    service = AgentService(pool, AsteriskCarrier(ami, on_failure=lambda job: None), wrap_up_s=30)
    try:
        await service.load()
        results = await asyncio.gather(
            *(
                service.sign_in(job, PIN, source=Source.WEB, extension="2003")
                for job in ("1001", "1002")
            ),
            return_exceptions=True,
        )
        taken = [r for r in results if isinstance(r, PhoneTaken)]
        seated = [r for r in results if isinstance(r, Agent)]
        assert len(taken) == 1 and len(seated) == 1, results
        assert seated[0].phone == "2003"
        with pytest.raises(PhoneTaken):  # the home agent too: the phone is the session's
            await service.sign_in("1003", PIN, source=Source.WEB)
        again = AgentService(pool, AsteriskCarrier(ami, on_failure=lambda job: None), wrap_up_s=30)
        await again.load()
        job = seated[0].job_number
        assert again.seated(job).interface == "Local/2003@agents-local/n"
        assert again.by_extension("2003") == again.seated(job)
        again.stop()
    finally:
        service.stop()
        await pool.close()
