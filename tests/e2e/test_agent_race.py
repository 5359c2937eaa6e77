"""Leaving idle races app_queue (issue 8, "The offer that was already on its way").

An agent asks for busy or sign-out at the moment Asterisk offers it a call. Asterisk's
order is the truth: the request is in force only once Asterisk confirms the pause or
the removal; an offer Asterisk made before that is adopted (ringing, then on a call),
the request waits for the call to end, and the audit shows that order — never a
contradiction "reconciled" away, never an agent the API calls busy while its phone rings.

The race window is made wide and certain: the agent's state row is held locked in
PostgreSQL while the request is being stored, the call is offered meanwhile, then the
row is released.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from agent_state.model import Source
from agent_state.requests import parse
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core.settings import Settings
from tests.e2e.agents import (
    PIN,
    audit,
    make_roster,
    me,
    phones,
    running_service,
    service_settings,
    wait_state,
)
from tests.e2e.conftest import EventLog


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    yield service_settings(
        settings,
        sandbox,
        fresh_db,
        18086,
        wrap_up_s=2,
        confirm_wait_s=5.0,
    )


@pytest.mark.parametrize(
    ("word", "after_the_call"),
    [("sign_out", "logged_out"), ("busy", "busy(manual)")],
)
async def test_a_request_racing_an_offer_waits_for_the_call_and_the_audit_shows_the_order(
    base: Settings, sipp: Sipp, secrets: dict, observer: EventLog, word: str, after_the_call: str
) -> None:
    job = "1001"
    await make_roster(base.database_url, {job: 0})
    async with (
        # no call count: a phone that quit after its call would stop answering qualify,
        # and be lost (busy(phone_unreachable)) as its wrap-up ends
        phones(sipp, secrets, [job], ring_ms=1500, hang_up_after_ms=1000),
        running_service(base) as service,
    ):
        agents = service.agents
        assert agents is not None
        await agents.sign_in(job, PIN, source=Source.WEB)
        hold = await asyncpg.connect(base.database_url)
        try:
            async with hold.transaction():
                await hold.execute(
                    "SELECT * FROM agent_states WHERE job_number = $1 FOR UPDATE", job
                )
                asked = asyncio.ensure_future(
                    agents.request(me(job), job, parse(word, source=Source.WEB))
                )
                # the request is being stored; Asterisk still has the member idle
                call = asyncio.ensure_future(
                    sipp.call(
                        base.entry_number,
                        caller="13600000091",
                        until_far_end_hangs_up=True,
                        timeout_s=40,
                    )
                )
                await observer.wait_for(
                    lambda e: e.name == "AgentCalled" and e.get("MemberName") == job, timeout=30
                )
            # the row is released: the request lands after Asterisk's offer
            answer = await asyncio.wait_for(asked, 10)
        finally:
            await hold.close()
        # the API answers with the truth: the phone rings; the request waits for the call
        assert answer.state.value == "ringing", answer
        assert answer.leaving
        result = await call
        assert result.ok, result.output[-1500:]
        await wait_state(service, job, after_the_call, timeout=base.wrap_up_s + 8)
    rows = await audit(base.database_url, job)
    moves = [(r["from_state"], r["to_state"], r["event"]) for r in rows]
    assert all(r["to_reason"] != "reconciled" for r in rows), moves
    offered = next(i for i, r in enumerate(rows) if r["event"] == "Offered")
    assert rows[offered]["from_state"] == "idle", moves  # adopted, not contradicted
    asked_row = next(i for i, r in enumerate(rows) if r["event"] in ("SignOut", "GoBusy"))
    assert rows[asked_row]["to_state"] == "idle", moves  # pending, not yet in force
    assert [m[2] for m in moves[offered:]][:3] == ["Offered", "Answered", "CallEnded"], moves
    assert moves[-1][1] == after_the_call.split("(", maxsplit=1)[0], moves
