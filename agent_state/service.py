"""The agent service: events in, ``step``, persist, carry out — one agent at a time.

Every change of an agent goes through ``apply``: under that agent's lock the pure
``step`` decides, the new state and its audit row are stored in one transaction, and
only then are the commands carried into Asterisk (``AsteriskCarrier``). Stored first,
so a crash between the two leaves Asterisk behind the database, and the reconcile on
the next start turns any disagreement into ``busy(reconciled)`` — never idle.

While PostgreSQL is away, "stored" means journalled (``db/durable.py``) for what
Asterisk or the clock caused; a person's request is refused (``agent_state.durability``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from agent_state import repo
from agent_state.carrier import AsteriskCarrier
from agent_state.durability import may_journal
from agent_state.hints import Seat
from agent_state.interpret import Reading, Reconcile, expects_paused
from agent_state.member import Member
from agent_state.model import (
    LAMPS,
    Agent,
    BusyReason,
    Event,
    ForceBusy,
    IllegalTransition,
    SetLamp,
    SignIn,
    Source,
    StartWrapUpTimer,
    State,
    WrapUpExpired,
    step,
)
from agent_state.pin_checker import PinChecker, SignInGuard
from agent_state.requests import refusal
from agent_state.seats import Desks, at_phone, holders, judged_members, seated
from agent_state.sign_in import LockoutPolicy, phone_origin, web_origin
from ami import AmiError
from core.actor import Actor
from core.errors import Forbidden, HotlineError, InvalidInput, NotFound
from core.logging import get_logger
from db.durable import DurableWrites

log = get_logger("agent_state")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class NotAllowed(HotlineError):
    code = "agent.not_allowed"


@dataclass(frozen=True)
class Change:
    """One applied transition, as listeners (the live stream) see it."""

    before: Agent
    after: Agent
    event: str
    source: str
    at: datetime
    call: str = ""  # the call's Linkedid, for the events that have one (offered, answered)


Listener = Callable[[Change], None]


class AgentService:
    def __init__(
        self,
        pool: Any,
        carrier: AsteriskCarrier,
        *,
        wrap_up_s: float,
        confirm_wait_s: float = 1.0,
        clock: Clock = utc_now,
        sign_ins: SignInGuard | None = None,
        writes: DurableWrites | None = None,
        desks: Desks | None = None,
    ) -> None:
        self.pool = pool
        self.desks = desks or Desks()  # hot desking on or off, and the desk phones
        # without a journal (tests, tools) a database failure fails the transition
        self.writes = writes or DurableWrites(pool, None, {repo.TRANSITION: repo.write_transition})
        self.sign_ins = sign_ins or SignInGuard(pool, PinChecker(8), LockoutPolicy(), clock)
        self.carrier = carrier
        self.wrap_up_s = wrap_up_s
        # how long a request to leave idle waits for Asterisk's confirmation before the
        # API answers with the agent as it then is (e.g. ringing, busy pending)
        self.confirm_wait_s = confirm_wait_s
        self.clock = clock
        self.members: dict[str, Member] = {}
        self.agents: dict[str, Agent] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._listeners: set[Listener] = set()
        self._generation: dict[str, int] = {}  # changes applied per agent
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        # owned callbacks being offered to each agent (callback/dispatch.py): while there
        # is one, the agent's member is in the owners' queue
        self._owner_offers: dict[str, int] = {}

    # ---- life cycle -------------------------------------------------------------------

    async def load(self) -> None:
        """Roster and stored states; wrap-up deadlines are armed again (R4: none stranded)."""
        self.members = await repo.roster(self.pool)
        stored = await repo.states(self.pool)
        self.agents = {job: stored.get(job, Agent(job)) for job in self.members}

    async def reload_roster(self) -> None:
        """The roster again, after an admin added, changed or removed an account. An
        agent still signed in keeps its member as it was until it signs out (the admin
        API refuses to move or remove a signed-in agent; this is the belt to those braces)."""
        fresh = await repo.roster(self.pool)
        for job, member in self.members.items():
            if job not in fresh and self.is_signed_in(job):
                log.warning("account changed while signed in; kept until sign-out", agent=job)
                fresh[job] = member
        self.members = fresh
        self.agents = {job: self.agents.get(job) or Agent(job) for job in fresh}

    def is_signed_in(self, job_number: str) -> bool:
        agent = self.agents.get(job_number)
        return agent is not None and agent.state is not State.LOGGED_OUT

    def owner_slot(self, job_number: str) -> int | None:
        """The agent's slot in the owners' queue while signed in (its member is there),
        None while signed out: whom an owned escalation may be offered to."""
        member = self.members.get(job_number)
        if member is None or not self.is_signed_in(job_number):
            return None
        return member.owner_slot

    async def offer_owned(self, job_number: str) -> bool:
        """An owned callback is about to be offered to its owner alone (in the owners'
        queue at the owner's slot): the member joins that queue, paused as it is in its
        others, unless an offer already put it there. False when the owner is not signed
        in or Asterisk did not take it (the callback is then kept for them)."""
        async with self._locks.setdefault(job_number, asyncio.Lock()):
            agent = self.agents.get(job_number)
            if self.owner_slot(job_number) is None or agent is None:
                return False
            offers = self._owner_offers.get(job_number, 0)
            if offers == 0:
                self._changed(job_number)  # a reconcile under way judges it next time
                member = seated(self.member(job_number), agent)
                try:
                    await self.carrier.join_owners(
                        member, expects_paused(agent), agent.pause_reason
                    )
                except AmiError as exc:
                    log.warning(
                        "owner not seated for an owned callback", agent=job_number, error=exc.code
                    )
                    self.carrier.on_failure(job_number)  # the reconcile looks again
                    return False
            self._owner_offers[job_number] = offers + 1
            return True

    async def owned_offer_over(self, job_number: str) -> None:
        """An owned callback's attempt ended: the member leaves the owners' queue once no
        other offer holds it there (a signed-out member has left every queue already)."""
        async with self._locks.setdefault(job_number, asyncio.Lock()):
            offers = self._owner_offers.pop(job_number, 0) - 1
            if offers > 0:
                self._owner_offers[job_number] = offers
                return
            agent = self.agents.get(job_number)
            if (
                offers < 0
                or agent is None
                or agent.state is State.LOGGED_OUT
                or agent.sign_out_pending
            ):
                return
            self._changed(job_number)
            try:
                await self.carrier.leave_owners(seated(self.member(job_number), agent))
            except AmiError as exc:
                # left there, paused as the agent is: harmless; gone at sign-out
                log.warning(
                    "owner not taken out of the owners' queue", agent=job_number, error=exc.code
                )

    def anyone_idle(self) -> bool:
        """Whether some agent is idle and not on the way out: who app_queue may offer a call."""
        return any(a.state is State.IDLE and not a.leaving for a in self.agents.values())

    def arm_stored_deadlines(self) -> None:
        """Wrap-up deadlines stored before a restart, armed again (R4: none stranded).
        Called after the first reconcile, so it judges Asterisk as the service left it."""
        for agent in self.agents.values():
            job = agent.job_number
            if (
                agent.state is State.WRAP_UP
                and agent.wrap_up_deadline is not None
                and job not in self._timers
            ):
                self._arm(job, agent.wrap_up_deadline)

    def generations(self) -> dict[str, int]:
        """How many changes each agent has had; a reconcile compares two readings."""
        return dict(self._generation)

    def stop(self) -> None:
        self.sign_ins.checker.close()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.add(listener)
        return lambda: self._listeners.discard(listener)

    # ---- requests (phone, web, supervisor, schedule) ------------------------------------

    def member(self, job_number: str) -> Member:
        member = self.members.get(job_number)
        if member is None:
            raise NotFound(f"no agent with job number {job_number}")
        return member

    def seated(self, job_number: str) -> Member:
        """The agent's member as Asterisk has it: at the session's desk phone."""
        return self._offering(seated(self.member(job_number), self.agents.get(job_number)))

    def seated_members(self) -> dict[str, Member]:
        """Every member at its session's desk phone (the reconcile compares these)."""
        judged = judged_members(self.members, self.agents)
        return {job: self._offering(member) for job, member in judged.items()}

    def lamp_seats(self) -> dict[str, Seat]:
        """Each signed-in agent's job number → where its lamp looks: the desk phone of its
        session and its member's queue (the lamp hints, ``agent_state/hints.py``)."""
        return {
            job: Seat(phone, self.members[job].lamp_queue)
            for phone, job in holders(self.members, self.agents).items()
        }

    def _offering(self, member: Member) -> Member:
        """The member in the owners' queue too while an owned callback is offered to it."""
        if not self._owner_offers.get(member.job_number):
            return member
        return dataclasses.replace(member, owner_offer=True)

    def by_extension(self, extension: str) -> Member | None:
        """Who works at this desk phone now: the agent signed in there, else its home
        agent unless signed in elsewhere (``seats.at_phone``)."""
        return at_phone(extension, self.members, self.agents)

    def may_sit_at(self, extension: str) -> bool:
        """Whether anyone may sign in at this desk phone (asked before the PIN)."""
        return self.desks.may_sit_at(extension, self.members)

    async def check_pin(self, job_number: str, pin: str, *, origin: str) -> Member:
        """The member whose PIN this is; ``origin`` is the phone or client address asking
        (a lockout after wrong PINs holds for that job number from that origin only).
        The hash runs off the event loop; see ``agent_state.pin_checker``."""
        return await self.sign_ins.check(self.members.get(job_number), job_number, pin, origin)

    async def lift_lockout(self, actor: Actor, job_number: str) -> list[str]:
        """A supervisor lifts every sign-in lockout of an agent; the origins lifted."""
        if not actor.is_supervisor:
            raise Forbidden("only a supervisor lifts a sign-in lockout")
        self.member(job_number)  # 404 for a job number nobody has
        return await self.sign_ins.lift(job_number, actor=actor.job_number)

    async def sign_in(
        self,
        job_number: str,
        pin: str,
        *,
        source: Source,
        extension: str | None = None,
        origin: str | None = None,
    ) -> Agent:
        """Sign in with the PIN at desk phone ``extension`` (default: the agent's home
        extension): by ``*11`` there (``source`` phone), or on the web from ``origin``
        (the client's address). The phone is the session's until sign-out (hot
        desking, ``seats``); one another agent holds is refused (``agent.phone_taken``)."""
        by_phone = source is Source.PHONE and extension is not None
        where = phone_origin(extension) if by_phone and extension else web_origin(origin)
        member = await self.check_pin(job_number, pin, origin=where)
        phone = extension or member.extension
        held = holders(self.members, self.agents)
        why = self.desks.refusal(job_number, phone, member.extension, held)
        if why is not None:
            raise why
        if not member.queues:
            raise NotAllowed(f"agent {job_number} belongs to no queue")
        # the phone that dialled *11 is reachable; the home phone's reachability is
        # known; another phone named on the web is judged by the next reconcile
        reachable = True if by_phone else None
        event = SignIn(source=source, phone=phone, phone_reachable=reachable)
        agent = await self.apply(job_number, event, actor=job_number)
        if reachable is None and phone != member.extension:
            self.carrier.on_failure(job_number)  # a reconcile soon looks at that phone
        return agent

    async def request(self, actor: Actor, job_number: str, event: Event) -> Agent:
        """A person's request, parsed at the edge (``requests.parse``); who may ask is
        decided here, once (``requests.refusal``)."""
        self.member(job_number)
        why = refusal(actor, job_number, event)
        if why is not None:
            raise Forbidden(why)
        if isinstance(event, SignIn):
            raise InvalidInput("signing in needs the PIN: use sign_in")
        waiter = self._waiter(job_number)
        try:
            agent = await self.apply(job_number, event, actor=actor.job_number)
            if agent.state is State.IDLE and agent.leaving:
                # in force only once Asterisk confirms: answer with the truth after that
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.confirm_wait_s):
                        await asyncio.shield(waiter)
                agent = self.agents[job_number]
            return agent
        finally:
            self._forget(job_number, waiter)

    def _waiter(self, job_number: str) -> asyncio.Future[None]:
        """A future resolved at the agent's next change after the one about to happen."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(job_number, []).append(future)
        return future

    def _forget(self, job_number: str, waiter: asyncio.Future[None]) -> None:
        waiters = self._waiters.get(job_number, [])
        if waiter in waiters:
            waiters.remove(waiter)

    # ---- the one way an agent changes -------------------------------------------------------

    async def apply(
        self,
        job_number: str,
        event: Event,
        *,
        linkedid: str | None = None,
        actor: str | None = None,
    ) -> Agent:
        lock = self._locks.setdefault(job_number, asyncio.Lock())
        async with lock:
            return await self._apply_locked(job_number, event, linkedid, actor)

    async def _apply_locked(
        self, job_number: str, event: Event, linkedid: str | None, actor: str | None
    ) -> Agent:
        with structlog.contextvars.bound_contextvars(agent=job_number):
            before = self.agents.get(job_number) or Agent(job_number)
            now = self.clock()
            after, commands = step(before, event, now)
            if after == before and not commands:
                return before
            # stored (or, PostgreSQL away, journalled) before anything else changes;
            # a person's request is refused then (db.unavailable), memory untouched
            await self.writes.write(
                repo.TRANSITION,
                repo.transition_args(before, after, event, now, linkedid=linkedid, actor=actor),
                may_journal=may_journal(event),
            )
            self.agents[job_number] = after
            self._changed(job_number)
            if after.state is not State.WRAP_UP:
                self._disarm(job_number)
            if after.label != before.label or after.leaving != before.leaving:
                log.info(
                    "agent_state_changed",
                    **{"from": before.label},
                    to=after.label,
                    trigger=type(event).__name__,
                    source=event.source.value,
                    call=linkedid,
                    sign_out_pending=after.sign_out_pending,
                    busy_pending=after.busy_pending.value if after.busy_pending else None,
                )
            for command in commands:
                if isinstance(command, StartWrapUpTimer):
                    self._arm(job_number, command.deadline)
            # listeners (the live stream) hear of the change before the AMI round trip
            change = Change(
                before,
                after,
                type(event).__name__,
                event.source.value,
                now,
                call=getattr(event, "linkedid", ""),
            )
            for listener in list(self._listeners):
                listener(change)
            # at the session's phone; a sign-out removes the member where it was
            where = after if after.phone else before
            member = self._offering(seated(self.member(job_number), where))
            await self.carrier.carry_out(member, after, commands)
            self._wake(job_number, after)
            return after

    def _changed(self, job_number: str) -> None:
        self._generation[job_number] = self._generation.get(job_number, 0) + 1

    def _wake(self, job_number: str, after: Agent) -> None:
        if after.state is State.IDLE and after.leaving:
            return  # still waiting for Asterisk
        for waiter in self._waiters.pop(job_number, []):
            if not waiter.done():
                waiter.set_result(None)

    async def adopt(self, job_number: str, event: Event, *, linkedid: str | None = None) -> None:
        """A fact from Asterisk. If it contradicts our state, reconcile: busy, never idle."""
        await self.adopt_reading(job_number, lambda _agent: event, linkedid=linkedid)

    async def adopt_reading(
        self, job_number: str, read: Callable[[Agent], Reading], *, linkedid: str | None = None
    ) -> None:
        """An Asterisk event, read (``interpret``) against the agent as it is under its
        lock, then applied: a model event is stepped, a disagreement reconciled."""
        why = ""
        async with self._locks.setdefault(job_number, asyncio.Lock()):
            reading = read(self.agents.get(job_number) or Agent(job_number))
            if reading is None:
                return
            if isinstance(reading, Reconcile):
                why = reading.why
            else:
                try:
                    await self._apply_locked(job_number, reading, linkedid, None)
                    return
                except IllegalTransition as exc:
                    why = f"{type(reading).__name__} from Asterisk: {exc.message}"
        log.error(
            "asterisk contradicts the agent's state; reconciling",
            agent=job_number,
            why=why,
            call=linkedid,
        )
        await self.force_reconciled(job_number, why)

    async def show_lamp(self, job_number: str) -> None:
        """The agent's lamp set again to what its state shows (a reconcile found it
        showing something else: set while the service was away, by an older version, by
        hand). Under the agent's lock, from the state as it is then."""
        async with self._locks.setdefault(job_number, asyncio.Lock()):
            member = self.members.get(job_number)
            if member is None:
                return  # gone from the roster since
            agent = self.agents.get(job_number) or Agent(job_number)
            await self.carrier.carry_out(member, agent, (SetLamp(LAMPS[agent.state]),))

    async def force_reconciled(self, job_number: str, why: str = "") -> None:
        agent = self.agents.get(job_number)
        if agent is None or agent.state is State.LOGGED_OUT:
            return
        event = ForceBusy(source=Source.SYSTEM, reason=BusyReason.RECONCILED, why=why)
        with contextlib.suppress(IllegalTransition):  # nothing left to do
            await self.apply(job_number, event)

    # ---- wrap-up deadlines ------------------------------------------------------------------

    def _arm(self, job_number: str, deadline: datetime) -> None:
        self._disarm(job_number)
        delay = max((deadline - self.clock()).total_seconds(), 0.0)
        loop = asyncio.get_running_loop()
        self._timers[job_number] = loop.call_later(
            delay, lambda: asyncio.ensure_future(self._expire(job_number, deadline))
        )

    def _disarm(self, job_number: str) -> None:
        timer = self._timers.pop(job_number, None)
        if timer is not None:
            timer.cancel()

    async def _expire(self, job_number: str, deadline: datetime) -> None:
        try:
            await self.apply(job_number, WrapUpExpired(deadline=deadline))
        except IllegalTransition:
            return  # the agent left wrap-up by other means meanwhile
        except Exception:
            # PostgreSQL away is journalled, never raised here; whatever this is, the
            # agent must not stay in wrap-up (R4): try again, for as long as it takes
            log.exception(
                "wrap-up deadline could not be applied; retrying", agent=job_number, in_s=1.0
            )
            self._timers[job_number] = asyncio.get_running_loop().call_later(
                1.0, lambda: asyncio.ensure_future(self._expire(job_number, deadline))
            )
