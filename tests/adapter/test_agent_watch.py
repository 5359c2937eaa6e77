"""The watch's routing of Asterisk's events to an agent and a call (no decisions: those
are ``agent_state.interpret``'s), with the agent service stood in for."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agent_state.interpret import Sent
from agent_state.member import Member
from agent_state.model import Agent, CallEnded, State
from agent_state.watch import AsteriskWatch
from ami.events import parse_event
from core.actor import Role
from core.errors import ConfigError
from core.names import PAUSE_WRAP_UP

MEMBER = Member("1001", "王芳", "2001", Role.AGENT, "", (("12333", 0),))
CALL = "1800000000.1"
ON_CALL = Agent("1001", State.ON_CALL, phone="2001")


class Readings:
    """Stands in for ``AgentService``: keeps which agent and call each reading was for,
    and what each event read as for an agent on a call."""

    wrap_up_s = 30

    def __init__(self, member: Member = MEMBER) -> None:
        self.members = {"1001": member}
        self.read: list[tuple[str, str | None]] = []
        self.readings: list[Any] = []

    async def adopt_reading(self, job: str, read: Any, *, linkedid: str | None = None) -> None:
        self.read.append((job, linkedid))
        self.readings.append(read(ON_CALL))


class Carrier:
    def sent(self, _job: str) -> Sent:
        return Sent()


def watching(readings: Readings, pause_wait_s: float) -> AsteriskWatch:
    return AsteriskWatch(
        None,  # type: ignore[arg-type]
        readings,  # type: ignore[arg-type]
        Carrier(),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        pause_wait_s=pause_wait_s,
    )


def wrap_up_pause(queue: str = "12333") -> Any:
    return event(
        "QueueMemberPause", Queue=queue, MemberName="1001", Paused="1", PausedReason=PAUSE_WRAP_UP
    )


def event(name: str, **headers: str) -> Any:
    return parse_event({"Event": name, "Timestamp": "1800000010.0", **headers})


async def test_an_agent_complete_without_channel_headers_keeps_the_answered_call() -> None:
    """app_queue may end a call with an AgentComplete naming neither channel; the wrap-up
    it starts is still that call's (its audit row says which call, for the reports)."""
    readings = Readings()
    watch = watching(readings, pause_wait_s=0)
    watch.on_event(event("AgentConnect", Queue="12333", MemberName="1001", Linkedid=CALL))
    watch.on_event(event("AgentComplete", Queue="12333", MemberName="1001", Reason="caller"))
    watch.on_event(event("AgentComplete", Queue="12333", MemberName="1001", Reason="caller"))
    await asyncio.gather(*watch._tasks)
    assert readings.read == [("1001", CALL), ("1001", CALL), ("1001", None)]


def call_end(readings: Readings) -> CallEnded:
    (ended,) = [r for r in readings.readings if isinstance(r, CallEnded)]
    return ended


async def test_a_call_end_before_the_dialplans_pause_waits_for_it() -> None:
    """The caller hung up first: app_queue reports the call's end before the member
    leg's handler pauses the member. The end is read after the pause, so the model sees
    the member paused and sends no second pause."""
    readings = Readings()
    watch = watching(readings, pause_wait_s=5.0)
    watch.on_event(event("AgentConnect", Queue="12333", MemberName="1001", Linkedid=CALL))
    watch.on_event(event("AgentComplete", Queue="12333", MemberName="1001", Reason="caller"))
    await asyncio.sleep(0.01)
    assert not [r for r in readings.readings if isinstance(r, CallEnded)]  # held
    watch.on_event(wrap_up_pause())
    await asyncio.wait_for(asyncio.gather(*watch._tasks), 1.0)  # not the 5 s wait
    assert call_end(readings).paused_as == PAUSE_WRAP_UP
    assert readings.read[-1] == ("1001", CALL)  # the end is still the answered call's
    assert (watch.held, watch.unpaused) == (1, 0)
    assert not watch._holding and not watch.on_call


async def test_a_call_end_waits_for_every_queue_of_the_member() -> None:
    readings = Readings(Member("1001", "王芳", "2001", Role.AGENT, "", (("12333", 0), ("q2", 1))))
    watch = watching(readings, pause_wait_s=5.0)
    watch.on_event(event("AgentConnect", Queue="12333", MemberName="1001", Linkedid=CALL))
    watch.on_event(event("AgentComplete", Queue="12333", MemberName="1001", Reason="caller"))
    watch.on_event(wrap_up_pause("12333"))
    await asyncio.sleep(0.01)
    assert not [r for r in readings.readings if isinstance(r, CallEnded)]  # one queue of two
    watch.on_event(wrap_up_pause("q2"))
    await asyncio.wait_for(asyncio.gather(*watch._tasks), 1.0)
    assert call_end(readings).paused_as == PAUSE_WRAP_UP


async def test_a_call_end_with_no_pause_coming_is_read_after_the_wait() -> None:
    """No pause from the dialplan (R4's first guard failed): the end is read as unpaused
    once the wait is over, and the model pauses the member itself."""
    readings = Readings()
    watch = watching(readings, pause_wait_s=0.05)
    watch.on_event(event("AgentConnect", Queue="12333", MemberName="1001", Linkedid=CALL))
    watch.on_event(event("AgentComplete", Queue="12333", MemberName="1001", Reason="caller"))
    await asyncio.wait_for(asyncio.gather(*watch._tasks), 1.0)
    assert call_end(readings).paused_as is None
    assert (watch.held, watch.unpaused) == (1, 1)
    assert not watch._holding and not watch.on_call


async def test_a_call_end_after_the_pause_and_with_no_wait_are_read_at_once() -> None:
    readings = Readings()
    watch = watching(readings, pause_wait_s=5.0)
    watch.on_event(event("AgentConnect", Queue="12333", MemberName="1001", Linkedid=CALL))
    watch.on_event(wrap_up_pause())  # the agent hung up first: the pause came first
    watch.on_event(event("AgentComplete", Queue="12333", MemberName="1001", Reason="agent"))
    await asyncio.wait_for(asyncio.gather(*watch._tasks), 1.0)
    assert call_end(readings).paused_as == PAUSE_WRAP_UP and watch.held == 0
    readings = Readings()
    watch = watching(readings, pause_wait_s=0)
    watch.on_event(event("AgentConnect", Queue="12333", MemberName="1001", Linkedid=CALL))
    watch.on_event(event("AgentComplete", Queue="12333", MemberName="1001", Reason="caller"))
    await asyncio.wait_for(asyncio.gather(*watch._tasks), 1.0)
    assert call_end(readings).paused_as is None and watch.held == 0


@pytest.mark.parametrize("wait", [float("nan"), float("inf")])
def test_a_pause_wait_that_is_no_number_of_seconds_is_refused(wait: float) -> None:
    with pytest.raises(ConfigError, match="HOTLINE_WRAP_UP_PAUSE_WAIT_S"):
        watching(Readings(), pause_wait_s=wait)
