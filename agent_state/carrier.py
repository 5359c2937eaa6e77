"""Carrying an agent's state into Asterisk: the model's commands as AMI actions.

Signed in = a dynamic member of each of the agent's queues (and, while an owned callback
is offered to the agent, of the owners' queue at its slot: ``core/names.OWNER_QUEUE``,
``join_owners``/``leave_owners``): ``Local/<ext>@agents-local/n``
with ``StateInterface=PJSIP/<ext>`` (so ``ringinuse=no`` sees the phone) and
``MemberName=<job number>`` (R8), added paused. Idle = unpaused; every other state =
paused with a whitelisted reason. The BLF lamp's part the service sets is the custom
device state ``Custom:agent<job number>``, only when the centre uses lamps (``lamps``);
the hint that adds the session's phone to it is ``hint_keeper.py``'s.

An AMI failure here never raises into the agent's transition (it is stored already):
it is logged and the agent is queued for reconciliation, which ends busy, never idle.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterable

from agent_state.interpret import LEFT_OWNERS, REMOVED, Sent
from agent_state.member import Member
from agent_state.model import (
    AddMember,
    Agent,
    Command,
    PauseMember,
    RemoveMember,
    SetLamp,
    StartWrapUpTimer,
    UnpauseMember,
)
from ami import AmiActionFailed, AmiClient, AmiError
from ami.actions import QueueAdd, QueuePause, QueueRemove, Setvar
from core.logging import get_logger
from core.names import OWNER_QUEUE, lamp_device

log = get_logger("agent_state")


class AsteriskCarrier:
    def __init__(
        self,
        ami: AmiClient,
        on_failure: Callable[[str], None],
        *,
        echo_memory: int = 8,
        lamps: bool = True,
    ) -> None:
        self.ami = ami
        self.lamps = lamps
        self.on_failure = on_failure
        self.echo_memory = echo_memory
        # (paused, reason) of our recent pauses/adds/removals per agent, newest last
        self._sent: dict[str, deque[tuple[bool, str]]] = {}

    def sent(self, job_number: str) -> Sent:
        """What we recently asked Asterisk to do with this agent's member."""
        return Sent(tuple(self._sent.get(job_number, ())))

    def _remember(self, job_number: str, paused: bool, reason: str) -> None:
        memory = self._sent.setdefault(job_number, deque(maxlen=self.echo_memory))
        memory.append((paused, reason))

    async def carry_out(self, member: Member, agent: Agent, commands: Iterable[Command]) -> None:
        for command in commands:
            if isinstance(command, StartWrapUpTimer):
                continue  # the service's own timer
            try:
                await self._one(member, command)
            except AmiError as exc:
                log.warning(
                    "asterisk did not take the agent's state; will reconcile",
                    agent=member.job_number,
                    command=type(command).__name__,
                    error=exc.code,
                    state=agent.label,
                )
                self.on_failure(member.job_number)
                return

    async def _one(self, member: Member, command: Command) -> None:
        job = member.job_number
        if isinstance(command, AddMember):
            await self.restore(member, command.reason)
        elif isinstance(command, RemoveMember):
            self._remember(job, True, REMOVED)
            for queue in member.possible_queues:
                with contextlib.suppress(AmiActionFailed):  # not there: nothing to remove
                    await self.ami.send(QueueRemove(queue, member.interface))
        elif isinstance(command, PauseMember):
            self._remember(job, True, command.reason)
            await self.ami.send(QueuePause(member.interface, True, reason=command.reason))
        elif isinstance(command, UnpauseMember):
            self._remember(job, False, "")
            await self.ami.send(QueuePause(member.interface, False))
        elif isinstance(command, SetLamp) and self.lamps:
            await self.ami.send(Setvar(f"DEVICE_STATE({lamp_device(job)})", command.lamp.value))

    async def restore(
        self, member: Member, reason: str, queues: Iterable[str] | None = None
    ) -> None:
        """The one way a member is (re)added: paused (asterisk#1007), to each of its
        queues (or just ``queues``); one already there is paused instead."""
        self._remember(member.job_number, True, reason)
        wanted = None if queues is None else set(queues)
        for queue, penalty in member.asterisk_queues:
            if wanted is not None and queue not in wanted:
                continue
            add = QueueAdd(
                queue,
                member.interface,
                member.job_number,
                member.state_interface,
                penalty=penalty,
                paused=True,
                reason=reason,
            )
            try:
                await self.ami.send(add)
            except AmiActionFailed:  # already there (e.g. kept by Asterisk): pause it
                await self.ami.send(QueuePause(member.interface, True, queue=queue, reason=reason))

    async def join_owners(self, member: Member, paused: bool, reason: str) -> None:
        """The member into the owners' queue at its slot, paused as it is in its other
        queues (added paused, like every add: asterisk#1007; then unpaused there if the
        agent is idle). The caller holds the agent's lock, so no change of state comes
        between the two actions."""
        assert member.owner_slot is not None, "only an agent with a slot owns callbacks"
        self._remember(member.job_number, True, reason)
        add = QueueAdd(
            OWNER_QUEUE,
            member.interface,
            member.job_number,
            member.state_interface,
            penalty=member.owner_slot,
            paused=True,
            reason=reason,
        )
        if not paused:
            self._remember(member.job_number, False, "")
        try:
            await self.ami.send(add)
        except AmiActionFailed:  # already there (kept): paused as it should be
            reason = reason if paused else ""
            await self.ami.send(
                QueuePause(member.interface, paused, queue=OWNER_QUEUE, reason=reason)
            )
            return
        if not paused:
            await self.ami.send(QueuePause(member.interface, False, queue=OWNER_QUEUE))

    async def leave_owners(self, member: Member) -> None:
        """The member out of the owners' queue (its owned callback's offer is over)."""
        self._remember(member.job_number, True, LEFT_OWNERS)
        with contextlib.suppress(AmiActionFailed):  # not there: nothing to remove
            await self.ami.send(QueueRemove(OWNER_QUEUE, member.interface))
