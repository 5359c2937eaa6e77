"""Agent states driven over AMI and proven with real calls (issue 5; R2-R4, R8, R10).

The real service runs against the sandbox's Asterisk with a roster of its own in a fresh
database; SIPp plays the callers and the agents' desk phones.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import pytest

from agent_state.model import IllegalTransition, Source
from agent_state.requests import parse
from ami import AmiClient
from ami.actions import QueuePause
from ami.client import session
from asterisk_conf.sandbox.sandbox import PUBLISH_USER, SHORT_GREETING_S, Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core import names
from core.settings import Settings
from tests.e2e.agents import (
    PIN,
    QUEUE,
    audit,
    lamp_status,
    lamp_statuses,
    make_roster,
    me,
    member_gone,
    members,
    phones,
    running_service,
    serve_process,
    service_settings,
    sign_in_over_http,
    wait_device_state,
    wait_for,
    wait_hint,
    wait_lamp,
    wait_state,
)
from tests.e2e.conftest import EventLog

HTTP_PORT = 18082


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    yield service_settings(
        settings,
        sandbox,
        fresh_db,
        HTTP_PORT,
        wrap_up_s=3,
    )


async def test_sign_in_call_wrap_up_and_back_to_idle(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient, observer: EventLog
) -> None:
    await make_roster(base.database_url, {"1001": 0})
    async with (
        # no call count: a phone that quit after its call would stop answering qualify
        # and be lost (busy(phone_unreachable)) as its wrap-up ends
        phones(sipp, secrets, ["1001"], ring_ms=300, hang_up_after_ms=1500),
        running_service(base) as service,
    ):
        assert service.agents is not None
        await service.agents.sign_in("1001", PIN, source=Source.WEB)
        member = (await members(service_ami))["1001"]
        assert not member.paused and member.state_interface == "PJSIP/2001"
        # the lamp shows the session's phone and its member's pause
        await wait_hint(service_ami, "1001", "2001", QUEUE)
        signed_in = len(observer.events)
        # not in the owners' queue: only an owned callback's offer seats it there
        assert service.agents.members["1001"].owner_slot is not None
        assert "1001" not in await members(service_ami, names.OWNER_QUEUE)
        result = await sipp.call(
            base.entry_number, caller="13600000001", until_far_end_hangs_up=True, timeout_s=40
        )
        assert result.ok, result.output[-1500:]
        await wait_state(service, "1001", "wrap_up", timeout=5)
        assert (await members(service_ami))["1001"].paused  # R4: paused during wrap-up
        # once the phone is free the lamp is still lit: the member's pause is in its hint
        await wait_device_state(service_ami, "PJSIP/2001", "NOT_INUSE")
        assert await lamp_status(service_ami, "1001") == 1
        await wait_state(service, "1001", "idle", timeout=base.wrap_up_s + 2)
        assert not (await members(service_ami))["1001"].paused
        await wait_lamp(service_ami, "1001", 0)  # idle: unpaused, the phone free
    rows = await audit(base.database_url, "1001")
    assert [(r["from_state"], r["to_state"], r["event"], r["source"]) for r in rows] == [
        ("logged_out", "idle", "SignIn", "web"),
        ("idle", "ringing", "Offered", "asterisk"),
        ("ringing", "on_call", "Answered", "asterisk"),
        ("on_call", "wrap_up", "CallEnded", "asterisk"),
        ("wrap_up", "idle", "WrapUpExpired", "system"),
    ]
    assert rows[1]["linkedid"] and rows[1]["linkedid"] == rows[3]["linkedid"]
    # R4's pause is the dialplan's, as the phone hung up (the phone's own leg and the
    # member leg each pause it), reported before AgentComplete: the service sends no
    # pause of its own after it (each costs Asterisk a walk of every member, README
    # "Capacity")
    order = [
        e.name
        for _, e in observer.events
        if e.get("MemberName") == "1001"
        and (
            e.name == "AgentComplete"
            or (e.name == "QueueMemberPause" and e.get("PausedReason") == names.PAUSE_WRAP_UP)
        )
    ]
    ended = order.index("AgentComplete")
    assert ended > 0 and order[ended + 1 :] == [], order
    # no lamp change a call: ringing and in use came from the phone in the hint,
    # wrap-up from the member's pause
    set_by_service = [
        e.get("State")
        for _, e in observer.events[signed_in:]
        if e.name == "DeviceStateChange" and e.get("Device") == names.lamp_device("1001")
    ]
    assert set_by_service == []
    # what the BLF key was told: ringing, in use (the call, then wrap-up), idle
    shown = lamp_statuses(observer, "1001")
    ringing = shown.index(8)
    assert 1 in shown[ringing:] and shown[-1] == 0, shown


async def test_when_the_caller_hangs_up_first_the_member_is_paused_once(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient, observer: EventLog
) -> None:
    """The usual end of a call. app_queue reports ``AgentComplete`` a few ms before the
    member leg's handler pauses the member (R4); the service waits for that pause
    (``HOTLINE_WRAP_UP_PAUSE_WAIT_S``) instead of sending one of its own — each pause
    is a walk of every queue member and an AstDB write (README "Capacity")."""
    await make_roster(base.database_url, {"1001": 0})
    async with (
        phones(sipp, secrets, ["1001"], ring_ms=300),
        running_service(base) as service,
    ):
        assert service.agents is not None
        await service.agents.sign_in("1001", PIN, source=Source.WEB)
        result = await sipp.call(
            base.entry_number,
            caller="13600000002",
            talk_ms=int(SHORT_GREETING_S * 1000) + 4000,  # the greeting, ring, ~3 s talk
            timeout_s=40,
        )
        assert result.ok, result.output[-1500:]
        await wait_state(service, "1001", "wrap_up", timeout=5)
        assert (await members(service_ami))["1001"].paused  # R4: paused during wrap-up
        await wait_state(service, "1001", "idle", timeout=base.wrap_up_s + 2)
    order = [
        (e.name, e.get("PausedReason"))
        for _, e in observer.events
        if e.get("MemberName") == "1001" and e.name in ("AgentComplete", "QueueMemberPause")
    ]
    # one wrap-up pause, the dialplan's (with no wait, the service's came after it)
    assert order.count(("QueueMemberPause", names.PAUSE_WRAP_UP)) == 1, order
    assert [name for name, _ in order].count("AgentComplete") == 1, order
    rows = await audit(base.database_url, "1001")
    assert [(r["from_state"], r["to_state"], r["event"]) for r in rows][-2:] == [
        ("on_call", "wrap_up", "CallEnded"),
        ("wrap_up", "idle", "WrapUpExpired"),
    ]


@pytest.mark.parametrize("lamps", [True, False])
async def test_the_lamp_follows_the_agent_only_where_the_centre_has_lamps(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient, lamps: bool
) -> None:
    """HOTLINE_BLF_LAMPS: on, 示闲 and 置忙 set Custom:agent<job> in Asterisk; off, the
    lamp is left as it was (while the member is still unpaused and paused)."""
    lamp = f"DEVICE_STATE({names.lamp_device('1006')})"

    async def shown() -> str:
        reply = await service_ami.action("Getvar", {"Variable": lamp})
        return str(reply.get("Value", ""))

    await make_roster(base.database_url, {"1006": 0})
    await service_ami.action("Setvar", {"Variable": lamp, "Value": "RINGINUSE"})
    async with (
        phones(sipp, secrets, ["1006"]),
        running_service(base, blf_lamps=lamps) as service,
    ):
        assert service.agents is not None
        await service.agents.sign_in("1006", PIN, source=Source.WEB)
        assert not (await members(service_ami))["1006"].paused
        assert await shown() == ("NOT_INUSE" if lamps else "RINGINUSE")
        await service.agents.request(me("1006"), "1006", parse("busy", source=Source.WEB))
        await wait_state(service, "1006", "busy(manual)")
        assert (await members(service_ami))["1006"].paused
        assert await shown() == ("BUSY" if lamps else "RINGINUSE")


async def test_a_lamp_showing_something_else_is_set_again_by_the_reconcile(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient
) -> None:
    """A lamp left on hold (how an older version showed wrap-up; the custom state lives
    in AstDB, past any restart) would stay so once the agent is idle, since the service
    sets no lamp through a call now: the reconcile (at every start and AMI reconnect)
    compares every lamp with its agent's state and sets the ones that differ."""
    lamp = f"DEVICE_STATE({names.lamp_device('1007')})"
    await make_roster(base.database_url, {"1007": 0})
    async with phones(sipp, secrets, ["1007"]), running_service(base) as service:
        assert service.agents is not None and service.reconciler is not None
        await service.agents.sign_in("1007", PIN, source=Source.WEB)
        await wait_hint(service_ami, "1007", "2007", QUEUE)
        await wait_lamp(service_ami, "1007", 0)
        await service_ami.action("Setvar", {"Variable": lamp, "Value": "ONHOLD"})
        await wait_lamp(service_ami, "1007", 16)  # idle, yet shown on hold
        await service.reconciler.run()
        await wait_lamp(service_ami, "1007", 0)
        assert service.agents.agents["1007"].label == "idle"  # only the lamp was wrong


async def test_the_lamp_hint_follows_the_session_and_comes_back_after_a_reload(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient
) -> None:
    """The hint holds the session's desk phone from sign-in to sign-out; a dialplan
    reload puts the rendered hint back (dynamic extensions live in memory only,
    asterisk.md §5): the service sees its mark gone and puts the phone in again."""
    settings = dataclasses.replace(base, lamp_hints_check_s=0.3)
    await make_roster(settings.database_url, {"1009": 0})
    async with phones(sipp, secrets, ["1009"]), running_service(settings) as service:
        assert service.agents is not None and service.hints is not None
        await service.agents.sign_in("1009", PIN, source=Source.WEB)
        await wait_hint(service_ami, "1009", "2009", QUEUE)
        written = service.hints.written
        async with session(
            settings.ami_host, settings.ami_port, PUBLISH_USER, secrets["ami_publish"]
        ) as publisher:
            await publisher.command("dialplan reload")  # e.g. an admin's, by hand
        await wait_for(lambda: service.hints.written > written, timeout=5)
        await wait_hint(service_ami, "1009", "2009", QUEUE)
        await service.agents.request(me("1009"), "1009", parse("sign_out", source=Source.WEB))
        await wait_state(service, "1009", "logged_out")
        await wait_hint(service_ami, "1009", None)  # the lamp shows "signed out" alone


async def test_wrap_up_holds_waiting_callers_until_the_deadline(
    base: Settings, sipp: Sipp, secrets: dict, observer: EventLog
) -> None:
    """R4: no offer during wrap-up, even with callers waiting; one right after it."""
    settings = dataclasses.replace(base, wrap_up_s=4)
    await make_roster(settings.database_url, {"1002": 0})
    async with (
        phones(sipp, secrets, ["1002"], ring_ms=200, calls=2, hang_up_after_ms=3000),
        running_service(settings) as service,
    ):
        assert service.agents is not None
        await service.agents.sign_in("1002", PIN, source=Source.WEB)
        # the second caller joins the queue while the first call is on, then waits
        result = await sipp.calls(
            settings.entry_number,
            ["13600000002", "13600000003"],
            every_ms=1500,
            until_far_end_hangs_up=True,
            timeout_s=60,
        )
    assert result.ok and result.successful == 2, result.output[-1500:]
    completes = observer.matching("AgentComplete", MemberName="1002")
    calls = observer.matching("AgentCalled", MemberName="1002")
    assert len(completes) == 2 and len(calls) == 2
    first_end, second_offer = completes[0][0], calls[1][0]
    joined = [
        t for t, e in observer.matching("QueueCallerJoin") if e.get("CallerIDNum") == "13600000003"
    ]
    assert joined and joined[0] < first_end  # the second caller was waiting all along
    waited = second_offer - first_end
    assert settings.wrap_up_s - 0.3 <= waited <= settings.wrap_up_s + 1.5, waited


async def test_early_idle_ends_wrap_up(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient
) -> None:
    settings = dataclasses.replace(base, wrap_up_s=60)
    await make_roster(settings.database_url, {"1003": 0})
    async with (
        phones(sipp, secrets, ["1003"], ring_ms=200, hang_up_after_ms=800),
        running_service(settings) as service,
    ):
        assert service.agents is not None
        await service.agents.sign_in("1003", PIN, source=Source.WEB)
        result = await sipp.call(
            settings.entry_number, caller="13600000004", until_far_end_hangs_up=True, timeout_s=40
        )
        assert result.ok
        await wait_state(service, "1003", "wrap_up")
        agent = await service.agents.request(me("1003"), "1003", parse("idle", source=Source.WEB))
        assert agent.label == "idle"
        for _ in range(100):  # until the unpause reaches Asterisk (5 s)
            if not (await members(service_ami))["1003"].paused:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("1003 is still paused in Asterisk")


async def test_a_missed_call_goes_to_the_next_idle_agent_and_forces_busy(
    base: Settings, sipp: Sipp, secrets: dict, observer: EventLog
) -> None:
    """R3: the first agent's phone rings out; the caller reaches the next; R2b: busy."""
    await make_roster(base.database_url, {"1004": 0, "1005": 1})  # 1004 is tried first
    async with (
        phones(sipp, secrets, ["1004"], ring_ms=60_000),
        phones(sipp, secrets, ["1005"], ring_ms=300, calls=1, hang_up_after_ms=800),
        running_service(base) as service,
    ):
        assert service.agents is not None
        await service.agents.sign_in("1004", PIN, source=Source.WEB)
        await service.agents.sign_in("1005", PIN, source=Source.WEB)
        result = await sipp.call(
            base.entry_number, caller="13600000005", until_far_end_hangs_up=True, timeout_s=60
        )
        assert result.ok, result.output[-1500:]
        assert service.agents.agents["1004"].label == "busy(ring_no_answer)"
    called = [
        e.get("MemberName")
        for _, e in observer.matching("AgentCalled")
        if e.get("CallerIDNum") == "13600000005"
    ]
    assert called == ["1004", "1005"]
    rows = await audit(base.database_url, "1004")
    assert (rows[-1]["to_state"], rows[-1]["to_reason"], rows[-1]["source"]) == (
        "busy",
        "ring_no_answer",
        "asterisk",
    )


async def test_an_unregistered_phone_forces_busy(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient
) -> None:
    await make_roster(base.database_url, {"1006": 0})
    async with phones(sipp, secrets, ["1006"]) as desk, running_service(base) as service:
        assert service.agents is not None
        await service.agents.sign_in("1006", PIN, source=Source.WEB)
        await desk["1006"].stop(unregister=True)
        await wait_state(service, "1006", "busy(phone_unreachable)", timeout=10)
        member = (await members(service_ami))["1006"]
        assert member.paused and member.paused_reason == "phone_unreachable"
    rows = await audit(base.database_url, "1006")
    assert rows[-1]["event"] == "PhoneLost" and rows[-1]["source"] == "asterisk"


def heard(observer: EventLog, extension: str) -> list[str]:
    """The prompts a desk phone heard after its feature codes, in order."""
    return [
        e.get("AppData").rsplit("/", 1)[-1]
        for _, e in observer.matching("Newexten")
        if e.get("Application") == "Playback"
        and e.get("Channel").startswith(f"PJSIP/{extension}-")
        and "/agent-" in e.get("AppData")
        and "enter" not in e.get("AppData")
    ]


async def test_feature_codes_by_dtmf_change_the_state(
    base: Settings, sipp: Sipp, secrets: dict, observer: EventLog
) -> None:
    await make_roster(base.database_url, {"1007": 0})
    async with phones(sipp, secrets, ["1007"]) as desk, running_service(base) as service:
        assert service.agents is not None
        phone = desk["1007"]
        steps = [
            ("*11", f"1007#{PIN}#", "idle"),
            ("*22", "", "busy(manual)"),
            ("*21", "", "idle"),
            ("*12", "", "logged_out"),
        ]
        for code, digits, label in steps:
            result = await phone.dial(code, digits)
            assert result.ok, result.output[-1500:]
            await wait_state(service, "1007", label)
        wrong = await phone.dial("*11", "1007#1111#")
        assert wrong.ok and service.agents.agents["1007"].label == "logged_out"
    assert heard(observer, "2007")[-5:] == [
        "agent-signed_in",
        "agent-busy",
        "agent-idle",
        "agent-signed_out",
        "agent-wrong_pin",
    ]
    rows = await audit(base.database_url, "1007")
    confirmations = ("PauseConfirmed", "RemoveConfirmed")  # Asterisk's, of the phone's requests
    assert {r["source"] for r in rows if r["event"] not in confirmations} == {"phone"}
    assert {r["source"] for r in rows if r["event"] in confirmations} == {"asterisk"}


async def test_feature_codes_refused_to_phones_without_an_agent_and_to_callers(
    base: Settings, sipp: Sipp, secrets: dict, observer: EventLog
) -> None:
    await make_roster(base.database_url, {"1008": 0})
    stranger = sipp.phone("2009", secrets["phones"]["2009"], 5079, 6079)  # no agent here
    await stranger.start()
    try:
        # hot desking: any desk phone takes a sign-in; 2009 is not one of them here
        async with running_service(base, desk_phones="2001-2008") as service:
            assert service.agents is not None
            # a phone that is not a desk phone is refused before it is asked for anything
            result = await stranger.dial("*11")
            assert result.ok, result.output[-1500:]
            assert service.agents.agents["1008"].label == "logged_out"  # not its phone
            await stranger.dial("*21")
            from_trunk = await sipp.call("*21", caller="13600000009", talk_ms=500, timeout_s=15)
            assert not from_trunk.ok  # the trunk's context has no feature codes: 404
    finally:
        await stranger.stop()
    assert heard(observer, "2009")[-2:] == ["agent-not_allowed", "agent-not_allowed"]


async def test_only_idle_agents_are_offered_calls(
    base: Settings, sipp: Sipp, secrets: dict, observer: EventLog
) -> None:
    """R2a over 50 real calls: agents in idle / ringing / on_call / wrap_up cycle, others
    sit busy or signed out with working phones; not one offer reaches a non-idle agent.
    Callers come faster than the six cycling agents take them (a queue all along)."""
    settings = dataclasses.replace(base, wrap_up_s=2)
    cycling = ["1001", "1002", "1003", "1004", "1008", "1009"]
    await make_roster(settings.database_url, {j: 0 for j in [*cycling, "1005", "1006", "1007"]})
    callers = [f"1370000{n:04d}" for n in range(50)]
    async with (
        phones(
            sipp, secrets, [*cycling, "1005", "1006", "1007"], ring_ms=300, hang_up_after_ms=1000
        ),
        running_service(settings) as service,
    ):
        assert service.agents is not None
        for job in [*cycling, "1005", "1006"]:
            await service.agents.sign_in(job, PIN, source=Source.WEB)
        await service.agents.request(me("1005"), "1005", parse("busy", source=Source.WEB))
        await service.agents.request(
            me("1006"), "1006", parse("busy", source=Source.WEB, reason="break")
        )
        result = await sipp.calls(
            settings.entry_number, callers, every_ms=400, until_far_end_hangs_up=True, timeout_s=240
        )
        assert result.successful == 50, result.output[-1500:]
        labels = {j: service.agents.agents[j].label for j in ("1005", "1006", "1007")}
    assert labels == {"1005": "busy(manual)", "1006": "busy(break)", "1007": "logged_out"}
    ours = set(callers)
    offers = [
        e.get("MemberName")
        for _, e in observer.matching("AgentCalled")
        if e.get("CallerIDNum") in ours
    ]
    assert len(offers) >= 50 and set(offers) <= set(cycling), set(offers)
    offered_rows, reconciled = 0, 0
    for job in [*cycling, "1005", "1006", "1007"]:
        for row in await audit(settings.database_url, job):
            if row["event"] == "Offered":
                offered_rows += 1
                assert row["from_state"] == "idle", row
            reconciled += row["to_reason"] == "reconciled"
    assert offered_rows == len(offers) and reconciled == 0


def _edit_persisted_members(value: str, drop: str, unpause: str) -> str:
    """app_queue's AstDB entry (``iface;penalty;paused;name;state_iface;reason;wrapup|…``)
    without ``drop``'s member and with ``unpause``'s unpaused."""
    kept = []
    for entry in value.split("|"):
        fields = entry.split(";")
        if len(fields) < 4 or fields[3] == drop:
            continue
        if fields[3] == unpause:
            fields[2], fields[5] = "0", ""
        kept.append(";".join(fields))
    return "|".join(kept)


async def test_an_asterisk_restart_that_lost_what_the_database_holds_is_reconciled(
    base: Settings, sipp: Sipp, secrets: dict, sandbox: Sandbox, service_ami: AmiClient
) -> None:
    """Asterisk comes back from a restart disagreeing with the database: one member lost,
    one unpaused. Only the reconcile can make it right: both busy(reconciled), members
    back and paused (never idle), and the audit says why."""
    await make_roster(base.database_url, {"1001": 0, "1002": 0})
    async with phones(sipp, secrets, ["1001", "1002"]), running_service(base) as service:
        assert service.agents is not None
        await service.agents.sign_in("1001", PIN, source=Source.WEB)
        await service.agents.sign_in("1002", PIN, source=Source.WEB)
        await service.agents.request(me("1002"), "1002", parse("busy", source=Source.WEB))
        cli = sandbox.asterisk.cli
        stored = await asyncio.to_thread(cli, f"database get Queue/PersistentMembers {QUEUE}")
        value = stored.split("Value:", 1)[1].strip()
        edited = _edit_persisted_members(value, drop="1001", unpause="1002")
        assert edited and "1001" not in edited, (value, edited)
        await asyncio.to_thread(cli, f"database put Queue/PersistentMembers {QUEUE} {edited}")
        reconnects = service.ami.reconnects
        await asyncio.to_thread(cli, "core restart now")
        await wait_for(lambda: service.ami.reconnects > reconnects and service.ami.is_ready, 30)
        # the reconcile runs by itself on FullyBooted
        await wait_state(service, "1001", "busy(reconciled)", timeout=15)
        await wait_state(service, "1002", "busy(reconciled)", timeout=15)
        # the test's own AMI session reconnects on its own time after the restart
        await wait_for(lambda: service_ami.is_ready, 30)
        after = await members(service_ami)
    assert after["1001"].paused and after["1002"].paused  # back, and never idle
    why = {j: (await audit(base.database_url, j))[-1]["detail"] for j in ("1001", "1002")}
    assert "not a member of queue 12333" in why["1001"], why
    assert "unpaused" in why["1002"] and "busy(manual)" in why["1002"], why


async def test_a_pause_changed_while_the_service_was_down_is_reconciled_busy(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient
) -> None:
    await make_roster(base.database_url, {"1003": 0, "1004": 0})
    async with phones(sipp, secrets, ["1003", "1004"]):
        async with running_service(base) as service:
            assert service.agents is not None
            await service.agents.sign_in("1003", PIN, source=Source.WEB)
            await service.agents.sign_in("1004", PIN, source=Source.WEB)
            await service.agents.request(me("1004"), "1004", parse("busy", source=Source.WEB))
        # the service is down: someone pauses 1003 and unpauses 1004 behind its back
        await service_ami.send(QueuePause("Local/2003@agents-local/n", True, reason="manual"))
        await service_ami.send(QueuePause("Local/2004@agents-local/n", False))
        async with running_service(base) as service:
            assert service.agents is not None
            labels = {j: service.agents.agents[j].label for j in ("1003", "1004")}
            after = await members(service_ami)
    assert labels == {"1003": "busy(reconciled)", "1004": "busy(reconciled)"}
    assert after["1003"].paused and after["1004"].paused  # never idle
    rows = await audit(base.database_url, "1004")
    assert rows[-1]["to_reason"] == "reconciled" and rows[-1]["source"] == "system"


@pytest.mark.parametrize("back", ["before_the_deadline", "after_the_deadline"])
async def test_killing_the_service_during_wrap_up_strands_nobody(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient, back: str
) -> None:
    """R4: the deadline is stored; `kill -9` mid wrap-up, restart, idle at the deadline —
    also when the deadline passed while the service was down: then the start-up
    reconcile must judge Asterisk as the service found it, not as it leaves it a moment
    later (no false busy(reconciled), no manual relog)."""
    settings = dataclasses.replace(base, wrap_up_s=8, http_port=18083)
    api = f"http://127.0.0.1:{settings.http_port}/api"
    await make_roster(settings.database_url, {"1005": 0})
    async with (
        phones(sipp, secrets, ["1005"], ring_ms=200, hang_up_after_ms=800),
        aiohttp.ClientSession() as http,
    ):
        async with serve_process(settings) as first:
            auth = await sign_in_over_http(http, api, "1005")
            result = await sipp.call(
                settings.entry_number,
                caller="13600000010",
                until_far_end_hangs_up=True,
                timeout_s=40,
            )
            assert result.ok
            agent = {}
            for _ in range(50):
                async with http.get(f"{api}/agents", headers=auth) as r:
                    agent = (await r.json())["agents"][0]
                if agent["state"] == "wrap_up":
                    break
                await asyncio.sleep(0.1)
            assert agent["state"] == "wrap_up"
            deadline = datetime.fromisoformat(agent["wrap_up_deadline"])
            first.kill()
            await first.wait()
        assert (await members(service_ami))["1005"].paused  # Asterisk keeps it paused
        if back == "after_the_deadline":
            await wait_for(lambda: datetime.now(UTC) > deadline + timedelta(seconds=1), 15)
        async with serve_process(settings):
            while True:  # read at least once after the restart, however long it took
                async with http.get(f"{api}/agents", headers=auth) as r:
                    agent = (await r.json())["agents"][0]
                late = datetime.now(UTC) > deadline + timedelta(seconds=3)
                if agent["state"] == "idle" or late:
                    break
                await asyncio.sleep(0.1)
            idle_at = datetime.now(UTC)
            assert agent["state"] == "idle", (agent, await audit(settings.database_url, "1005"))
            assert idle_at >= deadline - timedelta(seconds=0.3)
            # the API says idle once the service decides; Asterisk's unpause lands a moment
            # later (polled, not read once: on a fast box the read came first)
            for _ in range(60):
                if not (await members(service_ami))["1005"].paused:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("Asterisk kept 1005 paused after the service made it idle")
    rows = await audit(settings.database_url, "1005")
    assert not [r for r in rows if r["to_reason"] == "reconciled"], rows


async def test_the_noon_break_signs_agents_out_and_one_on_a_call_when_it_ends(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient
) -> None:
    """R2c: on a working day (an admin override here), the sign-out time signs out the
    idle agent at once and the agent on a call when the call ends."""
    await make_roster(base.database_url, {"1001": 0, "1002": 1})
    tz = ZoneInfo(base.timezone)
    now = datetime.now(tz).replace(microsecond=0)
    at = (now - timedelta(seconds=30)).time()
    conn = await asyncpg.connect(base.database_url)
    try:
        await conn.execute(
            "INSERT INTO sign_out_schedule VALUES ($1, $2, 'noon_break')", now.isoweekday(), at
        )
        await conn.execute(
            "INSERT INTO calendar_overrides (day, kind, note) VALUES ($1, 'working', 'test')",
            now.date(),
        )
    finally:
        await conn.close()
    async with (
        phones(sipp, secrets, ["1001"]),
        phones(sipp, secrets, ["1002"], ring_ms=200, hang_up_after_ms=4000),
        running_service(base) as service,
    ):
        assert service.agents is not None and service.schedule is not None
        await service.agents.sign_in("1002", PIN, source=Source.WEB)
        call = asyncio.ensure_future(
            sipp.call(
                base.entry_number, caller="13600000011", until_far_end_hangs_up=True, timeout_s=40
            )
        )
        await wait_state(service, "1002", "on_call", timeout=20)
        await service.agents.sign_in("1001", PIN, source=Source.WEB)
        service.schedule.last = now - timedelta(minutes=1)
        assert sorted(await service.schedule.check(now)) == ["1001", "1002"]
        # signed out once Asterisk confirms the removal
        await wait_state(service, "1001", "logged_out", timeout=5)
        assert service.agents.agents["1002"].sign_out_pending
        assert "1001" not in await members(service_ami)
        assert (await call).ok
        await wait_state(service, "1002", "logged_out", timeout=5)
        # paused since the call ended; the removal follows the state (R2c)
        await member_gone(service_ami, "1002", timeout=5)
    rows = await audit(base.database_url, "1002")
    assert [(r["to_state"], r["event"]) for r in rows][-2:] == [
        ("on_call", "SignOut"),
        ("logged_out", "CallEnded"),
    ]
    assert rows[-2]["actor"] == "noon_break"


async def test_a_busy_phone_is_not_taken_for_a_miss(
    base: Settings, sipp: Sipp, secrets: dict, observer: EventLog
) -> None:
    """asterisk.md §1: the member leg passes BUSY back, so app_queue does not autopause
    and the agent is not forced busy(ring_no_answer); the caller goes to the next agent."""
    await make_roster(base.database_url, {"1006": 0, "1007": 1})  # 1006 is tried first
    async with (
        phones(sipp, secrets, ["1006"], busy=True),
        phones(sipp, secrets, ["1007"], ring_ms=300, calls=1, hang_up_after_ms=800),
        running_service(base) as service,
    ):
        assert service.agents is not None
        await service.agents.sign_in("1006", PIN, source=Source.WEB)
        await service.agents.sign_in("1007", PIN, source=Source.WEB)
        result = await sipp.call(
            base.entry_number, caller="13600000012", until_far_end_hangs_up=True, timeout_s=60
        )
        assert result.ok, result.output[-1500:]
        await wait_state(service, "1006", "idle", timeout=5)
    called = [
        e.get("MemberName")
        for _, e in observer.matching("AgentCalled")
        if e.get("CallerIDNum") == "13600000012"
    ]
    assert called[0] == "1006" and called[-1] == "1007"
    assert not [
        e
        for _, e in observer.matching("QueueMemberPause", MemberName="1006")
        if e.get("PausedReason") == "Auto-Pause"
    ]
    assert all(r["to_reason"] != "ring_no_answer" for r in await audit(base.database_url, "1006"))


async def test_a_phone_that_stops_answering_qualify_forces_busy(
    base: Settings, sipp: Sipp, secrets: dict
) -> None:
    """R2b: the phone is still registered but frozen (qualify gets no answer)."""
    await make_roster(base.database_url, {"1008": 0})
    async with phones(sipp, secrets, ["1008"]) as desk, running_service(base) as service:
        assert service.agents is not None
        await service.agents.sign_in("1008", PIN, source=Source.WEB)
        uas = desk["1008"].uas_pid
        assert uas is not None
        os.kill(uas, signal.SIGSTOP)
        try:
            await wait_state(service, "1008", "busy(phone_unreachable)", timeout=15)
            with pytest.raises(IllegalTransition, match="not reachable"):
                await service.agents.request(me("1008"), "1008", parse("idle", source=Source.WEB))
        finally:
            os.kill(uas, signal.SIGCONT)
