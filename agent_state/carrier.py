"""Carrying an agent's state into Asterisk: the model's commands as AMI actions.

Signed in = a dynamic member of each of the agent's queues: ``Local/<ext>@agents-local/n``
with ``StateInterface=PJSIP/<ext>`` (so ``ringinuse=no`` sees the phone) and
``MemberName=<job number>`` (R8), added paused. Idle = unpaused; every other state =
paused with a whitelisted reason. The BLF lamp is the custom device state
``Custom:agent<job number>``.

An AMI failure here never raises into the agent's transition (it is stored already):
it is logged and the agent is queued for reconciliation, which ends busy, never idle.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterable

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
from core.names import lamp_device

log = get_logger("agent_state")

# how many of our own pause commands per agent we remember, to recognise their echoes
ECHOES = 8


class AsteriskCarrier:
    def __init__(self, ami: AmiClient, on_failure: Callable[[str], None]) -> None:
        self.ami = ami
        self.on_failure = on_failure
        # (paused, reason) of our recent QueuePause/QueueAdd per agent, newest last
        self.sent: dict[str, deque[tuple[bool, str]]] = {}

    def sent_recently(self, job_number: str, paused: bool, reason: str) -> bool:
        return (paused, reason) in self.sent.get(job_number, ())

    def last_sent(self, job_number: str) -> tuple[bool, str] | None:
        sent = self.sent.get(job_number)
        return sent[-1] if sent else None

    def _remember(self, job_number: str, paused: bool, reason: str) -> None:
        self.sent.setdefault(job_number, deque(maxlen=ECHOES)).append((paused, reason))

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
            self._remember(job, True, command.reason)
            for queue, penalty in member.queues:
                try:
                    await self.ami.send(
                        QueueAdd(
                            queue,
                            member.interface,
                            job,
                            member.state_interface,
                            penalty=penalty,
                            paused=True,
                            reason=command.reason,
                        )
                    )
                except AmiActionFailed:  # already there (e.g. restored by Asterisk): pause it
                    await self.ami.send(
                        QueuePause(member.interface, True, queue=queue, reason=command.reason)
                    )
        elif isinstance(command, RemoveMember):
            self._remember(job, True, "logged_out")
            for queue, _ in member.queues:
                with contextlib.suppress(AmiActionFailed):  # not there: nothing to remove
                    await self.ami.send(QueueRemove(queue, member.interface))
        elif isinstance(command, PauseMember):
            self._remember(job, True, command.reason)
            await self.ami.send(QueuePause(member.interface, True, reason=command.reason))
        elif isinstance(command, UnpauseMember):
            self._remember(job, False, "")
            await self.ami.send(QueuePause(member.interface, False))
        elif isinstance(command, SetLamp):
            await self.ami.send(Setvar(f"DEVICE_STATE({lamp_device(job)})", command.lamp.value))
