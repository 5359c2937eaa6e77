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

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

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


def step(callback: Callback, event: Event, now: datetime) -> Callback:
    """The callback after ``event`` at ``now`` (the transition table decides)."""
    raise NotImplementedError  # the transition table: built in this issue


def diagram() -> str:
    """A Mermaid state diagram of the transition table (the README shows it)."""
    raise NotImplementedError


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
