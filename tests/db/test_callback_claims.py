"""The callback store's claims on a real PostgreSQL: concurrent dispatchers each claim a
callback exactly once; a crashed claim is taken up again after its lease, by one; a
renewed lease keeps its claim; late events of a reclaimed attempt change nothing; the
history is append-only; a callback that becomes open wakes the dispatchers."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from callback import repo
from callback.model import AttemptEnded, AttemptResult, LeaseRenewed, State

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE_S = 60.0


async def _queue(db: asyncpg.Pool, count: int, *, at: datetime = T0) -> None:
    """``count`` open callbacks due at ``at``, the i-th with priority ``at`` + i ms."""
    await db.execute(
        "INSERT INTO callbacks (id, kind, state, number, created_at, priority_at, not_before,"
        " updated_at)"
        " SELECT gen_random_uuid(), 'voicemail', 'open', '1390000' || lpad(i::text, 4, '0'),"
        " $1::timestamptz, $1::timestamptz + i * interval '1 millisecond', $1, $1"
        " FROM generate_series(1, $2) AS i",
        at,
        count,
    )


async def _dispatchers(
    url: str, count: int, now: datetime, *, batch: int = 10
) -> dict[str, list[repo.Claim]]:
    """``count`` dispatchers, each on a connection of its own, claiming until none is left."""
    claims: dict[str, list[repo.Claim]] = {}

    async def dispatcher(name: str) -> None:
        conn = await asyncpg.connect(url)
        try:
            mine = claims.setdefault(name, [])
            while got := await repo.claim(conn, name, now, LEASE_S, batch):
                mine.extend(got)
        finally:
            await conn.close()

    await asyncio.gather(*(dispatcher(f"d{i}") for i in range(count)))
    return claims


async def test_eight_dispatchers_claim_each_of_10000_callbacks_exactly_once(
    pool: asyncpg.Pool, fresh_db: str
) -> None:
    await _queue(pool, 10_000)
    claims = await _dispatchers(fresh_db, 8, T0 + timedelta(seconds=1))
    ids = Counter(c.callback.id for got in claims.values() for c in got)
    assert len(ids) == 10_000
    assert ids.most_common(1)[0][1] == 1  # nobody claimed twice
    assert sum(1 for got in claims.values() if got) > 1  # they did run side by side
    assert all(c.callback.state is State.DISPATCHING for got in claims.values() for c in got)
    assert all(c.previous_attempt_id is None for got in claims.values() for c in got)
    rows = await pool.fetch(
        "SELECT state, count(DISTINCT attempt_id) AS n FROM callbacks GROUP BY 1"
    )
    assert [(r["state"], r["n"]) for r in rows] == [("dispatching", 10_000)]
    assert await pool.fetchval("SELECT count(*) FROM callback_history WHERE event = 'Claimed'") == (
        10_000
    )


async def test_a_claim_takes_the_earliest_priority_first_and_nothing_before_its_time(
    pool: asyncpg.Pool,
) -> None:
    await _queue(pool, 5)
    later = T0 + timedelta(hours=1)
    await pool.execute(
        "UPDATE callbacks SET not_before = $1 WHERE priority_at = $2",
        later,
        T0 + timedelta(milliseconds=1),
    )
    long_s = 7200.0  # still held when the later one becomes due
    got = await repo.claim(pool, "d", T0, long_s, 3)
    assert [c.callback.priority_at for c in got] == [
        T0 + timedelta(milliseconds=i) for i in (2, 3, 4)
    ]
    assert got[0].callback.lease_until == T0 + timedelta(seconds=long_s)
    assert [c.callback.priority_at for c in await repo.claim(pool, "d", T0, long_s, 3)] == [
        T0 + timedelta(milliseconds=5)
    ]
    assert [c.callback.priority_at for c in await repo.claim(pool, "d", later, long_s, 3)] == [
        T0 + timedelta(milliseconds=1)
    ]


async def test_a_crashed_claim_is_taken_up_after_its_lease_by_one_dispatcher_only(
    pool: asyncpg.Pool, fresh_db: str
) -> None:
    await _queue(pool, 200)
    first = {c.callback.id: c for c in await repo.claim(pool, "crashed", T0, LEASE_S, 200)}
    assert len(first) == 200
    # the dispatcher died: no renewal. Before the lease runs out nobody takes them
    assert await repo.claim(pool, "d", T0 + timedelta(seconds=LEASE_S - 1), LEASE_S, 10) == []
    after = T0 + timedelta(seconds=LEASE_S + 1)
    claims = await _dispatchers(fresh_db, 8, after, batch=5)
    again = [c for got in claims.values() for c in got]
    assert Counter(c.callback.id for c in again) == Counter(first.keys())  # each once, all
    for c in again:
        assert c.previous_attempt_id == first[c.callback.id].callback.attempt_id
        assert c.callback.attempt_id not in (None, c.previous_attempt_id)
        assert c.callback.lease_until == after + timedelta(seconds=LEASE_S)
    some = again[0].callback.id
    events = [(h["event"], h["from_state"], h["to_state"]) for h in await repo.history(pool, some)]
    assert events == [("Claimed", "open", "dispatching"), ("Claimed", "dispatching", "dispatching")]
    detail = (await repo.history(pool, some))[1]["detail"]
    assert detail["previous_attempt_id"] == first[some].callback.attempt_id


async def test_with_nobody_idle_only_crashed_claims_are_taken_up(pool: asyncpg.Pool) -> None:
    await _queue(pool, 2)
    (crashed,) = await repo.claim(pool, "crashed", T0, LEASE_S, 1)
    after = T0 + timedelta(seconds=LEASE_S + 1)
    (again,) = await repo.claim(pool, "d", after, LEASE_S, 10, fresh=False)
    assert again.callback.id == crashed.callback.id and again.previous_attempt_id is not None
    assert await repo.claim(pool, "d", after, LEASE_S, 10, fresh=False) == []  # the open one waits
    assert len(await repo.claim(pool, "d", after, LEASE_S, 10)) == 1


async def test_a_renewed_lease_is_not_reclaimed_when_the_first_one_would_have_run_out(
    pool: asyncpg.Pool,
) -> None:
    await _queue(pool, 2)
    alive, crashed = await repo.claim(pool, "d", T0, LEASE_S, 2)
    attempt = alive.callback.attempt_id
    assert attempt is not None
    renewed_until = T0 + timedelta(seconds=3 * LEASE_S)
    assert await repo.renew(pool, [attempt, "no-such-attempt"], renewed_until) == 1
    got = await repo.claim(pool, "d", T0 + timedelta(seconds=LEASE_S + 1), 3600, 10)
    assert [c.callback.id for c in got] == [crashed.callback.id]
    # the reclaimed one's old attempt renews nothing
    assert await repo.renew(pool, [str(crashed.callback.attempt_id)], renewed_until) == 0
    late = await repo.claim(pool, "d", renewed_until + timedelta(seconds=1), LEASE_S, 10)
    assert [(c.callback.id, c.previous_attempt_id) for c in late] == [(alive.callback.id, attempt)]


async def test_a_late_event_of_a_reclaimed_attempt_changes_nothing(pool: asyncpg.Pool) -> None:
    await _queue(pool, 1)
    (old,) = await repo.claim(pool, "crashed", T0, LEASE_S, 1)
    (new,) = await repo.claim(pool, "d", T0 + timedelta(seconds=LEASE_S + 1), LEASE_S, 1)
    ended = AttemptEnded(AttemptResult.NO_ANSWER, retry_at=T0 + timedelta(hours=1))
    with pytest.raises(repo.StaleAttempt) as raised:
        await repo.apply(
            pool,
            old.callback.id,
            ended,
            T0 + timedelta(seconds=70),
            attempt_id=old.callback.attempt_id,
        )
    assert raised.value.code == "callback.stale_attempt"
    assert (await repo.get(pool, new.callback.id)) == new.callback
    after = await repo.apply(
        pool, new.callback.id, ended, T0 + timedelta(seconds=70), attempt_id=new.callback.attempt_id
    )
    assert (after.state, after.attempts, after.not_before) == (
        State.OPEN,
        1,
        T0 + timedelta(hours=1),
    )
    assert await repo.get(pool, new.callback.id) == after
    last = (await repo.history(pool, new.callback.id))[-1]
    assert (last["event"], last["from_state"], last["to_state"], last["actor"]) == (
        "AttemptEnded",
        "dispatching",
        "open",
        "system",
    )
    assert last["detail"]["result"] == "no_answer"


async def test_attempts_are_recorded_once_with_their_result(pool: asyncpg.Pool) -> None:
    await _queue(pool, 1)
    (c,) = await repo.claim(pool, "d", T0, LEASE_S, 1)
    attempt = str(c.callback.attempt_id)
    await repo.attempt_started(pool, c.callback.id, attempt, T0)
    await repo.attempt_started(pool, c.callback.id, attempt, T0)  # a replay adds nothing
    ended_at = T0 + timedelta(seconds=40)
    await repo.attempt_ended(pool, attempt, ended_at, AttemptResult.BUSY, agent="1001", cause="17")
    await repo.attempt_ended(pool, attempt, T0 + timedelta(seconds=99), AttemptResult.FAILED)
    assert await repo.attempts(pool, c.callback.id) == [
        {
            "attempt_id": attempt,
            "started_at": T0,
            "agent": "1001",
            "ended_at": ended_at,
            "result": "busy",
            "cause": "17",
        }
    ]
    assert (await repo.by_attempt(pool, attempt)) == c.callback


async def test_the_history_is_append_only(pool: asyncpg.Pool) -> None:
    await _queue(pool, 1)
    await repo.claim(pool, "d", T0, LEASE_S, 1)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await pool.execute("UPDATE callback_history SET actor = 'someone'")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await pool.execute("DELETE FROM callback_history")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await pool.execute("TRUNCATE callback_history")
    assert await pool.fetchval("SELECT count(*) FROM callback_history") == 1


async def test_a_callback_that_becomes_open_wakes_the_dispatchers(
    pool: asyncpg.Pool, fresh_db: str
) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(fresh_db)
    try:
        await listener.add_listener(repo.CHANNEL, lambda *args: heard.put_nowait(args[3]))
        await _queue(pool, 1)
        opened = uuid.UUID(await asyncio.wait_for(heard.get(), 10))
        (c,) = await repo.claim(pool, "d", T0, LEASE_S, 1)
        assert c.callback.id == opened
        await repo.apply(pool, opened, LeaseRenewed(T0 + timedelta(minutes=5)), T0)
        ended = AttemptEnded(AttemptResult.NO_AGENT)
        await repo.apply(pool, opened, ended, T0, attempt_id=c.callback.attempt_id)
        await _queue(pool, 1)  # another one, heard after all that came before it
        woken = [opened]
        while (payload := uuid.UUID(await asyncio.wait_for(heard.get(), 10))) == opened:
            woken.append(payload)
        assert woken == [opened, opened]  # made, open again; the claim, renewal woke nobody
    finally:
        await listener.close()
