"""The callback store's intake, listings and figures on a real PostgreSQL: ownerless
requests for a number merge, an owned one is linked to, the same request twice is one
callback, also when two race; the day figures and the metrics' counts."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg

from callback import figures, repo
from callback.model import (
    AttemptEnded,
    AttemptResult,
    Cancelled,
    Kind,
    Outcome,
    OutcomeRecorded,
    Reason,
    Request,
    State,
)
from core.actor import Actor, Role
from db.migrate import migrate

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NUMBER = "13900001234"
HOUR = timedelta(hours=1)
SUPERVISOR = Actor("1009", Role.SUPERVISOR)


def voicemail(msg_id: str, at: datetime = T0, number: str = NUMBER) -> Request:
    return Request(
        kind=Kind.VOICEMAIL,
        number=number,
        reason=Reason(Kind.VOICEMAIL, at, msg_id=msg_id, linkedid=f"call-{msg_id}"),
        not_before=at,
        priority_at=at,
    )


def keep_place(linkedid: str, joined: datetime, at: datetime = T0) -> Request:
    return Request(
        kind=Kind.KEEP_PLACE,
        number=NUMBER,
        reason=Reason(Kind.KEEP_PLACE, at, linkedid=linkedid, queue_joined_at=joined),
        not_before=at,
        priority_at=joined,
    )


def escalation(owner: str, due: datetime, at: datetime = T0) -> Request:
    return Request(
        kind=Kind.ESCALATION,
        number=NUMBER,
        reason=Reason(Kind.ESCALATION, at, linkedid=f"esc-{uuid.uuid4().hex[:6]}"),
        not_before=at,
        priority_at=at,
        due_at=due,
        owner=owner,
        category="养老保险",
        question="养老金何时到账",
    )


async def test_ownerless_requests_for_a_number_merge_into_one_callback(
    pool: asyncpg.Pool,
) -> None:
    first = await repo.open_callback(pool, voicemail("m1"), T0)
    assert (first.created, first.merged, first.callback.state) == (True, False, State.OPEN)
    joined = T0 - timedelta(minutes=5)
    second = await repo.open_callback(pool, keep_place("q1", joined), T0 + timedelta(minutes=1))
    assert (second.created, second.merged, second.callback.id) == (False, True, first.callback.id)
    stored = await repo.get(pool, first.callback.id)
    assert stored is not None
    assert [r.kind for r in stored.reasons] == [Kind.VOICEMAIL, Kind.KEEP_PLACE]
    assert stored.priority_at == joined  # the earlier of the two goes first
    assert await pool.fetchval("SELECT count(*) FROM callbacks") == 1
    events = [h["event"] for h in await repo.history(pool, first.callback.id)]
    assert events == ["Opened", "Merged"]


async def test_the_same_request_twice_is_one_callback_also_once_it_is_closed(
    pool: asyncpg.Pool,
) -> None:
    first = await repo.open_callback(pool, voicemail("m1"), T0)
    again = await repo.open_callback(pool, voicemail("m1"), T0 + timedelta(minutes=1))
    assert (again.created, again.merged, again.callback.id) == (False, False, first.callback.id)
    await repo.apply(pool, first.callback.id, Cancelled("test"), T0, SUPERVISOR)
    late = await repo.open_callback(pool, voicemail("m1"), T0 + timedelta(hours=1))
    assert (late.created, late.callback.id, late.callback.state) == (
        False,
        first.callback.id,
        State.CANCELLED,
    )
    place = await repo.open_callback(pool, keep_place("q1", T0), T0)
    assert (await repo.open_callback(pool, keep_place("q1", T0), T0)).callback.id == (
        place.callback.id
    )
    assert await pool.fetchval("SELECT count(*) FROM callback_reasons") == 2


async def test_an_owned_escalation_keeps_its_owner_and_a_voicemail_is_linked_to_it(
    pool: asyncpg.Pool,
) -> None:
    owned = await repo.open_callback(pool, escalation("1001", T0 + timedelta(days=1)), T0)
    linked = await repo.open_callback(pool, voicemail("m1"), T0 + timedelta(minutes=1))
    assert linked.created and linked.linked_to == owned.callback.id
    assert linked.callback.linked_to == owned.callback.id
    kept = await repo.get(pool, owned.callback.id)
    assert kept is not None
    assert (kept.owner, kept.reasons, kept.question) == (
        "1001",
        owned.callback.reasons,
        "养老金何时到账",
    )
    assert await repo.get(pool, linked.callback.id) == linked.callback


async def test_two_requests_racing_for_one_number_make_one_callback(fresh_db: str) -> None:
    conn = await asyncpg.connect(fresh_db)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    conns = [await asyncpg.connect(fresh_db) for _ in range(8)]
    try:
        for n in range(10):  # ten numbers, each asked for by 8 requests at once
            number = f"1390000{n:04d}"
            requests = [voicemail(f"m{n}-{i}", number=number) for i in range(4)]
            requests += [voicemail(f"m{n}-0", number=number) for _ in range(4)]  # the same
            opened = await asyncio.gather(
                *(repo.open_callback(c, r, T0) for c, r in zip(conns, requests, strict=True))
            )
            assert sum(o.created for o in opened) == 1
            assert len({o.callback.id for o in opened}) == 1
        counts = await conns[0].fetch(
            "SELECT number, count(*) AS n, (SELECT count(*) FROM callback_reasons r"
            " JOIN callbacks d ON d.id = r.callback_id WHERE d.number = c.number) AS reasons"
            " FROM callbacks c GROUP BY number"
        )
        assert sorted((r["n"], r["reasons"]) for r in counts) == [(1, 4)] * 10
    finally:
        for c in conns:
            await c.close()


async def test_listing_filters_by_state_kind_owner_number_and_overdue(pool: asyncpg.Pool) -> None:
    owned = await repo.open_callback(pool, escalation("1001", T0 + timedelta(hours=2)), T0)
    other = await repo.open_callback(pool, voicemail("m1", number="13900009999"), T0)
    await repo.open_callback(pool, voicemail("m2", number="13900008888"), T0)
    await repo.apply(pool, other.callback.id, Cancelled(), T0, SUPERVISOR)

    async def ids(**where: object) -> set[uuid.UUID]:
        return {c.id for c in await repo.listing(pool, repo.Filter(**where))}  # type: ignore[arg-type]

    assert await ids(owner="1001") == {owned.callback.id}
    assert await ids(kind=Kind.ESCALATION) == {owned.callback.id}
    assert await ids(state=State.CANCELLED) == {other.callback.id}
    assert await ids(number="13900009999") == {other.callback.id}
    assert await ids(overdue_at=T0 + timedelta(hours=1)) == set()
    assert await ids(overdue_at=T0 + timedelta(hours=3)) == {owned.callback.id}
    assert len(await ids()) == 3
    assert len(await ids(limit=1)) == 1


async def _done(pool: asyncpg.Pool, request: Request, at: datetime, result: AttemptResult) -> None:
    """Open, claim, one attempt with ``result``; an answered one resolved."""
    opened = await repo.open_callback(pool, request, at)
    (claim,) = await repo.claim(pool, "d", at, 60, 1)
    assert claim.callback.id == opened.callback.id
    attempt = str(claim.callback.attempt_id)
    await repo.attempt_started(pool, claim.callback.id, attempt, at)
    await repo.attempt_ended(pool, attempt, at + timedelta(seconds=30), result)
    ended = AttemptEnded(result)  # no retry: gives up unless answered
    await repo.apply(pool, claim.callback.id, ended, at + timedelta(seconds=30), attempt_id=attempt)
    if result is AttemptResult.ANSWERED:
        recorded = OutcomeRecorded(Outcome.RESOLVED, "已答复")
        await repo.apply(pool, claim.callback.id, recorded, at + timedelta(minutes=1))


async def test_suggestions_and_complaints_have_their_own_figures_per_department(
    pool: asyncpg.Pool,
) -> None:
    """R13: escalations to a department, per day made and department; other escalations
    are not among them."""
    day = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)

    def to(department: str | None, number: str, due: datetime) -> Request:
        made = dataclasses.replace(escalation("1001", due, day), number=number)
        return dataclasses.replace(made, department=department, category="建议投诉")

    passed_on = await repo.open_callback(pool, to("社保中心", "13900000011", day), day)
    await repo.apply(pool, passed_on.callback.id, Cancelled("转交"), day, SUPERVISOR)
    await _done(pool, to("社保中心", "13900000012", day + HOUR), day, AttemptResult.ANSWERED)
    forwarded = await repo.open_callback(pool, to("医保局", "13900000013", day + HOUR), day)
    claim_and_forward = forwarded.callback.id
    (claim,) = await repo.claim(pool, "d", day, 60, 1)
    assert claim.callback.id == claim_and_forward
    attempt = str(claim.callback.attempt_id)
    await repo.attempt_started(pool, claim_and_forward, attempt, day)
    await repo.attempt_ended(pool, attempt, day, AttemptResult.ANSWERED)
    await repo.apply(
        pool, claim_and_forward, AttemptEnded(AttemptResult.ANSWERED), day, attempt_id=attempt
    )
    await repo.apply(pool, claim_and_forward, OutcomeRecorded(Outcome.FORWARDED, "已转医保局"), day)
    await repo.open_callback(pool, to("医保局", "13900000014", day - HOUR), day)  # overdue, live
    await repo.open_callback(pool, to(None, "13900000015", day), day)  # no department
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC)
    rows = await figures.department_figures(pool, start, end, "Asia/Shanghai")
    assert rows == [
        {
            "day": date(2026, 3, 3),
            "department": "医保局",
            "opened": 2,
            "forwarded": 1,
            "done": 1,
            "live": 1,
            "overdue": 1,
        },
        {
            "day": date(2026, 3, 3),
            "department": "社保中心",
            "opened": 2,
            "forwarded": 0,
            "done": 1,
            "live": 0,
            "overdue": 0,
        },
    ]


async def test_figures_per_local_day_and_kind(pool: asyncpg.Pool) -> None:
    # 17:30 UTC is 01:30 the next day in Shanghai
    evening = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    await _done(pool, voicemail("m1", evening, "13900000001"), evening, AttemptResult.ANSWERED)
    await _done(pool, voicemail("m2", evening, "13900000002"), evening, AttemptResult.BUSY)
    overdue = escalation("1001", evening + timedelta(hours=1), evening)
    await repo.open_callback(pool, dataclasses.replace(overdue, number="13900000003"), evening)
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC)
    shanghai = await figures.figures(pool, start, end, "Asia/Shanghai")
    assert shanghai == [
        {
            "day": date(2026, 3, 3),
            "kind": "escalation",
            "opened": 1,
            "done": 0,
            "overdue": 1,
            "failed": 0,
            "attempts": 0,
            "attempts_per_callback": None,
        },
        {
            "day": date(2026, 3, 3),
            "kind": "voicemail",
            "opened": 2,
            "done": 1,
            "overdue": 0,
            "failed": 1,
            "attempts": 2,
            "attempts_per_callback": 1.0,
        },
    ]
    assert {f["day"] for f in await figures.figures(pool, start, end, "UTC")} == {date(2026, 3, 2)}


async def test_open_counts_by_kind_and_state_and_overdue(pool: asyncpg.Pool) -> None:
    await repo.open_callback(pool, escalation("1001", T0 + timedelta(hours=1)), T0)
    later = T0 + timedelta(minutes=1)
    await repo.open_callback(pool, voicemail("m1", later, "13900000001"), later)
    await repo.open_callback(pool, voicemail("m2", later, "13900000002"), later)
    await repo.claim(pool, "d", T0 + timedelta(minutes=10), 60, 1)  # the earliest: escalation
    counts = await figures.open_counts(pool, T0 + timedelta(hours=2))
    assert counts["live"]["voicemail"] == {"open": 2, "dispatching": 0, "in_progress": 0}
    assert counts["live"]["escalation"] == {"open": 0, "dispatching": 1, "in_progress": 0}
    assert counts["live"]["keep_place"] == {"open": 0, "dispatching": 0, "in_progress": 0}
    assert counts["overdue"] == {
        "voicemail": 0,
        "escalation": 1,
        "keep_place": 0,
        "return_visit": 0,
    }
    assert counts["dispatch_lag_s"] == 7140.0  # the voicemails due since T0 + 1 min
