"""The carrier's BLF lamps: set with each state change, or not at all when the centre
has none (``blf_lamps``) — the pause that decides routing goes out either way."""

from __future__ import annotations

import pytest

from agent_state.carrier import AsteriskCarrier
from agent_state.member import Member
from agent_state.model import Agent, Lamp, PauseMember, SetLamp, State, UnpauseMember
from core.actor import Role
from tests.adapter.conftest import ClientFactory
from tests.adapter.fake_ami import FakeAmi

MEMBER = Member("1001", "王芳", "2001", Role.AGENT, "", (("12333", 0),))


@pytest.mark.parametrize("lamps", [True, False])
async def test_lamps_are_set_only_when_the_centre_has_them(
    fake: FakeAmi, client: ClientFactory, lamps: bool
) -> None:
    carrier = AsteriskCarrier(await client(), on_failure=lambda job: None, lamps=lamps)
    busy = Agent("1001", State.BUSY)
    await carrier.carry_out(MEMBER, busy, (PauseMember("manual"), SetLamp(Lamp.BUSY)))
    idle = Agent("1001", State.IDLE)
    await carrier.carry_out(MEMBER, idle, (UnpauseMember(), SetLamp(Lamp.NOT_INUSE)))

    pauses = [a.headers["Paused"] for a in fake.named("QueuePause")]
    assert pauses == ["true", "false"]
    lamp_writes = [(a.headers["Variable"], a.headers["Value"]) for a in fake.named("Setvar")]
    expected = [("DEVICE_STATE(Custom:agent1001)", v) for v in ("BUSY", "NOT_INUSE")]
    assert lamp_writes == (expected if lamps else [])
