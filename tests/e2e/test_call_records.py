"""Every call on record (issue 4): real calls through the sandbox, rows in PostgreSQL.

The service under test is the real composition (``hotline.serve.Service``): AMI
adapter, call recorder, CEL backfill, HTTP. Calls come from SIPp; agents answer on
SIPp desk phones; nothing is faked.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ami import AmiActionFailed, AmiClient
from ami.actions import QueueAdd, QueuePause, QueueRemove, QueueStatus
from ami.events import STREAMED_NAMES, QueueMember
from ami.events import Event as AmiEvent
from asterisk_conf.sandbox.sandbox import SHORT_GREETING_S, Sandbox
from asterisk_conf.sandbox.sipp import DeskPhone, Sipp
from calls import repo
from calls.cel import record_from_cel
from calls.model import CallRecord, HungUp, Outcome, Source
from core import names
from core.settings import Settings
from hotline.serve import Service
from tests import cel_fixtures
from tests.adapter.conftest import eventually
from tests.e2e.agents import waiting_member
from tests.e2e.conftest import EventLog

HTTP_PORT = 18081


def unique_number() -> str:
    """A caller number no earlier run used: rows persist in the sandbox database."""
    return "139" + str(random.randrange(10**8)).zfill(8)


# the tests' greeting (the sandbox's stand-in, setting greeting_prompt) lasts
# SHORT_GREETING_S: a caller who hangs up before it ends abandons in the greeting
GREETING_S = SHORT_GREETING_S
IN_THE_GREETING_MS = 1000  # a caller's talk that ends inside the greeting


@pytest.fixture
def service_settings(settings: Settings, sandbox: Sandbox) -> Settings:
    secrets = sandbox.ensure_secrets()
    return dataclasses.replace(
        settings,
        http_port=HTTP_PORT,
        ami_secret=secrets["ami_service"],
        database_url=sandbox.database_url(secrets),
        backfill_grace_s=0.0,
        backfill_every_s=3600,
    )


@pytest.fixture
async def service(service_settings: Settings) -> AsyncIterator[Service]:
    running = Service(service_settings)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def db(service_settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(service_settings.database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def empty_queue(service_ami: AmiClient, settings: Settings) -> AmiClient:
    """No member left behind by another test or a demo: the queue starts empty."""
    reply = await service_ami.send(QueueStatus(queue=settings.queue))
    for member in reply.events:
        if isinstance(member, QueueMember):
            with contextlib.suppress(AmiActionFailed):
                await service_ami.send(QueueRemove(settings.queue, member.interface))
    return service_ami


@contextlib.asynccontextmanager
async def idle_agent(
    ami: AmiClient,
    sipp: Sipp,
    secrets: dict,
    queue: str,
    job_number: str,
    extension: str,
    port: int,
    **phone: Any,
) -> AsyncIterator[DeskPhone]:
    desk = sipp.phone(extension, secrets["phones"][extension], port, port + 1000)
    reachable = asyncio.Event()

    def on_contact(event: AmiEvent) -> None:
        if event.get("AOR") == extension and event.get("ContactStatus") == "Reachable":
            reachable.set()

    ami.on_event("ContactStatus", on_contact)  # before the phone registers: none is missed
    await desk.start(**phone)
    interface = f"Local/{extension}@agents-local/n"
    try:
        await asyncio.wait_for(reachable.wait(), 15)  # the first qualify answered
        await ami.send(QueueAdd(queue, interface, job_number, f"PJSIP/{extension}"))
        await ami.send(QueuePause(interface, False, queue=queue))
        yield desk
    finally:
        with contextlib.suppress(AmiActionFailed):
            await ami.send(QueueRemove(queue, interface))
        await desk.stop()


async def row_for(conn: asyncpg.Connection, caller: str, timeout: float = 15) -> CallRecord:
    async def find() -> CallRecord | None:
        linkedid = await conn.fetchval(
            "SELECT linkedid FROM calls WHERE caller_number = $1 ORDER BY entered_at DESC LIMIT 1",
            caller,
        )
        return await repo.by_linkedid(conn, linkedid) if linkedid else None

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        record = await find()
        if record is not None:
            return record
        await asyncio.sleep(0.2)
    raise AssertionError(f"no call row for {caller}")


async def cel_record(conn: asyncpg.Connection, linkedid: str, timeout: float = 15) -> CallRecord:
    # LINKEDID_END is written a moment after the hang-up, then waits in the spool for the
    # loader's next pass (every 0.5 s; seconds on a loaded box)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        record = record_from_cel(await repo.cel_rows(conn, linkedid))
        if record is not None:
            return record
        await asyncio.sleep(0.1)
    raise AssertionError(f"no complete CEL record for {linkedid}")


def assert_same_call(live: CallRecord, cel: CallRecord) -> None:
    """The CEL backfill rebuilds what the live recorder wrote (times within 50 ms), but
    the holds: CEL has no hold events, so a rebuilt call's holds are not known (None)."""
    for name in (
        *cel_fixtures.REBUILT_FIELDS,
        "outcome",
        "hung_up_first",
        "menu_path",
        "language",
    ):
        assert getattr(live, name) == getattr(cel, name), name
    assert live.holds is not None and cel.holds is None
    for name in cel_fixtures.REBUILT_TIMES:
        a, b = getattr(live, name), getattr(cel, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert abs(a - b) < timedelta(milliseconds=50), name


async def test_answered_call_where_the_caller_hangs_up_first(
    service: Service,
    empty_queue: AmiClient,
    sipp: Sipp,
    secrets: dict,
    db: asyncpg.Connection,
    settings: Settings,
    observer: EventLog,
) -> None:
    number = unique_number()
    streamed: set[str] = set()  # what Asterisk sent the service's user during the call
    empty_queue.on_event("*", lambda event: streamed.add(event.name))
    async with idle_agent(
        empty_queue, sipp, secrets, settings.queue, "1002", "2002", 5072, ring_ms=600, calls=1
    ):
        # a list action's reply is written to the session, never filtered
        reply = await empty_queue.send(QueueStatus(queue=settings.queue))
        assert [e.member_name for e in reply.events if isinstance(e, QueueMember)] == ["1002"]
        result = await sipp.call(
            settings.entry_number,
            caller=number,
            caller_name="张三丰",
            talk_ms=int(GREETING_S * 1000) + 4000,  # the greeting, ~0.6 s ring, ~3 s talk
            timeout_s=60,
        )
        # the member leg's wrap-up handler pauses the member as the call ends: waited for
        # before the member is removed (on a loaded box the removal came first)
        await observer.wait_for(
            lambda e: (
                e.name == "QueueMemberPause"
                and e.get("MemberName") == "1002"
                and e.get("PausedReason") == names.PAUSE_WRAP_UP
            ),
            timeout=10,
        )
    assert result.ok, result.output[-1500:]
    row = await row_for(db, number)
    assert row.source is Source.AMI
    assert (row.outcome, row.hung_up_first, row.agent_job_number) == (
        Outcome.ANSWERED,
        HungUp.CALLER,
        "1002",
    )
    assert row.caller_name == "张三丰"  # stored exactly, UTF-8 end to end
    assert row.entry_number == "12333" and row.queue == "12333"
    assert row.greeting_done_at is not None and row.queue_joined_at is not None
    assert abs((row.greeting_done_at - row.entered_at).total_seconds() - GREETING_S) < 0.5
    assert row.entered_at <= row.greeting_done_at <= row.queue_joined_at
    assert row.queue_joined_at <= row.agent_offered_at <= row.agent_answered_at <= row.ended_at
    assert row.ring_s is not None and 0.4 <= row.ring_s <= 3
    assert row.talk_s is not None and 2 <= row.talk_s <= 5
    assert_same_call(row, await cel_record(db, row.linkedid))
    # R4 in the dialplan: the member leg's wrap-up handler pauses the member as the call
    # ends; the desk phone that leg released does not pause it again (each pause is a
    # walk of every queue member and an AstDB write, README "Capacity")
    await observer.wait_for(
        lambda e: e.name == "QueueMemberRemoved" and e.get("MemberName") == "1002", timeout=10
    )
    paused = [
        e
        for _, e in observer.matching("QueueMemberPause", MemberName="1002")
        if e.get("PausedReason") == names.PAUSE_WRAP_UP
    ]
    assert len(paused) == 1, paused
    # the service's user was sent the events its handlers read (ami.events.STREAMED) and
    # nothing else, while the observer (every event) saw the rest of the call's
    assert {"QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete"} <= streamed
    assert {"Newchannel", "Hangup", "UserEvent", "QueueMemberPause"} <= streamed
    assert streamed <= set(STREAMED_NAMES), streamed - set(STREAMED_NAMES)
    everything = {e.name for _, e in observer.events}
    assert {"Newstate", "DeviceStateChange", "BridgeEnter", "DialBegin"} <= everything


async def test_answered_call_where_the_agent_hangs_up_first(
    service: Service,
    empty_queue: AmiClient,
    sipp: Sipp,
    secrets: dict,
    db: asyncpg.Connection,
    settings: Settings,
) -> None:
    number = unique_number()
    async with idle_agent(
        empty_queue,
        sipp,
        secrets,
        settings.queue,
        "1003",
        "2003",
        5073,
        ring_ms=300,
        calls=1,
        hang_up_after_ms=2000,
    ):
        result = await sipp.call(
            settings.entry_number, caller=number, until_far_end_hangs_up=True, timeout_s=60
        )
    assert result.ok, result.output[-1500:]
    row = await row_for(db, number)
    assert (row.outcome, row.hung_up_first, row.agent_job_number) == (
        Outcome.ANSWERED,
        HungUp.AGENT,
        "1003",
    )
    assert row.talk_s is not None and 1.5 <= row.talk_s <= 4
    assert_same_call(row, await cel_record(db, row.linkedid))


async def test_a_hold_by_the_agents_phone_lands_on_the_call_record(
    service: Service,
    empty_queue: AmiClient,
    sipp: Sipp,
    secrets: dict,
    db: asyncpg.Connection,
    settings: Settings,
    observer: EventLog,
) -> None:
    """R9: the agent's phone holds (re-INVITE sendonly) 1.5 s after answering and
    resumes 2.5 s later; the hold's start and length are on the call's row."""
    number = unique_number()
    async with idle_agent(
        empty_queue,
        sipp,
        secrets,
        settings.queue,
        "1005",
        "2005",
        5075,
        ring_ms=300,
        calls=1,
        hold_ms=(1500, 2500),
    ):
        result = await sipp.call(  # the greeting, then ~6.5 s talking: the hold inside it
            settings.entry_number,
            caller=number,
            talk_ms=int(GREETING_S * 1000) + 7000,
            timeout_s=60,
        )
    assert result.ok, result.output[-1500:]
    row = await row_for(db, number)
    assert row.source is Source.AMI and row.agent_job_number == "1005"
    assert row.holds is not None and len(row.holds) == 1, row.holds
    (hold,) = row.holds
    held = observer.matching("Hold", Linkedid=row.linkedid)
    assert held and all(e.get("Uniqueid") != row.linkedid for _, e in held)  # the agent's side
    assert row.agent_answered_at is not None
    assert 1.0 <= (hold.started_at - row.agent_answered_at).total_seconds() <= 3.0
    assert 2.0 <= hold.length_s <= 3.5
    assert (row.hold_count, row.long_holds) == (1, 0)
    assert_same_call(row, await cel_record(db, row.linkedid))


async def test_call_abandoned_during_the_greeting(
    service: Service, sipp: Sipp, db: asyncpg.Connection, settings: Settings
) -> None:
    number = unique_number()
    result = await sipp.call(settings.entry_number, caller=number, talk_ms=IN_THE_GREETING_MS)
    assert result.ok, result.output[-1500:]
    row = await row_for(db, number)
    assert (row.outcome, row.hung_up_first) == (Outcome.ABANDONED_GREETING, HungUp.CALLER)
    assert row.greeting_done_at is None and row.queue is None and row.agent_job_number is None
    assert 0.8 <= (row.ended_at - row.entered_at).total_seconds() < GREETING_S
    assert_same_call(row, await cel_record(db, row.linkedid))


async def test_call_abandoned_in_the_queue(
    service: Service,
    empty_queue: AmiClient,
    sipp: Sipp,
    db: asyncpg.Connection,
    settings: Settings,
) -> None:
    number = unique_number()
    async with waiting_member(empty_queue, settings.queue):  # a signed-in, busy agent
        result = await sipp.call(  # the greeting, then ~3 s waiting
            settings.entry_number, caller=number, talk_ms=int(GREETING_S * 1000) + 3000
        )
    assert result.ok, result.output[-1500:]
    row = await row_for(db, number)
    assert (row.outcome, row.hung_up_first) == (Outcome.ABANDONED_QUEUE, HungUp.CALLER)
    assert row.queue == "12333" and row.agent_answered_at is None
    assert row.wait_s is not None and 1.5 <= row.wait_s <= 4.5
    assert_same_call(row, await cel_record(db, row.linkedid))


async def test_calls_cut_by_an_asterisk_restart_are_nobodys_hang_up(
    service: Service,
    empty_queue: AmiClient,
    sipp: Sipp,
    secrets: dict,
    db: asyncpg.Connection,
    settings: Settings,
    sandbox: Sandbox,
    observer: EventLog,
) -> None:
    """`core restart now` with one caller talking to an agent and one in the greeting:
    both are cut by the system, live (SoftHangupRequest) and rebuilt from CEL alike."""
    talking, greeting = unique_number(), unique_number()
    async with idle_agent(
        empty_queue, sipp, secrets, settings.queue, "1004", "2004", 5074, ring_ms=300, calls=1
    ):
        callers = asyncio.create_task(
            sipp.calls(  # one SIPp (the trunk's port): the second call once the first talks
                settings.entry_number,
                [talking, greeting],
                every_ms=int(GREETING_S * 1000) + 1000,
                until_far_end_hangs_up=True,
                timeout_s=60,
            )
        )
        await observer.wait_for(
            lambda e: e.name == "AgentConnect" and e.get("CallerIDNum") == talking, 30
        )
        await observer.wait_for(
            lambda e: e.name == "Newchannel" and e.get("CallerIDNum") == greeting, 15
        )
        booted = len(observer.matching("FullyBooted"))
        await asyncio.to_thread(sandbox.asterisk.cli, "core restart now")
        result = await callers  # both callers got Asterisk's BYE
        assert result.ok, result.output[-1500:]
        assert await eventually(lambda: len(observer.matching("FullyBooted")) > booted, 60)
        assert await eventually(lambda: empty_queue.is_ready, 30)  # to remove the member
    for number, answered in ((talking, True), (greeting, False)):
        row = await row_for(db, number)
        assert row.source is Source.AMI  # the live fold saw the shutdown
        assert (row.outcome, row.hung_up_first) == (Outcome.CUT_BY_SYSTEM, HungUp.SYSTEM)
        assert (row.agent_job_number, row.agent_answered_at is not None) == (
            ("1004", True) if answered else (None, False)
        )
        assert_same_call(row, await cel_record(db, row.linkedid))


async def test_calls_made_while_the_service_is_down_are_backfilled_once(
    service_settings: Settings, sipp: Sipp, db: asyncpg.Connection, settings: Settings
) -> None:
    callers = [unique_number() for _ in range(3)]
    results = []
    for caller in callers:  # the service is not running
        results.append(
            await sipp.call(settings.entry_number, caller=caller, talk_ms=IN_THE_GREETING_MS)
        )
    assert all(r.ok for r in results)
    assert (
        await db.fetchval("SELECT count(*) FROM calls WHERE caller_number = ANY($1)", callers) == 0
    )
    ended = (  # each call's LINKEDID_END is written a moment after its hang-up
        "SELECT count(DISTINCT linkedid) FROM cel WHERE eventtype = 'LINKEDID_END'"
        " AND linkedid IN (SELECT linkedid FROM cel WHERE cid_num = ANY($1))"
    )
    assert await eventually_async(lambda: db.fetchval(ended, callers), 3, timeout=10)

    first = Service(service_settings)
    await first.start(http=False)
    try:
        assert await eventually_async(
            lambda: db.fetchval(
                "SELECT count(*) FROM calls WHERE caller_number = ANY($1)", callers
            ),
            3,
            timeout=15,
        )
    finally:
        await first.stop()
    rows = await db.fetch(
        "SELECT caller_number, source, outcome FROM calls "
        "WHERE caller_number = ANY($1) ORDER BY caller_number",
        callers,
    )
    assert [(r["caller_number"], r["source"], r["outcome"]) for r in rows] == [
        (c, "cel", "abandoned_greeting") for c in sorted(callers)
    ]

    total = await db.fetchval("SELECT count(*) FROM calls")
    second = Service(service_settings)
    await second.start(http=False)
    try:
        assert second.recorder is not None
        assert await second.recorder.backfill() == 0
    finally:
        await second.stop()
    assert await db.fetchval("SELECT count(*) FROM calls") == total


async def eventually_async(fetch: object, expected: object, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await fetch() == expected:  # type: ignore[operator]
            return True
        await asyncio.sleep(0.2)
    return False


async def test_healthz_follows_asterisk_down_and_up(service: Service, sandbox: Sandbox) -> None:
    url = f"http://127.0.0.1:{HTTP_PORT}/healthz"
    async with aiohttp.ClientSession() as http:

        async def status() -> int:
            async with http.get(url) as response:
                return response.status

        assert await status() == 200
        await asyncio.to_thread(sandbox.asterisk.stop)
        try:
            assert await eventually_async(status, 503, timeout=10)
            async with http.get(url) as response:
                assert (await response.json())["ami"] != "ready"
        finally:
            await asyncio.to_thread(sandbox.up)
        assert await eventually_async(status, 200, timeout=30)


async def test_metrics_parse_as_prometheus_text(
    service: Service, sipp: Sipp, settings: Settings
) -> None:
    number = unique_number()
    await sipp.call(settings.entry_number, caller=number, talk_ms=IN_THE_GREETING_MS)
    assert await eventually(
        lambda: service.metrics.calls.labels("abandoned_greeting")._value.get() >= 1, 10
    )
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{HTTP_PORT}/metrics") as response,
    ):
        assert response.status == 200
        text = await response.text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name in (
        "hotline_calls",
        "hotline_ami_reconnects",
        "hotline_ami_connected",
        "hotline_ami_event_lag_seconds",
        "hotline_queue_waiting_callers",
    ):
        assert name in families, name
    outcomes = {
        s.labels["outcome"]
        for s in families["hotline_calls"].samples
        if s.name == "hotline_calls_total"
    }
    assert outcomes == {o.value for o in Outcome}
    lag = families["hotline_ami_event_lag_seconds"].samples[0].value
    assert -1 < lag < 5
    # what the service asked of the real Asterisk, by action: the reconcile at log-in
    # asks each queue's members (QueueStatus) and the desk phones' states
    sent = {
        s.labels["action"]: s.value
        for s in families["hotline_ami_actions"].samples
        if s.name == "hotline_ami_actions_total"
    }
    assert sent.get("QueueStatus", 0) >= 1, sent
    assert sent.get("DeviceStateList", 0) >= 1, sent


async def test_demo_call_prints_the_journey_and_the_row(
    service_settings: Settings, sandbox: Sandbox
) -> None:
    """`hotline demo call` with the service running: the agent signs in with *11 by DTMF,
    takes the call, wraps up and signs out with *12."""
    from hotline.demo import seed
    from hotline.demo_call import demo_call

    conn = await asyncpg.connect(service_settings.database_url)
    try:
        await seed(conn, sandbox.ensure_secrets()["demo_pins"])
    finally:
        await conn.close()
    service = Service(dataclasses.replace(service_settings, wrap_up_s=2))
    await service.start()
    try:
        lines: list[str] = []
        assert await demo_call(service.settings, say=lines.append) == 0
    finally:
        await service.stop()
    text = "\n".join(lines)
    for step in (
        "dials *11",
        "agent 1001 idle (示闲)",
        "dials 12333",
        "greeting plays",
        "greeting done (SUCCESS)",
        "joins queue",
        "offered to agent 1001",
        "agent 1001 answers",
        "caller hung up first",
        "agent 1001 paused (wrap_up)",
        "row written (ami): outcome=answered agent=1001",
    ):
        assert step in text, text
