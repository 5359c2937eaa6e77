"""Hot desking with real Asterisk and SIPp: agent 1001 signs in by ``*11`` at agent 1002's
desk phone, a call reaches that phone and 1001's state follows it; 1002 cannot sign in
at its own phone while 1001 holds it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ami import AmiClient
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core.settings import Settings
from tests.e2e.agents import (
    PIN,
    QUEUE,
    audit,
    keyed_call,
    make_roster,
    members,
    phones,
    running_service,
    service_settings,
    wait_hint,
    wait_state,
)
from tests.e2e.conftest import EventLog


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    yield service_settings(
        settings,
        sandbox,
        fresh_db,
        18086,
        wrap_up_s=30,
    )


def heard(observer: EventLog, extension: str) -> list[str]:
    """The result prompts a desk phone heard after its feature codes, in order."""
    return [
        e.get("AppData").rsplit("/", 1)[-1]
        for _, e in observer.matching("Newexten")
        if e.get("Application") == "Playback"
        and e.get("Channel").startswith(f"PJSIP/{extension}-")
        and "/agent-" in e.get("AppData")
        and "enter" not in e.get("AppData")
    ]


async def test_an_agent_works_at_another_agents_phone_for_the_session(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient, observer: EventLog
) -> None:
    await make_roster(base.database_url, {"1001": 0, "1002": 0})
    async with (
        phones(sipp, secrets, ["1002"], ring_ms=300, hang_up_after_ms=1000) as desk,
        running_service(base) as service,
    ):
        assert service.agents is not None
        phone = desk["1002"]  # desk phone 2002, agent 1002's home
        signed_in = await phone.dial("*11", f"1001#{PIN}#")
        assert signed_in.ok, signed_in.output[-1500:]
        await wait_state(service, "1001", "idle")
        member = (await members(service_ami))["1001"]
        assert (member.interface, member.state_interface) == (
            "Local/2002@agents-local/n",
            "PJSIP/2002",
        )
        await wait_hint(service_ami, "1001", "2002", QUEUE)  # 1001's lamp shows the phone it uses
        call = await keyed_call(sipp, base, "13600000021", timeout_s=20)
        assert call.ok, call.output[-1500:]
        await wait_state(service, "1001", "wrap_up", timeout=5)  # the call was 1001's
        refused = await phone.dial("*11", f"1002#{PIN}#")
        assert refused.ok, refused.output[-1500:]
        assert service.agents.agents["1002"].label == "logged_out"
        assert service.agents.agents["1001"].phone == "2002"
    assert heard(observer, "2002")[-2:] == ["agent-signed_in", "agent-phone_taken"]
    rows = await audit(base.database_url, "1001")
    assert [r["event"] for r in rows][:4] == ["SignIn", "Offered", "Answered", "CallEnded"]
    assert {r["source"] for r in rows[:1]} == {"phone"}
