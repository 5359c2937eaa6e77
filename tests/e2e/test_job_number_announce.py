"""R8 工号播报: when an agent answers, the *caller* hears 「您好,[新年好,]××号咨询员为您服务,
请讲。」 — the job number app_queue knows the member by, digit by digit.

The caller is a desk-phone endpoint that AMI puts into the queue with the channel
variables a compiled plan sets (language, holiday, announce flag). The proof is in
Asterisk's events: the Playback runs on the member's Local;2 (what it plays comes out
of Local;1, which app_queue has bridged to the caller), after AgentConnect and before
the desk phone is bridged back in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ami import AmiClient
from ami.events import Event
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import DeskPhone, Sipp
from core import names
from core.settings import Settings
from tests.e2e.conftest import EventLog
from tests.e2e.telephony import ANNOUNCE_PROMPTS, empty, ensure_test_prompts, originate_into_queue
from tests.e2e.test_call_records import idle_agent

AGENT_JOB, AGENT_EXT, AGENT_PORT = "1009", "2009", 5079
CALLER_EXT, CALLER_PORT = "2010", 5080
HOLIDAY = "spring_festival"


@pytest.fixture
async def caller_phone(sandbox: Sandbox, sipp: Sipp, secrets: dict) -> AsyncIterator[DeskPhone]:
    phone = sipp.phone(CALLER_EXT, secrets["phones"][CALLER_EXT], CALLER_PORT, CALLER_PORT + 1000)
    await phone.start(ring_ms=100)
    yield phone
    # the test's call is still up: hung up first, SIPp quits at once (not after 5 s)
    sandbox.asterisk.cli("channel request hangup all")
    await phone.stop()


@pytest.fixture
def prompts(sandbox: Sandbox, settings: Settings) -> str:
    """The language folder, with R8's prompts (test tones where none was generated)."""
    wish = f"{names.PROMPT_WISH_PREFIX}{HOLIDAY}"
    ensure_test_prompts(sandbox.root, settings.prompts_dir, "zh", (*ANNOUNCE_PROMPTS, wish))
    return f"{settings.prompts_dir}/zh"


def on_member_leg(event: Event, half: str) -> bool:
    channel = event.get("Channel") or ""
    return channel.startswith(f"Local/{AGENT_EXT}@{names.AGENTS_LOCAL}-") and channel.endswith(half)


async def answered_call(
    observer: EventLog,
    service_ami: AmiClient,
    sipp: Sipp,
    secrets: dict,
    settings: Settings,
    variables: dict[str, str],
) -> tuple[Event, int]:
    """Queue a call for agent 1009; the desk phone's BridgeEnter and where the events of
    this call start in the log."""
    await empty(service_ami, settings.queue)
    start = len(observer.events)
    async with idle_agent(
        service_ami, sipp, secrets, settings.queue, AGENT_JOB, AGENT_EXT, AGENT_PORT, ring_ms=300
    ):
        await originate_into_queue(service_ami, CALLER_EXT, settings.queue, variables)
        desk_bridged = await observer.wait_for(
            lambda e: (
                e.name == "BridgeEnter"
                and (e.get("Channel") or "").startswith(f"PJSIP/{AGENT_EXT}-")
            ),
            timeout=30,
        )
    return desk_bridged, start


def playbacks_on_member_leg(observer: EventLog, start: int) -> list[str]:
    """What the member leg played, joined as one ``&`` list (it plays prompt by prompt)."""
    played = [
        e.get("AppData") or ""
        for _, e in observer.events[start:]
        if e.name == "Newexten" and e.get("Application") == "Playback" and on_member_leg(e, ";2")
    ]
    return ["&".join(played)] if played else []


def expected(folder: str, *middle: str) -> str:
    files = [names.PROMPT_HELLO, *middle]
    files += [f"{names.PROMPT_DIGIT_PREFIX}{d}" for d in AGENT_JOB]
    files.append(names.PROMPT_AGENT_SERVING)
    return "&".join(f"{folder}/{f}" for f in files)


async def test_the_caller_hears_the_holiday_wish_and_the_job_number(
    observer: EventLog,
    service_ami: AmiClient,
    sipp: Sipp,
    secrets: dict,
    settings: Settings,
    caller_phone: DeskPhone,
    prompts: str,
) -> None:
    variables = {names.LANGUAGE_VAR: "zh", names.HOLIDAY_VAR: HOLIDAY}
    await answered_call(observer, service_ami, sipp, secrets, settings, variables)
    events = [e for _, e in observer.events]
    [played] = playbacks_on_member_leg(observer, 0)
    assert played == expected(prompts, f"{names.PROMPT_WISH_PREFIX}{HOLIDAY}")
    # the member leg's other half is bridged to the caller before the announcement plays
    play_at = next(
        i
        for i, e in enumerate(events)
        if e.name == "Newexten" and e.get("Application") == "Playback" and on_member_leg(e, ";2")
    )
    bridges = {
        e.get("Channel"): e.get("BridgeUniqueid")
        for e in events[:play_at]
        if e.name == "BridgeEnter"
    }
    caller = next(c for c in bridges if c and c.startswith(f"PJSIP/{CALLER_EXT}-"))
    member_half = next(c for c in bridges if c and c.startswith(f"Local/{AGENT_EXT}@"))
    assert member_half.endswith(";1")
    assert bridges[caller] == bridges[member_half]
    assert any(
        e.name == "AgentConnect" and e.get("MemberName") == AGENT_JOB for e in events[:play_at]
    )


async def test_on_other_days_no_wish_and_mandarin_by_default(
    observer: EventLog,
    service_ami: AmiClient,
    sipp: Sipp,
    secrets: dict,
    settings: Settings,
    caller_phone: DeskPhone,
    prompts: str,
) -> None:
    _, start = await answered_call(observer, service_ami, sipp, secrets, settings, {})
    assert playbacks_on_member_leg(observer, start) == [expected(prompts)]


async def test_a_plan_can_turn_the_announcement_off(
    observer: EventLog,
    service_ami: AmiClient,
    sipp: Sipp,
    secrets: dict,
    settings: Settings,
    caller_phone: DeskPhone,
    prompts: str,
) -> None:
    variables = {f"__{names.ANNOUNCE_VAR}": "0"}
    _, start = await answered_call(observer, service_ami, sipp, secrets, settings, variables)
    assert playbacks_on_member_leg(observer, start) == []
    assert not any(
        e.name == "Newexten" and e.get("Context") == names.CONNECT
        for _, e in observer.events[start:]
    )
