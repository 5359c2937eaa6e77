"""Agent states driven over AMI and proven with real calls (issue 5; R2-R4, R8, R10).

The real service runs against the sandbox's Asterisk with a roster of its own in a fresh
database; SIPp plays the callers and the agents' desk phones.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest

from agent_state.model import Source, State
from ami import AmiClient
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core.settings import Settings
from tests.e2e.agents import (
    PIN,
    audit,
    make_roster,
    members,
    phones,
    running_service,
    wait_state,
)
from tests.e2e.conftest import EventLog

HTTP_PORT = 18082


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    secrets = sandbox.ensure_secrets()
    yield dataclasses.replace(
        settings,
        http_port=HTTP_PORT,
        ami_secret=secrets["ami_service"],
        database_url=fresh_db,
        backfill_every_s=3600,
        wrap_up_s=3,
    )


async def test_sign_in_call_wrap_up_and_back_to_idle(
    base: Settings, sipp: Sipp, secrets: dict, service_ami: AmiClient, observer: EventLog
) -> None:
    await make_roster(base.database_url, {"1001": 0})
    async with (
        phones(sipp, secrets, ["1001"], ring_ms=300, calls=1, hang_up_after_ms=1500),
        running_service(base) as service,
    ):
        assert service.agents is not None
        await service.agents.sign_in("1001", PIN, source=Source.WEB)
        member = (await members(service_ami))["1001"]
        assert not member.paused and member.state_interface == "PJSIP/2001"
        result = await sipp.call(
            base.entry_number, caller="13600000001", until_far_end_hangs_up=True, timeout_s=40
        )
        assert result.ok, result.output[-1500:]
        await wait_state(service, "1001", "wrap_up", timeout=5)
        assert (await members(service_ami))["1001"].paused  # R4: paused during wrap-up
        await wait_state(service, "1001", "idle", timeout=base.wrap_up_s + 2)
        assert not (await members(service_ami))["1001"].paused
    rows = await audit(base.database_url, "1001")
    assert [(r["from_state"], r["to_state"], r["event"], r["source"]) for r in rows] == [
        ("logged_out", "idle", "SignIn", "web"),
        ("idle", "ringing", "Offered", "asterisk"),
        ("ringing", "on_call", "Answered", "asterisk"),
        ("on_call", "wrap_up", "CallEnded", "asterisk"),
        ("wrap_up", "idle", "WrapUpExpired", "system"),
    ]
    assert rows[1]["linkedid"] and rows[1]["linkedid"] == rows[3]["linkedid"]
    lamps = [
        e.get("State") for _, e in observer.matching("DeviceStateChange", Device="Custom:agent1001")
    ]
    assert lamps[:5] == ["NOT_INUSE", "RINGING", "INUSE", "ONHOLD", "NOT_INUSE"]
    await asyncio.sleep(0)
