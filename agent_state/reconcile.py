"""Reconciling the service's agents with what Asterisk has: a pure comparison.

Run on every AMI (re)connect, on ``FullyBooted`` and after an action failed. The rule
(design.md): where the two disagree, the agent ends up ``busy(reconciled)``, never
idle. Members Asterisk has but the service does not (a signed-out agent, an unknown
name) are removed — they could otherwise be rung.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from agent_state.member import Member
from agent_state.model import Agent, BusyReason, State
from ami.events import MemberStatus, QueueMember

# In Asterisk an agent is unpaused while idle, ringing and on a call; paused otherwise.
UNPAUSED_STATES = frozenset({State.IDLE, State.RINGING, State.ON_CALL})
_PHONE_AWAY = frozenset({"UNAVAILABLE", "INVALID"})


@dataclass(frozen=True)
class Plan:
    remove: tuple[tuple[str, str], ...] = ()  # (queue, interface)
    restore: tuple[str, ...] = ()  # job numbers to add again (paused) to missing queues
    force_busy: tuple[str, ...] = ()  # job numbers to put in busy(reconciled)
    phone_lost: tuple[str, ...] = ()
    phone_back: tuple[str, ...] = ()
    why: dict[str, str] = field(default_factory=dict)


def plan(
    members: Mapping[str, Member],
    agents: Mapping[str, Agent],
    observed: Iterable[QueueMember],
    device_states: Mapping[str, str],
) -> Plan:
    """What to do so that Asterisk and the service agree again."""
    seen: dict[str, dict[str, QueueMember]] = {}
    remove: list[tuple[str, str]] = []
    why: dict[str, str] = {}
    interfaces = {m.interface: m.job_number for m in members.values()}
    for item in observed:
        job = item.member_name if item.member_name in members else interfaces.get(item.interface)
        agent = agents.get(job) if job else None
        if job is None or agent is None or agent.state is State.LOGGED_OUT:
            remove.append((item.queue, item.interface))
            continue
        seen.setdefault(job, {})[item.queue] = item

    restore, force = [], []
    for job, member in members.items():
        agent = agents.get(job)
        if agent is None or agent.state is State.LOGGED_OUT:
            continue
        present = seen.get(job, {})
        missing = [q for q, _ in member.queues if q not in present]
        if missing:
            restore.append(job)
            why[job] = f"not a member of {', '.join(missing)} in Asterisk"
        mismatch = _mismatch(agent, present.values())
        if mismatch:
            why.setdefault(job, mismatch)
        if (missing or mismatch) and not (
            agent.state is State.BUSY
            and agent.busy_reason is BusyReason.RECONCILED
            and not mismatch
        ):
            force.append(job)

    lost, back = [], []
    for job, member in members.items():
        state = device_states.get(member.state_interface)
        agent = agents.get(job)
        if state is None or agent is None:
            continue
        away = state in _PHONE_AWAY
        if away and agent.phone_reachable:
            lost.append(job)
        elif not away and not agent.phone_reachable:
            back.append(job)
    return Plan(tuple(remove), tuple(restore), tuple(force), tuple(lost), tuple(back), why)


def _mismatch(agent: Agent, items: Iterable[QueueMember]) -> str:
    expect_unpaused = agent.state in UNPAUSED_STATES
    for item in items:
        if item.paused == expect_unpaused:
            return (
                f"{'paused' if item.paused else 'unpaused'} in queue {item.queue} "
                f"while {agent.label}"
            )
        if (
            agent.state in (State.RINGING, State.ON_CALL)
            and not item.in_call
            and item.status
            in (MemberStatus.NOT_INUSE, MemberStatus.UNKNOWN, MemberStatus.UNAVAILABLE)
        ):
            return f"no call in Asterisk while {agent.label}"
    return ""
