"""Following calls over AMI and writing their rows; backfilling from CEL what we missed.

``CallRecorder`` folds AMI events into drafts (``calls.model``) synchronously, in event
order, and writes each finished call once. Calls whose start it did not see (the
service was down, or AMI dropped) are left to the backfill, which rebuilds them from
Asterisk's CEL (``calls.cel``) on every AMI (re)connect and then periodically.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from ami import AmiClient, AmiError
from ami.actions import QueueStatus
from ami.events import (
    AgentComplete,
    Event,
    Newchannel,
    QueueCallerJoin,
    QueueCallerLeave,
    QueueParams,
)
from calls import repo
from calls.cel import record_from_cel
from calls.model import (
    CallDraft,
    CallRecord,
    asterisk_time,
    begin,
    call_for,
    give_up,
    starts_call,
    step,
)
from core.logging import get_logger
from core.tasks import cancel_and_wait
from db.durable import JOURNALLED, DurableWrites

# calls folded between two turns of the event loop during a backfill page
FOLD_CHUNK = 10

log = get_logger("calls")

RecordedHook = Callable[[CallRecord], None]

# How long an answered call whose caller hung up waits for app_queue's AgentComplete
# (who ended it) before it is written without. Below Asterisk's knee the event comes
# milliseconds after the Hangup; past it app_queue makes it behind its channel routers'
# backlog, 5–16 s late in the capacity bench (README "Capacity", run I).
COMPLETION_WAIT_S = 20.0
# calls written without it whose AgentComplete may still come (then logged, how late)
GIVEN_UP_KEPT = 1000


class CallRecorder:
    def __init__(
        self,
        ami: AmiClient,
        pool: Any,
        *,
        backfill_every_s: float = 60.0,
        backfill_days: int = 7,
        backfill_batch: int = 100,
        grace_s: float = 15.0,
        on_recorded: RecordedHook | None = None,
        writes: DurableWrites | None = None,
    ) -> None:
        self.ami = ami
        self.pool = pool
        self.writes = writes or DurableWrites(pool, None, {repo.RECORD: repo.write_record})
        self.backfill_every_s = backfill_every_s
        self.backfill_days = backfill_days
        self.backfill_batch = backfill_batch
        self.grace_s = grace_s
        self.on_recorded = on_recorded
        self.drafts: dict[str, CallDraft] = {}
        self.given_up: OrderedDict[str, CallDraft] = OrderedDict()  # written without it
        self._writes: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._kick: asyncio.TimerHandle | None = None
        self._stopped = False
        self._backfill_lock = asyncio.Lock()

    def attach(self) -> None:
        hangups = ("Hangup", "HangupRequest", "SoftHangupRequest")
        holds = ("Hold", "Unhold")  # on the agent's channel: same Linkedid as the caller's
        for pattern in ("Newchannel", "UserEvent", "Queue*", "Agent*", *holds, *hangups):
            self.ami.on_event(pattern, self.on_event)

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._backfill_loop(), name="cel-backfill")

    async def stop(self) -> None:
        self._stopped = True
        if self._kick is not None:
            self._kick.cancel()
        await cancel_and_wait(self._loop_task)
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    # ---- live ---------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if isinstance(event, Newchannel) and starts_call(event):
            started = begin(event)
            self.drafts[started.linkedid] = started
            return
        linkedid = call_for(self.drafts, event)
        draft = self.drafts.get(linkedid) if linkedid else None
        if draft is None:
            if isinstance(event, AgentComplete):
                self._late_completion(event)
            return
        result = step(draft, event)
        if isinstance(result, CallRecord):
            del self.drafts[linkedid]
            self._write_soon(result)
            return
        self.drafts[linkedid] = result
        if result.awaiting_completion and not draft.awaiting_completion:
            asyncio.get_running_loop().call_later(COMPLETION_WAIT_S, self._give_up, linkedid)

    def _give_up(self, linkedid: str) -> None:
        """AgentComplete never came: the call is written, who hung up unknown."""
        waiting = self.drafts.get(linkedid)
        if waiting is None or not waiting.awaiting_completion or self._stopped:
            return  # completed since, or dropped by a reconnect
        del self.drafts[linkedid]
        log.warning("no AgentComplete for an answered call", call=linkedid)
        self.given_up[linkedid] = waiting
        if len(self.given_up) > GIVEN_UP_KEPT:
            self.given_up.popitem(last=False)
        self._write_soon(give_up(waiting))

    def _late_completion(self, event: AgentComplete) -> None:
        """app_queue's AgentComplete after the call was written without it (found as a
        live one is, ``call_for``): how late Asterisk made it (its own Timestamp against
        the caller's hang-up) says whether Asterisk was behind or AMI was."""
        linkedid = call_for(self.given_up, event)
        written = self.given_up.pop(linkedid, None)
        if written is None or written.hung_up_at is None:
            return
        log.info(
            "AgentComplete came after the call was written",
            call=linkedid,
            hung_up_first=event.reason.value,
            made_late_s=round((asterisk_time(event) - written.hung_up_at).total_seconds(), 3),
        )

    def _write_soon(self, record: CallRecord) -> None:
        task = asyncio.create_task(self._write(record))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    def on_ami_ready(self) -> None:
        """After a (re)connect: events were missed, so drafts are dropped (CEL has them)."""
        if self.drafts:
            log.info("dropping calls followed before the reconnect", calls=len(self.drafts))
        self.drafts.clear()
        if self._kick is not None:
            self._kick.cancel()
        self._kick = asyncio.get_running_loop().call_later(self.grace_s + 1, self._kick_backfill)

    async def _write(self, record: CallRecord) -> None:
        """Into PostgreSQL, or, while it is away, into the journal (``db/durable.py``),
        which replays it once it is back: the journal keeps the live record (holds and
        all), where CEL's rows would only wait in the spool for the same database."""
        with structlog.contextvars.bound_contextvars(call=record.linkedid):
            try:
                written = await self.writes.write(
                    repo.RECORD, repo.record_args(record), may_journal=True
                )
            except Exception:
                # a bug, not an outage (those are journalled): the backfill rebuilds the
                # call from CEL, which Asterisk could write
                log.exception("call record not written; the CEL backfill will rebuild it")
                return
            if written is JOURNALLED:
                log.warning("call record journalled until the database is back")
            if written:
                self._recorded(record)

    def _recorded(self, record: CallRecord) -> None:
        log.info(
            "call recorded",
            call=record.linkedid,
            outcome=record.outcome.value,
            agent=record.agent_job_number,
            hung_up_first=record.hung_up_first.value,
            source=record.source.value,
            caller=record.caller_number,
        )
        if self.on_recorded is not None:
            self.on_recorded(record)

    # ---- backfill from CEL --------------------------------------------------------------

    async def backfill(self) -> int:
        """Write rows for finished calls Asterisk logged but we did not; returns how many.

        Page after page (``backfill_batch`` calls each: their CEL rows in one query,
        their rows in one transaction) until none is left, so an outage's calls are
        whole in one run rather than one page a minute; between pages the event loop
        runs what waited (live events go first). A call CEL cannot rebuild is passed
        over by the cursor, never read again in the same run."""
        async with self._backfill_lock:
            since = datetime.now(UTC) - timedelta(days=self.backfill_days)
            written, after = 0, None
            while not self._stopped:
                page = await repo.unrecorded_cel_calls(
                    self.pool, since, self.grace_s, limit=self.backfill_batch, after=after
                )
                written += await self._rebuild(page.linkedids)
                if len(page.linkedids) < self.backfill_batch:
                    break
                after = page.cursor
                await asyncio.sleep(0)
            if written:
                log.info("backfilled calls from CEL", calls=written)
            return written

    async def _rebuild(self, linkedids: list[str]) -> int:
        if not linkedids:
            return 0
        async with self.pool.acquire() as conn:
            rows = await repo.cel_rows_of(conn, linkedids)
            records = []
            for n, call in enumerate(rows.values(), 1):
                if (record := record_from_cel(call)) is not None:
                    records.append(record)
                if n % FOLD_CHUNK == 0:
                    await asyncio.sleep(0)  # live events between: a page's fold is ~100 ms
            async with conn.transaction():
                written = [r for r in records if await repo.insert(conn, r)]
        for record in written:
            self._recorded(record)
        return len(written)

    def _kick_backfill(self) -> None:
        if self._stopped:
            return
        task = asyncio.create_task(self._backfill_safely())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _backfill_safely(self) -> None:
        try:
            await self.backfill()
        except Exception:
            log.exception("CEL backfill failed; will try again")

    async def _backfill_loop(self) -> None:
        while True:
            await self._backfill_safely()
            await asyncio.sleep(self.backfill_every_s)


class QueueWaiting:
    """Callers waiting per queue, from QueueCallerJoin/Leave counts, resynced on connect."""

    def __init__(self, ami: AmiClient) -> None:
        self.ami = ami
        self.waiting: dict[str, int] = {}

    def attach(self) -> None:
        self.ami.on_event("QueueCaller*", self.on_event)

    def on_event(self, event: Event) -> None:
        if isinstance(event, QueueCallerJoin | QueueCallerLeave):
            self.waiting[event.queue] = event.count

    async def resync(self) -> None:
        try:
            reply = await self.ami.send(QueueStatus())
        except AmiError as exc:
            log.warning("queue status not read", error=exc.code)
            return
        for event in reply.events:
            if isinstance(event, QueueParams):
                self.waiting[event.queue] = event.calls
