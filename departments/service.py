"""Departments: the admin keeps the list (R11b, R13); an agent transfers the caller of
the call at their desk phone to one (R11b).

A transfer moves the CALLER's channel: the service finds it through AMI (``Status``:
the desk phone's channel, then the channel whose Uniqueid is the call's Linkedid), sets
``names.TRANSFER_NUMBER_VAR`` on it to the department's number (3 to 20 digits, checked
here and filtered again by the dialplan), then the agent's member leg (the caller's
partner in the queue's bridge) blind-transfers the caller to ``names.TRANSFER``, which
dials the number through the outbound trunk. The number is never dialplan code: it
travels as a variable's value. A blind transfer, not a ``Redirect`` of the caller: after
a Redirect app_queue reports no ``AgentComplete`` at all, so the call would not be
recorded as transferred; after the transfer it says ``Reason: transfer``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from agent_state.model import State
from agent_state.service import AgentService
from ami import AmiClient
from ami.actions import BlindTransfer, ChannelStatus, Setvar
from core import names
from core.actor import Actor, Role
from core.errors import Forbidden, NotFound
from core.logging import get_logger
from departments import model, repo
from departments.model import Department, Draft

log = get_logger("departments")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("only an admin keeps the department numbers")


class DepartmentService:
    def __init__(
        self,
        pool: Any,
        ami: AmiClient,
        agents: AgentService,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.pool = pool
        self.ami = ami
        self.agents = agents
        self.clock = clock

    # ---- the admin's list ---------------------------------------------------------------

    def may_keep(self, actor: Actor) -> None:
        _admin(actor)

    async def listing(self, actor: Actor) -> list[Department]:
        _admin(actor)
        return await repo.listing(self.pool)

    async def active(self) -> list[Department]:
        """What agents choose from (any signed-in person may read the names)."""
        return [d for d in await repo.listing(self.pool) if d.active]

    async def create(self, actor: Actor, draft: Draft) -> Department:
        _admin(actor)
        made = await repo.insert(self.pool, draft)
        log.info("department added", department=made.id, by=actor.job_number)
        return made

    async def update(
        self, actor: Actor, department_id: int, draft: Draft, active: bool = True
    ) -> Department:
        _admin(actor)
        changed = await repo.update(self.pool, department_id, draft, active)
        if changed is None:
            raise NotFound(f"no department {department_id}")
        log.info("department changed", department=department_id, active=active, by=actor.job_number)
        return changed

    async def disable(self, actor: Actor, department_id: int) -> Department:
        _admin(actor)
        found = await repo.by_id(self.pool, department_id)
        if found is None:
            raise NotFound(f"no department {department_id}")
        return await self.update(actor, department_id, Draft(found.name, found.number), False)

    # ---- the call at the agent's desk phone ----------------------------------------------

    async def caller_of(self, job_number: str) -> model.Channel | None:
        """The caller's channel of the call the agent is on now (None: on no call)."""
        agent = self.agents.agents.get(job_number)
        if agent is None or agent.state is not State.ON_CALL:
            return None
        phone = self.agents.seated(job_number).phone
        return await self.caller_at(phone)

    async def caller_at(self, phone: str) -> model.Channel | None:
        """The caller's channel of the call desk phone ``phone`` is in, through AMI."""
        return model.caller_channel(await self._channels(), phone)

    async def _channels(self) -> list[model.Channel]:
        reply = await self.ami.send(ChannelStatus())
        return model.channels_from(e.raw for e in reply.events)

    async def hand_over(self, caller: model.Channel, number: str) -> None:
        """The caller goes on to ``names.TRANSFER``, which dials ``number`` (checked
        again here: digits only) through the outbound trunk. The agent's member leg,
        the caller's partner in the queue's bridge, blind-transfers the caller: app_queue
        then reports the call as transferred, and the agent's leg ends."""
        checked = model.draft("-", number).number
        partner = model.bridge_partner(await self._channels(), caller)
        if partner is None:
            raise model.NotOnCall(f"the caller {caller.name} is in no bridge now")
        await self.ami.send(Setvar(names.TRANSFER_NUMBER_VAR, checked, caller.name))
        await self.ami.send(BlindTransfer(partner.name, names.TRANSFER))

    # ---- R11b: transfer the caller ------------------------------------------------------

    async def transfer(self, actor: Actor, department_id: int) -> tuple[Department, str]:
        """The caller of the agent's call now goes to the department; returns it and the
        call's Linkedid."""
        if actor.role is not Role.AGENT:
            raise Forbidden("only the agent on the call transfers its caller")
        department = await repo.by_id(self.pool, department_id)
        if department is None or not department.active:
            raise model.Inactive(f"department {department_id} is not in use")
        caller = await self.caller_of(actor.job_number)
        if caller is None:
            raise model.NotOnCall(f"agent {actor.job_number} is in no call with a caller now")
        await self.hand_over(caller, department.number)
        await repo.record_transfer(
            self.pool, caller.linkedid, department, actor.job_number, self.clock()
        )
        log.info(
            "caller transferred to a department",
            call=caller.linkedid,
            department=department.id,
            number=department.number,
            agent=actor.job_number,
        )
        return department, caller.linkedid
