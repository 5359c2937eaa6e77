"""A real SIP call from the greeting to an idle agent and back (issue: the ground).

SIPp dials 12333 through the trunk; Asterisk plays the generated greeting; the caller
joins the queue; a demo agent signed in over AMI (added paused, then made idle)
answers on a registered SIPp desk phone; both sides hang up cleanly.

The tests' settings greet with the sandbox's 2 s stand-in (``greeting_prompt``); the
first test here switches the sandbox back to the standard's greeting and hears it in
full (R6), the one call of the suite that waits through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import wave
from collections.abc import AsyncIterator

import pytest

from ami import AmiActionFailed, AmiClient
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core import names
from core.settings import Settings
from dialplan.default_plan import PROMPT_GREETING
from tests.e2e.conftest import EventLog

AGENT_JOB_NUMBER = "1001"
AGENT_EXTENSION = "2001"
MEMBER = f"Local/{AGENT_EXTENSION}@agents-local/n"


def greeting_seconds(sandbox: Sandbox, settings: Settings, prompt: str = PROMPT_GREETING) -> float:
    """How long ``prompt`` (in the default language) plays."""
    folder = sandbox.root / settings.prompts_dir.lstrip("/") / names.PROMPT_DEFAULT_LANGUAGE
    path = folder / f"{prompt}.wav"
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        return wav.getnframes() / wav.getframerate()


@pytest.fixture
async def real_greeting(sandbox: Sandbox, settings: Settings) -> AsyncIterator[None]:
    """The sandbox's default plan greets with the standard's greeting for one test, then
    with the tests' stand-in again."""
    real = Sandbox(dataclasses.replace(settings, greeting_prompt=PROMPT_GREETING))
    await asyncio.to_thread(real.reload_plans)
    try:
        yield
    finally:
        await asyncio.to_thread(sandbox.reload_plans)


async def sign_in_idle(ami: AmiClient, queue: str) -> None:
    """Sign in the way design.md says: QueueAdd already paused, then unpause (= idle)."""
    with contextlib.suppress(AmiActionFailed):  # left over from an interrupted run
        await ami.action("QueueRemove", {"Queue": queue, "Interface": MEMBER})
    await ami.action(
        "QueueAdd",
        {
            "Queue": queue,
            "Interface": MEMBER,
            "StateInterface": f"PJSIP/{AGENT_EXTENSION}",
            "MemberName": AGENT_JOB_NUMBER,
            "Paused": "true",
            "Reason": "login",
        },
    )
    await ami.action("QueuePause", {"Queue": queue, "Interface": MEMBER, "Paused": "false"})


async def test_caller_hears_greeting_joins_queue_and_idle_agent_answers(
    sandbox: Sandbox,
    settings: Settings,
    sipp: Sipp,
    observer: EventLog,
    service_ami: AmiClient,
    secrets: dict[str, dict[str, str]],
    real_greeting: None,
) -> None:
    phone = sipp.phone(AGENT_EXTENSION, secrets["phones"][AGENT_EXTENSION], 5071, 6100)
    await phone.start(ring_ms=800, calls=1, timeout_s=90)
    try:
        await observer.wait_for(
            lambda e: (
                e.name == "ContactStatus"
                and e.get("AOR") == AGENT_EXTENSION
                and e.get("ContactStatus") == "Reachable"
            ),
            timeout=15,
        )
        await sign_in_idle(service_ami, settings.queue)
        await observer.wait_for(
            lambda e: (
                e.name == "QueueMemberPause"
                and e.get("Interface") == MEMBER
                and e.get("Paused") == "0"
            ),
            timeout=5,
        )

        caller = await sipp.call(
            settings.entry_number,
            caller="13900139000",
            talk_ms=14_000,
            trunk_port=settings.trunk_port,
            timeout_s=60,
        )
        phone_result = await phone.wait(timeout_s=20)
    finally:
        await phone.stop(unregister=True)
        await service_ami.action("QueueRemove", {"Queue": settings.queue, "Interface": MEMBER})

    assert caller.ok, caller.output[-2000:]
    assert phone_result.ok, phone_result.output[-2000:]

    # Greeting: the generated prompt was played to the end to this caller.
    entry = observer.matching("UserEvent", UserEvent="HotlineEntry")[-1][1]
    linkedid = entry.get("Linkedid")
    assert entry.get("CallerIDNum") == "13900139000"
    started = [
        t
        for t, e in observer.matching("Newexten", Linkedid=linkedid)
        if e.get("Application") == "Playback" and e.get("AppData").endswith(f"/{PROMPT_GREETING}")
    ]
    done = observer.matching("UserEvent", UserEvent="HotlineGreeting", Linkedid=linkedid)
    assert started and done, "no greeting playback seen for the call"
    assert done[0][1].get("Status") == "SUCCESS"
    played = done[0][0] - started[0]
    assert played >= greeting_seconds(sandbox, settings) - 0.5

    # Queue: the caller joined after the greeting and was offered to the idle agent only.
    joins = observer.matching("QueueCallerJoin", Linkedid=linkedid, Queue=settings.queue)
    assert joins and joins[0][0] >= done[0][0]
    called = observer.matching("AgentCalled", Linkedid=linkedid)
    assert [e.get("MemberName") for _, e in called] == [AGENT_JOB_NUMBER]
    assert observer.matching("AgentConnect", Linkedid=linkedid, MemberName=AGENT_JOB_NUMBER)

    # Both sides hung up cleanly; the caller hung up first (R10 will record this).
    complete = observer.matching("AgentComplete", Linkedid=linkedid)
    assert complete and complete[0][1].get("Reason") == "caller"
    hangups = {
        e.get("Channel").split("-")[0]: e.get("Cause")
        for _, e in observer.matching("Hangup", Linkedid=linkedid)
    }
    assert hangups.get("PJSIP/pstn") == "16"  # normal clearing
    assert hangups.get(f"PJSIP/{AGENT_EXTENSION}") == "16"
    await asyncio.sleep(0)


async def test_caller_dtmf_from_rfc2833_captures_reaches_asterisk(
    settings: Settings, sipp: Sipp, observer: EventLog
) -> None:
    """The harness's DTMF (Debian's captures, 101 telephone-event) arrives as digits."""
    result = await sipp.call(
        settings.entry_number,
        caller="13700137000",
        digits="29#",
        talk_ms=1500,
        trunk_port=settings.trunk_port,
        timeout_s=40,
    )
    assert result.ok, result.output[-2000:]
    entry = observer.matching("UserEvent", UserEvent="HotlineEntry", CallerIDNum="13700137000")
    linkedid = entry[-1][1].get("Linkedid")
    digits = [
        e.get("Digit")
        for _, e in observer.matching("DTMFEnd", Linkedid=linkedid)
        if e.get("Direction") == "Received"
    ]
    assert digits == ["2", "9", "#"]
