"""The callback dispatcher: claimed callbacks become calls through Asterisk, and AMI
events become attempt results (design.md "Callbacks"; asterisk.md §4).

Runs only while this service drives Asterisk. It wakes on a NOTIFY (``repo.CHANNEL``),
every ``callback_poll_s``, and when an attempt ends; in working hours it claims as many
callbacks as there is room for (``callback_max_waiting`` attempts in flight) and sends
each one Originate (``callback.attempts.originate_for``): agent first, through the
queue, at a lower priority than inbound callers. The leases of the attempts it follows
are renewed every third of a lease, so a callback waiting long in the queue is never
claimed again; only a crash between claim and call is taken up again, and such a claim
is reconciled by ChannelId before anything is dialled (``callback.reconcile``). One
Originate never rings the citizen twice.

The dialplan reports the attempt's steps as ``HotlineCallback`` UserEvents (agent,
confirmed, result); the result's DialStatus and Cause become an ``AttemptResult``, the
retry policy gives the next time, and the store records both.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ami import AmiActionFailed, AmiClient, AmiError
from ami.actions import Setvar
from ami.events import Event, Hangup, Newchannel, UserEvent
from callback import repo
from callback.attempts import (
    Attempt,
    DispatchFigures,
    ForOwner,
    NoLiveAttempt,
    Step,
    StepReport,
    dialable,
    for_owner,
    originate_failed,
    originate_for,
    step_report,
    step_result,
)
from callback.model import AgentAnswered, AttemptEnded, AttemptResult, Callback
from callback.policy import RetryPolicy, retry_at
from callback.reconcile import Reconciler
from callback.results import attempt_result
from calls import repo as calls_repo
from core import names
from core.errors import HotlineError
from core.logging import get_logger
from core.settings import Settings
from core.tasks import cancel_and_wait
from db.listen import listen as db_listen

log = get_logger("callback")

OpenAt = Callable[[datetime], datetime | None]


class Owners(Protocol):
    """Agent state's side of an owned callback (``agent_state.service.AgentService``):
    the owner's slot while signed in, and the owners' queue seat for the offer."""

    def owner_slot(self, job_number: str) -> int | None: ...

    async def offer_owned(self, job_number: str) -> bool: ...

    async def owned_offer_over(self, job_number: str) -> None: ...


class NoOwners:
    """No agent is anyone's owner: every callback goes to anyone."""

    def owner_slot(self, job_number: str) -> int | None:
        return None

    async def offer_owned(self, job_number: str) -> bool:
        return False

    async def owned_offer_over(self, job_number: str) -> None:
        return None


ResultOf = Callable[[str, str], AttemptResult]
Listen = Callable[[Callable[[], None]], Awaitable[None]]

# after the attempt's channel hung up, its result step may still be on its way
RESULT_WAIT_S = 3.0
LISTEN_BACKOFF_MAX_S = 30.0


def _now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(
        self,
        ami: AmiClient,
        pool: Any,
        settings: Settings,
        *,
        is_open: Callable[[datetime], bool],
        open_at: OpenAt,
        result_of: ResultOf = attempt_result,
        owners: Owners | None = None,
        anyone_idle: Callable[[], bool] = lambda: True,
        store: Any = repo,
        cel_rows: Callable[[Any, str], Awaitable[list[Any]]] = calls_repo.cel_rows,
        listen: Listen | None = None,
        dispatcher_id: str | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.ami = ami
        self.pool = pool
        self.settings = settings
        self.is_open = is_open  # WorkingHours.is_open
        self.open_at = open_at  # WorkingHours.next_open: retries only in working hours
        self.policy = RetryPolicy(
            settings.callback_attempts,
            timedelta(seconds=settings.callback_retry_spacing_s),
            timedelta(seconds=settings.callback_no_agent_retry_s),
        )
        self.result_of = result_of
        # the owner's slot while signed in (None while not), its seat in the owners' queue
        self.owners = owners or NoOwners()
        self.anyone_idle = anyone_idle  # agent first: nothing new is claimed without one
        self.store = store
        self.listen = listen or functools.partial(db_listen, pool, repo.CHANNEL)
        self.id = dispatcher_id or f"dispatcher-{uuid.uuid4()}"
        self.clock = clock
        self.lease_s = settings.callback_lease_s
        self.attempts: dict[str, Attempt] = {}  # by channel id (the Uniqueid)
        self.figures = DispatchFigures()
        self._wake = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False
        self.reconcile = Reconciler(
            ami,
            pool,
            cel_rows,
            result_of,
            self.attempts,
            figures=self.figures,
            settle=self._settle,
            apply=self._apply,
        )

    # ---- life -------------------------------------------------------------------------

    def attach(self) -> None:
        for pattern in ("Newchannel", "Hangup", "OriginateResponse", "UserEvent"):
            self.ami.on_event(pattern, self.on_event)

    def start(self) -> None:
        self._stopped = False
        self._loops = [
            asyncio.create_task(self._dispatch_loop(), name="callback-dispatch"),
            asyncio.create_task(self._renew_loop(), name="callback-renew"),
            asyncio.create_task(self._listen_loop(), name="callback-listen"),
        ]

    async def stop(self) -> None:
        """Stops claiming; live attempts go on in Asterisk and are adopted by the next
        dispatcher once their leases run out."""
        self._stopped = True
        loops, self._loops = self._loops, []
        await cancel_and_wait(*loops)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def wake(self) -> None:
        self._wake.set()

    def on_ami_ready(self) -> None:
        """After a (re)connect events may be missed: check every followed attempt's channel."""
        if self.attempts:
            self._spawn(self.reconcile.verify(list(self.attempts.values())))
        self.wake()

    # ---- the loops ----------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        while not self._stopped:
            self._wake.clear()
            try:
                await self.dispatch_once()
            except Exception:
                log.exception("callback dispatch failed; trying again", dispatcher=self.id)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.callback_poll_s):
                    await self._wake.wait()

    async def _renew_loop(self) -> None:
        while not self._stopped:
            await asyncio.sleep(self.lease_s / 3)
            try:
                await self.renew()
            except Exception:
                log.exception("callback leases not renewed", dispatcher=self.id)

    async def _listen_loop(self) -> None:
        backoff = 1.0
        while not self._stopped:
            try:
                await self.listen(self.wake)
                backoff = 1.0
                log.warning("callback listen connection lost; listening again")
            except Exception as exc:
                log.warning("callback listen failed; polling meanwhile", error=repr(exc))
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, LISTEN_BACKOFF_MAX_S)

    async def renew(self) -> int:
        ids = [a.claim_id for a in self.attempts.values() if not a.settled]
        if not ids:
            return 0
        until = self.clock() + timedelta(seconds=self.lease_s)
        return int(await self.store.renew(self.pool, ids, until))

    async def dispatch_once(self) -> int:
        """Claim what there is room for and start each; returns how many were claimed."""
        if not self.ami.is_ready:
            return 0
        now = self.clock()
        if not self.is_open(now):
            return 0
        room = self.settings.callback_max_waiting - len(self.attempts)
        if room <= 0:
            return 0
        # nobody idle: a new callback would only wait in app_queue (or be turned away at
        # once when nobody is signed in); a crashed dispatcher's claim is still checked
        claims = await self.store.claim(
            self.pool, self.id, now, self.lease_s, room, fresh=self.anyone_idle()
        )
        for claim in claims:
            try:
                await self._take(claim, now)
            except Exception:  # its lease runs out; the next claim reconciles it
                log.exception("callback claim not started", callback=str(claim.callback.id))
        return len(claims)

    # ---- one claim ------------------------------------------------------------------------

    async def _take(self, claim: repo.Claim, now: datetime) -> None:
        callback = claim.callback
        lag = max((now - callback.not_before).total_seconds(), 0.0)
        self.figures.claims += 1
        self.figures.lag_s_total += lag
        self.figures.last_lag_s = lag
        bound = log.bind(callback=str(callback.id), attempt=callback.attempt_id)
        bound.info("callback claimed", kind=callback.kind.value, lag_s=round(lag, 3))
        if claim.previous_attempt_id and await self._reconcile(claim, bound):
            return
        if not dialable(callback.number):
            await self._settle(self._follow(callback, bound, started=False), INVALID)
            return
        owner = self._for_owner(callback, now)
        if owner.slot is not None and not await self._seat_owner(callback):
            owner = for_owner(
                callback, now, wait_s=self.settings.callback_owner_wait_s, owner_slot=None
            )
        if owner.keep_until is not None:
            bound.info(
                "kept for its owner", owner=callback.owner, until=owner.keep_until.isoformat()
            )
            await self._apply(
                self._follow(callback, bound, started=False),
                AttemptEnded(AttemptResult.NO_AGENT, owner.keep_until),
            )
            return
        await self._originate(callback, bound, now, owner)

    def _for_owner(self, callback: Callback, now: datetime) -> ForOwner:
        slot = None if callback.owner is None else self.owners.owner_slot(callback.owner)
        return for_owner(callback, now, wait_s=self.settings.callback_owner_wait_s, owner_slot=slot)

    async def _seat_owner(self, callback: Callback) -> bool:
        """The owner's member into the owners' queue for this offer; False when that
        did not happen (signed out meanwhile, AMI away)."""
        assert callback.owner is not None
        return await self.owners.offer_owned(callback.owner)

    async def _offer_over(self, attempt: Attempt) -> None:
        """The attempt's owner-first offer is over: its seat in the owners' queue goes."""
        owner, attempt.owner_offer = attempt.owner_offer, None
        if owner is not None:
            try:
                await self.owners.owned_offer_over(owner)
            except Exception:  # left there, paused as the agent is; gone at sign-out
                attempt.log.exception("owner's seat not given up", owner=owner)

    def _follow(self, callback: Callback, bound: Any, *, started: bool = True) -> Attempt:
        """The claim's own attempt; followed (and counted in flight) once it is started."""
        assert callback.attempt_id is not None, "a claimed callback has an attempt id"
        attempt = Attempt(callback, callback.attempt_id, callback.attempt_id, bound)
        attempt.started = started
        if started:
            self.attempts[attempt.channel_id] = attempt
        return attempt

    async def _originate(
        self, callback: Callback, bound: Any, now: datetime, owner: ForOwner
    ) -> None:
        assert callback.attempt_id is not None
        action = originate_for(
            callback,
            callback.attempt_id,
            caller_id=self.settings.entry_number,
            # the queued half answers the Originate only once an agent took it
            timeout_s=self._originate_timeout_s() + owner.wait_s,
            confirm_s=self.settings.callback_confirm_timeout_s,
            ring_s=self.settings.callback_ring_timeout_s,
            owner=owner,
        )
        attempt = self._follow(callback, bound)
        if owner.slot is not None:
            attempt.owner_offer = callback.owner  # seated by _take: given up as it ends
        try:
            await self.store.attempt_started(self.pool, callback.id, attempt.channel_id, now)
        except BaseException:
            del self.attempts[attempt.channel_id]  # never sent: the next claim dials it
            self._spawn(self._offer_over(attempt))
            raise
        try:
            await self.ami.send(action)
        except AmiActionFailed as exc:
            bound.warning("callback originate refused", error=exc.message)
            await self._settle(attempt, AttemptResult.FAILED, cause="originate refused")
            return
        except AmiError as exc:
            # it may have been sent: never send it again; look for its channel instead
            bound.warning("callback originate outcome unknown", error=exc.code)
            attempt.adopted = True
            # (half a lease later: Asterisk creates a queued Originate's channel long before)
            asyncio.get_running_loop().call_later(
                self.lease_s / 2, self._spawn_verify, attempt.channel_id
            )
            return
        bound.info(
            "callback originated",
            number=callback.number,
            owner_first=owner.slot is not None,
            owner_wait_s=owner.wait_s,
        )

    def _originate_timeout_s(self) -> float:
        """Long enough for a wait in the queue, the agent's confirmation and the ring."""
        s = self.settings
        return self.lease_s * 10 + s.callback_confirm_timeout_s + s.callback_ring_timeout_s

    # ---- a crashed claim, missed events: callback/reconcile.py --------------------------------

    async def _reconcile(self, claim: repo.Claim, bound: Any) -> bool:
        """True when the crashed claim's attempt settles it (adopted or ended): do not dial."""
        return await self.reconcile.crashed_claim(claim, bound)

    def _spawn_verify(self, channel_id: str) -> None:
        attempt = self.attempts.get(channel_id)
        if attempt is not None and not attempt.settled and not self._stopped:
            self._spawn(self.reconcile.verify([attempt]))

    # ---- events ---------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if self._stopped:
            return
        if isinstance(event, UserEvent):
            report = step_report(event)
            if report is not None:
                self._on_step(report)
            return
        attempt = self.attempts.get(event.get("Uniqueid"))
        if attempt is None:
            return
        if isinstance(event, Newchannel):
            attempt.channel = event.channel
        elif isinstance(event, Hangup) or originate_failed(event):
            self._hung_up(attempt)

    def _on_step(self, report: StepReport) -> None:
        attempt = self.find(report.attempt_id)
        if attempt is None or attempt.settled:
            return
        if report.step is Step.AGENT and report.agent.isdigit():
            attempt.agent = report.agent
            attempt.log = attempt.log.bind(agent=report.agent)
            attempt.log.info("callback taken by an agent")
            self._spawn(self._apply(attempt, AgentAnswered(report.agent)))
        elif report.step is Step.CONFIRMED:
            attempt.confirmed = True
            attempt.log.info("callback confirmed; dialling the citizen")
        elif report.step is Step.RESULT:
            if attempt.agent is None and report.agent.isdigit():
                # the agent step came while no service listened (a crash, then adopted):
                # the result carries the agent too, so the callback is still theirs
                attempt.agent = report.agent
                attempt.log = attempt.log.bind(agent=report.agent)
                self._spawn(self._apply(attempt, AgentAnswered(report.agent)))
            result = step_result(report, self.result_of)
            self._spawn(self._settle(attempt, result, cause=report.cause or None))
        elif report.step is Step.LEFT:
            attempt.log.info("callback left the queue unanswered", why=report.queue_status)
            self._spawn(self._settle(attempt, AttemptResult.NO_AGENT))

    def _hung_up(self, attempt: Attempt) -> None:
        if attempt.hung_up or attempt.settled:
            return
        attempt.hung_up = True
        asyncio.get_running_loop().call_later(RESULT_WAIT_S, self._result_missing, attempt)

    def _result_missing(self, attempt: Attempt) -> None:
        if not attempt.settled and not self._stopped:
            self._spawn(self.reconcile.end_without_result(attempt))

    # ---- writes -----------------------------------------------------------------------------

    async def _apply(self, attempt: Attempt, event: Any) -> None:
        async with attempt.lock:
            await self._apply_locked(attempt, event)

    async def _apply_locked(self, attempt: Attempt, event: Any) -> None:
        try:
            await self.store.apply(
                self.pool, attempt.callback_id, event, self.clock(), attempt_id=attempt.claim_id
            )
        except HotlineError as exc:  # a late event (StaleAttempt), an illegal step
            attempt.log.info(
                "callback event not applied", event=type(event).__name__, error=exc.code
            )

    async def _settle(
        self, attempt: Attempt, result: AttemptResult, *, cause: str | None = None
    ) -> None:
        """The attempt's end: its row, the callback's step (with the policy's retry time)."""
        async with attempt.lock:
            if attempt.settled:
                return
            attempt.settled = True
            now = self.clock()
            retry = retry_at(self.policy, attempt.callback.attempts, result, now, self.open_at)
            try:
                if attempt.started:
                    await self.store.attempt_ended(
                        self.pool, attempt.channel_id, now, result, agent=attempt.agent, cause=cause
                    )
                await self._apply_locked(attempt, AttemptEnded(result, retry))
            finally:
                self.attempts.pop(attempt.channel_id, None)
                await self._offer_over(attempt)
                self.figures.results[result.value] += 1
                attempt.log.info(
                    "callback attempt ended",
                    result=result.value,
                    retry_at=retry.isoformat() if retry else None,
                )
                self.wake()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("callback write failed", error=repr(task.exception()))

    # ---- the API ----------------------------------------------------------------------------

    def find(self, attempt_id: str) -> Attempt | None:
        """A followed attempt by its channel id or its claim id."""
        attempt = self.attempts.get(attempt_id)
        if attempt is not None:
            return attempt
        return next((a for a in self.attempts.values() if a.claim_id == attempt_id), None)

    async def confirm(self, attempt_id: str) -> None:
        """The agent confirms through the API: the dialplan then dials the citizen."""
        attempt = self.find(attempt_id)
        if attempt is None or attempt.settled:
            raise NoLiveAttempt(f"no live callback attempt {attempt_id!r} on this service")
        # Asterisk finds a channel by its Uniqueid too: the ;1 half's is the attempt's id
        await self.ami.send(Setvar(names.CALLBACK_CONFIRMED_VAR, "1", channel=attempt.channel_id))
        attempt.log.info("callback confirmed through the API")


INVALID = AttemptResult.INVALID_NUMBER
