"""One callback attempt as the dispatcher follows it, and the pure decisions about it.

An attempt is one Originate: ``Local/<attempt>@CALLBACK_QUEUE/n`` whose ChannelId (the
``;1`` half's Uniqueid, and the Linkedid of every channel of the attempt) is the attempt
id. Here, with no I/O: the Originate to send, the dialplan's ``HotlineCallback`` steps
read from a UserEvent, how an attempt that ended without a result counts, and whom a
finished attempt reached and which agent took it according to Asterisk's CEL rows (after
a crash or a reconnect, when the events are gone).
"""

from __future__ import annotations

import asyncio
import enum
import json
import math
import re
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from ami.actions import Originate
from ami.events import Event, OriginateResponse
from callback.model import AttemptResult, Callback
from calls.cel import CelRow
from core import names
from core.errors import HotlineError

# the ;2 half's ChannelId: <attempt><suffix>
OTHER_HALF_SUFFIX = "-q"
# the citizen's number as the dialplan takes it (callback/numbers.py checked it on intake)
_NUMBER = re.compile(r"^[0-9]{3,20}$")
# the attempt id as the dialplan keeps it (FILTER(0-9a-f-)): a UUID's text
_ATTEMPT = re.compile(r"^[0-9a-f-]{1,64}$")


def dialable(number: str) -> bool:
    return bool(_NUMBER.fullmatch(number))


@dataclass(frozen=True)
class ForOwner:
    """Where an owned escalation goes now: to its owner alone for ``wait_s`` seconds
    (``slot``: the owner's penalty in ``names.OWNER_QUEUE``), then to anyone; or nowhere
    yet (``keep_until``: its owner is signed out and the owner's time is not over)."""

    slot: int | None = None
    wait_s: int = 0
    keep_until: datetime | None = None


ANYONE = ForOwner()
DAWN = datetime.min.replace(tzinfo=UTC)


def for_owner(
    callback: Callback, now: datetime, *, wait_s: float, owner_slot: int | None
) -> ForOwner:
    """A callback with an owner (an escalation, a return visit, one a supervisor
    reassigned) is its owner's for ``callback_owner_wait_s`` from when it was due (its
    creation, or the visit's time) or given to them (reassigned): offered to the owner
    alone while signed in (``owner_slot`` is their slot then, None when signed out),
    kept for them while not; after that, anyone's."""
    if callback.owner is None:
        return ANYONE
    since = max(callback.created_at, callback.priority_at, callback.owner_since or DAWN)
    until = since + timedelta(seconds=wait_s)
    left = (until - now).total_seconds()
    if left <= 0:
        return ANYONE
    if owner_slot is None:
        return ForOwner(keep_until=until)
    if not 1 <= owner_slot <= names.OWNER_SLOT_MAX:
        return ANYONE  # the dialplan could not ask for it
    return ForOwner(slot=owner_slot, wait_s=min(max(math.ceil(left), 1), 99_999))


class NoLiveAttempt(HotlineError):
    """No attempt of this dispatcher has that id with a live channel (ended, or not yet
    answered by Asterisk)."""

    code = "callback.no_live_attempt"


@dataclass
class DispatchFigures:
    """For /metrics: plain numbers a metrics collector reads at scrape time."""

    claims: int = 0
    lag_s_total: float = 0.0  # sum over claims of (claimed at - not_before)
    last_lag_s: float | None = None
    results: Counter[str] = field(default_factory=Counter)  # AttemptResult value -> count
    adopted: int = 0  # attempts of a crashed claim whose channel still lived


def originate_for(
    callback: Callback,
    attempt_id: str,
    *,
    caller_id: str,
    timeout_s: float,
    confirm_s: int,
    ring_s: int,
    owner: ForOwner = ANYONE,
) -> Originate:
    """The one Originate of attempt ``attempt_id``: answered at once by "queued", its
    ``OriginateResponse`` arriving later as an event. The ``;2`` half of
    ``CALLBACK_CHANNEL`` joins the queue; the ``;1`` half (Uniqueid = the attempt id)
    runs ``CALLBACK_AGENT`` once an agent answered; with ``owner``'s slot it first waits
    for that member alone in ``OWNER_QUEUE``."""
    if not _ATTEMPT.fullmatch(attempt_id):
        raise ValueError(f"attempt id {attempt_id!r} is not what the dialplan keeps")
    variables = {
        names.CALLBACK_ATTEMPT_VAR: attempt_id,
        names.CALLBACK_NUMBER_VAR: callback.number,
        names.CALLBACK_CONFIRM_S_VAR: str(confirm_s),
        names.CALLBACK_RING_S_VAR: str(ring_s),
        f"__{names.ANNOUNCE_VAR}": "0",  # R8's job-number prompt is not for the agent
    }
    if owner.slot is not None:
        variables[names.CALLBACK_OWNER_SLOT_VAR] = str(owner.slot)
        variables[names.CALLBACK_OWNER_WAIT_VAR] = str(owner.wait_s)
    return Originate(
        channel=names.CALLBACK_CHANNEL,
        context=names.CALLBACK_AGENT,
        exten="s",
        priority=1,
        caller_id=caller_id,
        timeout_ms=int(timeout_s * 1000),
        variables=variables,
        channel_id=attempt_id,
        other_channel_id=attempt_id + OTHER_HALF_SUFFIX,
        queued_reply=True,
    )


# ---- the dialplan's steps (UserEvent HotlineCallback) ------------------------------------


class Step(enum.Enum):
    AGENT = names.CALLBACK_STEP_AGENT  # an agent took it from the queue (Agent: job number)
    CONFIRMED = names.CALLBACK_STEP_CONFIRMED  # the citizen is being dialled
    RESULT = names.CALLBACK_STEP_RESULT  # the agent half ended (DialStatus, Cause)
    LEFT = names.CALLBACK_STEP_LEFT  # the queue half left the queue unanswered


@dataclass(frozen=True)
class StepReport:
    attempt_id: str
    step: Step
    agent: str = ""
    dial_status: str = ""
    cause: str = ""
    queue_status: str = ""  # why the queue half left (TIMEOUT, JOINEMPTY, …)


def step_report(event: Event) -> StepReport | None:
    """The step a ``HotlineCallback`` UserEvent reports, or None for any other event."""
    if event.get("UserEvent") != names.EVENT_CALLBACK:
        return None
    attempt_id = event.get("Attempt") or event.get("Uniqueid")
    try:
        step = Step(event.get("Step").strip().lower())
    except ValueError:
        return None
    if not attempt_id:
        return None
    return StepReport(
        attempt_id=attempt_id,
        step=step,
        agent=event.get("Agent").strip(),
        dial_status=event.get("DialStatus").strip(),
        cause=event.get("Cause").strip(),
        queue_status=event.get("QueueStatus").strip(),
    )


def step_result(
    report: StepReport, result_of: Callable[[str, str], AttemptResult]
) -> AttemptResult:
    """A result step's ``AttemptResult``: the citizen was never dialled (no confirmation
    in time, or the agent hung up first), or ``result_of`` reads the dial's status."""
    if report.dial_status == names.CALLBACK_NOT_CONFIRMED:
        return AttemptResult.NOT_CONFIRMED
    return result_of(report.dial_status, report.cause)


def originate_failed(event: Event) -> bool:
    """An Originate that ended before its channel was answered (no agent took it)."""
    return isinstance(event, OriginateResponse) and event.response.lower() == "failure"


def unfinished_result(*, agent_answered: bool, confirmed: bool) -> AttemptResult:
    """An attempt whose channel ended with no result step: nobody took it from the queue
    (not counted against the policy), the agent did not confirm, or the dialling broke."""
    if not agent_answered:
        return AttemptResult.NO_AGENT
    if not confirmed:
        return AttemptResult.NOT_CONFIRMED
    return AttemptResult.FAILED


# ---- what CEL says about a finished attempt -----------------------------------------------


class Reach(enum.Enum):
    NEVER_STARTED = "never_started"  # no channel at all: the crash came before the Originate
    NOBODY = "nobody"  # it waited in the queue and ended
    AGENT = "agent"  # an agent answered; the citizen did not
    CITIZEN = "citizen"  # the citizen answered: never dial again for this attempt


def _citizen_leg(row: CelRow) -> bool:
    return row.channame.startswith(f"PJSIP/{names.OUTBOUND_TRUNK}-")


def _agent_leg(row: CelRow) -> bool:
    return f"@{names.AGENTS_LOCAL}-" in row.channame


def reached(rows: Sequence[CelRow]) -> Reach:
    """Whom attempt's channels reached, from its CEL rows (``linkedid`` = the attempt)."""
    if not rows:
        return Reach.NEVER_STARTED
    answers = [r for r in rows if r.eventtype == "ANSWER"]
    if any(_citizen_leg(r) for r in answers):
        return Reach.CITIZEN
    if any(_agent_leg(r) for r in answers):
        return Reach.AGENT
    return Reach.NOBODY


def recorded_result(
    rows: Sequence[CelRow], result_of: Callable[[str, str], AttemptResult]
) -> AttemptResult | None:
    """A finished attempt's result as its CEL rows tell it — what its result step would
    have said (``step_result``) —, or None when it never started (dial it). An agent took
    it and the citizen did not answer: the ``;1`` half's HANGUP row carries the citizen
    dial's DIALSTATUS and the cause; no DIALSTATUS, the citizen was never dialled."""
    reach = reached(rows)
    if reach is Reach.NEVER_STARTED:
        return None
    if reach is Reach.CITIZEN:
        return AttemptResult.ANSWERED  # the agent records the outcome
    if reach is Reach.NOBODY:
        return AttemptResult.NO_AGENT
    dial_status, cause = _dial_of(rows)
    if not dial_status:
        return AttemptResult.NOT_CONFIRMED
    return result_of(dial_status, cause)


def _dial_of(rows: Sequence[CelRow]) -> tuple[str, str]:
    for row in rows:
        if row.eventtype == "HANGUP" and row.uniqueid == row.linkedid:
            fields = _json_object(row.extra)
            return str(fields.get("dialstatus") or ""), str(fields.get("hangupcause") or "")
    return "", ""


def taken_by(rows: Sequence[CelRow]) -> str | None:
    """The job number of the agent who took the attempt, or None: the dialplan's
    ``CEL_CALLBACK_AGENT`` row (``agent=<job number>``) on the attempt's own ``;1`` half,
    written once app_queue handed the attempt to a member."""
    for row in rows:
        if (
            row.eventtype == "USER_DEFINED"
            and row.userdeftype == names.CEL_CALLBACK_AGENT
            and row.uniqueid == row.linkedid
        ):
            agent = _user_fields(row.extra).get("agent", [""])[0]
            if agent.isdigit():
                return agent
    return None


def _user_fields(extra: str) -> dict[str, list[str]]:
    """A ``CELGenUserEvent``'s text, as the ``cel`` table holds it: ``{"extra": "k=v&…"}``."""
    text = _json_object(extra).get("extra", "")
    return parse_qs(text, keep_blank_values=True) if isinstance(text, str) else {}


def _json_object(extra: str) -> dict[str, Any]:
    """The ``cel`` table's ``extra`` column: a JSON object, or nothing usable."""
    try:
        value = json.loads(extra) if extra else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ---- an attempt in flight -----------------------------------------------------------------


@dataclass
class Attempt:
    """One attempt this dispatcher follows until its result is written.

    ``channel_id`` is the Uniqueid Asterisk knows it by (events, attempt rows);
    ``claim_id`` is the callback's ``attempt_id`` in the store (``apply``, ``renew``). They
    differ only for an adopted attempt: a crashed dispatcher's channel that still lived
    when this one claimed the callback again with a fresh id.
    """

    callback: Callback
    channel_id: str
    claim_id: str
    log: Any
    adopted: bool = False  # its steps may have been missed: its end is read from CEL
    started: bool = True  # an Originate was sent for it (it has an attempt row)
    channel: str = ""  # the ;1 half's name, from Newchannel (or a Status item)
    agent: str | None = None
    confirmed: bool = False
    hung_up: bool = False
    settled: bool = False
    # the owner whose member this attempt's owner-first offer seated in the owners'
    # queue (``Owners.offer_owned``), until the attempt ends
    owner_offer: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def callback_id(self) -> uuid.UUID:
        return self.callback.id
