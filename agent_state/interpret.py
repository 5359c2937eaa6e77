"""What an Asterisk event means for an agent: a pure function next to the model.

``interpret(event, agent, sent, wrap_up_s=…, paused_as=…)`` returns the model event to
step the agent with, a ``Reconcile`` when Asterisk and the service disagree (the service
then makes the agent ``busy(reconciled)``, never idle), or ``None`` when the event changes nothing
(our own command's echo, the dialplan's wrap-up pause, a member we do not know).

``sent`` is what the service last asked Asterisk to do with the member (its recent
pauses and removals), so an echo is told apart from a change behind our back.
``SinceAnswer`` is what Asterisk itself reported about the member's pause since its call
was answered: at the call's end it says whether the dialplan's wrap-up pause is already
in force (``CallEnded.paused_as``). No I/O: ``agent_state/watch.py`` routes events here,
keeps the ``SinceAnswer`` of each agent on a call, and carries out the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from agent_state.model import (
    Agent,
    Answered,
    CallEnded,
    Missed,
    Offered,
    PauseConfirmed,
    PhoneBack,
    PhoneLost,
    RemoveConfirmed,
    RingEnded,
    State,
)
from agent_state.model import Event as ModelEvent
from ami.events import (
    AgentCalled,
    AgentComplete,
    AgentConnect,
    AgentRingNoAnswer,
    ContactStatus,
    Event,
    Hangup,
    QueueMemberPause,
    QueueMemberRemoved,
)
from core import names

# In Asterisk an agent is unpaused while idle, ringing and on a call; paused otherwise.
UNPAUSED_STATES = frozenset({State.IDLE, State.RINGING, State.ON_CALL})
PHONE_LOST = frozenset({"Unreachable", "Removed"})
PHONE_BACK = frozenset({"Reachable"})
REMOVED = "logged_out"  # how a removal is remembered among the sent commands
LEFT_OWNERS = "left_owners"  # how leaving the owners' queue is (its offer is over)


@dataclass(frozen=True)
class Sent:
    """The service's recent commands for one member: ``(paused, reason)``, newest last;
    a removal is ``(True, "logged_out")``."""

    recent: tuple[tuple[bool, str], ...] = ()

    def echoes(self, paused: bool, reason: str) -> bool:
        return (paused, reason) in self.recent

    @property
    def last(self) -> tuple[bool, str] | None:
        return self.recent[-1] if self.recent else None


@dataclass(frozen=True)
class SinceAnswer:
    """Asterisk's reports on a member's pause since its call was answered
    (``AgentConnect``): the newest ``(queue, paused, reason)`` for each queue, in AMI order."""

    pauses: tuple[tuple[str, bool, str], ...] = ()
    linkedid: str = ""  # the call answered: app_queue may end it with no channel headers

    def seeing(self, event: QueueMemberPause) -> SinceAnswer:
        kept = tuple(p for p in self.pauses if p[0] != event.queue)
        return SinceAnswer((*kept, (event.queue, event.paused, event.paused_reason)), self.linkedid)

    def paused_as(self, queues: Iterable[str]) -> str | None:
        """The reason Asterisk reported every one of ``queues`` paused with since the
        answer, when it is one and the same; ``None`` when any was not reported paused."""
        newest = {queue: (paused, reason) for queue, paused, reason in self.pauses}
        said = {newest.get(queue) for queue in queues}
        if len(said) != 1:
            return None
        (one,) = said
        return one[1] if one is not None and one[0] else None


@dataclass(frozen=True)
class Reconcile:
    """Asterisk and the service disagree about this agent; ``why`` says how."""

    why: str


Reading = ModelEvent | Reconcile | None


def expects_paused(agent: Agent) -> bool:
    """Whether Asterisk should have this signed-in agent's member paused."""
    return agent.state not in UNPAUSED_STATES or (agent.state is State.IDLE and agent.leaving)


@dataclass(frozen=True)
class _Context:
    sent: Sent
    wrap_up_s: float
    paused_as: str | None


def interpret(
    event: Event, agent: Agent, sent: Sent, *, wrap_up_s: float, paused_as: str | None = None
) -> Reading:
    """``paused_as``, for an ``AgentComplete``: the reason Asterisk already reported the
    member paused with in all its queues since the answer (``SinceAnswer.paused_as``)."""
    reader = _READERS.get(type(event))
    if reader is None:
        return None
    return reader(event, agent, _Context(sent, wrap_up_s, paused_as))


def _offered(event: Event, _agent: Agent, _context: _Context) -> Reading:
    assert isinstance(event, AgentCalled)
    return Offered(linkedid=event.linkedid)


def _answered(event: Event, _agent: Agent, _context: _Context) -> Reading:
    assert isinstance(event, AgentConnect)
    return Answered(linkedid=event.linkedid)


def _ring_ended(_event: Event, _agent: Agent, _context: _Context) -> Reading:
    # the phone stopped ringing: unanswered, busy (asterisk.md §1: a busy phone is no
    # miss), or the caller gave up. A real miss is the Auto-Pause that follows.
    return RingEnded()


def _call_ended(_event: Event, _agent: Agent, context: _Context) -> Reading:
    return CallEnded(wrap_up_s=context.wrap_up_s, paused_as=context.paused_as)


def _pause(event: Event, agent: Agent, context: _Context) -> Reading:  # noqa: PLR0911
    assert isinstance(event, QueueMemberPause)
    reason = event.paused_reason
    if event.paused and reason == names.AUTO_PAUSE:
        return Missed()  # R3: app_queue's autopause, adopted as busy(ring_no_answer)
    if agent.state is State.LOGGED_OUT:
        return None
    pending = agent.busy_pending
    if event.paused and pending is not None and reason == pending.value:
        return PauseConfirmed()
    if context.sent.echoes(event.paused, reason):
        return None  # the echo of our own command
    if (
        event.paused
        and reason == names.PAUSE_WRAP_UP
        and agent.state
        in (
            State.ON_CALL,
            State.WRAP_UP,
        )
    ):
        return None  # the dialplan paused the member as the answered call ended (R4)
    if event.paused != expects_paused(agent):
        said = f"paused ({reason or 'no reason'})" if event.paused else "unpaused"
        return Reconcile(f"Asterisk {said} the member in queue {event.queue} while {agent.label}")
    return None


def _removed(event: Event, agent: Agent, context: _Context) -> Reading:
    assert isinstance(event, QueueMemberRemoved)
    if agent.state is State.LOGGED_OUT:
        return None
    sent = context.sent
    if event.queue == names.OWNER_QUEUE and sent.echoes(True, LEFT_OWNERS):
        return None  # its owned callback's offer is over: the service took it out
    if agent.state is State.IDLE and agent.sign_out_pending:
        return RemoveConfirmed()
    if agent.sign_out_pending or sent.last == (True, REMOVED):
        return None  # our own removal; the agent leaves when its call ends
    return Reconcile(f"Asterisk removed the member from queue {event.queue} while {agent.label}")


def _contact(event: Event, _agent: Agent, _context: _Context) -> Reading:
    assert isinstance(event, ContactStatus)
    if event.contact_status in PHONE_LOST:
        return PhoneLost()
    if event.contact_status in PHONE_BACK:
        return PhoneBack()
    return None


_Reader = Callable[[Event, Agent, _Context], Reading]
_READERS: dict[type[Event], _Reader] = {
    AgentCalled: _offered,
    AgentConnect: _answered,
    AgentRingNoAnswer: _ring_ended,
    Hangup: _ring_ended,  # the watch routes only the hang-up of a ringing member leg here
    AgentComplete: _call_ended,
    QueueMemberPause: _pause,
    QueueMemberRemoved: _removed,
    ContactStatus: _contact,
}
