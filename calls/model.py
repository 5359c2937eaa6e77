"""One inbound call followed through AMI events: a pure fold, no I/O.

A call starts at the ``Newchannel`` of a trunk channel in the entry context (its
Uniqueid is the call's Linkedid) and ends at that channel's ``Hangup``. When Asterisk
itself tears the call down (``core stop``/``core restart``: ``SoftHangupRequest`` with
the shutdown flag, before the caller's channel was asked to hang up for any other
reason) nobody hung up: the call is ``cut_by_system``, whatever stage it reached. Times are
Asterisk's own event timestamps. Durations are derived from those times the same way
here and in ``calls.cel``, so a backfilled row matches the row the service would have
written. The menu path, the language and the holds are folded by ``calls.path``, which
the CEL rebuild shares.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ami.events import (
    AgentCalled,
    AgentComplete,
    AgentConnect,
    Event,
    Hangup,
    HangupRequest,
    Hold,
    HotlineNode,
    HungUpFirst,
    Newchannel,
    QueueCallerAbandon,
    QueueCallerJoin,
    SoftHangupRequest,
    Unhold,
    UserEvent,
    call_of,
)
from calls.path import CallHold, Holds, MenuPath, hold_count, hold_total_s, long_holds
from core import names
from dialplan.model import Language

ENTRY_CONTEXT = names.FROM_PSTN
GREETING_EVENT = names.EVENT_GREETING


class Outcome(enum.Enum):
    ANSWERED = "answered"
    ABANDONED_GREETING = "abandoned_greeting"  # hung up before reaching the queue
    ABANDONED_QUEUE = "abandoned_queue"
    VOICEMAIL = "voicemail"
    TRANSFERRED = "transferred"
    UNANSWERED = "unanswered"  # left the queue without an agent, not by hanging up
    CUT_BY_SYSTEM = "cut_by_system"  # Asterisk shut down or restarted during the call


class HungUp(enum.Enum):
    """Who hung up first (R10: the caller should)."""

    CALLER = "caller"
    AGENT = "agent"
    TRANSFER = "transfer"
    SYSTEM = "system"
    UNKNOWN = "unknown"


class Source(enum.Enum):
    AMI = "ami"
    CEL = "cel"


@dataclass(frozen=True)
class CallRecord:
    linkedid: str
    caller_number: str
    caller_name: str
    entry_number: str
    entered_at: datetime
    ended_at: datetime
    outcome: Outcome
    hung_up_first: HungUp
    source: Source
    greeting_done_at: datetime | None = None
    queue_joined_at: datetime | None = None
    agent_offered_at: datetime | None = None
    agent_answered_at: datetime | None = None
    queue: str | None = None
    agent_job_number: str | None = None
    plan_version: int | None = None  # the dial-plan version the caller went through
    menu_path: tuple[str, ...] = ()  # the node ids entered, in order
    language: Language | None = None  # the prompt language when the call ended (R14)
    ended_node: str | None = None  # the node the call ended in
    holds: tuple[CallHold, ...] | None = ()  # None: not known (rebuilt from CEL)

    @property
    def hold_count(self) -> int | None:
        return hold_count(self.holds)

    @property
    def hold_total_s(self) -> float | None:
        return hold_total_s(self.holds)

    @property
    def long_holds(self) -> int | None:
        """R9: holds over 30 s."""
        return long_holds(self.holds)

    @property
    def ring_s(self) -> float | None:
        return _between(self.agent_offered_at, self.agent_answered_at)

    @property
    def wait_s(self) -> float | None:
        if self.queue_joined_at is None:
            return None
        return _between(self.queue_joined_at, self.agent_answered_at or self.ended_at)

    @property
    def talk_s(self) -> float | None:
        return _between(self.agent_answered_at, self.ended_at)


@dataclass(frozen=True)
class CallDraft:
    """A call in progress, as far as the events so far tell."""

    linkedid: str
    channel: str
    caller_number: str
    caller_name: str
    entry_number: str
    entered_at: datetime
    greeting_done_at: datetime | None = None
    queue_joined_at: datetime | None = None
    agent_offered_at: datetime | None = None
    agent_answered_at: datetime | None = None
    queue: str | None = None
    agent_job_number: str | None = None
    abandoned_in_queue: bool = False
    completed_by: HungUpFirst | None = None
    path: MenuPath = dataclasses.field(default_factory=MenuPath)
    holds: Holds = dataclasses.field(default_factory=Holds)
    hangup_requested: bool = False  # the caller's channel was asked to hang up
    cut_by_system: bool = False
    hung_up_at: datetime | None = None  # the caller's channel is gone; AgentComplete is not

    @property
    def awaiting_completion(self) -> bool:
        """The caller's channel hung up, but app_queue has not said who ended the call."""
        return self.hung_up_at is not None


def _between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max((end - start).total_seconds(), 0.0), 3)


def asterisk_time(event: Event) -> datetime:
    return datetime.fromtimestamp(event.timestamp, tz=UTC)


def starts_call(event: Event) -> bool:
    return (
        isinstance(event, Newchannel)
        and event.context == ENTRY_CONTEXT
        and event.uniqueid == event.linkedid != ""
    )


def _caller_id(value: str) -> str:
    """AMI says ``<unknown>`` where CEL (and the caller) gave nothing."""
    return "" if value == "<unknown>" else value


def begin(event: Newchannel) -> CallDraft:
    return CallDraft(
        linkedid=event.linkedid,
        channel=event.channel,
        caller_number=_caller_id(event.caller_id_num),
        caller_name=_caller_id(event.caller_id_name),
        entry_number=event.exten,
        entered_at=asterisk_time(event),
    )


def call_for(drafts: Mapping[str, CallDraft], event: Event) -> str:
    """The call (Linkedid) among ``drafts`` an event belongs to, "" if none.

    Its own ``Linkedid`` or the member's ``DestLinkedid`` (``ami.events.call_of``) —
    but app_queue reads both channels' snapshots only when it sends ``AgentComplete``,
    and when both channels are already gone it sends the event with neither (past
    Asterisk's knee, where it makes the event seconds late, the usual case; README
    "Capacity"). Then the member says it: the one answered call of that member in that
    queue not yet completed (``ringinuse = no`` gives a member one call at a time); two
    such calls leave it unknown."""
    linkedid = call_of(event)
    if linkedid or not isinstance(event, AgentComplete) or not event.member_name:
        return linkedid
    open_calls = [
        key
        for key, draft in drafts.items()
        if draft.agent_job_number == event.member_name
        and draft.queue == event.queue
        and draft.agent_answered_at is not None
        and draft.completed_by is None
    ]
    return open_calls[0] if len(open_calls) == 1 else ""


def step(draft: CallDraft, event: Event) -> CallDraft | CallRecord:  # noqa: PLR0911 - one branch per event
    """The draft after ``event``; the finished record when the caller's channel hangs up.
    Asterisk's time is read only where it is kept: most events change nothing."""
    replace = dataclasses.replace
    if isinstance(event, HotlineNode) and event.uniqueid == draft.linkedid:
        return replace(
            draft, path=draft.path.entered(event.version, event.node, event.prompt_language)
        )
    if isinstance(event, Hold | Unhold) and event.uniqueid != draft.linkedid:
        return replace(draft, holds=_held(draft.holds, event, asterisk_time(event)))
    if isinstance(event, UserEvent) and event.user_event == GREETING_EVENT:
        return replace(draft, greeting_done_at=draft.greeting_done_at or asterisk_time(event))
    if isinstance(event, QueueCallerJoin):
        return replace(
            draft, queue_joined_at=draft.queue_joined_at or asterisk_time(event), queue=event.queue
        )
    if isinstance(event, AgentCalled):
        return replace(draft, agent_offered_at=draft.agent_offered_at or asterisk_time(event))
    if isinstance(event, AgentConnect):
        return replace(
            draft,
            agent_answered_at=asterisk_time(event),
            agent_job_number=event.member_name or None,
        )
    if isinstance(event, AgentComplete):
        completed = replace(draft, completed_by=event.reason)
        if completed.hung_up_at is not None:
            return finish(completed, completed.hung_up_at)
        return completed
    if isinstance(event, QueueCallerAbandon):
        return replace(draft, abandoned_in_queue=True)
    if isinstance(event, SoftHangupRequest | HangupRequest):
        return _hangup_requested(draft, event)
    if isinstance(event, Hangup) and event.uniqueid == draft.linkedid:
        at = asterisk_time(event)
        if _needs_completion(draft):
            return replace(draft, hung_up_at=at)
        return finish(draft, at)
    return draft


def _needs_completion(draft: CallDraft) -> bool:
    return (
        draft.agent_answered_at is not None
        and draft.completed_by is None
        and not draft.cut_by_system
    )


def give_up(draft: CallDraft) -> CallRecord:
    """The record of a call whose ``AgentComplete`` never came: who hung up is unknown."""
    assert draft.hung_up_at is not None
    return finish(draft, draft.hung_up_at)


def _held(holds: Holds, event: Hold | Unhold, at: datetime) -> Holds:
    """The agent's side put the caller on hold, or took them off it (R9)."""
    return holds.held(at) if isinstance(event, Hold) else holds.resumed(at)


def _hangup_requested(draft: CallDraft, event: SoftHangupRequest | HangupRequest) -> CallDraft:
    """Asterisk's shutdown reaches every channel of the call at once; it cut the call
    unless the caller's channel had already been asked to hang up (someone hung up)."""
    if draft.hangup_requested:
        return draft
    if isinstance(event, SoftHangupRequest) and event.by_shutdown:
        return dataclasses.replace(draft, hangup_requested=True, cut_by_system=True)
    if event.uniqueid == draft.linkedid:
        return dataclasses.replace(draft, hangup_requested=True)
    return draft


def finish(draft: CallDraft, ended_at: datetime) -> CallRecord:
    outcome, hung_up = _outcome(draft)
    return CallRecord(
        linkedid=draft.linkedid,
        caller_number=draft.caller_number,
        caller_name=draft.caller_name,
        entry_number=draft.entry_number,
        entered_at=draft.entered_at,
        ended_at=ended_at,
        outcome=outcome,
        hung_up_first=hung_up,
        source=Source.AMI,
        greeting_done_at=draft.greeting_done_at,
        queue_joined_at=draft.queue_joined_at,
        agent_offered_at=draft.agent_offered_at,
        agent_answered_at=draft.agent_answered_at,
        queue=draft.queue,
        agent_job_number=draft.agent_job_number,
        plan_version=draft.path.version,
        menu_path=draft.path.nodes,
        language=draft.path.language,
        ended_node=draft.path.ended_in,
        holds=draft.holds.at_end(ended_at),
    )


_BY_REASON = {
    HungUpFirst.CALLER: (Outcome.ANSWERED, HungUp.CALLER),
    HungUpFirst.AGENT: (Outcome.ANSWERED, HungUp.AGENT),
    HungUpFirst.TRANSFER: (Outcome.TRANSFERRED, HungUp.TRANSFER),
    HungUpFirst.UNKNOWN: (Outcome.ANSWERED, HungUp.UNKNOWN),
}


def _outcome(draft: CallDraft) -> tuple[Outcome, HungUp]:
    if draft.cut_by_system:
        return Outcome.CUT_BY_SYSTEM, HungUp.SYSTEM
    if draft.agent_answered_at is not None:
        return _BY_REASON[draft.completed_by or HungUpFirst.UNKNOWN]
    if draft.queue_joined_at is None:
        return Outcome.ABANDONED_GREETING, HungUp.CALLER
    if draft.abandoned_in_queue:
        return Outcome.ABANDONED_QUEUE, HungUp.CALLER
    return Outcome.UNANSWERED, HungUp.SYSTEM
