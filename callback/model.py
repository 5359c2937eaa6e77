"""Callbacks and their life: everything that decides a transition lives in this file.

A callback is a promise to call a citizen back (standard.md R11a, R12, R13; design.md
"Callbacks"). ``step(callback, event, now) -> callback`` looks the event up in one
transition table (``TRANSITIONS``); a request that makes no sense in the state raises
``IllegalCallbackTransition``. No I/O: the store (``callback/repo.py``) keeps the result
and its history; the dispatcher (``callback/dispatch.py``) turns states into calls. The
README's diagram is generated from the table (``diagram()``).

States:
- ``open``: waiting for its time (``not_before``) and a working hour;
- ``dispatching``: claimed by a dispatcher (``lease_until``), waiting in app_queue for an
  idle agent (agent first: design.md), the agent hearing the case, or the citizen ringing;
- ``in_progress``: an attempt reached the citizen; the agent records the outcome;
- ``done``, ``failed`` (given up by the retry policy, or the number is invalid),
  ``cancelled`` (a supervisor): final.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.errors import HotlineError


class Kind(enum.Enum):
    VOICEMAIL = "voicemail"  # R12: a caller's message
    ESCALATION = "escalation"  # R11a: a question the agent could not answer at once
    KEEP_PLACE = "keep_place"  # a queued caller chose to be called back
    RETURN_VISIT = "return_visit"  # R12: 回访, scheduled by an agent or supervisor


class State(enum.Enum):
    OPEN = "open"
    DISPATCHING = "dispatching"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


LIVE_STATES = frozenset({State.OPEN, State.DISPATCHING, State.IN_PROGRESS})
FINAL_STATES = frozenset({State.DONE, State.FAILED, State.CANCELLED})


class AttemptResult(enum.Enum):
    """How one attempt ended (from AMI: the citizen leg's DIALSTATUS and cause)."""

    ANSWERED = "answered"  # the citizen answered; the agent talked to them
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"  # congestion, the trunk down, anything else
    INVALID_NUMBER = "invalid_number"  # Q.850 1/28: unallocated or malformed; no retry
    NOT_CONFIRMED = "not_confirmed"  # the agent did not confirm (or declined) the dialling
    NO_AGENT = "no_agent"  # no idle agent took it in time; not counted against the policy


class Outcome(enum.Enum):
    """What the agent records after talking to the citizen."""

    RESOLVED = "resolved"  # done
    FOLLOW_UP = "follow_up"  # another call is needed: open again at a time given
    FORWARDED = "forwarded"  # passed to a department (R11b, R13): done here
    WRONG_NUMBER = "wrong_number"  # done: nobody to call back


class IllegalCallbackTransition(HotlineError):
    code = "callback.illegal_transition"


@dataclass(frozen=True)
class Reason:
    """Why a callback exists; a merged callback has several (voicemail, keep-your-place)."""

    kind: Kind
    at: datetime
    msg_id: str | None = None  # a voicemail's Asterisk msg_id: one callback per message
    linkedid: str | None = None  # the call it came from
    queue_joined_at: datetime | None = None  # keep-your-place: the original join time


@dataclass(frozen=True)
class Callback:
    id: uuid.UUID
    kind: Kind
    state: State
    number: str  # checked (callback/numbers.py) before it is stored
    created_at: datetime
    priority_at: datetime  # earlier goes first: the original join time for keep-your-place
    not_before: datetime  # not dispatched before (a return visit's time, a retry's)
    due_at: datetime | None = None  # overdue after (an escalation's due time)
    owner: str | None = None  # job number; None: anyone
    category: str | None = None
    question: str = ""
    department: str | None = None  # R13: suggestions and complaints go to a department
    linked_to: uuid.UUID | None = None  # an owned callback for the same number
    reasons: tuple[Reason, ...] = ()
    attempts: int = 0  # attempts that count against the retry policy
    lease_until: datetime | None = None  # while dispatching
    attempt_id: str | None = None  # the Originate's ChannelId of the current attempt
    agent: str | None = None  # the job number working it (in_progress)
    outcome: Outcome | None = None
    note: str = ""
    updated_at: datetime | None = None
    owner_since: datetime | None = None  # reassigned then; None: owned since it was due


# ---- events -----------------------------------------------------------------------------


class Event:
    """Something that happens to a callback."""


@dataclass(frozen=True)
class Claimed(Event):
    """A dispatcher took it (open → dispatching) and will Originate ``attempt_id``."""

    attempt_id: str
    lease_until: datetime


@dataclass(frozen=True)
class LeaseRenewed(Event):
    lease_until: datetime


@dataclass(frozen=True)
class AgentAnswered(Event):
    """An idle agent took it from the queue; they hear the case, then confirm."""

    job_number: str


@dataclass(frozen=True)
class AttemptEnded(Event):
    """The attempt is over. ``retry_at`` is the retry policy's answer (``None``: give up)
    for a result that is not ``ANSWERED``; an answered attempt waits for the outcome."""

    result: AttemptResult
    retry_at: datetime | None = None


@dataclass(frozen=True)
class OutcomeRecorded(Event):
    outcome: Outcome
    note: str = ""
    follow_up_at: datetime | None = None  # for FOLLOW_UP


@dataclass(frozen=True)
class Rescheduled(Event):
    not_before: datetime


@dataclass(frozen=True)
class Reassigned(Event):
    owner: str | None


@dataclass(frozen=True)
class Cancelled(Event):
    why: str = ""


@dataclass(frozen=True)
class Merged(Event):
    """Another ownerless request for the same number joined this open callback."""

    reason: Reason
    # the joining request's priority (None: its reason's queue join time, else its time);
    # the callback keeps the earlier of the two
    priority_at: datetime | None = None


# ---- the transition table -----------------------------------------------------------------

Rule = Callable[[Callback, Event, datetime], Callback]
Guard = Callable[[Callback, Event, datetime], bool]


@dataclass(frozen=True)
class Transition:
    source: State
    event: type[Event]
    target: State  # where the rule goes (the diagram shows it)
    rule: Rule
    guard: Guard | None = None
    note: str = ""


def _claim(callback: Callback, event: Event, now: datetime) -> Callback:
    assert isinstance(event, Claimed)
    return _changed(
        callback,
        now,
        state=State.DISPATCHING,
        attempt_id=event.attempt_id,
        lease_until=event.lease_until,
        agent=None,
    )


def _renew(callback: Callback, event: Event, now: datetime) -> Callback:
    assert isinstance(event, LeaseRenewed)
    return _changed(callback, now, lease_until=event.lease_until)


def _agent_answered(callback: Callback, event: Event, now: datetime) -> Callback:
    assert isinstance(event, AgentAnswered)
    return _changed(callback, now, agent=event.job_number)


def _answered(callback: Callback, _event: Event, now: datetime) -> Callback:
    return _changed(
        callback, now, state=State.IN_PROGRESS, lease_until=None, attempts=callback.attempts + 1
    )


def _not_counted(callback: Callback, event: Event, now: datetime) -> Callback:
    assert isinstance(event, AttemptEnded)
    return _reopen(callback, now, event.retry_at or now)


def _retry(callback: Callback, event: Event, now: datetime) -> Callback:
    assert isinstance(event, AttemptEnded) and event.retry_at is not None
    return _reopen(callback, now, event.retry_at, attempts=callback.attempts + 1)


def _give_up(callback: Callback, event: Event, now: datetime) -> Callback:
    return _changed(
        callback, now, state=State.FAILED, lease_until=None, attempts=callback.attempts + 1
    )


def _outcome(callback: Callback, event: Event, now: datetime) -> Callback:
    assert isinstance(event, OutcomeRecorded)
    if event.outcome is Outcome.FOLLOW_UP:
        assert event.follow_up_at is not None
        # another call is a new promise: the retry policy counts its attempts afresh
        reopened = _reopen(callback, now, event.follow_up_at, attempts=0)
        return _changed(reopened, now, outcome=event.outcome, note=event.note)
    return _changed(callback, now, state=State.DONE, outcome=event.outcome, note=event.note)


def _reschedule(callback: Callback, event: Event, now: datetime) -> Callback:
    assert isinstance(event, Rescheduled)
    return _reopen(callback, now, event.not_before)


def _reassign(callback: Callback, event: Event, now: datetime) -> Callback:
    assert isinstance(event, Reassigned)
    since = now if event.owner is not None else None
    return _changed(callback, now, owner=event.owner, owner_since=since)


def _cancel(callback: Callback, _event: Event, now: datetime) -> Callback:
    return _changed(callback, now, state=State.CANCELLED)


def _merge(callback: Callback, event: Event, now: datetime) -> Callback:
    assert isinstance(event, Merged)
    reason = event.reason
    joining = event.priority_at or reason.queue_joined_at or reason.at
    return _changed(
        callback,
        now,
        reasons=(*callback.reasons, reason),
        priority_at=min(callback.priority_at, joining),
    )


def _reopen(callback: Callback, now: datetime, not_before: datetime, **changes: Any) -> Callback:
    """Back to open: the attempt, its lease and its agent go; the next claim starts afresh."""
    return _changed(
        callback,
        now,
        state=State.OPEN,
        not_before=not_before,
        lease_until=None,
        attempt_id=None,
        agent=None,
        **changes,
    )


def _changed(callback: Callback, now: datetime, **changes: Any) -> Callback:
    return dataclasses.replace(callback, updated_at=now, **changes)


def _lease_ran_out(callback: Callback, _event: Event, now: datetime) -> bool:
    return callback.lease_until is None or callback.lease_until <= now


def _result_is(*results: AttemptResult) -> Guard:
    def guard(_callback: Callback, event: Event, _now: datetime) -> bool:
        return isinstance(event, AttemptEnded) and event.result in results

    return guard


_COUNTED_RESULTS = frozenset({AttemptResult.NO_ANSWER, AttemptResult.BUSY, AttemptResult.FAILED})


def _counted_with_retry(_callback: Callback, event: Event, _now: datetime) -> bool:
    return (
        isinstance(event, AttemptEnded)
        and event.result in _COUNTED_RESULTS
        and event.retry_at is not None
    )


def _counted_without_retry(_callback: Callback, event: Event, _now: datetime) -> bool:
    return (
        isinstance(event, AttemptEnded) and event.result in _COUNTED_RESULTS and not event.retry_at
    )


def _outcome_is_final(_callback: Callback, event: Event, _now: datetime) -> bool:
    return isinstance(event, OutcomeRecorded) and event.outcome is not Outcome.FOLLOW_UP


def _follow_up_with_time(_callback: Callback, event: Event, _now: datetime) -> bool:
    return (
        isinstance(event, OutcomeRecorded)
        and event.outcome is Outcome.FOLLOW_UP
        and event.follow_up_at is not None
    )


_ANSWERED = _result_is(AttemptResult.ANSWERED)
_NOT_COUNTED = _result_is(AttemptResult.NO_AGENT, AttemptResult.NOT_CONFIRMED)
_INVALID = _result_is(AttemptResult.INVALID_NUMBER)

# how the diagram names a guard
_GUARD_LABELS: dict[Guard, str] = {
    _lease_ran_out: "lease ran out",
    _ANSWERED: "answered",
    _NOT_COUNTED: "no agent / not confirmed",
    _counted_with_retry: "no answer / busy / failed, retry",
    _counted_without_retry: "no answer / busy / failed, give up",
    _INVALID: "invalid number",
    _outcome_is_final: "resolved / forwarded / wrong number",
    _follow_up_with_time: "follow up",
}

S = State
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.OPEN, Claimed, S.DISPATCHING, _claim, note="a new attempt and its lease"),
    Transition(
        S.DISPATCHING,
        Claimed,
        S.DISPATCHING,
        _claim,
        guard=_lease_ran_out,
        note="a crashed dispatcher's claim, taken up again with a new attempt",
    ),
    Transition(S.DISPATCHING, LeaseRenewed, S.DISPATCHING, _renew),
    Transition(
        S.DISPATCHING,
        AgentAnswered,
        S.DISPATCHING,
        _agent_answered,
        note="the agent hears the case and confirms; the citizen is not called yet",
    ),
    Transition(S.DISPATCHING, AttemptEnded, S.IN_PROGRESS, _answered, guard=_ANSWERED),
    Transition(
        S.DISPATCHING,
        AttemptEnded,
        S.OPEN,
        _not_counted,
        guard=_NOT_COUNTED,
        note="never counted against the citizen",
    ),
    Transition(S.DISPATCHING, AttemptEnded, S.OPEN, _retry, guard=_counted_with_retry),
    Transition(S.DISPATCHING, AttemptEnded, S.FAILED, _give_up, guard=_counted_without_retry),
    Transition(S.DISPATCHING, AttemptEnded, S.FAILED, _give_up, guard=_INVALID),
    Transition(S.IN_PROGRESS, OutcomeRecorded, S.DONE, _outcome, guard=_outcome_is_final),
    Transition(S.IN_PROGRESS, OutcomeRecorded, S.OPEN, _outcome, guard=_follow_up_with_time),
    *(Transition(s, Rescheduled, S.OPEN, _reschedule) for s in (S.OPEN, S.IN_PROGRESS)),
    *(Transition(s, Reassigned, s, _reassign) for s in (S.OPEN, S.DISPATCHING, S.IN_PROGRESS)),
    Transition(S.OPEN, Cancelled, S.CANCELLED, _cancel),
    *(Transition(s, Merged, s, _merge) for s in (S.OPEN, S.DISPATCHING)),
)


def step(callback: Callback, event: Event, now: datetime) -> Callback:
    """The callback after ``event`` at ``now`` (the transition table decides)."""
    for t in TRANSITIONS:
        if (
            t.source is callback.state
            and type(event) is t.event
            and (t.guard is None or t.guard(callback, event, now))
        ):
            return t.rule(callback, event, now)
    raise IllegalCallbackTransition(
        _refusal(callback, event, now),
        callback=str(callback.id),
        state=callback.state.value,
        event=type(event).__name__,
    )


def _refusal(callback: Callback, event: Event, now: datetime) -> str:
    name = type(event).__name__
    where = f"callback {callback.id} is {callback.state.value}"
    if callback.state in FINAL_STATES:
        return f"{where}: it is closed, so {name} changes nothing (open a new callback)"
    if callback.state is State.DISPATCHING and isinstance(event, Cancelled):
        return f"{where}: an attempt is under way; release it first, then cancel"
    if callback.state is State.DISPATCHING and isinstance(event, Claimed):
        return f"{where}: its lease runs until {callback.lease_until}, so {name} must wait"
    if isinstance(event, OutcomeRecorded) and event.outcome is Outcome.FOLLOW_UP:
        return f"{where}: a follow-up needs the time to call again (follow_up_at)"
    return f"{where}: {name} is not possible now"


def diagram() -> str:
    """A Mermaid state diagram of the transition table (the README shows it)."""
    lines = ["stateDiagram-v2", "    [*] --> open"]
    seen: set[tuple[str, str, str]] = set()
    for t in TRANSITIONS:
        guard = _GUARD_LABELS.get(t.guard) if t.guard is not None else None
        label = t.event.__name__ + (f" [{guard}]" if guard else "")
        edge = (t.source.value, t.target.value, label)
        if t.source is not t.target and edge not in seen:
            seen.add(edge)
            lines.append(f"    {edge[0]} --> {edge[1]}: {edge[2]}")
    lines.extend(f"    {s.value} --> [*]" for s in State if s in FINAL_STATES)
    return "\n".join(lines) + "\n"


# ---- intake -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A new callback as intake asks for it, before merging (``merge.decide``)."""

    kind: Kind
    number: str
    reason: Reason
    not_before: datetime
    priority_at: datetime
    due_at: datetime | None = None
    owner: str | None = None
    category: str | None = None
    question: str = ""
    department: str | None = None
    # the due time came from the default working days, not a category or a person (a
    # desk-phone escalation): a category added later moves it (``callback/amend.py``)
    due_by_default: bool = False
