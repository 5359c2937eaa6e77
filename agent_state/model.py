"""Agents and their states: everything that decides a transition lives in this file.

``step(agent, event, now) -> (agent, commands)`` looks the event up in one transition
table (``TRANSITIONS``) and returns the new agent and the commands that carry the new
state into Asterisk. No I/O: the service runs the commands; tests feed events and look at
states. The README's state diagram is generated from the table (``diagram()``).

How a state is carried in Asterisk (design.md): signed in = a dynamic member of the
agent's queues, added *paused*; idle = unpaused; every other signed-in state = paused
with the state or busy reason as the pause reason.

Two kinds of event:
- requests (sign in, idle, busy, …) from the agent's phone, the web, a supervisor or the
  schedule: one that makes no sense in the current state raises ``IllegalTransition``;
- facts from Asterisk (offered, answered, missed, call ended, phone lost, …): they
  happened, so they are adopted. A fact that contradicts our state (an offer to an agent
  who is not idle) raises ``IllegalTransition`` too, and the service answers it by
  reconciling: the agent becomes ``busy(reconciled)``, never idle.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import HotlineError
from core.names import PAUSE_WRAP_UP


class State(enum.Enum):
    LOGGED_OUT = "logged_out"  # 签出
    IDLE = "idle"  # 示闲
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = PAUSE_WRAP_UP  # 话后处理: also the reason of the dialplan's R4 pause
    BUSY = "busy"  # 置忙, with a reason


class BusyReason(enum.Enum):
    MANUAL = "manual"
    RING_NO_ANSWER = "ring_no_answer"
    PHONE_UNREACHABLE = "phone_unreachable"
    BREAK = "break"
    RECONCILED = "reconciled"
    SUPERVISOR = "supervisor"


class Source(enum.Enum):
    """Who asked, for the audit log."""

    PHONE = "phone"
    WEB = "web"
    SYSTEM = "system"
    ASTERISK = "asterisk"


class Lamp(enum.Enum):
    """What the service shows on the BLF lamp, as an Asterisk custom device state. The
    lamp's hint also holds the session's desk phone and the member's pause in its queue
    (``core/names.lamp_hint``), so Asterisk itself shows ringing and in use (the phone)
    and wrap-up (the pause, "in use"); the aggregate of the three is the lamp."""

    NOT_INUSE = "NOT_INUSE"
    BUSY = "BUSY"
    UNAVAILABLE = "UNAVAILABLE"


class IllegalTransition(HotlineError):
    code = "agent.illegal_transition"


@dataclass(frozen=True)
class Agent:
    job_number: str
    state: State = State.LOGGED_OUT
    busy_reason: BusyReason | None = None
    since: datetime | None = None
    wrap_up_deadline: datetime | None = None
    sign_out_pending: bool = False
    phone_reachable: bool = True
    # 置忙 asked for, not yet in force: Asterisk has not confirmed the pause, or a call
    # it offered first is still going on (the agent is busy once it ends)
    busy_pending: BusyReason | None = None
    # hot desking: the desk phone this session works at (its queue member rings it);
    # None while signed out (the account's home extension is only the default)
    phone: str | None = None

    @property
    def label(self) -> str:
        """``busy(manual)``, ``idle``, … as logs and pages show it."""
        if self.state is State.BUSY and self.busy_reason is not None:
            return f"busy({self.busy_reason.value})"
        return self.state.value

    @property
    def leaving(self) -> bool:
        """A request to leave idle is on its way: Asterisk should have the member paused."""
        return self.sign_out_pending or self.busy_pending is not None

    @property
    def pause_reason(self) -> str:
        """The whitelisted reason Asterisk stores with the pause."""
        return self.busy_reason.value if self.busy_reason else self.state.value


# ---- events ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Event:
    source: Source = Source.SYSTEM


@dataclass(frozen=True, kw_only=True)
class SignIn(Event):
    """At desk phone ``phone`` for this session (hot desking). ``phone_reachable``: what
    is known of that phone (True when it dialled *11); None keeps what the agent had."""

    phone: str | None = None
    phone_reachable: bool | None = None


@dataclass(frozen=True, kw_only=True)
class SignOut(Event):
    """An agent on a call is signed out when the call ends (R2c)."""


@dataclass(frozen=True, kw_only=True)
class GoIdle(Event):
    """示闲: the agent is ready (also ends wrap-up early)."""


@dataclass(frozen=True, kw_only=True)
class GoBusy(Event):
    """置忙 at the agent's own request."""

    reason: BusyReason = BusyReason.MANUAL


@dataclass(frozen=True, kw_only=True)
class ForceBusy(Event):
    """A supervisor's order, or the service reconciling with Asterisk (``why`` says how
    the two disagreed; it goes on the audit row)."""

    reason: BusyReason = BusyReason.SUPERVISOR
    why: str = ""


@dataclass(frozen=True, kw_only=True)
class Offered(Event):
    """``AgentCalled``: the agent's phone rings with a queue call."""

    source: Source = Source.ASTERISK
    linkedid: str = ""


@dataclass(frozen=True, kw_only=True)
class Answered(Event):
    """``AgentConnect``."""

    source: Source = Source.ASTERISK
    linkedid: str = ""


@dataclass(frozen=True, kw_only=True)
class Missed(Event):
    """``AgentRingNoAnswer`` / app_queue's Auto-Pause: rang out unanswered (R3)."""

    source: Source = Source.ASTERISK


@dataclass(frozen=True, kw_only=True)
class RingEnded(Event):
    """The phone stopped ringing unanswered without a miss: the caller gave up."""

    source: Source = Source.ASTERISK


@dataclass(frozen=True, kw_only=True)
class CallEnded(Event):
    """``AgentComplete``: wrap-up starts now and lasts ``wrap_up_s`` (R4, a setting).
    ``paused_as``: the reason Asterisk already reported the member paused with in all its
    queues since the answer (the dialplan's R4 pause, when it came first), else ``None``."""

    wrap_up_s: float
    paused_as: str | None = None
    source: Source = Source.ASTERISK


@dataclass(frozen=True, kw_only=True)
class PauseConfirmed(Event):
    """Asterisk paused the member with the reason of the pending busy request: from now
    on no call can be offered, so the request is in force."""

    source: Source = Source.ASTERISK


@dataclass(frozen=True, kw_only=True)
class RemoveConfirmed(Event):
    """Asterisk removed the member: the pending sign-out is in force."""

    source: Source = Source.ASTERISK


@dataclass(frozen=True, kw_only=True)
class WrapUpExpired(Event):
    """The stored wrap-up deadline came; stale deadlines change nothing."""

    deadline: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class PhoneLost(Event):
    """The desk phone unregistered or stopped answering qualify (R2b)."""

    source: Source = Source.ASTERISK


@dataclass(frozen=True, kw_only=True)
class PhoneBack(Event):
    source: Source = Source.ASTERISK


# ---- commands ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class AddMember(Command):
    """QueueAdd to each of the agent's queues, already paused (asterisk#1007)."""

    reason: str


@dataclass(frozen=True)
class RemoveMember(Command):
    pass


@dataclass(frozen=True)
class PauseMember(Command):
    reason: str


@dataclass(frozen=True)
class UnpauseMember(Command):
    pass


@dataclass(frozen=True)
class SetLamp(Command):
    """Only when the lamp changes (``step`` drops the others): each change costs Asterisk
    a walk of every queue member (README "Capacity")."""

    lamp: Lamp


@dataclass(frozen=True)
class StartWrapUpTimer(Command):
    deadline: datetime


# ringing and on a call the phone shows itself, wrap-up the member's pause (both are in
# the hint): the service's part stays "not in use" through a call, so a call costs no
# lamp change (each one a walk of every queue member in app_queue, README "Capacity");
# busy is BUSY (it wins over the pause's "in use" in the hint's aggregate)
LAMPS = {
    State.LOGGED_OUT: Lamp.UNAVAILABLE,
    State.IDLE: Lamp.NOT_INUSE,
    State.RINGING: Lamp.NOT_INUSE,
    State.ON_CALL: Lamp.NOT_INUSE,
    State.WRAP_UP: Lamp.NOT_INUSE,
    State.BUSY: Lamp.BUSY,
}

# ---- the transition table -----------------------------------------------------------------

Result = tuple[Agent, tuple[Command, ...]]
Rule = Callable[[Agent, Event, datetime], Result]


@dataclass(frozen=True)
class Transition:
    source: State
    event: type[Event]
    target: State  # for the diagram: where the rule goes when its guard holds
    rule: Rule
    guard: Callable[[Agent, Event], bool] | None = None
    note: str = ""
    # where the rule goes instead, and when (shown in the diagram)
    otherwise: tuple[State, str] | None = None


def _to(
    agent: Agent,
    state: State,
    now: datetime,
    reason: BusyReason | None = None,
    *,
    wrap_up_deadline: datetime | None = None,
    keep_pending: bool = False,
) -> Agent:
    return dataclasses.replace(
        agent,
        state=state,
        busy_reason=reason,
        since=now,
        wrap_up_deadline=wrap_up_deadline,
        sign_out_pending=agent.sign_out_pending and keep_pending,
        busy_pending=agent.busy_pending if keep_pending else None,
        phone=None if state is State.LOGGED_OUT else agent.phone,  # signed out: phone freed
    )


def _lamp(agent: Agent) -> SetLamp:
    return SetLamp(LAMPS[agent.state])


def _busy(reason_of: Callable[[Event], BusyReason]) -> Rule:
    def rule(agent: Agent, event: Event, now: datetime) -> Result:
        new = _to(agent, State.BUSY, now, reason_of(event))
        return new, (PauseMember(new.pause_reason), _lamp(new))

    return rule


def _fixed(reason: BusyReason) -> Rule:
    return _busy(lambda _event: reason)


def _requested_reason(event: Event) -> BusyReason:
    assert isinstance(event, GoBusy | ForceBusy)
    return event.reason


def _sign_in(agent: Agent, event: Event, now: datetime) -> Result:
    assert isinstance(event, SignIn)
    reachable = agent.phone_reachable if event.phone_reachable is None else event.phone_reachable
    agent = dataclasses.replace(agent, phone=event.phone, phone_reachable=reachable)
    if agent.phone_reachable:
        new = _to(agent, State.IDLE, now)
        return new, (AddMember("login"), UnpauseMember(), _lamp(new))
    new = _to(agent, State.BUSY, now, BusyReason.PHONE_UNREACHABLE)
    return new, (AddMember(new.pause_reason), _lamp(new))


def _sign_out(agent: Agent, _event: Event, now: datetime) -> Result:
    new = _to(agent, State.LOGGED_OUT, now)
    return new, (RemoveMember(), _lamp(new))


def _sign_out_later(agent: Agent, _event: Event, _now: datetime) -> Result:
    return dataclasses.replace(agent, sign_out_pending=True), ()


def _ask_to_leave_idle(agent: Agent, event: Event, _now: datetime) -> Result:
    """Leaving idle races app_queue: the request is sent, and is in force only once
    Asterisk confirms it (``PauseConfirmed``/``RemoveConfirmed``); an offer Asterisk made
    before that is adopted, with the request pending until the call ends."""
    if agent.sign_out_pending:
        return agent, ()  # already on its way out
    if isinstance(event, SignOut):
        return dataclasses.replace(agent, sign_out_pending=True), (RemoveMember(),)
    reason = _requested_reason(event)
    if agent.busy_pending is reason:
        return agent, ()
    return dataclasses.replace(agent, busy_pending=reason), (PauseMember(reason.value),)


def _confirmed_busy(agent: Agent, _event: Event, now: datetime) -> Result:
    assert agent.busy_pending is not None
    new = _to(agent, State.BUSY, now, agent.busy_pending)
    return new, (_lamp(new),)


def _confirmed_out(agent: Agent, _event: Event, now: datetime) -> Result:
    new = _to(agent, State.LOGGED_OUT, now)
    return new, (_lamp(new),)


def _after_the_call(agent: Agent, event: Event, now: datetime) -> Result | None:
    """Where a pending request takes an agent whose call (or wrap-up) is over."""
    if agent.sign_out_pending:
        return _sign_out(agent, event, now)
    if agent.busy_pending is not None:
        new = _to(agent, State.BUSY, now, agent.busy_pending)
        return new, (PauseMember(new.pause_reason), _lamp(new))
    return None


def _idle(agent: Agent, _event: Event, now: datetime) -> Result:
    new = _to(agent, State.IDLE, now)
    return new, (UnpauseMember(), _lamp(new))


def _same(agent: Agent, _event: Event, _now: datetime) -> Result:
    return agent, ()


def _ringing(agent: Agent, _event: Event, now: datetime) -> Result:
    new = _to(agent, State.RINGING, now, keep_pending=True)
    return new, (_lamp(new),)


def _on_call(agent: Agent, _event: Event, now: datetime) -> Result:
    new = _to(agent, State.ON_CALL, now, keep_pending=True)
    return new, (_lamp(new),)


def _ring_ended(agent: Agent, event: Event, now: datetime) -> Result:
    after = _after_the_call(agent, event, now)
    if after is not None:
        return after
    new = _to(agent, State.IDLE, now)
    return new, (_lamp(new),)


def _call_ended(agent: Agent, event: Event, now: datetime) -> Result:
    if agent.sign_out_pending:
        return _sign_out(agent, event, now)
    assert isinstance(event, CallEnded)
    deadline = now + timedelta(seconds=event.wrap_up_s)
    new = _to(agent, State.WRAP_UP, now, wrap_up_deadline=deadline, keep_pending=True)
    # the dialplan pauses the member as the call ends; when Asterisk has not said so yet,
    # this pause makes sure of it (sent anyway, it costs Asterisk a walk of every member)
    paused = event.paused_as == new.pause_reason
    pause = () if paused else (PauseMember(new.pause_reason),)
    return new, (*pause, StartWrapUpTimer(deadline), _lamp(new))


def _wrap_up_expired(agent: Agent, event: Event, now: datetime) -> Result:
    assert isinstance(event, WrapUpExpired)
    if event.deadline != agent.wrap_up_deadline:
        return agent, ()  # a stale timer: the agent left wrap-up since
    if not agent.phone_reachable:
        return _fixed(BusyReason.PHONE_UNREACHABLE)(agent, event, now)
    return _after_the_call(agent, event, now) or _idle(agent, event, now)


def _phone(reachable: bool) -> Rule:
    def rule(agent: Agent, _event: Event, _now: datetime) -> Result:
        return dataclasses.replace(agent, phone_reachable=reachable), ()

    return rule


def _phone_lost_while_waiting(agent: Agent, event: Event, now: datetime) -> Result:
    if agent.sign_out_pending:  # the removal is on its way: that is where it goes
        return dataclasses.replace(agent, phone_reachable=False), ()
    new, commands = _fixed(BusyReason.PHONE_UNREACHABLE)(agent, event, now)
    return dataclasses.replace(new, phone_reachable=False), commands


def _missed(agent: Agent, event: Event, now: datetime) -> Result:
    if agent.sign_out_pending:
        return _sign_out(agent, event, now)
    return _fixed(BusyReason.RING_NO_ANSWER)(agent, event, now)


def _reachable(agent: Agent, _event: Event) -> bool:
    return agent.phone_reachable


def _not_supervisor(_agent: Agent, event: Event) -> bool:
    return isinstance(event, ForceBusy) and event.reason is not BusyReason.SUPERVISOR


def _nothing_pending(agent: Agent, _event: Event) -> bool:
    return not agent.leaving


def _busy_pending(agent: Agent, _event: Event) -> bool:
    return agent.busy_pending is not None and not agent.sign_out_pending


def _sign_out_pending(agent: Agent, _event: Event) -> bool:
    return agent.sign_out_pending


# how the diagram names a guard
_GUARD_LABELS: dict[Callable[[Agent, Event], bool], str] = {
    _reachable: "phone reachable",
    _not_supervisor: "reconciling",
    _busy_pending: "busy requested",
    _sign_out_pending: "sign-out requested",
}


S = State
_SIGNED_IN = (S.IDLE, S.RINGING, S.ON_CALL, S.WRAP_UP, S.BUSY)

TRANSITIONS: tuple[Transition, ...] = (
    # requests ------------------------------------------------------------------------
    Transition(
        S.LOGGED_OUT,
        SignIn,
        S.IDLE,
        _sign_in,
        note="added paused, then unpaused; busy(phone_unreachable) if the phone is away",
        otherwise=(S.BUSY, "phone unreachable"),
    ),
    Transition(
        S.IDLE,
        SignOut,
        S.IDLE,
        _ask_to_leave_idle,
        note="removed; signed out once Asterisk confirms (RemoveConfirmed)",
    ),
    *(Transition(s, SignOut, S.LOGGED_OUT, _sign_out) for s in (S.WRAP_UP, S.BUSY)),
    *(
        Transition(s, SignOut, s, _sign_out_later, note="signed out when the call ends")
        for s in (S.RINGING, S.ON_CALL)
    ),
    Transition(S.LOGGED_OUT, SignOut, S.LOGGED_OUT, _same),
    Transition(S.BUSY, GoIdle, S.IDLE, _idle, guard=_reachable),
    Transition(S.WRAP_UP, GoIdle, S.IDLE, _idle, guard=_reachable, note="wrap-up ended early"),
    Transition(S.IDLE, GoIdle, S.IDLE, _same, guard=_nothing_pending),
    Transition(
        S.IDLE,
        ForceBusy,
        S.BUSY,
        _busy(_requested_reason),
        guard=_not_supervisor,
        note="reconciling: Asterisk has the member paused (or restored it paused) already",
    ),
    *(
        Transition(
            S.IDLE,
            e,
            S.IDLE,
            _ask_to_leave_idle,
            note="paused; busy once Asterisk confirms (PauseConfirmed)",
        )
        for e in (GoBusy, ForceBusy)
    ),
    *(Transition(s, GoBusy, S.BUSY, _busy(_requested_reason)) for s in (S.WRAP_UP, S.BUSY)),
    *(Transition(s, ForceBusy, S.BUSY, _busy(_requested_reason)) for s in (S.WRAP_UP, S.BUSY)),
    *(
        Transition(
            s,
            ForceBusy,
            S.BUSY,
            _busy(_requested_reason),
            guard=_not_supervisor,
            note="reconciling: paused even during a call",
        )
        for s in (S.RINGING, S.ON_CALL)
    ),
    # facts from Asterisk -----------------------------------------------------------------
    Transition(
        S.IDLE,
        PauseConfirmed,
        S.BUSY,
        _confirmed_busy,
        guard=_busy_pending,
        note="the pending busy request is in force",
    ),
    *(
        Transition(s, PauseConfirmed, s, _same)
        for s in (S.RINGING, S.ON_CALL, S.WRAP_UP, S.BUSY, S.LOGGED_OUT)
    ),
    Transition(
        S.IDLE,
        RemoveConfirmed,
        S.LOGGED_OUT,
        _confirmed_out,
        guard=_sign_out_pending,
        note="the pending sign-out is in force",
    ),
    *(
        Transition(s, RemoveConfirmed, s, _same)
        for s in (S.RINGING, S.ON_CALL, S.WRAP_UP, S.LOGGED_OUT)
    ),
    Transition(S.IDLE, Offered, S.RINGING, _ringing, note="a pending request waits for the call"),
    Transition(S.RINGING, Answered, S.ON_CALL, _on_call),
    *(
        Transition(
            s,
            Missed,
            S.BUSY,
            _missed,
            note="app_queue's autopause, adopted (R3)",
        )
        for s in (S.RINGING, S.IDLE)
    ),
    Transition(S.BUSY, Missed, S.BUSY, _same),
    Transition(
        S.RINGING, RingEnded, S.IDLE, _ring_ended, otherwise=(S.LOGGED_OUT, "sign-out pending")
    ),
    *(Transition(s, RingEnded, s, _same) for s in (S.IDLE, S.BUSY, S.ON_CALL, S.WRAP_UP)),
    Transition(
        S.ON_CALL,
        CallEnded,
        S.WRAP_UP,
        _call_ended,
        note="paused from the moment the call ends (R4)",
        otherwise=(S.LOGGED_OUT, "sign-out pending"),
    ),
    Transition(S.BUSY, CallEnded, S.BUSY, _same),
    Transition(
        S.WRAP_UP,
        WrapUpExpired,
        S.IDLE,
        _wrap_up_expired,
        note="at the deadline",
        otherwise=(S.BUSY, "phone unreachable"),
    ),
    *(
        Transition(s, WrapUpExpired, s, _same)
        for s in (S.LOGGED_OUT, S.IDLE, S.RINGING, S.ON_CALL, S.BUSY)
    ),
    *(
        Transition(s, PhoneLost, S.BUSY, _phone_lost_while_waiting, note="forced busy (R2b)")
        for s in (S.IDLE, S.RINGING)
    ),
    *(
        Transition(s, PhoneLost, s, _phone(False))
        for s in (S.LOGGED_OUT, S.ON_CALL, S.WRAP_UP, S.BUSY)
    ),
    *(Transition(s, PhoneBack, s, _phone(True)) for s in (S.LOGGED_OUT, *_SIGNED_IN)),
)


def step(agent: Agent, event: Event, now: datetime) -> Result:
    """The agent after ``event`` at ``now``, and the commands that carry it out."""
    for transition in TRANSITIONS:
        if (
            transition.source is agent.state
            and type(event) is transition.event
            and (transition.guard is None or transition.guard(agent, event))
        ):
            new, commands = transition.rule(agent, event, now)
            return new, _lamp_changes_only(agent, commands)
    raise IllegalTransition(_refusal(agent, event))


def _lamp_changes_only(agent: Agent, commands: tuple[Command, ...]) -> tuple[Command, ...]:
    """The commands without a ``SetLamp`` the lamp already shows."""
    shown = LAMPS[agent.state]
    return tuple(c for c in commands if not (isinstance(c, SetLamp) and c.lamp is shown))


def _refusal(agent: Agent, event: Event) -> str:
    name = type(event).__name__
    if isinstance(event, GoIdle) and not agent.phone_reachable:
        return f"agent {agent.job_number} cannot go idle: the desk phone is not reachable"
    if agent.state in (State.RINGING, State.ON_CALL):
        return f"agent {agent.job_number} is {agent.label}: {name} must wait for the call to end"
    return f"agent {agent.job_number} is {agent.label}: {name} is not possible now"


def diagram() -> str:
    """A Mermaid state diagram of the transition table (the README shows it)."""
    lines = ["stateDiagram-v2", "    [*] --> logged_out"]
    seen: set[tuple[str, str, str]] = set()
    for t in TRANSITIONS:
        name = t.event.__name__
        guard = _GUARD_LABELS.get(t.guard) if t.guard is not None else None
        edges = [(t.target, name + (f" [{guard}]" if guard else ""))]
        if t.otherwise is not None:
            edges.append((t.otherwise[0], f"{name} [{t.otherwise[1]}]"))
        for target, label in edges:
            edge = (t.source.value, target.value, label)
            if t.source is not target and edge not in seen:
                seen.add(edge)
                lines.append(f"    {edge[0]} --> {edge[1]}: {edge[2]}")
    return "\n".join(lines) + "\n"
