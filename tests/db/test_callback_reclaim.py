"""The dispatcher's reclaim path with the real store (PostgreSQL) and the fake AMI: a
crashed dispatcher's claim whose channel still lives is adopted — never dialled again,
its lease kept by the new claim — and its end is written for the callback; one whose
attempt ended meanwhile is judged from Asterisk's real CEL rows, with its agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from callback import dispatch, repo
from callback.dispatch import Dispatcher
from callback.model import AttemptResult, State
from calls.cel import CelRow
from core import names
from core.settings import Settings
from tests import cel_fixtures
from tests.adapter.conftest import ClientFactory, client, eventually, fake  # noqa: F401
from tests.adapter.fake_ami import FakeAmi

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE_S = 60.0
RECORDED_AGENT = "1007"  # who took the attempts recorded in tests/fixtures/cel/


@pytest.fixture
async def queued(pool: asyncpg.Pool) -> asyncpg.Pool:
    """The migrated pool with one open callback due at T0."""
    await pool.execute(
        "INSERT INTO callbacks (id, kind, state, number, created_at, priority_at,"
        " not_before, updated_at) VALUES (gen_random_uuid(), 'voicemail', 'open',"
        " '13800138000', $1, $1, $1, $1)",
        T0,
    )
    return pool


async def never_notified(_wake: Any) -> None:
    return None


async def test_a_live_channel_of_a_crashed_claim_is_adopted_and_ended_once(
    queued: asyncpg.Pool,
    fake: FakeAmi,  # noqa: F811
    client: ClientFactory,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dispatch, "RESULT_WAIT_S", 0.05)
    pool = queued
    (crashed,) = await repo.claim(pool, "crashed", T0, LEASE_S, 10)
    old = crashed.callback.attempt_id
    assert old is not None
    await repo.attempt_started(pool, crashed.callback.id, old, T0)
    # the crashed dispatcher's Originate is still waiting in the queue
    fake.replies["status"] = lambda _action: [
        {"Response": "Success", "EventList": "start", "Message": "Channels will follow"},
        {"Event": "Status", "Uniqueid": old, "Channel": "Local/s@q-00000001;1"},
        {"Event": "StatusComplete", "EventList": "Complete"},
    ]
    trunk = f"PJSIP/{names.OUTBOUND_TRUNK}-00000002"
    cel = {old: [CelRow("ANSWER", T0, "u", old, channame=trunk)]}

    async def cel_rows(_pool: Any, linkedid: str) -> list[CelRow]:
        return cel.get(linkedid, [])

    now = T0 + timedelta(seconds=LEASE_S + 1)
    dispatcher = Dispatcher(
        await client(),
        pool,
        Settings(callback_lease_s=LEASE_S),
        is_open=lambda _now: True,
        open_at=lambda moment: moment,
        cel_rows=cel_rows,
        listen=never_notified,
        clock=lambda: now,
    )
    dispatcher.attach()
    try:
        assert await dispatcher.dispatch_once() == 1
        assert fake.named("Originate") == []
        # a lease renewed by the new claim: nobody takes it again once the claim's ran out
        now = T0 + timedelta(seconds=LEASE_S * 1.5)
        assert await dispatcher.renew() == 1
        later = T0 + timedelta(seconds=LEASE_S * 2 + 2)
        assert await repo.claim(pool, "other", later, LEASE_S, 10) == []
        await fake.send_event(Event="Hangup", Uniqueid=old, Channel="Local/s@q-00000001;1")
        assert await eventually(lambda: dispatcher.attempts == {})
        callback = await repo.get(pool, crashed.callback.id)
        assert callback is not None and callback.state is State.IN_PROGRESS
        assert fake.named("Originate") == []
    finally:
        await dispatcher.stop()


async def test_an_adopted_attempts_row_gets_its_end(queued: asyncpg.Pool) -> None:
    pool = queued
    (crashed,) = await repo.claim(pool, "crashed", T0, LEASE_S, 10)
    old = crashed.callback.attempt_id
    assert old is not None
    await repo.attempt_started(pool, crashed.callback.id, old, T0)
    later = T0 + timedelta(seconds=LEASE_S + 1)
    (claim,) = await repo.claim(pool, "new", later, LEASE_S, 10)
    assert claim.previous_attempt_id == old
    await repo.attempt_ended(pool, old, later, AttemptResult.ANSWERED)
    (row,) = await repo.attempts(pool, crashed.callback.id)
    assert row["result"] == "answered"


@pytest.mark.parametrize(
    ("recording", "result", "after"),
    [
        # the agent who took it may then record the outcome
        ("callback-answered", "answered", (State.IN_PROGRESS, RECORDED_AGENT, 1)),
        # never confirmed: open again, not counted against the citizen
        ("callback-not-confirmed", "not_confirmed", (State.OPEN, None, 0)),
    ],
)
async def test_a_crashed_claims_attempt_that_ended_meanwhile_is_judged_from_real_cel(
    queued: asyncpg.Pool,
    fake: FakeAmi,  # noqa: F811
    client: ClientFactory,  # noqa: F811
    recording: str,
    result: str,
    after: tuple[State, str | None, int],
) -> None:
    """The whole attempt happened while no service listened (its dispatcher crashed
    after the Originate). Its real CEL rows (tests/fixtures/cel/), in the ``cel`` table
    as Asterisk writes them, are read by the service's own query: the attempt ends as
    Asterisk recorded it, with the agent who took it, and nobody is dialled."""
    pool = queued
    (crashed,) = await repo.claim(pool, "crashed", T0, LEASE_S, 10)
    old = crashed.callback.attempt_id
    assert old is not None
    await repo.attempt_started(pool, crashed.callback.id, old, T0)
    await cel_fixtures.insert(pool, cel_fixtures.recorded(recording, attempt=old))
    fake.replies["status"] = lambda _action: [
        {"Response": "Success", "EventList": "start", "Message": "Channels will follow"},
        {"Event": "StatusComplete", "EventList": "Complete"},
    ]
    now = T0 + timedelta(seconds=LEASE_S + 1)
    dispatcher = Dispatcher(
        await client(),
        pool,
        Settings(callback_lease_s=LEASE_S),
        is_open=lambda _now: True,
        open_at=lambda moment: moment,
        listen=never_notified,
        clock=lambda: now,
    )
    assert await dispatcher.dispatch_once() == 1
    assert fake.named("Originate") == []
    callback = await repo.get(pool, crashed.callback.id)
    assert callback is not None
    assert (callback.state, callback.agent, callback.attempts) == after
    (row,) = await repo.attempts(pool, crashed.callback.id)
    assert (row["attempt_id"], row["result"], row["agent"]) == (old, result, RECORDED_AGENT)
