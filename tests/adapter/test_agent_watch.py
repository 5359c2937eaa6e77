"""The watch's routing of Asterisk's events to an agent and a call (no decisions: those
are ``agent_state.interpret``'s), with the agent service stood in for."""

from __future__ import annotations

import asyncio
from typing import Any

from agent_state.member import Member
from agent_state.watch import AsteriskWatch
from ami.events import parse_event
from core.actor import Role

MEMBER = Member("1001", "王芳", "2001", Role.AGENT, "", (("12333", 0),))
CALL = "1800000000.1"


class Readings:
    """Stands in for ``AgentService``: keeps which agent and call each reading was for."""

    wrap_up_s = 30

    def __init__(self) -> None:
        self.members = {"1001": MEMBER}
        self.read: list[tuple[str, str | None]] = []

    async def adopt_reading(self, job: str, _read: Any, *, linkedid: str | None = None) -> None:
        self.read.append((job, linkedid))


def event(name: str, **headers: str) -> Any:
    return parse_event({"Event": name, "Timestamp": "1800000010.0", **headers})


async def test_an_agent_complete_without_channel_headers_keeps_the_answered_call() -> None:
    """app_queue may end a call with an AgentComplete naming neither channel; the wrap-up
    it starts is still that call's (its audit row says which call, for the reports)."""
    readings = Readings()
    watch = AsteriskWatch(None, readings, None, None)  # type: ignore[arg-type]
    watch.on_event(event("AgentConnect", Queue="12333", MemberName="1001", Linkedid=CALL))
    watch.on_event(event("AgentComplete", Queue="12333", MemberName="1001", Reason="caller"))
    watch.on_event(event("AgentComplete", Queue="12333", MemberName="1001", Reason="caller"))
    await asyncio.gather(*watch._tasks)
    assert readings.read == [("1001", CALL), ("1001", CALL), ("1001", None)]
