"""Callbacks, the Asterisk side (issue 11), with raw AMI and no service: the Originate the
dispatcher sends puts the callback into the inbound queue behind every inbound caller;
an idle agent's desk phone rings, answers, hears the case and confirms with a key; only
then is the citizen (a SIPp UAS behind the outbound trunk) called, from the entry
number. And R11a: the agent's escalation key during an answered call (features.conf's
applicationmap) emits an event without disturbing the call.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import wave
from collections.abc import Callable

import asyncpg

from ami import AmiClient
from ami.actions import QueuePause
from ami.events import Event
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import DeskPhone, Sipp
from callback.attempts import recorded_result, taken_by
from callback.model import AttemptResult as R
from callback.results import attempt_result
from calls import repo as calls_repo
from calls.cel import CelRow
from core import names
from core.settings import Settings
from dialplan.publish import AsteriskPublisher
from tests.e2e.agents import keyed_call, waiting_member
from tests.e2e.conftest import EventLog
from tests.e2e.telephony import (
    ANNOUNCE_PROMPTS,
    ensure_test_prompts,
    originate_into_queue,
    publish_keep_place_plan,
)
from tests.e2e.test_call_records import empty_queue, idle_agent  # noqa: F401 - a fixture
from tests.e2e.test_dialplan_publish import publisher  # noqa: F401 - a fixture
from tests.e2e.test_outbound_trunk import department

JOB, EXT, PORT = "1007", "2007", 5077
CALLER_EXT, CALLER_PORT = "2010", 5080
CITIZEN = "13800138000"
DEPARTMENT_LOG = "var/lib/hotline/sipp/department.log"
_PENDING: set[asyncio.Future[object]] = set()


def phone_keys(sipp: Sipp, digits: str, *, after_ms: int, talk_ms: int) -> str:
    """A desk phone scenario: answer, key ``digits`` ``after_ms`` later, talk ``talk_ms``
    more, hang up."""
    text = (
        sipp.scenario_text("phone-key.xml")
        .replace('milliseconds="KEY_AFTER_MS"', f'milliseconds="{after_ms}"')
        .replace('milliseconds="TALK_MS"', f'milliseconds="{talk_ms}"')
    )
    return sipp.with_digits(
        sipp.write_scenario(f"phone-key-{after_ms}-{talk_ms}.xml", text), digits
    )


async def originate_callback(
    ami: AmiClient, settings: Settings, attempt: str, number: str, **variables: str
) -> None:
    """What the dispatcher sends for one attempt (the report's Originate). The reply
    (panoramisk waits for OriginateResponse) comes only once an agent answered, or the
    attempt failed: sent, not awaited."""
    pairs = {names.CALLBACK_ATTEMPT_VAR: attempt, names.CALLBACK_NUMBER_VAR: number, **variables}
    sent = ami.action(
        "Originate",
        {
            "Channel": names.CALLBACK_CHANNEL,
            "Context": names.CALLBACK_AGENT,
            "Exten": "s",
            "Priority": "1",
            "ChannelId": attempt,
            "OtherChannelId": f"{attempt}-q",
            "CallerID": f'"回访" <{settings.entry_number}>',
            "Timeout": "30000",
            "Async": "true",
            "Variable": [f"{k}={v}" for k, v in pairs.items()],
        },
        timeout=60,
    )
    task = asyncio.ensure_future(sent)
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)
    task.add_done_callback(lambda t: t.cancelled() or t.exception())


def step(attempt: str, word: str) -> Callable[[Event], bool]:
    def matches(event: Event) -> bool:
        return (
            event.name == "UserEvent"
            and event.get("UserEvent") == names.EVENT_CALLBACK
            and event.get("Attempt") == attempt
            and event.get("Step") == word
        )

    return matches


def steps(observer: EventLog, attempt: str) -> list[Event]:
    return [e for _, e in observer.events if step(attempt, e.get("Step"))(e)]


async def recorded(database_url: str, attempt: str, timeout: float = 5.0) -> list[CelRow]:
    """The attempt's CEL rows where Asterisk writes them, once its last channel ended."""
    conn = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            rows = await calls_repo.cel_rows(conn, attempt)
            if any(r.eventtype == "LINKEDID_END" for r in rows) or time.monotonic() > deadline:
                return rows
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def test_the_agent_confirms_and_the_citizen_is_called_from_the_entry_number(
    sandbox: Sandbox,
    empty_queue: AmiClient,  # noqa: F811
    sipp: Sipp,
    secrets: dict,
    settings: Settings,
    observer: EventLog,
    database_url: str,
) -> None:
    attempt = str(uuid.uuid4())
    scenario = phone_keys(sipp, names.CALLBACK_CONFIRM_KEY, after_ms=800, talk_ms=2500)
    async with (
        idle_agent(empty_queue, sipp, secrets, settings.queue, JOB, EXT, PORT, scenario=scenario),
        department(sipp, settings) as citizen,
    ):
        await originate_callback(empty_queue, settings, attempt, CITIZEN)
        result = await observer.wait_for(step(attempt, names.CALLBACK_STEP_RESULT), 30)
        uas = await asyncio.wait_for(citizen, 30)
    assert uas.ok, uas.output[-1500:]
    log = (sandbox.root / DEPARTMENT_LOG).read_text()
    assert f"From user sip:{settings.entry_number}@" in log
    words = [(e.get("Step"), e.get("Agent"), e.get("By")) for e in steps(observer, attempt)]
    assert words == [
        (names.CALLBACK_STEP_AGENT, JOB, ""),
        (names.CALLBACK_STEP_CONFIRMED, "", "key"),
        (names.CALLBACK_STEP_RESULT, JOB, ""),  # the agent again, for an adopter
    ]
    assert result.get("DialStatus") == "ANSWER"
    # Asterisk's own record (CEL) says whom it reached and which agent took it: what a
    # crashed dispatcher's successor reads when the attempt ended while no service listened
    rows = await recorded(database_url, attempt)
    assert (recorded_result(rows, attempt_result), taken_by(rows)) == (R.ANSWERED, JOB)
    # the agent's leg went through the same member, so wrap-up follows as after any call
    await observer.wait_for(
        lambda e: (
            e.name == "QueueMemberPause"
            and e.get("MemberName") == JOB
            and e.get("Paused") == "1"
            and e.get("PausedReason") == names.PAUSE_WRAP_UP
        ),
        10,
    )


async def test_without_the_agents_confirmation_the_citizen_is_never_called(
    empty_queue: AmiClient,  # noqa: F811
    sipp: Sipp,
    secrets: dict,
    settings: Settings,
    observer: EventLog,
    database_url: str,
) -> None:
    attempt = str(uuid.uuid4())
    async with (
        idle_agent(empty_queue, sipp, secrets, settings.queue, JOB, EXT, PORT),
        department(sipp, settings, timeout_s=4) as citizen,
    ):
        await originate_callback(
            empty_queue, settings, attempt, CITIZEN, **{names.CALLBACK_CONFIRM_S_VAR: "1"}
        )
        result = await observer.wait_for(step(attempt, names.CALLBACK_STEP_RESULT), 30)
        uas = await citizen
    assert result.get("DialStatus") == names.CALLBACK_NOT_CONFIRMED
    assert [e.get("Step") for e in steps(observer, attempt)] == [
        names.CALLBACK_STEP_AGENT,
        names.CALLBACK_STEP_RESULT,
    ]
    assert uas.successful == 0
    assert not [
        e
        for _, e in observer.events
        if e.name == "Newchannel" and names.OUTBOUND_TRUNK in e.get("Channel")
    ]
    # and CEL tells it the same way: not confirmed (never counted against the citizen)
    rows = await recorded(database_url, attempt)
    assert (recorded_result(rows, attempt_result), taken_by(rows)) == (R.NOT_CONFIRMED, JOB)


async def test_an_inbound_caller_is_offered_before_a_callback(
    sandbox: Sandbox,
    empty_queue: AmiClient,  # noqa: F811
    sipp: Sipp,
    secrets: dict,
    settings: Settings,
    observer: EventLog,
) -> None:
    attempt = str(uuid.uuid4())
    interface = names.member_interface(EXT)
    caller = sipp.phone(CALLER_EXT, secrets["phones"][CALLER_EXT], CALLER_PORT, CALLER_PORT + 1000)
    await caller.start(ring_ms=100)
    try:
        async with idle_agent(empty_queue, sipp, secrets, settings.queue, JOB, EXT, PORT):
            await empty_queue.send(QueuePause(interface, True, queue=settings.queue))
            # the callback waits first; then an inbound caller comes
            await originate_callback(empty_queue, settings, attempt, CITIZEN)
            cb_join = await observer.wait_for(
                lambda e: e.name == "QueueCallerJoin" and e.get("Linkedid") == attempt, 10
            )
            await originate_into_queue(empty_queue, CALLER_EXT, settings.queue, {})
            in_join = await observer.wait_for(
                lambda e: e.name == "QueueCallerJoin" and e.get("CallerIDNum") == CALLER_EXT, 10
            )
            await empty_queue.send(QueuePause(interface, False, queue=settings.queue))
            offered = await observer.wait_for(lambda e: e.name == "AgentCalled", 10)
    finally:
        sandbox.asterisk.cli("channel request hangup all")
        await caller.stop()
    assert cb_join.get("Channel").startswith(f"Local/s@{names.CALLBACK_QUEUE}-")
    # app_queue put the later inbound caller ahead of the callback (QUEUE_PRIO < 0)
    assert (cb_join.get("Position"), in_join.get("Position")) == ("1", "1")
    assert offered.get("CallerIDNum") == CALLER_EXT
    assert offered.get("Linkedid") != attempt


def _announcement_s(sandbox: Sandbox, settings: Settings) -> float:
    """How long R8's announcement of ``JOB`` lasts (the desk phone waits it out)."""
    folder = sandbox.root / settings.prompts_dir.lstrip("/") / names.PROMPT_DEFAULT_LANGUAGE
    parts = [names.PROMPT_HELLO, *(f"{names.PROMPT_DIGIT_PREFIX}{d}" for d in JOB)]
    total = 0.0
    for name in [*parts, names.PROMPT_AGENT_SERVING]:
        with wave.open(str(folder / f"{name}.wav")) as wav:
            total += wav.getnframes() / wav.getframerate()
    return total


async def test_the_escalation_key_during_a_call_reports_the_call_and_keeps_it(
    sandbox: Sandbox,
    empty_queue: AmiClient,  # noqa: F811
    sipp: Sipp,
    secrets: dict,
    settings: Settings,
    observer: EventLog,
) -> None:
    ensure_test_prompts(sandbox.root, settings.prompts_dir, "zh", ANNOUNCE_PROMPTS)
    # R8 plays first (the desk phone is bridged back in after it): key after that
    after_ms = int((_announcement_s(sandbox, settings) + 1.5) * 1000)
    scenario = phone_keys(sipp, settings.feature_escalate_in_call, after_ms=after_ms, talk_ms=1500)
    caller: DeskPhone = sipp.phone(
        CALLER_EXT, secrets["phones"][CALLER_EXT], CALLER_PORT, CALLER_PORT + 1000
    )
    await caller.start(ring_ms=100)
    try:
        async with idle_agent(
            empty_queue, sipp, secrets, settings.queue, JOB, EXT, PORT, scenario=scenario
        ):
            await originate_into_queue(empty_queue, CALLER_EXT, settings.queue, {})
            join = await observer.wait_for(
                lambda e: e.name == "QueueCallerJoin" and e.get("CallerIDNum") == CALLER_EXT, 10
            )
            escalated = await observer.wait_for(
                lambda e: e.name == "UserEvent" and e.get("UserEvent") == names.EVENT_ESCALATE,
                after_ms / 1000 + 15,
            )
            done = await observer.wait_for(
                lambda e: e.name == "AgentComplete" and e.get("Linkedid") == join.get("Linkedid"),
                15,
            )
    finally:
        sandbox.asterisk.cli("channel request hangup all")
        await caller.stop()
    assert escalated.get("When") == names.ESCALATE_DURING
    assert escalated.get("Endpoint") == EXT
    assert escalated.get("Linkedid") == join.get("Linkedid")
    assert escalated.get("Channel").startswith(f"PJSIP/{EXT}-")
    # the call went on: the agent hung up (its scenario's BYE), not the feature
    assert done.get("Reason") == "agent"
    assert float(done.get("TalkTime")) >= after_ms / 1000 - 1


async def test_the_agent_confirms_through_the_api_by_a_variable_on_the_attempt(
    empty_queue: AmiClient,  # noqa: F811
    sipp: Sipp,
    secrets: dict,
    settings: Settings,
    observer: EventLog,
) -> None:
    attempt = str(uuid.uuid4())
    async with (
        idle_agent(
            empty_queue, sipp, secrets, settings.queue, JOB, EXT, PORT, hang_up_after_ms=6000
        ),
        department(sipp, settings) as citizen,
    ):
        await originate_callback(empty_queue, settings, attempt, CITIZEN)
        await observer.wait_for(step(attempt, names.CALLBACK_STEP_AGENT), 15)
        # the service's confirm: Setvar on the attempt's channel, named by its ChannelId
        await empty_queue.action(
            "Setvar",
            {"Channel": attempt, "Variable": names.CALLBACK_CONFIRMED_VAR, "Value": "1"},
        )
        confirmed = await observer.wait_for(step(attempt, names.CALLBACK_STEP_CONFIRMED), 10)
        result = await observer.wait_for(step(attempt, names.CALLBACK_STEP_RESULT), 20)
        uas = await asyncio.wait_for(citizen, 30)
    assert uas.ok, uas.output[-1500:]
    assert confirmed.get("By") == "api"
    assert (result.get("DialStatus"), result.get("Cause")) == ("ANSWER", "16")


async def test_keep_your_place_reports_the_join_time_and_reads_the_number_back(
    settings: Settings,
    sipp: Sipp,
    observer: EventLog,
    service_ami: AmiClient,
    publisher: AsteriskPublisher,  # noqa: F811
) -> None:
    await publish_keep_place_plan(publisher, settings, 911)
    number = "13900911001"
    before = time.time()
    async with waiting_member(service_ami, settings.queue):
        # the first key may come before the caller is queued: the second one counts then
        result = await keyed_call(sipp, settings, number, "11", timeout_s=40)
    assert result.ok, result.output[-2000:]
    kept = observer.matching("UserEvent", UserEvent=names.EVENT_KEEP_PLACE, CallerIDNum=number)
    assert len(kept) == 1
    event = kept[0][1]
    assert event.get("Number") == number
    assert event.get("Queue") == settings.queue
    assert before - 1 <= int(event.get("JoinedAt")) <= time.time()
    read_back = [
        e.get("AppData").rsplit("/", 1)[-1]
        for _, e in observer.events
        if e.name == "Newexten"
        and e.get("Linkedid") == event.get("Linkedid")
        and e.get("Application") == "Playback"
        and e.get("Context") == names.KEEP_PLACE_CONFIRM
    ]
    assert read_back == [
        names.PROMPT_KEEP_PLACE,
        *(f"{names.PROMPT_DIGIT_PREFIX}{d}" for d in number),
    ]
