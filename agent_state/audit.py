"""Reading an agent's audit log: every transition and why (``detail``), for the agent
itself or a supervisor."""

from __future__ import annotations

from typing import Any

from agent_state import repo
from agent_state.repo import AuditRow
from agent_state.service import AgentService
from core.actor import Actor
from core.errors import Forbidden

AUDIT_LIMIT_MAX = 1000


class AuditTrail:
    def __init__(self, pool: Any, agents: AgentService) -> None:
        self.pool = pool
        self.agents = agents

    async def recent(self, actor: Actor, job_number: str, limit: int) -> list[AuditRow]:
        """The agent's last ``limit`` transitions, newest first."""
        if actor.job_number != job_number and not actor.is_supervisor:
            raise Forbidden("an agent reads only its own audit; a supervisor reads any")
        self.agents.member(job_number)  # NotFound for a job number not on the roster
        return await repo.audit(self.pool, job_number, min(limit, AUDIT_LIMIT_MAX))
