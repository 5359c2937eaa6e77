"""Running the reconcile: Asterisk's snapshot in, the pure plan (``reconcile.plan``),
then each step carried out through the service (under each agent's lock).

The snapshot is asked for *after* noting each agent's change count; an agent that
changed while the snapshot was on its way is left for the next pass, so a reconcile
never judges the service's own fresh commands by an older picture of Asterisk.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from agent_state.carrier import AsteriskCarrier
from agent_state.model import PauseConfirmed, PhoneBack, PhoneLost, RemoveConfirmed
from agent_state.reconcile import Plan, plan
from agent_state.service import AgentService
from ami import AmiClient, AmiError
from ami.actions import DeviceStateList, QueueRemove, QueueStatus
from ami.events import QueueMember
from core.logging import get_logger

log = get_logger("agent_state")
PHONE_AWAY = ("UNAVAILABLE", "INVALID")


class Reconciler:
    def __init__(
        self,
        ami: AmiClient,
        service: AgentService,
        carrier: AsteriskCarrier,
        queues: tuple[str, ...],
        *,
        phone_grace_s: float,
    ) -> None:
        self.ami = ami
        self.service = service
        self.carrier = carrier
        self.queues = queues
        # right after an Asterisk restart phones are UNAVAILABLE until their first qualify:
        # a phone is taken as lost only if it still is this much later
        self.phone_grace_s = phone_grace_s
        self.passes = 0  # completed reconciles
        self._lock = asyncio.Lock()
        self._soon: asyncio.TimerHandle | None = None
        self._later: set[asyncio.TimerHandle] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def soon(self, delay: float = 0.5) -> None:
        """Reconcile after ``delay`` (a burst of requests makes one pass)."""
        if self._soon is not None:
            self._soon.cancel()
        loop = asyncio.get_running_loop()
        self._soon = loop.call_later(delay, lambda: self._spawn(self.run()))

    async def stop(self) -> None:
        if self._soon is not None:
            self._soon.cancel()
        for handle in self._later:
            handle.cancel()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self) -> None:
        async with self._lock:
            generations = self.service.generations()
            try:
                observed: list[QueueMember] = []
                for queue in self.queues:
                    reply = await self.ami.send(QueueStatus(queue=queue))
                    observed += [e for e in reply.events if isinstance(e, QueueMember)]
                devices = await self.ami.send(DeviceStateList())
            except AmiError as exc:
                log.warning("reconcile postponed: AMI did not answer", error=exc.code)
                return
            now = self.service.generations()
            skip = frozenset(job for job, n in now.items() if generations.get(job) != n)
            states = {e.get("Device"): e.get("State") for e in devices.events}
            members = self.service.seated_members()  # each at its session's desk phone
            todo = plan(
                members, self.service.agents, observed, states, skip=skip, lamps=self.carrier.lamps
            )
            await self._carry_out(todo)
            self.passes += 1
        # the service's own start-up commands (stored wrap-up deadlines) come after the
        # first pass, so that pass sees Asterisk as the service left it
        self.service.arm_stored_deadlines()

    async def _carry_out(self, todo: Plan) -> None:
        for queue, interface in todo.remove:
            log.warning(
                "removing a member the service did not sign in", queue=queue, interface=interface
            )
            with contextlib.suppress(AmiError):
                await self.ami.send(QueueRemove(queue, interface))
        if todo.phone_lost:
            lost = todo.phone_lost
            loop = asyncio.get_running_loop()
            self._later.add(
                loop.call_later(self.phone_grace_s, lambda: self._spawn(self._confirm_lost(lost)))
            )
        for job in todo.phone_back:
            await self.service.adopt(job, PhoneBack())
        for job in todo.confirm_busy:
            await self.service.adopt(job, PauseConfirmed())
        for job in todo.confirm_out:
            await self.service.adopt(job, RemoveConfirmed())
        for job, queues in todo.restore:
            await self._restore(job, queues)
        for job in todo.force_busy:
            await self.service.force_reconciled(job, todo.why.get(job, ""))
        if todo.lamps:
            log.info("lamps set again: they showed something else", agents=len(todo.lamps))
        for job in todo.lamps:
            await self.service.show_lamp(job)

    async def _restore(self, job: str, queues: tuple[str, ...]) -> None:
        member = self.service.seated(job)
        try:
            await self.carrier.restore(member, "reconciled", queues)
        except AmiError as exc:
            log.warning("member not restored", agent=job, queues=queues, error=exc.code)

    async def _confirm_lost(self, jobs: tuple[str, ...]) -> None:
        try:
            devices = await self.ami.send(DeviceStateList())
        except AmiError:
            return  # the next reconcile looks again
        states = {e.get("Device"): e.get("State") for e in devices.events}
        for job in jobs:
            if job not in self.service.members:
                continue
            member = self.service.seated(job)
            if states.get(member.state_interface) in PHONE_AWAY:
                await self.service.adopt(job, PhoneLost())
