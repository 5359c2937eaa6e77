"""Asterisk's events, routed: each one that concerns an agent is read by the pure
``interpret`` and the answer handed to the service (which serialises everything one
agent does). Feature codes go to ``features.py``; ``FullyBooted`` to the reconciler.

Events are queued onto the service in arrival order; its per-agent lock is FIFO, so
each agent sees Asterisk's events in Asterisk's order. What Asterisk reports about a
member's pause between its call's answer and end (``SinceAnswer``) is kept as the events
arrive, so an ``AgentComplete`` is read with what Asterisk had said before it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from agent_state.carrier import AsteriskCarrier
from agent_state.features import FeatureCodes
from agent_state.interpret import SinceAnswer, interpret
from agent_state.reconciler import Reconciler
from agent_state.service import AgentService
from ami import AmiClient
from ami.events import (
    AgentCalled,
    AgentComplete,
    AgentConnect,
    ContactStatus,
    Event,
    FullyBooted,
    Hangup,
    QueueMemberPause,
    UserEvent,
    call_of,
)
from core import names
from core.logging import get_logger

log = get_logger("agent_state")

PATTERNS = (
    "Agent*",
    "QueueMemberPause",
    "QueueMemberRemoved",
    "ContactStatus",
    "Hangup",
    "UserEvent",
    "FullyBooted",
)


class AsteriskWatch:
    def __init__(
        self,
        ami: AmiClient,
        service: AgentService,
        carrier: AsteriskCarrier,
        reconciler: Reconciler,
    ) -> None:
        self.ami = ami
        self.service = service
        self.carrier = carrier
        self.reconciler = reconciler
        self.features = FeatureCodes(ami, service)
        self.ringing: dict[str, str] = {}  # member channel -> job number, while it rings
        self.on_call: dict[str, SinceAnswer] = {}  # job number -> pauses since the answer
        self._tasks: set[asyncio.Task[None]] = set()

    def attach(self) -> None:
        for pattern in PATTERNS:
            self.ami.on_event(pattern, self.on_event)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "agent event not applied; the next reconcile repairs it",
                error=repr(task.exception()),
            )
            self.reconciler.soon(1.0)

    def on_event(self, event: Event) -> None:
        if isinstance(event, FullyBooted):
            self.reconciler.soon(0)
        elif isinstance(event, UserEvent):
            if event.user_event == names.EVENT_FEATURE:
                self._spawn(self.features.answer(event))
        elif job := self._job_of(event):
            answered = self.on_call.get(job, SinceAnswer()).linkedid
            call = call_of(event) or answered or None
            self._spawn(self._read(job, event, self._paused_as(job, event), call))

    def _paused_as(self, job: str, event: Event) -> str | None:
        """Keeps what Asterisk says about the member's pause while its call lasts; at the
        call's end, the reason all its queues were reported paused with (if one)."""
        if isinstance(event, AgentConnect):
            self.on_call[job] = SinceAnswer(linkedid=call_of(event))
        elif isinstance(event, QueueMemberPause) and job in self.on_call:
            self.on_call[job] = self.on_call[job].seeing(event)
        elif isinstance(event, AgentComplete):
            queues = [queue for queue, _ in self.service.members[job].asterisk_queues]
            return self.on_call.pop(job, SinceAnswer()).paused_as(queues)
        return None

    def _job_of(self, event: Event) -> str | None:
        """The agent an event concerns, if any (routing only: no decisions here)."""
        if isinstance(event, ContactStatus):
            member = self.service.by_extension(event.aor)
            return member.job_number if member else None
        if isinstance(event, Hangup):
            return self.ringing.pop(event.channel, None)
        job = getattr(event, "member_name", "")
        if job not in self.service.members:
            return None
        if isinstance(event, AgentCalled):
            self.ringing[event.dest_channel] = job
        elif event.name in ("AgentConnect", "AgentRingNoAnswer"):
            for channel in [c for c, j in self.ringing.items() if j == job]:
                del self.ringing[channel]
        return str(job)

    async def _read(
        self, job: str, event: Event, paused_as: str | None, linkedid: str | None
    ) -> None:
        await self.service.adopt_reading(
            job,
            lambda agent: interpret(
                event,
                agent,
                self.carrier.sent(job),
                wrap_up_s=self.service.wrap_up_s,
                paused_as=paused_as,
            ),
            linkedid=linkedid,
        )
