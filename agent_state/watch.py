"""Asterisk's events, routed: each one that concerns an agent is read by the pure
``interpret`` and the answer handed to the service (which serialises everything one
agent does). Feature codes go to ``features.py``; ``FullyBooted`` to the reconciler.

Events are queued onto the service in arrival order; its per-agent lock is FIFO, so
each agent sees Asterisk's events in Asterisk's order. What Asterisk reports about a
member's pause between its call's answer and end (``SinceAnswer``) is kept as the events
arrive, so an ``AgentComplete`` is read with what Asterisk had said before it.

One exception to arrival order: when the caller hangs up first, app_queue reports
``AgentComplete`` a few ms *before* the member leg's hangup handler pauses the member
(R4, in the dialplan). Read at once, the model would send a wrap-up pause of its own,
which Asterisk already makes — each a walk of every queue member and an AstDB write
(README "Capacity"). So an ``AgentComplete`` that finds the member not yet reported
paused in all its queues is held until it is, for at most ``pause_wait_s``; then it is
read with what Asterisk said by then, and the model decides as always. Events of the
agent that come meanwhile (the pauses themselves) are read before it: on a call they
change nothing.
"""

from __future__ import annotations

import asyncio
import math
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
from core.errors import ConfigError
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


def valid_pause_wait(seconds: float) -> float:
    """``HOTLINE_WRAP_UP_PAUSE_WAIT_S``, or a ``ConfigError``: NaN would wait for no
    pause and say nothing, infinity overflows the loop's timer; 0 or less: no wait."""
    if math.isnan(seconds) or seconds == math.inf:
        raise ConfigError(
            f"HOTLINE_WRAP_UP_PAUSE_WAIT_S={seconds}: must be a number of seconds"
            " (0 or less: no wait)"
        )
    return seconds


class AsteriskWatch:
    def __init__(
        self,
        ami: AmiClient,
        service: AgentService,
        carrier: AsteriskCarrier,
        reconciler: Reconciler,
        *,
        pause_wait_s: float = 0.0,
    ) -> None:
        self.ami = ami
        self.service = service
        self.carrier = carrier
        self.reconciler = reconciler
        self.features = FeatureCodes(ami, service)
        self.ringing: dict[str, str] = {}  # member channel -> job number, while it rings
        self.on_call: dict[str, SinceAnswer] = {}  # job number -> pauses since the answer
        # an AgentComplete waits at most this long for the dialplan's R4 pause (0: never)
        self.pause_wait_s = valid_pause_wait(pause_wait_s)
        self._holding: dict[str, asyncio.Event] = {}  # job number -> set once paused
        self.held = 0  # AgentCompletes held for the pause (how many: the bench's figure)
        self.unpaused = 0  # of those, read with no pause reported by the end of the wait
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
            if isinstance(event, AgentComplete) and self._pause_awaited(job):
                self._spawn(self._held(job, event, call))
            else:
                self._spawn(self._read(job, event, self._paused_as(job, event), call))

    def _queues(self, job: str) -> list[str]:
        return [queue for queue, _ in self.service.members[job].asterisk_queues]

    def _paused_as(self, job: str, event: Event) -> str | None:
        """Keeps what Asterisk says about the member's pause while its call lasts; at the
        call's end, the reason all its queues were reported paused with (if one)."""
        if isinstance(event, AgentConnect):
            self.on_call[job] = SinceAnswer(linkedid=call_of(event))
        elif isinstance(event, QueueMemberPause) and job in self.on_call:
            self.on_call[job] = self.on_call[job].seeing(event)
            held = self._holding.get(job)
            if held is not None and self.on_call[job].paused_as(self._queues(job)) is not None:
                held.set()
        elif isinstance(event, AgentComplete):
            return self.on_call.pop(job, SinceAnswer()).paused_as(self._queues(job))
        return None

    def _pause_awaited(self, job: str) -> bool:
        """Whether this call's end should wait for Asterisk to report the member paused."""
        if self.pause_wait_s <= 0 or job in self._holding or job not in self.on_call:
            return False
        return self.on_call[job].paused_as(self._queues(job)) is None

    async def _held(self, job: str, event: AgentComplete, call: str | None) -> None:
        """The call's end, read once the member's pause is reported or the wait is over."""
        answered = self.on_call[job].linkedid
        paused = self._holding[job] = asyncio.Event()
        self.held += 1
        try:
            async with asyncio.timeout(self.pause_wait_s):
                await paused.wait()
        except TimeoutError:
            self.unpaused += 1
            log.info("call ended with no pause from the dialplan yet", agent=job, call=call)
        finally:
            del self._holding[job]
        since = self.on_call.get(job)
        if since is None or since.linkedid != answered:
            # a new call was answered meanwhile (its reading comes first and reconciles):
            # what is kept now is that call's
            await self._read(job, event, None, call)
            return
        await self._read(job, event, self._paused_as(job, event), call)

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
