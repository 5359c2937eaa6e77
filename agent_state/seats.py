"""Hot desking: which desk phone an agent works at, decided here and nowhere else (pure).

The phone is a property of the session, not of the account: an agent signs in at any
desk phone (``*11`` there, or on the web naming one; the account's home extension is the
default) and its queue member rings that phone until it signs out. The agent's stored
state keeps the phone (``agent_states.phone``, so a restart or a reconcile rebuilds the
same member); a unique index on it is the race-safe last word that two agents never
hold one phone (``repo.write_transition`` turns its violation into ``PhoneTaken``).

``HOTLINE_HOT_DESKING=false`` ties each agent to its home phone again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from agent_state.member import Member
from agent_state.model import Agent, State
from core.errors import HotlineError


class PhoneTaken(HotlineError):
    """Another agent is signed in at that desk phone."""

    code = "agent.phone_taken"


class NotHomePhone(HotlineError):
    """Hot desking is off, and this is not the agent's own desk phone."""

    code = "agent.not_home_phone"


class UnknownPhone(HotlineError):
    """Not one of the desk phones (``HOTLINE_DESK_PHONES``)."""

    code = "input.unknown_phone"


def signed_in(agent: Agent | None) -> bool:
    return agent is not None and agent.state is not State.LOGGED_OUT


def phone_of(member: Member, agent: Agent | None) -> str:
    """The desk phone the agent works at: the session's, else the home extension."""
    return agent.phone if agent is not None and agent.phone else member.extension


def seated(member: Member, agent: Agent | None) -> Member:
    """The member as Asterisk has it: ringing the session's phone."""
    phone = phone_of(member, agent)
    return member if phone == member.seat else dataclasses.replace(member, seat=phone)


def holders(members: Mapping[str, Member], agents: Mapping[str, Agent]) -> dict[str, str]:
    """Each desk phone held by a signed-in agent → that agent's job number."""
    return {
        phone_of(member, agents.get(job)): job
        for job, member in members.items()
        if signed_in(agents.get(job))
    }


def at_phone(
    phone: str, members: Mapping[str, Member], agents: Mapping[str, Agent]
) -> Member | None:
    """Whose desk phone this is now (feature codes, the phone's reachability, an
    escalation): the agent signed in there, else its home agent unless that one is
    signed in at another phone."""
    holder = holders(members, agents).get(phone)
    if holder is not None:
        return seated(members[holder], agents.get(holder))
    return next(
        (
            m
            for job, m in members.items()
            if m.extension == phone and not signed_in(agents.get(job))
        ),
        None,
    )


@dataclasses.dataclass(frozen=True)
class Desks:
    """What the centre decided: hot desking on or off, and the desk phones (empty: any)."""

    hot_desking: bool = True
    phones: frozenset[str] = frozenset()

    def may_sit_at(self, phone: str, members: Mapping[str, Member]) -> bool:
        """Whether anyone at all may sign in at this phone (asked before the PIN)."""
        if not self.hot_desking:
            return any(m.extension == phone for m in members.values())
        return not self.phones or phone in self.phones

    def refusal(
        self, job_number: str, phone: str, home: str, held: Mapping[str, str]
    ) -> HotlineError | None:
        """Why agent ``job_number`` (home phone ``home``) may not sign in at ``phone``
        now, given the phones ``held`` (phone → job number); None: it may."""
        if phone != home and not self.hot_desking:
            return NotHomePhone(
                f"agent {job_number} signs in at desk phone {home}, not {phone} "
                "(hot desking is off)",
                phone=phone,
            )
        if phone != home and self.phones and phone not in self.phones:
            return UnknownPhone(f"{phone} is not one of the desk phones", phone=phone)
        holder = held.get(phone)
        if holder is not None and holder != job_number:
            return phone_taken(phone, holder)
        return None


def phone_taken(phone: str, holder: str | None = None) -> PhoneTaken:
    who = f"agent {holder}" if holder else "another agent"
    return PhoneTaken(
        f"desk phone {phone} is taken: {who} is signed in there; sign in at another phone",
        phone=phone,
    )


def judged_members(members: Mapping[str, Member], agents: Mapping[str, Agent]) -> dict[str, Member]:
    """Every member as Asterisk should have it (the reconcile compares these)."""
    return {job: seated(member, agents.get(job)) for job, member in members.items()}
