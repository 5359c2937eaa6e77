"""The callback API's operations, each a checklist: who may, then what happens.

An agent sees and works their own callbacks (owned by them, or the one they are
working); a supervisor sees and works every callback, and alone reassigns and cancels;
supervisors and admins read the figures (``core.actor.FIGURE_READERS``). Views
(``callback/views.py``) parse and shape JSON; the store (``callback/repo.py``) steps
the callback through the transition table under a row lock, so an illegal change
(``callback.illegal_transition``) is refused there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from callback import figures as figures_repo
from callback import intake, repo, retention
from callback.amend import Amended, Amendment, amend
from callback.model import (
    LIVE_STATES,
    Callback,
    Cancelled,
    Kind,
    Outcome,
    OutcomeRecorded,
    Reason,
    Reassigned,
    Request,
    Rescheduled,
    State,
)
from callback.spool import Spool
from calls import repo as calls_repo
from calls.model import CallRecord, HungUp
from calls.model import Outcome as CallOutcome
from calls.model import Source as CallSource
from core.actor import FIGURE_READERS, Actor, Role
from core.errors import Forbidden, HotlineError, InvalidInput, NotFound
from core.logging import get_logger

log = get_logger("callback")

MINE_MAX = 500
# R12's outbound script; the citizen's name is not known to the service: the agent says it
SCRIPT = "您好,这里是{centre},我是{job}号咨询员,请问您是×先生(女士、小姐)吗?"


class NoNumberToCall(HotlineError):
    """The callback's number failed the check at intake: a supervisor handles it."""

    code = "callback.no_number"


class NotYourCallToEscalate(HotlineError):
    code = "callback.not_your_call"


class DispatchUnavailable(HotlineError):
    code = "callback.dispatch_unavailable"


class NotWorkingIt(HotlineError):
    """Confirming the dialling is for the agent the callback is offered to, now."""

    code = "callback.not_working_it"


class RecordingRemoved(HotlineError):
    """The message was removed from the spool after its retention time (410)."""

    code = "callback.recording_removed"


class Confirmer(Protocol):
    """The dispatcher (``callback/dispatch.py``): dial the citizen of ``attempt_id``."""

    async def confirm(self, attempt_id: str) -> None: ...


@dataclass(frozen=True)
class Detail:
    callback: Callback
    history: list[dict[str, Any]]
    attempts: list[dict[str, Any]]
    script: str


def script_for(centre_name: str, job_number: str) -> str:
    """R12: the words the agent starts the call with, with their own job number."""
    return SCRIPT.format(centre=centre_name, job=job_number)


def may_see(actor: Actor, callback: Callback) -> bool:
    return actor.role is Role.SUPERVISOR or actor.job_number in (callback.owner, callback.agent)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CallbackService:
    def __init__(
        self,
        pool: Any,
        spool: Spool,
        *,
        check: intake.NumberCheck,
        due_at: intake.DueAt,
        due_days_default: int,
        due_days_by_category: Mapping[str, int] | None = None,
        centre_name: str,
        dispatcher: Confirmer | None = None,
        known_agent: Callable[[str], bool] = lambda job: True,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.pool = pool
        self.spool = spool
        self.check = check
        self.due_at = due_at
        self.due_days_default = due_days_default
        self.due_days_by_category = dict(due_days_by_category or {})
        self.centre_name = centre_name
        self.dispatcher = dispatcher
        self.known_agent = known_agent
        self.clock = clock

    # ---- reading --------------------------------------------------------------------------

    async def listing(self, actor: Actor, where: repo.Filter) -> list[Callback]:
        _supervisor(actor, "lists every callback; GET /api/callbacks/mine lists yours")
        return await repo.listing(self.pool, where)

    async def mine(self, actor: Actor) -> list[Callback]:
        """Live callbacks the actor owns or is working, earliest first."""
        _staff(actor)
        found = {
            c.id: c
            for c in await repo.listing(
                self.pool, repo.Filter(owner=actor.job_number, limit=MINE_MAX)
            )
            if c.state in LIVE_STATES
        }
        for state in (State.DISPATCHING, State.IN_PROGRESS):
            for c in await repo.listing(self.pool, repo.Filter(state=state, limit=MINE_MAX)):
                if c.agent == actor.job_number:
                    found[c.id] = c
        return sorted(found.values(), key=lambda c: (c.priority_at, str(c.id)))

    async def detail(self, actor: Actor, callback_id: uuid.UUID) -> Detail:
        callback = await self._seen(actor, callback_id)
        return Detail(
            callback=callback,
            history=await repo.history(self.pool, callback_id),
            attempts=await repo.attempts(self.pool, callback_id),
            script=script_for(self.centre_name, actor.job_number),
        )

    async def recording(
        self, actor: Actor, callback_id: uuid.UUID, msg_id: str | None = None
    ) -> Path:
        """The .wav of the callback's voicemail (of ``msg_id``, when it merged several)."""
        callback = await self._seen(actor, callback_id)
        left = [r.msg_id for r in callback.reasons if r.kind is Kind.VOICEMAIL and r.msg_id]
        if not left:
            raise NotFound(f"callback {callback_id} has no voicemail")
        if msg_id is not None and msg_id not in left:
            raise NotFound(f"callback {callback_id} has no voicemail {msg_id}")
        gone_at = await retention.removed_at(self.pool, msg_id or left[0])
        if gone_at is not None:
            raise RecordingRemoved(
                "the message was removed from the voicemail spool after its retention time"
                " (callback_voicemail_retention_days)",
                removed_at=gone_at.isoformat(),
            )
        path = self.spool.recording(msg_id or left[0])
        if path is None:
            raise NotFound("the recording is no longer in Asterisk's voicemail spool")
        return path

    def may_read_figures(self, actor: Actor) -> None:
        """The one rule for every figure (``core.actor.FIGURE_READERS``)."""
        if actor.role not in FIGURE_READERS:
            raise Forbidden("only supervisors and admins read the callback figures")

    async def figures(self, actor: Actor, start: datetime, end: datetime) -> list[dict[str, Any]]:
        self.may_read_figures(actor)
        return await figures_repo.figures(self.pool, start, end)

    async def department_figures(
        self, actor: Actor, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """R13: suggestions and complaints, per day made and department."""
        self.may_read_figures(actor)
        return await figures_repo.department_figures(self.pool, start, end)

    # ---- working a callback -----------------------------------------------------------------

    async def offered(self, attempt_id: str, job_number: str) -> tuple[Callback, str] | None:
        """The callback whose attempt ``attempt_id`` (an offered call's Linkedid) is,
        with the R12 script in that agent's words; None for any other call."""
        callback = await repo.by_attempt(self.pool, attempt_id)
        if callback is None:
            return None
        return callback, script_for(self.centre_name, job_number)

    async def record_outcome(
        self,
        actor: Actor,
        callback_id: uuid.UUID,
        outcome: Outcome,
        note: str,
        follow_up_at: datetime | None,
    ) -> Callback:
        callback = await self._seen(actor, callback_id)
        if outcome is Outcome.FOLLOW_UP and follow_up_at is None:
            raise InvalidInput("follow_up_at is required with the outcome follow_up")
        if outcome is not Outcome.FOLLOW_UP and follow_up_at is not None:
            raise InvalidInput("follow_up_at goes only with the outcome follow_up")
        event = OutcomeRecorded(outcome, note, follow_up_at)
        return await self._apply(actor, callback, event)

    async def reschedule(self, actor: Actor, callback_id: uuid.UUID, at: datetime) -> Callback:
        callback = await self._seen(actor, callback_id)
        if not callback.number:
            raise NoNumberToCall(
                "this callback has no number that passed the check: cancel it, or schedule"
                " a return visit to the right number (POST /api/callbacks/return-visits)"
            )
        return await self._apply(actor, callback, Rescheduled(at))

    async def reassign(self, actor: Actor, callback_id: uuid.UUID, owner: str | None) -> Callback:
        _supervisor(actor, "reassigns callbacks")
        if owner is not None and not self.known_agent(owner):
            raise InvalidInput(f"no agent with job number {owner}")
        return await self._apply(actor, await self._seen(actor, callback_id), Reassigned(owner))

    async def cancel(self, actor: Actor, callback_id: uuid.UUID, why: str) -> Callback:
        _supervisor(actor, "cancels callbacks")
        return await self._apply(actor, await self._seen(actor, callback_id), Cancelled(why))

    async def confirm(self, actor: Actor, callback_id: uuid.UUID) -> Callback:
        """R12: the agent working the callback has checked number, name and purpose:
        Asterisk dials the citizen (the same as the key on the phone)."""
        callback = await self._seen(actor, callback_id)
        if (
            callback.state is not State.DISPATCHING
            or callback.agent != actor.job_number
            or callback.attempt_id is None
        ):
            raise NotWorkingIt(
                f"callback {callback_id} is not offered to agent {actor.job_number} now"
            )
        if self.dispatcher is None:
            raise DispatchUnavailable("callbacks are not dispatched by this service now")
        await self.dispatcher.confirm(callback.attempt_id)
        log.info(
            "callback dialling confirmed",
            callback=str(callback.id),
            agent=actor.job_number,
            attempt=callback.attempt_id,
        )
        return callback

    # ---- new callbacks ------------------------------------------------------------------

    async def escalate(
        self,
        actor: Actor,
        linkedid: str,
        *,
        category: str,
        question: str,
        owner: str | None = None,
        due_at: datetime | None = None,
        department: str | None = None,
        live_caller: str | None = None,
    ) -> repo.Opened:
        """R11a (R13 with a department): an agent's own answered call, or any call for a
        supervisor; the owner is by default the agent who took it. ``live_caller``: the
        agent's call is still going on (not on record yet) and Asterisk has this caller
        number on it — the agent console found the call at the agent's own desk phone,
        as the desk phone's escalation key does (``intake.escalate``). The call escalated
        before (by desk phone, which carries no category or question, or here): its
        category, question, department and due time are updated (``_add_details``)."""
        _staff(actor)
        call = await calls_repo.by_linkedid(self.pool, linkedid)
        if call is None and live_caller is not None and actor.role is Role.AGENT:
            call = _in_progress(linkedid, live_caller, actor.job_number, self.clock())
        mine = call is not None and call.agent_job_number == actor.job_number
        if call is None or (actor.role is Role.AGENT and not mine):
            raise NotYourCallToEscalate(
                f"call {linkedid} is not on record as answered by agent {actor.job_number}"
                " (yet: it is written when the call ends; during a call, use the desk phone)"
            )
        await self._known_category(category)
        owner = owner or call.agent_job_number
        if owner is not None and not self.known_agent(owner):
            raise InvalidInput(f"no agent with job number {owner}")
        now = self.clock()
        days = intake.due_days(category, self.due_days_by_category, self.due_days_default)
        request = intake.escalation(
            linkedid=linkedid,
            raw_number=call.caller_number,
            owner=owner,
            at=now,
            due_at=due_at or self.due_at(now, days),
            check=self.check,
            category=category,
            question=question,
            department=department,
        )
        opened = await self._open(actor, request)
        if opened.created or opened.merged:
            return opened
        details = Amendment(category, question, department, due_at)
        return repo.Opened(await self._add_details(actor, opened.callback, details), False)

    async def _add_details(self, actor: Actor, callback: Callback, details: Amendment) -> Callback:
        """Under the row lock: only its owner or a supervisor; a closed callback is not
        changed (``callback.closed``)."""

        def decide(before: Callback, due_by_default: bool) -> Amended:
            if actor.role is not Role.SUPERVISOR and actor.job_number != before.owner:
                raise Forbidden("only the escalation's owner or a supervisor adds to it")
            return amend(
                before,
                details,
                due_by_default=due_by_default,
                due_for=lambda category: self.due_at(before.created_at, self._days(category)),
                now=self.clock(),
            )

        after = await repo.amend(self.pool, callback.id, decide, self.clock(), actor)
        log.info(
            "callback details added",
            callback=str(callback.id),
            by=actor.job_number,
            changed=after.updated_at != callback.updated_at,
        )
        return after

    def _days(self, category: str | None) -> int:
        return intake.due_days(category, self.due_days_by_category, self.due_days_default)

    async def return_visit(
        self,
        actor: Actor,
        number: str,
        at: datetime,
        *,
        question: str,
        owner: str | None = None,
        category: str | None = None,
        idempotency: tuple[str, str] | None = None,
    ) -> repo.Opened:
        """R12 回访 at ``at``; owned by default by the agent who schedules it (a
        supervisor's is anyone's unless it names an owner). The number must pass the
        check (``callback.invalid_number``, 400). ``idempotency``: the request's
        Idempotency-Key and fingerprint: the same key again (from the same actor) is the
        first callback (``replayed``); with another request, ``idempotency_key_reused``."""
        _staff(actor)
        checked = self.check(number)
        if category is not None:
            await self._known_category(category)
        if owner is None and actor.role is Role.AGENT:
            owner = actor.job_number
        if owner is not None and not self.known_agent(owner):
            raise InvalidInput(f"no agent with job number {owner}")
        now = self.clock()
        days = intake.due_days(category, self.due_days_by_category, self.due_days_default)
        request = Request(
            kind=Kind.RETURN_VISIT,
            number=checked,
            reason=Reason(Kind.RETURN_VISIT, at=now),
            not_before=at,
            priority_at=at,
            due_at=self.due_at(at, days),
            owner=owner,
            category=category,
            question=question,
        )
        key = None
        if idempotency is not None:
            key = repo.IdempotencyKey(actor.job_number, *idempotency)
        return await self._open(actor, request, key)

    # ---- helpers ----------------------------------------------------------------------------

    async def _seen(self, actor: Actor, callback_id: uuid.UUID) -> Callback:
        _staff(actor)
        callback = await repo.get(self.pool, callback_id)
        if callback is None:
            raise NotFound(f"no callback {callback_id}")
        if not may_see(actor, callback):
            raise Forbidden("an agent sees only the callbacks they own or are working")
        return callback

    async def _apply(self, actor: Actor, callback: Callback, event: Any) -> Callback:
        after = await repo.apply(self.pool, callback.id, event, self.clock(), actor)
        log.info(
            "callback changed",
            callback=str(callback.id),
            by=actor.job_number,
            change=type(event).__name__,
            before=callback.state.value,
            after=after.state.value,
        )
        return after

    async def _open(
        self, actor: Actor, request: Request, key: repo.IdempotencyKey | None = None
    ) -> repo.Opened:
        opened = await repo.open_callback(self.pool, request, self.clock(), key=key)
        log.info(
            "callback taken in",
            callback=str(opened.callback.id),
            kind=request.kind.value,
            source="api",
            by=actor.job_number,
            created=opened.created,
            merged=opened.merged,
            replayed=opened.replayed,
            owner=request.owner,
            call=request.reason.linkedid,
        )
        return opened

    async def _known_category(self, category: str) -> None:
        if category not in await calls_repo.categories(self.pool):
            raise InvalidInput(f"unknown category {category!r}; see GET /api/categories")


def _in_progress(linkedid: str, caller: str, job_number: str, now: datetime) -> CallRecord:
    """What an escalation needs of a call still going on: its caller and its agent."""
    return CallRecord(
        linkedid,
        caller,
        "",
        "",
        now,
        now,
        CallOutcome.ANSWERED,
        HungUp.SYSTEM,
        CallSource.AMI,
        agent_job_number=job_number,
    )


def _staff(actor: Actor) -> None:
    """Callbacks hold citizens' numbers and questions: agents and supervisors only."""
    if actor.role not in (Role.AGENT, Role.SUPERVISOR):
        raise Forbidden("callbacks are for agents and supervisors")


def _supervisor(actor: Actor, what: str) -> None:
    if actor.role is not Role.SUPERVISOR:
        raise Forbidden(f"only a supervisor {what}")
