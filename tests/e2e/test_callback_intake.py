"""Callback intake end to end (issue 11): the real service (``hotline.serve.Service``)
against the sandbox's Asterisk and PostgreSQL, SIPp callers and desk phones; each path
makes exactly one callback.

- a voicemail left while the service is stopped is taken in from the spool when it
  starts, once (a second start adds none);
- the agent's escalation key during a call (R11a) makes a callback owned by that agent,
  with the caller's number and the call;
- keep-your-place from the queue makes a callback whose priority is the caller's
  original join time.

Dispatch is held back (``callback_max_waiting = 0``): these tests are about intake, and
a callback offered to the agent at once would ring the desk phone mid-test.
"""

from __future__ import annotations

import asyncio
import subprocess
import wave
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from agent_state.model import Source
from ami import AmiClient
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import DTMF_MARKER, Sipp, SippResult
from core import names
from core.settings import Settings
from dialplan.publish import AsteriskPublisher
from tests.e2e.agents import (
    PIN,
    make_roster,
    phones,
    running_service,
    service_settings,
    waiting_member,
)
from tests.e2e.conftest import EventLog
from tests.e2e.telephony import ANNOUNCE_PROMPTS, ensure_test_prompts, publish_keep_place_plan
from tests.e2e.test_call_records import unique_number
from tests.e2e.test_callback_dialplan import phone_keys
from tests.e2e.test_dialplan_publish import publisher  # noqa: F401 - a fixture

HTTP_PORT = 18087
JOB, EXT = "1007", "2007"  # make_roster and phones() put agent 1007 at desk phone 2007
CALLER_EXT, CALLER_PORT = "2010", 5080
TALK = "/var/lib/hotline/sipp/talk-short.alaw"  # inside the root: A-law, raw
TALK_S = 2  # the message's length: voicemail.conf keeps one of minsecs (1 s) or more


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    await make_roster(fresh_db, {JOB: 0})
    yield service_settings(
        settings,
        sandbox,
        fresh_db,
        HTTP_PORT,
        callback_max_waiting=0,  # intake only: nothing is dispatched
        voicemail_spool_dir=Settings().voicemail_spool_dir,  # the sandbox's own
    )


SELECT_CALLBACKS = """
SELECT c.id, c.kind, c.state, c.number, c.owner, c.priority_at,
       r.kind AS reason, r.msg_id, r.linkedid, r.queue_joined_at
FROM callbacks c JOIN callback_reasons r ON r.callback_id = c.id
WHERE ($1::text IS NULL OR r.msg_id = $1)
  AND ($2::text IS NULL OR c.number = $2)
  AND ($3::text IS NULL OR c.kind = $3)
ORDER BY c.created_at, r.id
"""


async def callbacks_of(
    url: str, *, msg_id: str | None = None, number: str | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """Callbacks with their reasons (kind, msg_id, linkedid, queue_joined_at) joined."""
    conn = await asyncpg.connect(url)
    try:
        return [dict(r) for r in await conn.fetch(SELECT_CALLBACKS, msg_id, number, kind)]
    finally:
        await conn.close()


async def first_callbacks(url: str, timeout: float = 10, **where: str) -> list[dict[str, Any]]:
    """Until some callback matches (polled): what matched."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (rows := await callbacks_of(url, **where)):
        if loop.time() > deadline:
            raise AssertionError(f"no callback with {where}")
        await asyncio.sleep(0.1)
    return rows


# ---- voicemail left while the service is down ----------------------------------------------


def short_talker(sandbox: Sandbox, sipp: Sipp) -> str:
    """A phone that answers, speaks (an RTP A-law tone) ``TALK_S`` seconds, hangs up."""
    synth = ["sox", "-n", "-r", "8000", "-c", "1", "-t", "al", TALK, "synth", str(TALK_S)]
    subprocess.run(["chroot", str(sandbox.root), *synth, "sine", "300"], check=True, timeout=30)
    text = sipp.scenario_text("phone-hangup.xml")
    text = text.replace(
        '<recv request="ACK" crlf="true"/>',
        '<recv request="ACK" crlf="true"/>\n'
        f'  <nop><action><exec rtp_stream="{TALK},1,8"/></action></nop>',
    ).replace('milliseconds="TALK_MS"', f'milliseconds="{TALK_S * 1000 + 500}"')
    return sipp.write_scenario("phone-talk-short.xml", text)


def msg_id_of(sandbox: Sandbox, msg: str) -> str:
    txt = (sandbox.root / (msg.lstrip("/") + ".txt")).read_text()
    return next(line.split("=", 1)[1] for line in txt.splitlines() if line.startswith("msg_id="))


async def test_a_voicemail_left_while_the_service_was_down_is_taken_in_once(
    sandbox: Sandbox,
    sipp: Sipp,
    secrets: dict,
    observer: EventLog,
    service_ami: AmiClient,
    base: Settings,
) -> None:
    number = unique_number()
    caller = sipp.phone(CALLER_EXT, secrets["phones"][CALLER_EXT], CALLER_PORT, CALLER_PORT + 1000)
    await caller.start(ring_ms=100, scenario=short_talker(sandbox, sipp))
    try:
        # no service runs: the caller reaches the dial plan's voicemail and leaves a message
        await service_ami.action(
            "Originate",
            {
                "Channel": f"PJSIP/{CALLER_EXT}",
                "Context": names.VOICEMAIL,
                "Exten": "s",
                "Priority": "1",
                "CallerID": f"<{number}>",
                "Async": "true",
            },
        )
        left = await observer.wait_for(
            lambda e: (
                e.name == "UserEvent"
                and e.get("UserEvent") == names.EVENT_VOICEMAIL
                and e.get("CallerID") == number
            ),
            timeout=20,
        )
    finally:
        await caller.stop()
    assert left.get("Status") == "SUCCESS"
    msg_id = msg_id_of(sandbox, left.get("Msg"))
    assert await callbacks_of(base.database_url, msg_id=msg_id) == []

    async with running_service(base):
        rows = await first_callbacks(base.database_url, msg_id=msg_id)
    async with running_service(base):
        again = await callbacks_of(base.database_url, number=number)
    assert [(r["kind"], r["reason"], r["number"], r["owner"]) for r in rows] == [
        ("voicemail", "voicemail", number, None)
    ]
    assert again == rows  # the second start took nothing in twice


# ---- escalation by the desk phone's key during a call ----------------------------------


def announcement_s(sandbox: Sandbox, settings: Settings, job: str) -> float:
    """How long R8's announcement of ``job`` lasts (the desk phone waits it out)."""
    folder = sandbox.root / settings.prompts_dir.lstrip("/") / names.PROMPT_DEFAULT_LANGUAGE
    parts = [names.PROMPT_HELLO, *(f"{names.PROMPT_DIGIT_PREFIX}{d}" for d in job)]
    total = 0.0
    for name in [*parts, names.PROMPT_AGENT_SERVING]:
        with wave.open(str(folder / f"{name}.wav")) as w:
            total += w.getnframes() / w.getframerate()
    return total


async def test_the_escalation_key_during_a_call_makes_a_callback_owned_by_the_agent(
    sandbox: Sandbox,
    sipp: Sipp,
    secrets: dict,
    observer: EventLog,
    service_ami: AmiClient,
    base: Settings,
) -> None:
    ensure_test_prompts(sandbox.root, base.prompts_dir, "zh", ANNOUNCE_PROMPTS)
    after_ms = int((announcement_s(sandbox, base, JOB) + 1.5) * 1000)
    keys = phone_keys(sipp, base.feature_escalate_in_call, after_ms=after_ms, talk_ms=1000)
    number = unique_number()
    caller = sipp.phone(CALLER_EXT, secrets["phones"][CALLER_EXT], CALLER_PORT, CALLER_PORT + 1000)
    await caller.start(ring_ms=100)
    try:
        async with (
            phones(sipp, secrets, [JOB], ring_ms=100, calls=1, scenario=keys),
            running_service(base) as service,
        ):
            assert service.agents is not None
            await service.agents.sign_in(JOB, PIN, source=Source.WEB)
            # a caller waiting in the queue (no greeting: the shortest path to the agent)
            await service_ami.action(
                "Originate",
                {
                    "Channel": f"PJSIP/{CALLER_EXT}",
                    "Application": "Queue",
                    "Data": base.queue,
                    "CallerID": f"<{number}>",
                    "Async": "true",
                    "Timeout": "10000",
                },
            )
            join = await observer.wait_for(
                lambda e: e.name == "QueueCallerJoin" and e.get("CallerIDNum") == number, 10
            )
            await observer.wait_for(
                lambda e: e.name == "UserEvent" and e.get("UserEvent") == names.EVENT_ESCALATE,
                after_ms / 1000 + 15,
            )
            rows = await first_callbacks(base.database_url, kind="escalation")
    finally:
        sandbox.asterisk.cli("channel request hangup all")
        await caller.stop()
    assert [(r["reason"], r["owner"], r["number"], r["linkedid"]) for r in rows] == [
        ("escalation", JOB, number, join.get("Linkedid"))
    ]


# ---- keep your place from the queue -----------------------------------------------------


async def keep_place_call(
    sipp: Sipp, settings: Settings, caller: str, digit: str, *, wait_ms: int
) -> SippResult:
    """A caller from the trunk dials the entry number, waits ``wait_ms`` in the queue,
    keys ``digit`` and hangs up 1.5 s later, while the number is being read back."""
    text = sipp.scenario_text("caller.xml").replace(
        DTMF_MARKER, f'<pause milliseconds="{wait_ms}"/>\n  {DTMF_MARKER}'
    )
    scenario = sipp.with_digits(sipp.write_scenario(f"caller-wait-{wait_ms}.xml", text), digit)
    argv = sipp.argv(
        scenario,
        settings.trunk_port,
        6000,
        *("-s", settings.entry_number, "-m", "1", "-d", "1500"),
        *("-key", "caller", caller, "-key", "caller_name", ""),
        timeout_s=30,
    )
    return await sipp.run(argv, 40)


async def test_keep_your_place_makes_a_callback_with_the_original_join_time(
    sipp: Sipp,
    observer: EventLog,
    service_ami: AmiClient,
    publisher: AsteriskPublisher,  # noqa: F811
    base: Settings,
) -> None:
    await publish_keep_place_plan(publisher, base, 912)
    number = unique_number()
    async with running_service(base), waiting_member(service_ami, base.queue):
        # the caller waits 3 s in the queue before keying: the join time is not the key's
        result = await keep_place_call(sipp, base, number, "1", wait_ms=3000)
        rows = await first_callbacks(base.database_url, number=number)
    assert result.ok, result.output[-2000:]
    join = await observer.wait_for(
        lambda e: e.name == "QueueCallerJoin" and e.get("CallerIDNum") == number, 1
    )
    joined_at = datetime.fromtimestamp(join.timestamp, UTC)
    assert [(r["kind"], r["reason"], r["owner"]) for r in rows] == [
        ("keep_place", "keep_place", None)
    ]
    assert rows[0]["linkedid"] == join.get("Linkedid")
    assert abs((rows[0]["priority_at"] - joined_at).total_seconds()) <= 1
    assert rows[0]["queue_joined_at"] == rows[0]["priority_at"]
