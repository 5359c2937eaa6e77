"""Asterisk's side of the agents: AMI events adopted, feature codes answered, reconciling.

Events are handled in arrival order per agent: each is queued onto the agent service,
which serialises them with everything else that agent does.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from agent_state.carrier import AsteriskCarrier
from agent_state.features import FeatureCodes
from agent_state.model import (
    Answered,
    Missed,
    Offered,
    PhoneBack,
    PhoneLost,
    RingEnded,
    State,
)
from agent_state.reconcile import UNPAUSED_STATES, plan
from agent_state.service import AgentService
from ami import AmiActionFailed, AmiClient, AmiError
from ami.actions import DeviceStateList, QueueAdd, QueuePause, QueueRemove, QueueStatus
from ami.events import (
    AgentCalled,
    AgentComplete,
    AgentConnect,
    AgentRingNoAnswer,
    ContactStatus,
    Event,
    FullyBooted,
    Hangup,
    QueueMember,
    QueueMemberPause,
    QueueMemberRemoved,
    UserEvent,
)
from core import names
from core.logging import get_logger

log = get_logger("agent_state")

PHONE_LOST = frozenset({"Unreachable", "Removed"})
# A phone seen UNAVAILABLE by a reconcile is taken as lost only if it still is this much
# later: after an Asterisk restart, phones are UNAVAILABLE until their first qualify.
PHONE_GRACE_S = 8.0


class AsteriskWatch:
    def __init__(
        self,
        ami: AmiClient,
        service: AgentService,
        carrier: AsteriskCarrier,
        queues: tuple[str, ...],
    ) -> None:
        self.ami = ami
        self.service = service
        self.carrier = carrier
        self.features = FeatureCodes(ami, service)
        self.queues = queues
        self.ringing: dict[str, str] = {}  # member channel -> job number, while it rings
        self._tasks: set[asyncio.Task[None]] = set()
        self._reconcile_lock = asyncio.Lock()
        self._reconcile_soon: asyncio.TimerHandle | None = None
        self._later: set[asyncio.TimerHandle] = set()

    def attach(self) -> None:
        for pattern in (
            "Agent*",
            "QueueMemberPause",
            "QueueMemberRemoved",
            "ContactStatus",
            "Hangup",
            "UserEvent",
            "FullyBooted",
        ):
            self.ami.on_event(pattern, self.on_event)

    async def stop(self) -> None:
        if self._reconcile_soon is not None:
            self._reconcile_soon.cancel()
        for handle in self._later:
            handle.cancel()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "agent event not applied; the next reconcile repairs it",
                error=repr(task.exception()),
            )
            self.reconcile_soon(1.0)

    # ---- events -----------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if isinstance(event, FullyBooted):
            self.reconcile_soon(0)
        elif isinstance(event, UserEvent):
            if event.user_event == names.EVENT_FEATURE:
                self._spawn(self.features.answer(event))
        elif isinstance(event, ContactStatus):
            self._contact(event)
        elif isinstance(event, Hangup):
            job = self.ringing.pop(event.channel, None)
            if job is not None:
                self._spawn(self.service.adopt(job, RingEnded()))
        elif getattr(event, "member_name", "") in self.service.members:
            self._member_event(event.member_name, event)  # type: ignore[attr-defined]

    def _contact(self, event: ContactStatus) -> None:
        member = self.service.by_extension(event.aor)
        if member is not None and event.contact_status in PHONE_LOST:
            self._spawn(self.service.adopt(member.job_number, PhoneLost()))
        elif member is not None and event.contact_status == "Reachable":
            self._spawn(self.service.adopt(member.job_number, PhoneBack()))

    def _member_event(self, job: str, event: Event) -> None:
        linkedid = event.get("Linkedid") or None
        if isinstance(event, AgentCalled):
            self.ringing[event.dest_channel] = job
            self._spawn(
                self.service.adopt(job, Offered(linkedid=event.linkedid), linkedid=linkedid)
            )
        elif isinstance(event, AgentConnect):
            self._forget_ringing(job)
            self._spawn(
                self.service.adopt(job, Answered(linkedid=event.linkedid), linkedid=linkedid)
            )
        elif isinstance(event, AgentRingNoAnswer):
            # the phone stopped ringing: unanswered, or busy (asterisk.md §1: a busy phone
            # is no miss). A real miss is app_queue's autopause that follows (Auto-Pause).
            self._forget_ringing(job)
            self._spawn(self.service.adopt(job, RingEnded(), linkedid=linkedid))
        elif isinstance(event, AgentComplete):
            self._spawn(self.service.adopt(job, self.service.call_ended(), linkedid=linkedid))
        elif isinstance(event, QueueMemberPause):
            self._spawn(self._pause_changed(job, event))
        elif isinstance(event, QueueMemberRemoved):
            agent = self.service.agents.get(job)
            if (
                agent is not None
                and agent.state is not State.LOGGED_OUT
                and self.carrier.last_sent(job) != (True, "logged_out")
            ):
                self.reconcile_soon()

    def _forget_ringing(self, job: str) -> None:
        for channel in [c for c, j in self.ringing.items() if j == job]:
            del self.ringing[channel]

    async def _pause_changed(self, job: str, event: QueueMemberPause) -> None:
        if event.paused and event.paused_reason == names.AUTO_PAUSE:
            await self.service.adopt(job, Missed())  # R3: a miss, adopted as busy
            return
        if self.carrier.sent_recently(job, event.paused, event.paused_reason):
            return  # the echo of our own command
        agent = self.service.agents.get(job)
        if agent is None or agent.state is State.LOGGED_OUT:
            return
        if (
            event.paused
            and event.paused_reason == names.PAUSE_WRAP_UP
            and agent.state in (State.ON_CALL, State.WRAP_UP)
        ):
            return  # the dialplan paused the member as the call ended (R4)
        if event.paused != (agent.state not in UNPAUSED_STATES):
            log.warning(
                "a pause changed behind the service's back; reconciling",
                agent=job,
                paused=event.paused,
                reason=event.paused_reason,
                state=agent.label,
            )
            await self.service.force_reconciled(job)

    # ---- reconciling ------------------------------------------------------------------------

    def reconcile_soon(self, delay: float = 0.5) -> None:
        if self._reconcile_soon is not None:
            self._reconcile_soon.cancel()
        loop = asyncio.get_running_loop()
        self._reconcile_soon = loop.call_later(delay, lambda: self._spawn(self.reconcile()))

    async def reconcile(self) -> None:
        async with self._reconcile_lock:
            try:
                observed: list[QueueMember] = []
                for queue in self.queues:
                    reply = await self.ami.send(QueueStatus(queue=queue))
                    observed += [e for e in reply.events if isinstance(e, QueueMember)]
                devices = await self.ami.send(DeviceStateList())
            except AmiError as exc:
                log.warning("reconcile postponed: AMI did not answer", error=exc.code)
                return
            states = {e.get("Device"): e.get("State") for e in devices.events}
            todo = plan(self.service.members, self.service.agents, observed, states)
            await self._carry_out(todo)

    async def _carry_out(self, todo: Any) -> None:
        for queue, interface in todo.remove:
            log.warning(
                "removing a member the service did not sign in", queue=queue, interface=interface
            )
            with contextlib.suppress(AmiError):
                await self.ami.send(QueueRemove(queue, interface))
        if todo.phone_lost:  # right after a (re)start phones show UNAVAILABLE until qualified
            loop = asyncio.get_running_loop()
            lost = todo.phone_lost
            self._later.add(
                loop.call_later(PHONE_GRACE_S, lambda: self._spawn(self._confirm_lost(lost)))
            )
        for job in todo.phone_back:
            await self.service.adopt(job, PhoneBack())
        for job in todo.restore:
            await self._restore(job)
        for job in todo.force_busy:
            log.warning(
                "agent disagrees with Asterisk; busy(reconciled)",
                agent=job,
                why=todo.why.get(job, ""),
            )
            await self.service.force_reconciled(job)

    async def _confirm_lost(self, jobs: tuple[str, ...]) -> None:
        try:
            devices = await self.ami.send(DeviceStateList())
        except AmiError:
            return  # the next reconcile looks again
        states = {e.get("Device"): e.get("State") for e in devices.events}
        for job in jobs:
            member = self.service.members.get(job)
            if member and states.get(member.state_interface) in ("UNAVAILABLE", "INVALID"):
                await self.service.adopt(job, PhoneLost())

    async def _restore(self, job: str) -> None:
        """Add the member back, paused, to the queues Asterisk lost it from."""
        member = self.service.members[job]
        for queue, penalty in member.queues:
            add = QueueAdd(
                queue,
                member.interface,
                job,
                member.state_interface,
                penalty=penalty,
                paused=True,
                reason="reconciled",
            )
            try:
                await self.ami.send(add)
            except AmiActionFailed:  # already there: make sure it is paused
                with contextlib.suppress(AmiError):
                    await self.ami.send(
                        QueuePause(member.interface, True, queue=queue, reason="reconciled")
                    )
            except AmiError as exc:
                log.warning("member not restored", agent=job, queue=queue, error=exc.code)
