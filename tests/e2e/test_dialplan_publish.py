"""Publishing dial plans to the real Asterisk (issue 10): SIPp callers keying RFC 2833
DTMF land in the node their keys chose, in the version they started in; a reload
Asterisk does not take is rolled back; a publish drops no caller mid-menu.
"""

from __future__ import annotations

import asyncio
import dataclasses
import struct
import time
import wave
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ami import AmiClient
from asterisk_conf.sandbox.sandbox import PUBLISH_USER, Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core import names
from core.settings import Settings
from dialplan.compiler import (
    CompileOptions,
    compile_calendar,
    compile_entry,
    compile_plan,
)
from dialplan.model import Plan
from dialplan.plan_json import parse_plan
from dialplan.publish import AsteriskPublisher, PublishFailed, read_folder, write_folder
from tests.e2e.agents import keyed_call, waiting_member
from tests.e2e.conftest import EventLog

PROMPTS = ("t-lang", "t-main", "t-sub", "t-hold", "t-bye", "t-closed")


def menus_plan(entry: str, queue: str) -> Plan:
    """A language choice, then a two-level menu, then the queue."""

    def menu(ident: str, choices: dict[str, str], after: str) -> dict[str, Any]:
        return {
            "kind": "menu",
            "id": ident,
            "prompt": f"t-{ident}",
            "choices": choices,
            "after_retries": after,
            "timeout_s": 4,
            "retries": 1,
        }

    def waiting(ident: str) -> dict[str, Any]:
        return {
            "kind": "queue",
            "id": ident,
            "queue": queue,
            "when_nobody": "closed",
            "max_wait_s": 5,
            "on_max_wait": "bye",
        }

    return parse_plan(
        {
            "entry_numbers": [entry],
            "start": "lang",
            "nodes": [
                menu("lang", {"1": "set_zh", "2": "set_ug"}, "set_zh"),
                {"kind": "language", "id": "set_zh", "language": "zh", "next": "main"},
                {"kind": "language", "id": "set_ug", "language": "ug", "next": "main"},
                menu("main", {"1": "sub", "2": "q_main"}, "bye"),
                menu("sub", {"1": "q_sub", "2": "bye"}, "bye"),
                waiting("q_main"),
                waiting("q_sub"),
                {"kind": "hang_up", "id": "closed", "prompt": "t-closed"},
                {"kind": "hang_up", "id": "bye", "prompt": "t-bye"},
            ],
        }
    )


def hold_plan(entry: str, start: str) -> Plan:
    """Callers wait in one menu (no keys), then go on to ``after``, which hangs up."""
    return parse_plan(
        {
            "entry_numbers": [entry],
            "start": start,
            "nodes": [
                {
                    "kind": "menu",
                    "id": start,
                    "prompt": "t-hold",
                    "choices": {"9": "after"},
                    "after_retries": "after",
                    "timeout_s": 6,
                    "retries": 1,
                },
                {"kind": "hang_up", "id": "after", "prompt": "t-bye"},
            ],
        }
    )


def write_silence(path: Any, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(struct.pack("<h", 0) * int(8000 * seconds))


@pytest.fixture
async def publisher(
    sandbox: Sandbox, settings: Settings, secrets: dict[str, str]
) -> AsyncIterator[AsteriskPublisher]:
    """The publisher as the service runs it (the hotline-publish AMI user); afterwards
    the sandbox's own plan files are put back and reloaded."""
    for language in ("zh", "ug"):
        for prompt in PROMPTS:
            # the after-hours message outlasts the keys the caller is still sending
            seconds = 2.0 if prompt == "t-closed" else 0.2
            folder = sandbox.root / settings.prompts_dir.lstrip("/") / language
            write_silence(folder / f"{prompt}.wav", seconds)
    before = read_folder(sandbox.plans_dir)
    ami = AmiClient(settings.ami_host, settings.ami_port, PUBLISH_USER, secrets["ami_publish"])
    await ami.start()
    try:
        yield AsteriskPublisher(ami, sandbox.plans_dir)
    finally:
        write_folder(sandbox.plans_dir, before)
        await ami.command("dialplan reload")
        await ami.close()


async def publish(
    publisher: AsteriskPublisher, settings: Settings, live: list[tuple[Plan, int]]
) -> None:
    options = CompileOptions(settings.prompts_dir, settings.timezone)
    compiled = [compile_plan(plan, version, options) for plan, version in live]
    entry = compile_entry(dict.fromkeys(live[0][0].entry_numbers, live[0][1]), options)
    await publisher.publish(compiled, entry, compile_calendar(()))


def path_of(observer: EventLog, caller: str) -> list[tuple[str, str, str]]:
    """(version, node, language) of each node a caller went through, in order."""
    entry = observer.matching("UserEvent", UserEvent=names.EVENT_ENTRY, CallerIDNum=caller)
    linkedid = entry[-1][1].get("Linkedid")
    return [
        (e.get("Version"), e.get("Node"), e.get("PromptLanguage"))
        for _, e in observer.matching("UserEvent", UserEvent=names.EVENT_NODE, Linkedid=linkedid)
    ]


async def test_callers_keys_choose_the_language_and_both_menu_levels(
    settings: Settings,
    sipp: Sipp,
    observer: EventLog,
    service_ami: AmiClient,
    publisher: AsteriskPublisher,
) -> None:
    await publish(publisher, settings, [(menus_plan(settings.entry_number, settings.queue), 901)])
    async with waiting_member(service_ami, settings.queue):
        result = await keyed_call(sipp, settings, "13900901001", "211", timeout_s=40)
    assert result.ok, result.output[-2000:]
    assert path_of(observer, "13900901001") == [
        ("901", "lang", "zh"),
        ("901", "set_ug", "zh"),
        ("901", "main", "ug"),
        ("901", "sub", "ug"),
        ("901", "q_sub", "ug"),
        ("901", "bye", "ug"),  # waited max_wait_s in the queue, then on_max_wait
    ]
    assert observer.matching("QueueCallerJoin", Queue=settings.queue, CallerIDNum="13900901001")

    # nobody signed in: the queue node sends the caller on (joinempty), not to wait
    result = await keyed_call(sipp, settings, "13900901002", "12", timeout_s=40)
    assert [n for _, n, _ in path_of(observer, "13900901002")] == [
        "lang",
        "set_zh",
        "main",
        "q_main",
        "closed",
    ]
    assert result.ok, result.output[-2000:]


async def test_a_publish_drops_no_caller_mid_menu_and_a_refused_one_is_rolled_back(
    sandbox: Sandbox,
    settings: Settings,
    sipp: Sipp,
    observer: EventLog,
    publisher: AsteriskPublisher,
) -> None:
    entry = settings.entry_number
    old, new = hold_plan(entry, "old_menu"), hold_plan(entry, "new_menu")
    await publish(publisher, settings, [(old, 902)])
    callers = [f"1390090210{i}" for i in range(5)]
    calls = asyncio.create_task(
        sipp.calls(
            entry,
            callers,
            every_ms=150,
            talk_ms=500,
            until_far_end_hangs_up=True,
            trunk_port=settings.trunk_port,
            timeout_s=60,
        )
    )

    def in_menu() -> int:
        return len(observer.matching("UserEvent", UserEvent=names.EVENT_NODE, Node="old_menu"))

    deadline = time.monotonic() + 20
    while in_menu() < len(callers):
        assert time.monotonic() < deadline, f"only {in_menu()} callers reached the menu"
        await asyncio.sleep(0.05)

    await publish(publisher, settings, [(new, 903), (old, 902)])  # 902 kept for them
    published_at = time.monotonic()
    result = await asyncio.wait_for(calls, 70)
    assert result.ok and result.successful == len(callers), result.output[-2000:]
    for caller in callers:  # each went on in the version it started in, after the reload
        assert path_of(observer, caller) == [("902", "old_menu", "zh"), ("902", "after", "zh")]
    after = observer.matching("UserEvent", UserEvent=names.EVENT_NODE, Node="after")
    assert len(after) == len(callers) and all(t > published_at for t, _ in after)

    # a fault: the files Asterisk gets lack the version's marker context
    before = read_folder(sandbox.plans_dir)
    options = CompileOptions(settings.prompts_dir, settings.timezone)
    broken = compile_plan(hold_plan(entry, "broken"), 904, options)
    broken = dataclasses.replace(broken, text=broken.text.replace("[hl-v904]", "[hl-v904-x]"))
    with pytest.raises(PublishFailed) as failed:
        await publisher.publish(
            [broken, compile_plan(new, 903, options)],
            compile_entry({entry: 904}, options),
            compile_calendar(()),
        )
    assert failed.value.code == "dialplan.publish_failed" and "hl-v904" in failed.value.message
    assert read_folder(sandbox.plans_dir) == before

    result = await sipp.call(
        entry,
        caller="13900904000",
        talk_ms=500,
        until_far_end_hangs_up=True,
        trunk_port=settings.trunk_port,
        timeout_s=40,
    )
    assert result.ok, result.output[-2000:]
    assert path_of(observer, "13900904000") == [("903", "new_menu", "zh"), ("903", "after", "zh")]
