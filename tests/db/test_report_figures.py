"""The quality figures and the staffing advice from real PostgreSQL rows: hand-made
calls, holds, audit rows and callbacks, each figure counted by hand (reports/model.py
defines them)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from calls import repo as calls_repo
from calls.model import CallRecord, HungUp, Outcome, Source
from calls.path import CallHold
from core.actor import Actor, Role
from reports.model import By, QualityRow
from reports.service import ReportService

DAY = date(2026, 3, 2)  # a Monday
T = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai: half hour 20
SUPERVISOR = Actor("1009", Role.SUPERVISOR)


def s(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


def call(linkedid: str, **fields: Any) -> CallRecord:
    base: dict[str, Any] = {
        "linkedid": linkedid,
        "caller_number": "13800000000",
        "caller_name": "",
        "entry_number": "12333",
        "entered_at": T,
        "ended_at": s(100),
        "outcome": Outcome.ANSWERED,
        "hung_up_first": HungUp.CALLER,
        "source": Source.AMI,
        "queue": "12333",
    }
    return CallRecord(**{**base, **fields})


CALLS = (
    # waited 10 s, agent hung up first, two holds (one long), filed 10 s after the end
    call(
        "c1",
        queue_joined_at=s(5),
        agent_offered_at=s(10),
        agent_answered_at=s(15),
        agent_job_number="1001",
        hung_up_first=HungUp.AGENT,
        holds=(CallHold(s(20), 40.0), CallHold(s(70), 5.0)),
    ),
    # waited 25 s, complaint, filed 60 s after the end
    call(
        "c2",
        queue_joined_at=s(5),
        agent_answered_at=s(30),
        agent_job_number="1002",
        queue="12334",
    ),
    call("c3", queue_joined_at=s(5), ended_at=s(25), outcome=Outcome.ABANDONED_QUEUE),
    call("c4", ended_at=s(8), outcome=Outcome.ABANDONED_GREETING, queue=None),
    # rebuilt from CEL (holds unknown), waited 3 s, never classified
    call(
        "c5",
        queue_joined_at=s(400),
        agent_answered_at=s(403),
        ended_at=s(500),
        agent_job_number="1001",
        source=Source.CEL,
        holds=None,
    ),
)

# 1001's day: (seconds, from, from reason, to, to reason, event, linkedid)
AUDIT = (
    (0, "logged_out", None, "idle", None, "SignIn", None),
    (10, "idle", None, "ringing", None, "Offered", "c1"),
    (14, "ringing", None, "on_call", None, "Answered", "c1"),  # 4 s: within two rings
    (100, "on_call", None, "wrap_up", None, "CallEnded", "c1"),
    (145, "wrap_up", None, "idle", None, "WrapUpExpired", None),  # a 45 s wrap-up
    (200, "idle", None, "ringing", None, "Offered", "c5"),
    (213, "ringing", None, "busy", "ring_no_answer", "Missed", None),  # 13 s: a miss
    (300, "busy", "ring_no_answer", "idle", None, "GoIdle", None),
    (310, "idle", None, "ringing", None, "Offered", "c3"),
    (313, "ringing", None, "idle", None, "RingEnded", None),  # 3 s: the caller gave up
    (390, "idle", None, "ringing", None, "Offered", "c5"),
    (402, "ringing", None, "on_call", None, "Answered", "c5"),  # 12 s: too late
    (500, "on_call", None, "wrap_up", None, "CallEnded", "c5"),
    (510, "wrap_up", None, "idle", None, "GoIdle", None),  # a 10 s wrap-up
    (600, "idle", None, "busy", "supervisor", "ForceBusy", None),
    (601, "busy", "supervisor", "busy", "supervisor", "PhoneLost", None),  # no new period
    (700, "busy", "supervisor", "logged_out", None, "SignOut", None),
)


async def _floor(pool: asyncpg.Pool) -> None:
    for job, phone in (("1001", "2001"), ("1002", "2002")):
        await pool.execute(
            "INSERT INTO agents (job_number, name, extension, pin_hash) VALUES ($1, $1, $2, 'x')",
            job,
            phone,
        )
    await pool.execute("INSERT INTO agent_queues (job_number, queue) VALUES ('1001', '12333')")
    for record in CALLS:
        assert await calls_repo.insert(pool, record)
    await pool.execute(
        "UPDATE calls SET category = '养老保险', classified_at = ended_at + interval '10 s'"
        " WHERE linkedid = 'c1'"
    )
    await pool.execute(
        "UPDATE calls SET category = '建议投诉', classified_at = ended_at + interval '60 s'"
        " WHERE linkedid = 'c2'"
    )
    for at, from_state, from_reason, to_state, to_reason, event, linkedid in AUDIT:
        await pool.execute(
            "INSERT INTO agent_state_audit (job_number, at, from_state, from_reason, to_state,"
            " to_reason, event, source, linkedid) VALUES ('1001', $1, $2, $3, $4, $5, $6,"
            " 'asterisk', $7)",
            s(at),
            from_state,
            from_reason,
            to_state,
            to_reason,
            event,
            linkedid,
        )
    await _callbacks(pool)


async def _callback(pool: asyncpg.Pool, **fields: Any) -> uuid.UUID:
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "kind": "voicemail",
        "state": "open",
        "number": "13900000000",
        "created_at": s(30),
        "priority_at": s(30),
        "not_before": s(30),
        "updated_at": s(30),
        **fields,
    }
    names = ", ".join(row)
    places = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    sql = f"INSERT INTO callbacks ({names}) VALUES ({places})"  # noqa: S608 - our own names
    await pool.execute(sql, *row.values())
    made: uuid.UUID = row["id"]
    return made


async def _callbacks(pool: asyncpg.Pool) -> None:
    """Opened that day: a voicemail (overdue: due at 10:01, never closed), an escalation
    to a department from c1, forwarded (done that day), another not yet passed on; one
    made the day before, done that day."""
    await _callback(pool, due_at=s(60))
    await _callback(pool, kind="escalation", department="人社局")
    complaint = await _callback(
        pool,
        kind="escalation",
        state="done",
        outcome="forwarded",
        department="医保局",
        owner="1001",
    )
    await pool.execute(
        "INSERT INTO callback_reasons (callback_id, kind, at, linkedid)"
        " VALUES ($1, 'escalation', $2, 'c1')",
        complaint,
        s(30),
    )
    earlier = await _callback(
        pool, created_at=s(-86400), state="done", outcome="resolved", agent="1002"
    )
    for callback_id in (complaint, earlier):
        await pool.execute(
            "INSERT INTO callback_history (callback_id, at, event, from_state, to_state, actor)"
            " VALUES ($1, $2, 'OutcomeRecorded', 'in_progress', 'done', '1001')",
            callback_id,
            s(600),
        )


def service(pool: asyncpg.Pool, now: datetime = T + timedelta(hours=1)) -> ReportService:
    return ReportService(
        pool, timezone="Asia/Shanghai", answer_s=15.0, target=0.9, clock=lambda: now
    )


async def _report(pool: asyncpg.Pool, by: By) -> dict[str | None, QualityRow]:
    report = await service(pool).quality(SUPERVISOR, DAY, DAY, by)
    return {r.key: r for r in report.rows}


async def test_the_days_figures_count_the_rows(pool: asyncpg.Pool) -> None:
    await _floor(pool)
    row = (await _report(pool, By.DAY))["2026-03-02"]
    assert dict(row.figures) == {
        "calls": 5,
        "asked_for_agent": 4,
        "answered": 3,
        "answered_within_15s": 2,  # c1 (10 s), c5 (3 s)
        "rate_15s": 0.5,
        "rate_answered": 0.75,
        "abandoned_queue": 1,
        "abandoned_greeting": 1,
        "wait_avg_s": 14.5,  # (10 + 25 + 20 + 3) / 4
        "wait_max_s": 25.0,
        "offers": 3,  # the 3 s ring the caller ended is not counted
        "answered_within_two_rings": 1,
        "rate_two_rings": 0.3333,
        "wrap_ups": 2,
        "wrap_up_avg_s": 27.5,
        "wrap_ups_over_30s": 1,
        "filed_over_30s": 1,
        "unclassified": 1,
        "forced_busy_ring_no_answer": 1,
        "forced_busy_phone_unreachable": 0,
        "forced_busy_supervisor": 1,
        "forced_busy_reconciled": 0,
        "holds": 2,
        "holds_over_30s": 1,
        "calls_holds_unknown": 1,
        "agent_hung_up_first": 1,
        "complaints_calls": 1,
        "complaints_escalated": 2,
        "complaints_forwarded": 1,
        "callbacks_opened": 3,
        "callbacks_done": 2,
        "callbacks_overdue": 1,
    }
    assert dict(row.categories) == {"养老保险": 1, "建议投诉": 1}


async def test_by_agent_each_figure_goes_to_its_agent(pool: asyncpg.Pool) -> None:
    await _floor(pool)
    rows = await _report(pool, By.AGENT)
    assert set(rows) == {"1001", "1002", None}
    mine, other, nobody = rows["1001"].figures, rows["1002"].figures, rows[None].figures
    assert (mine["answered"], other["answered"], nobody["answered"]) == (2, 1, 0)
    assert (mine["offers"], mine["answered_within_two_rings"], mine["wrap_ups"]) == (3, 1, 2)
    assert (mine["agent_hung_up_first"], mine["holds_over_30s"]) == (1, 0 + 1)
    assert (other["complaints_calls"], other["filed_over_30s"]) == (1, 1)
    assert (nobody["abandoned_queue"], nobody["abandoned_greeting"]) == (1, 1)
    # callbacks: the owner's, else the agent's who worked it; the voicemail has neither
    assert (mine["complaints_escalated"], other["callbacks_done"]) == (1, 1)
    assert nobody["callbacks_overdue"] == 1


async def test_by_queue_calls_their_queue_and_forced_busy_the_agents_queues(
    pool: asyncpg.Pool,
) -> None:
    await _floor(pool)
    rows = await _report(pool, By.QUEUE)
    main, second = rows["12333"].figures, rows["12334"].figures
    assert (main["calls"], main["asked_for_agent"], main["answered"]) == (3, 3, 2)
    assert (second["calls"], second["answered"], second["complaints_calls"]) == (1, 1, 1)
    assert rows[None].figures["abandoned_greeting"] == 1
    # offers by their call's queue; the forced busy (no call) by the agent's queue
    assert (main["offers"], main["forced_busy_supervisor"]) == (3, 1)
    assert main["complaints_escalated"] == 1  # the escalation came from c1


async def test_a_range_has_a_row_for_each_day(pool: asyncpg.Pool) -> None:
    await _floor(pool)
    report = await service(pool).quality(SUPERVISOR, DAY - timedelta(days=1), DAY, By.DAY)
    assert [r.key for r in report.rows] == ["2026-03-01", "2026-03-02"]
    before = report.rows[0].figures
    assert (before["calls"], before["rate_15s"], before["callbacks_opened"]) == (0, None, 1)


async def test_staffing_from_the_same_weekdays_arrivals_and_the_measured_handle_time(
    pool: asyncpg.Pool,
) -> None:
    """Two Mondays before DAY: 3 + 1 callers at 10:0x (half hour 20), 2 a half hour on
    average; talk 100 s and 97 s, wrap-ups 45 s and 10 s measured on DAY itself, so the
    advice for the Monday after DAY sees them."""
    await _floor(pool)
    for week, n in ((1, 3), (2, 1)):
        for i in range(n):
            at = T - timedelta(weeks=week) + timedelta(minutes=5)
            record = call(f"w{week}.{i}", entered_at=at, queue_joined_at=at, ended_at=at)
            await calls_repo.insert(pool, record)
    advice = await service(pool, now=s(3600)).staffing(SUPERVISOR, DAY, 2)
    slot = advice.half_hours[20]
    assert (slot.starts, slot.expected_arrivals) == ("10:00", 2.0)
    assert advice.measured.talk_avg_s is None  # the earlier weeks answered nobody
    assert slot.agents_needed is None
    assert slot.agents_signed_in == round(700 / 1800, 2)
    assert (slot.agents_seen, advice.half_hours[21].agents_seen) == (1, 0)

    later = await service(pool, now=s(86400 * 7)).staffing(SUPERVISOR, DAY + timedelta(7), 2)
    assert later.measured.talk_avg_s == pytest.approx((85 + 97 + 70) / 3)
    assert later.measured.wrap_up_avg_s == pytest.approx(27.5)
    # the week before's 3 and DAY's 4 callers at 10:0x over 2 weeks: 3.5 a half hour at
    # 111.5 s is 0.217 erlangs: one agent answers 1 - 0.217 * exp(-0.783 * 15 / 111.5)
    # = 80 % within 15 s, two 98 %
    assert later.half_hours[20].expected_arrivals == 3.5
    assert later.half_hours[20].agents_needed == 2
    assert later.half_hours[20].agents_signed_in == 0.0
