"""Intake: what Asterisk tells us (user events, the voicemail spool) becomes callback
requests; each path makes exactly one open callback (``repo.open_callback`` is
idempotent per voicemail ``msg_id`` and per call and kind, and merges or links).

The top half is pure: an event's headers or a spool message → a ``Request``. The
``Intake`` class below does the I/O: it listens to AMI's ``UserEvent``s, and on start
(and after each AMI reconnect) takes in the spool — the messages left while the service
was down or deaf (``callback/spool.py`` says why the spool is the record, not CEL).

A number that fails the check (``callback/numbers.py``) is never stored as a number to
call, and the request is never dropped either: it is stored with no number (``""``),
never dispatchable (``not_before`` = ``NEVER``) and due at once, so it is overdue from
the start and a supervisor sees it (``GET /api/callbacks?overdue=1``); the caller's ID
as Asterisk gave it is in the question, and a voicemail's recording stays playable (the
caller may have said their number). The supervisor cancels it or schedules a return
visit to the right number.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from agent_state.member import Member
from ami.events import Event, UserEvent
from callback import repo
from callback.model import Kind, Reason, Request
from callback.retention import VoicemailRetention
from callback.spool import MSG_ID, Spool, SpoolMessage
from calls import repo as calls_repo
from core import names
from core.errors import ConfigError, HotlineError
from core.logging import get_logger

log = get_logger("callback")

NumberCheck = Callable[[str], str]  # raw → the checked number, or raises (invalid_number)
DueAt = Callable[[datetime, int], datetime]  # (now, working days) → the due time
Clock = Callable[[], datetime]

INVALID_NUMBER_CODE = "callback.invalid_number"
NEVER = datetime(9999, 12, 31, tzinfo=UTC)  # not_before of a callback with no number to call
RAW_SHOWN_MAX = 40
DURING, AFTER = "during", "after"


def _utc_now() -> datetime:
    return datetime.now(UTC)


# ---- pure: the number, the due time ------------------------------------------------------


def shown(raw: str) -> str:
    """A caller ID as a person may read it in the question: printable, short."""
    kept = "".join(c for c in raw if c.isprintable() and c not in "\u2028\u2029")
    return kept[:RAW_SHOWN_MAX] or "(none)"


def unchecked_question(raw: str, question: str = "") -> str:
    note = f"回拨号码未通过检查(来电号码 {shown(raw)}),请主管处理"
    return f"{note}:{question}" if question else note


def checked(request: Request, raw: str, check: NumberCheck) -> Request:
    """``request`` with its number checked; one that fails the check needs a supervisor
    (no number, never dispatched, overdue at once: see the module's docstring)."""
    try:
        number = check(raw)
    except HotlineError as exc:
        if exc.code != INVALID_NUMBER_CODE:
            raise
        return Request(
            kind=request.kind,
            number="",
            reason=request.reason,
            not_before=NEVER,
            priority_at=request.priority_at,
            due_at=request.reason.at,
            owner=request.owner,
            category=request.category,
            question=unchecked_question(raw, request.question),
            department=request.department,
        )
    return Request(**{**request.__dict__, "number": number})


def parse_due_days(text: str) -> dict[str, int]:
    """``"建议投诉=5,劳动关系=2"`` → ``{"建议投诉": 5, "劳动关系": 2}`` (the setting
    ``callback_due_days_by_category``); a malformed entry is a ``ConfigError``."""
    days: dict[str, int] = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        category, sep, value = entry.rpartition("=")
        category = category.strip()
        if not sep or not category or not value.strip().isdigit():
            raise ConfigError(
                f"setting callback_due_days_by_category: {entry!r} is not <category>=<days>"
            )
        days[category] = int(value.strip())
    return days


def due_days(category: str | None, by_category: Mapping[str, int], default: int) -> int:
    return by_category.get(category or "", default)


# ---- pure: events and spool messages → requests -------------------------------------------


def event_time(event: Event, now: datetime) -> datetime:
    """Asterisk's own time of the event (``timestampevents``), else ``now``."""
    return datetime.fromtimestamp(event.timestamp, UTC) if event.timestamp > 0 else now


def voicemail_message(
    msg_id: str,
    raw: str,
    left_at: datetime,
    now: datetime,
    *,
    check: NumberCheck,
    linkedid: str | None = None,
) -> Request:
    reason = Reason(Kind.VOICEMAIL, at=left_at, msg_id=msg_id, linkedid=linkedid or None)
    request = Request(Kind.VOICEMAIL, "", reason, not_before=now, priority_at=left_at)
    return checked(request, raw, check)


def voicemail_from_event(event: Event, now: datetime, check: NumberCheck) -> Request | None:
    """``VoicemailLeft`` with ``Status: SUCCESS`` and a ``MsgId`` → a request; ``None``
    otherwise (no message was kept; or its msg_id was not read: the spool has it)."""
    if event.get("Status") != "SUCCESS" or event.get("Mailbox") != names.voicemail_mailbox():
        return None
    msg_id = event.get("MsgId")
    if not MSG_ID.fullmatch(msg_id):
        return None
    at = event_time(event, now)
    raw = event.get("CallerID")
    return voicemail_message(msg_id, raw, at, now, check=check, linkedid=event.get("Linkedid"))


def voicemail_from_spool(message: SpoolMessage, now: datetime, check: NumberCheck) -> Request:
    return voicemail_message(message.msg_id, message.caller_id, message.left_at, now, check=check)


def keep_place_from_event(event: Event, now: datetime, check: NumberCheck) -> Request:
    """``HotlineKeepPlace``: the caller keeps their place; priority = the original join
    time (``JoinedAt``, epoch seconds; the event's time when Asterisk gave none)."""
    at = event_time(event, now)
    joined = event.get("JoinedAt")
    joined_at = datetime.fromtimestamp(int(joined), UTC) if _epoch(joined) else at
    raw = event.get("Number") or event.get("CallerID") or event.get("CallerIDNum")
    reason = Reason(
        Kind.KEEP_PLACE, at=at, linkedid=event.get("Linkedid") or None, queue_joined_at=joined_at
    )
    request = Request(Kind.KEEP_PLACE, "", reason, not_before=now, priority_at=joined_at)
    return checked(request, raw, check)


def _epoch(value: str) -> bool:
    return value.isascii() and value.isdigit() and 9 <= len(value) <= 11


def escalation(
    *,
    linkedid: str,
    raw_number: str,
    owner: str | None,
    at: datetime,
    due_at: datetime,
    check: NumberCheck,
    category: str | None = None,
    question: str = "",
    department: str | None = None,
    due_by_default: bool = False,
) -> Request:
    """R11a (and R13: a suggestion or complaint, with its department): an escalated
    question of the call ``linkedid``; ``due_by_default``: ``due_at`` is the default
    working days' (no category yet: a category added later moves it)."""
    reason = Reason(Kind.ESCALATION, at=at, linkedid=linkedid)
    request = Request(
        Kind.ESCALATION,
        "",
        reason,
        not_before=at,
        priority_at=at,
        due_at=due_at,
        owner=owner,
        category=category,
        question=question,
        department=department,
        due_by_default=due_by_default,
    )
    return checked(request, raw_number, check)


def escalated_number(event: Event) -> str:
    """The caller's number in an escalation made during the call: the helper's
    ``Number``, else the agent channel's connected line (the caller)."""
    return event.get("Number") or event.get("CallerID") or event.get("ConnectedLineNum")


# ---- I/O -----------------------------------------------------------------------------------


class Agents(Protocol):
    """What intake needs of the agents' service (``agent_state.service.AgentService``)."""

    def by_extension(self, extension: str) -> Member | None: ...

    def is_signed_in(self, job_number: str) -> bool: ...


class Events(Protocol):
    def on_event(self, pattern: str, callback: Callable[[Event], Any]) -> None: ...


class Intake:
    """Takes in voicemails, kept places and escalations from Asterisk."""

    def __init__(
        self,
        ami: Events,
        pool: Any,
        spool: Spool,
        agents: Agents,
        *,
        check: NumberCheck,
        due_at: DueAt,
        due_days_default: int,
        due_days_by_category: Mapping[str, int] | None = None,
        clock: Clock = _utc_now,
        retention: VoicemailRetention | None = None,
    ) -> None:
        self.ami = ami
        self.retention = retention  # the sweep of closed callbacks' messages
        self.pool = pool
        self.spool = spool
        self.agents = agents
        self.check = check
        self.due_at = due_at
        self.due_days_default = due_days_default
        self.due_days_by_category = dict(due_days_by_category or {})
        self.clock = clock
        self._tasks: set[asyncio.Task[Any]] = set()
        self._scan_lock = asyncio.Lock()

    def attach(self) -> None:
        self.ami.on_event("UserEvent", self.on_event)
        if self.retention is not None:
            self.retention.start()

    def soon_scan(self) -> None:
        """After each AMI connect, the first too: messages left while the service was down
        or deaf become callbacks (idempotent), in the background — however full the box,
        the service does not start later."""
        self._spawn(self._scan_safely())

    async def stop(self) -> None:
        if self.retention is not None:
            await self.retention.stop()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def on_event(self, event: Event) -> None:
        if not isinstance(event, UserEvent):
            return
        handler = {
            names.EVENT_VOICEMAIL: self.voicemail,
            names.EVENT_KEEP_PLACE: self.keep_place,
            names.EVENT_ESCALATE: self.escalate,
        }.get(event.user_event)
        if handler is not None:
            self._spawn(self._safely(handler, event))

    # ---- the paths ----------------------------------------------------------------------

    async def voicemail(self, event: Event) -> repo.Opened | None:
        if event.get("Status") == "SUCCESS" and not event.get("MsgId"):
            await self.take_in_spool()  # the msg_id was not read: the spool has it
            return None
        request = voicemail_from_event(event, self.clock(), self.check)
        if request is None:
            log.info("voicemail not kept", status=event.get("Status"), call=event.get("Linkedid"))
            return None
        return await self._open(request, "voicemail")

    async def keep_place(self, event: Event) -> repo.Opened:
        return await self._open(keep_place_from_event(event, self.clock(), self.check), "queue")

    async def escalate(self, event: Event) -> repo.Opened | None:
        """``HotlineEscalate``: Endpoint (the desk phone), When (during|after), Linkedid
        (during). Identity is the endpoint checked against the channel's name (as for
        feature codes); the owner is the agent signed in at that phone."""
        endpoint = event.get("Endpoint")
        member = self.agents.by_extension(endpoint) if endpoint.isdigit() else None
        channel = event.get("Channel")
        if member is None or not channel.startswith(f"PJSIP/{endpoint}-"):
            log.warning("escalation from an unknown phone", endpoint=endpoint[:20])
            return None
        if not self.agents.is_signed_in(member.job_number):
            log.warning("escalation by an agent not signed in", agent=member.job_number)
            return None
        now = self.clock()
        if event.get("When") == AFTER:
            call = await calls_repo.last_answered_by(self.pool, member.job_number)
            if call is None:
                log.warning("escalation with no answered call", agent=member.job_number)
                return None
            linkedid, raw = call.linkedid, call.caller_number
        else:
            linkedid = event.get("Linkedid")
            raw = escalated_number(event)
            if not linkedid:
                return None
            if not raw:
                recorded = await calls_repo.by_linkedid(self.pool, linkedid)
                raw = recorded.caller_number if recorded else ""
        days = due_days(None, self.due_days_by_category, self.due_days_default)
        request = escalation(
            linkedid=linkedid,
            raw_number=raw,
            owner=member.job_number,
            at=event_time(event, now),
            due_at=self.due_at(now, days),
            check=self.check,
            due_by_default=True,
        )
        return await self._open(request, "desk_phone")

    async def take_in_spool(self) -> int:
        """One callback per message in the box (``open_callback`` is idempotent per
        ``msg_id``); returns how many were new."""
        async with self._scan_lock:
            messages = await asyncio.to_thread(self.spool.messages)
            created = 0
            for message in messages:
                request = voicemail_from_spool(message, self.clock(), self.check)
                opened = await repo.open_callback(self.pool, request, self.clock())
                if opened.created or opened.merged:
                    created += 1
                    self._log_opened(opened, request, "spool")
            log.info("voicemail spool taken in", messages=len(messages), new=created)
            return created

    # ---- helpers ------------------------------------------------------------------------

    async def _open(self, request: Request, source: str) -> repo.Opened:
        opened = await repo.open_callback(self.pool, request, self.clock())
        self._log_opened(opened, request, source)
        return opened

    def _log_opened(self, opened: repo.Opened, request: Request, source: str) -> None:
        callback = opened.callback
        log.info(
            "callback taken in",
            callback=str(callback.id),
            kind=request.kind.value,
            source=source,
            created=opened.created,
            merged=opened.merged,
            linked_to=str(opened.linked_to) if opened.linked_to else None,
            owner=callback.owner,
            number_checked=bool(request.number),
            msg_id=request.reason.msg_id,
            call=request.reason.linkedid,
        )
        if not request.number:
            log.warning(
                "callback needs a supervisor: its number failed the check",
                callback=str(callback.id),
                kind=request.kind.value,
            )

    async def _safely(self, handler: Callable[[Event], Any], event: Event) -> None:
        try:
            await handler(event)
        except Exception:
            # a database away: the spool scan after the next (re)start or reconnect takes
            # voicemails in again; a kept place or an escalation is logged for a person
            log.exception(
                "callback intake failed",
                user_event=event.get("UserEvent"),
                call=event.get("Linkedid"),
                msg_id=event.get("MsgId") or None,
            )

    async def _scan_safely(self) -> None:
        try:
            await self.take_in_spool()
        except Exception:
            log.exception("voicemail spool not taken in; the next start or reconnect retries")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
