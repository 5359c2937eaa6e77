"""Reconciling the service's agents with what Asterisk has: a pure comparison.

The members come seated at their sessions' desk phones (hot desking,
``agent_state/seats.py``): an agent whose member rings another agent's home phone is
still that agent's. Run on every AMI (re)connect, on ``FullyBooted`` and after an action failed
(``agent_state/reconciler.py`` runs it). The rule (design.md): where the two disagree,
the agent ends up ``busy(reconciled)``, never idle, and the plan says why. Members
Asterisk has but the service does not (a signed-out agent, an unknown name) are
removed — they could otherwise be rung. A request that is on its way (a pending busy or
sign-out) is confirmed when Asterisk already shows it in force. With lamps on, an
agent's lamp (its custom device state) that shows something other than its state is set
again — one left by an older version, set while the service was away, or by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from agent_state.interpret import expects_paused
from agent_state.member import Member
from agent_state.model import LAMPS, Agent, BusyReason, State
from ami.events import MemberStatus, QueueMember
from core.names import lamp_device

_PHONE_AWAY = frozenset({"UNAVAILABLE", "INVALID"})


@dataclass(frozen=True)
class Plan:
    remove: tuple[tuple[str, str], ...] = ()  # (queue, interface)
    restore: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (job, queues it is missing from)
    force_busy: tuple[str, ...] = ()  # job numbers to put in busy(reconciled)
    confirm_busy: tuple[str, ...] = ()  # a pending busy request Asterisk shows in force
    confirm_out: tuple[str, ...] = ()  # a pending sign-out Asterisk shows in force
    phone_lost: tuple[str, ...] = ()
    phone_back: tuple[str, ...] = ()
    why: dict[str, str] = field(default_factory=dict)
    lamps: tuple[str, ...] = ()  # job numbers whose lamp shows something else


@dataclass
class _Draft:
    remove: list[tuple[str, str]] = field(default_factory=list)
    restore: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    force: list[str] = field(default_factory=list)
    confirm_busy: list[str] = field(default_factory=list)
    confirm_out: list[str] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)


def plan(
    members: Mapping[str, Member],
    agents: Mapping[str, Agent],
    observed: Iterable[QueueMember],
    device_states: Mapping[str, str],
    *,
    skip: frozenset[str] = frozenset(),
    lamps: bool = False,
) -> Plan:
    """What to do so that Asterisk and the service agree again. Agents in ``skip``
    changed after Asterisk's snapshot was asked for: they are judged next time.
    ``lamps``: the centre has BLF lamps, so they are compared too."""
    seen: dict[str, dict[str, QueueMember]] = {}
    draft = _Draft()
    # ``members`` sit at their sessions' desk phones (hot desking: ``seats.seated``); a
    # phone's member is the signed-in agent's there, not its home agent's
    signed_in = {job for job, agent in agents.items() if agent.state is not State.LOGGED_OUT}
    by_home = sorted(members.values(), key=lambda m: m.job_number in signed_in)
    interfaces = {m.interface: m.job_number for m in by_home}
    for item in observed:
        job = item.member_name if item.member_name in members else interfaces.get(item.interface)
        agent = agents.get(job) if job else None
        if job is None or agent is None or agent.state is State.LOGGED_OUT:
            if job not in skip:
                draft.remove.append((item.queue, item.interface))
            continue
        if item.interface != members[job].interface:  # rings a phone not the session's
            if job not in skip:
                draft.remove.append((item.queue, item.interface))
            continue
        seen.setdefault(job, {})[item.queue] = item

    for job, member in members.items():
        agent = agents.get(job)
        if agent is None or agent.state is State.LOGGED_OUT or job in skip:
            continue
        _judge(draft, member, agent, seen.get(job, {}))
    lost, back = _phones(members, agents, device_states, skip)
    return Plan(
        tuple(draft.remove),
        tuple(draft.restore),
        tuple(draft.force),
        tuple(draft.confirm_busy),
        tuple(draft.confirm_out),
        lost,
        back,
        draft.why,
        _lamps(members, agents, device_states, skip | set(draft.force)) if lamps else (),
    )


def _judge(draft: _Draft, member: Member, agent: Agent, present: dict[str, QueueMember]) -> None:
    job = member.job_number
    if agent.state is State.IDLE and agent.sign_out_pending:
        if present:  # the removal did not land: send it again
            draft.remove += [(q, member.interface) for q in present]
        else:
            draft.confirm_out.append(job)
        return
    missing = tuple(q for q, _ in member.asterisk_queues if q not in present)
    if missing:
        draft.restore.append((job, missing))
        draft.why[job] = f"not a member of queue {', '.join(missing)} in Asterisk"
    mismatch = _mismatch(agent, present.values())
    if mismatch:
        draft.why.setdefault(job, mismatch)
    already = agent.state is State.BUSY and agent.busy_reason is BusyReason.RECONCILED
    if (missing or mismatch) and not (already and not mismatch):
        draft.force.append(job)
    elif agent.state is State.IDLE and agent.busy_pending is not None and not missing:
        draft.confirm_busy.append(job)  # paused in every queue: the request is in force


def _mismatch(agent: Agent, items: Iterable[QueueMember]) -> str:
    paused = expects_paused(agent)
    for item in items:
        if item.paused != paused:
            said = f"paused ({item.paused_reason or 'no reason'})" if item.paused else "unpaused"
            return f"the database says {agent.label}, Asterisk has it {said} in queue {item.queue}"
        if (
            agent.state in (State.RINGING, State.ON_CALL)
            and not item.in_call
            and item.status
            in (MemberStatus.NOT_INUSE, MemberStatus.UNKNOWN, MemberStatus.UNAVAILABLE)
        ):
            return f"the database says {agent.label}, Asterisk has no call for it"
    return ""


def _phones(
    members: Mapping[str, Member],
    agents: Mapping[str, Agent],
    device_states: Mapping[str, str],
    skip: frozenset[str],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    lost, back = [], []
    for job, member in members.items():
        state = device_states.get(member.state_interface)
        agent = agents.get(job)
        if state is None or agent is None or job in skip:
            continue
        away = state in _PHONE_AWAY
        if away and agent.phone_reachable:
            lost.append(job)
        elif not away and not agent.phone_reachable:
            back.append(job)
    return tuple(lost), tuple(back)


def _lamps(
    members: Mapping[str, Member],
    agents: Mapping[str, Agent],
    device_states: Mapping[str, str],
    skip: frozenset[str],
) -> tuple[str, ...]:
    """Agents whose lamp shows something other than their state (``model.LAMPS``);
    those forced busy get theirs with the change (they are in ``skip``). A lamp Asterisk
    has never had is wrong only for a signed-in agent: a signed-out one's shows
    unavailable anyway (its hint holds nothing else)."""
    wrong = []
    for job in members:
        if job in skip:
            continue
        agent = agents.get(job) or Agent(job)
        shown = device_states.get(lamp_device(job))
        if shown is None and agent.state is State.LOGGED_OUT:
            continue
        if shown != LAMPS[agent.state].value:
            wrong.append(job)
    return tuple(wrong)
