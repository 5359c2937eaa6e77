"""``hotline serve``: wire the adapters, the domain and the web app; run until stopped."""

from __future__ import annotations

import asyncio
import math
import os
import signal
from collections.abc import Awaitable
from datetime import timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from aiohttp import web

from accounts.model import parse_extensions
from agent_state import repo as agents_repo
from agent_state.carrier import AsteriskCarrier
from agent_state.hint_keeper import HintKeeper, valid_check_period
from agent_state.phone_sign_in import PhoneSignIn
from agent_state.pin_checker import PinChecker, SignInGuard
from agent_state.reconciler import Reconciler
from agent_state.schedule import ScheduleRunner
from agent_state.seats import Desks
from agent_state.service import AgentService, utc_now
from agent_state.sign_in import LockoutPolicy
from agent_state.watch import AsteriskWatch, valid_pause_wait
from ami import AmiClient
from ami.agi import AgiError, AgiServer
from ami.client import publish_session
from ami.events import STREAMED_NAMES
from callback import assembly as callbacks
from callback.dispatch import Dispatcher
from callback.intake import Intake, parse_due_days
from calls import repo as calls_repo
from calls.service import CallRecorder, QueueWaiting
from core import names
from core.errors import ConfigError, HotlineError
from core.logging import get_logger
from core.settings import Settings
from core.tasks import cancel_and_wait
from db.durable import DurableWrites
from db.journal import Journal
from db.pool import create_pool
from db.retry import Backoff
from dialplan.assembly import dial_plan_service
from hotline import waits
from hotline.heap import HeapReports, trim_every
from hotline.standby import DriverLock, Outcome, Role
from ivr.calendar_service import Calendar
from ivr.prompt_service import PromptService
from retention.job import Purge
from retention.model import rules as retention_rules
from web.app import init_app
from web.metrics import Metrics

log = get_logger("hotline")

# the writes the journal may hold, by name (db/durable.py)
WRITERS = {
    agents_repo.TRANSITION: agents_repo.write_transition,
    calls_repo.RECORD: calls_repo.write_record,
}


class Stoppable(Protocol):
    async def stop(self) -> None: ...


class ServiceFailed(HotlineError):
    code = "service.failed"


class Service:
    """Everything ``serve`` runs, started and stopped in order (also used by tests).

    Active (it holds the driver lock, hotline/standby.py): AMI, watch, reconcile,
    schedule, call recorder and the whole web app. Standby: the web app without the
    agents' routes, ``/healthz`` answering 503 ``"role": "standby"``, until the lock is
    free; then it takes over. An active service that loses its lock for good steps down
    to standby."""

    def __init__(self, settings: Settings) -> None:
        preflight(settings)
        self.settings = settings
        self.role = Role.STANDBY
        self.lock = DriverLock(settings)
        self.failed = asyncio.Event()  # a take-over or step-down failed: serve exits
        self.runner: web.AppRunner | None = None
        self._http = True
        self._standing_by: asyncio.Task[None] | None = None
        self._holding: asyncio.Task[None] | None = None
        self._defaults: asyncio.Task[None] | None = None
        # writes that wait for PostgreSQL while it is away (issue 9); one per database
        self.journal = Journal(settings.journal_file)
        self.writes: DurableWrites | None = None
        self.heap = HeapReports()  # on SIGUSR1 (serve): what grew since the last report
        self._new_driver()

    def _new_driver(self) -> None:
        """Fresh AMI client and domain parts (not started): one set per time active."""
        s = self.settings
        self.ami = AmiClient(
            s.ami_host,
            s.ami_port,
            s.ami_username,
            s.ami_secret,
            action_timeout=s.ami_action_timeout_s,
            on_ready=self._on_ami_ready,
            streamed=STREAMED_NAMES,
        )
        self.queues = QueueWaiting(self.ami)
        self.metrics = Metrics(
            self.ami,
            self.queues,
            writes=lambda: self.writes,
            dispatch=lambda: self.dispatcher.figures if self.dispatcher else None,
        )
        self.recorder: CallRecorder | None = None
        self.agents: AgentService | None = None
        self.watch: AsteriskWatch | None = None
        self.reconciler: Reconciler | None = None
        self.schedule: ScheduleRunner | None = None
        self.calendar: Calendar | None = None  # the one calendar: schedule, web, dial plan
        self.agi: AgiServer | None = None
        self.intake: Intake | None = None  # callbacks in: voicemail, keep-your-place, escalation
        self.dispatcher: Dispatcher | None = None  # callbacks out, agent first
        self.purge: Purge | None = None  # CEL and audit rows past their retention
        self.hints: HintKeeper | None = None  # the lamps' hints follow the sessions' phones

    async def _on_ami_ready(self) -> None:
        if self.recorder is not None:
            self.recorder.on_ami_ready()
        if self.reconciler is not None:
            self.reconciler.soon(0)  # busy, never idle, where Asterisk disagrees
        if self.intake is not None:
            self.intake.soon_scan()  # messages left while the service or AMI was away
        if self.dispatcher is not None:
            self.dispatcher.on_ami_ready()
        await self.queues.resync()

    async def start(self, *, http: bool = True) -> None:
        """Drive Asterisk if no other service does; otherwise stand by (and return)."""
        self._http = http
        self.pool = await create_pool(self.settings)
        self.prompts = PromptService.from_settings(self.settings, self.pool)
        await self._replay_journal()
        if await self.lock.try_take() is Outcome.TAKEN:
            await self._drive()
        else:
            await self._stand_by()

    async def _replay_journal(self) -> None:
        """What a previous run journalled goes to PostgreSQL first — before the states
        are loaded, and whichever role this instance then takes (a standby replays its
        own journal, then stands by); the replayer then runs for the whole life."""
        s = self.settings
        backoff = Backoff(s.journal_retry_first_s, s.journal_retry_max_s)
        self.writes = DurableWrites(self.pool, self.journal, WRITERS, backoff=backoff)
        if self.journal.depth:
            log.info("replaying the journal", depth=self.journal.depth)
            if not await self.writes.drain_until_empty(timeout=s.journal_retry_max_s * 3):
                log.error(
                    "journal not replayed yet; the replayer keeps trying", depth=self.journal.depth
                )
        self.writes.start()

    async def _drive(self) -> None:
        s = self.settings
        self.recorder = CallRecorder(
            self.ami,
            self.pool,
            backfill_every_s=s.backfill_every_s,
            backfill_days=s.backfill_days,
            backfill_batch=s.backfill_batch,
            grace_s=s.backfill_grace_s,
            on_recorded=self.metrics.call_recorded,
            writes=self.writes,
        )
        self.recorder.attach()
        self.queues.attach()
        self.purge = Purge(
            self.pool,
            retention_rules(
                cel_days=s.cel_retention_days,
                audit_days=s.audit_retention_days,
                backfill_days=s.backfill_days,
            ),
        )
        carrier = AsteriskCarrier(
            self.ami,
            on_failure=lambda job: self._reconcile_later(),
            echo_memory=s.echo_memory,
            lamps=s.blf_lamps,
        )
        self.agents = AgentService(
            self.pool,
            carrier,
            wrap_up_s=s.wrap_up_s,
            confirm_wait_s=s.confirm_wait_s,
            sign_ins=sign_in_guard(s, self.pool),
            writes=self.writes,
            desks=desks(s),
        )
        await self.agents.load()
        if s.blf_lamps:
            self.hints = HintKeeper(
                self.ami,
                lambda: publish_session(s),
                self.agents.lamp_seats,
                check_every_s=s.lamp_hints_check_s,
            )
            self.agents.subscribe(self.hints.changed)
        await self._start_agi(self.agents)
        self.reconciler = Reconciler(
            self.ami,
            self.agents,
            carrier,
            (s.queue, names.OWNER_QUEUE),
            phone_grace_s=s.phone_lost_grace_s,
        )
        self.watch = AsteriskWatch(
            self.ami,
            self.agents,
            carrier,
            self.reconciler,
            pause_wait_s=s.wrap_up_pause_wait_s,
        )
        self.watch.attach()
        self.calendar = Calendar(self.pool)
        await self.calendar.load()
        self.schedule = ScheduleRunner(
            self.agents,
            ZoneInfo(s.timezone),
            every_s=s.schedule_tick_s,
            calendar=self.calendar,
        )
        self.intake = callbacks.intake(s, self.ami, self.pool, self.agents, self.calendar)
        self.intake.attach()
        if s.callback_dispatch:
            self.dispatcher = callbacks.dispatcher(
                s,
                self.ami,
                self.pool,
                self.calendar,
                owners=self.agents,
                anyone_idle=self.agents.anyone_idle,
            )
            self.dispatcher.attach()
        self._defaults = asyncio.create_task(self._default_prompts(), name="default-prompts")
        await self.ami.start()
        self.recorder.start()
        self.purge.start()
        self.schedule.start()
        if self.hints is not None:
            self.hints.start()
        if self.dispatcher is not None:
            self.dispatcher.start()
        self.role = Role.ACTIVE
        await self._serve_http(self.agents)
        self._holding = asyncio.create_task(self._hold(), name="driver-lock")
        log.info(
            "hotline serving",
            role=self.role.value,
            http=f"http://{s.http_host}:{s.http_port}/",
            ami=f"{s.ami_host}:{s.ami_port}",
            db=s.database_url_redacted,
        )

    async def _default_prompts(self) -> None:
        """The standard's wording as prompts, where missing (in the background: a few
        seconds of espeak-ng must not hold the start up; calls go on meanwhile)."""
        try:
            made = await self.prompts.ensure_defaults()
        except HotlineError as exc:
            log.error("default prompts not made", error=exc.code, detail=exc.message)
            return
        except Exception:  # the database, a file: logged, the service goes on
            log.exception("default prompts not made")
            return
        log.info("default prompts in place", made=made)

    async def _start_agi(self, agents: AgentService) -> None:
        """The desk phone's sign-in (FastAGI); without it the phone hears "unavailable"."""
        s = self.settings
        sign_in = PhoneSignIn(agents, s.prompts_dir)
        agi = AgiServer(
            s.agi_host, s.agi_port, {names.AGI_SIGN_IN: sign_in.answer}, allowed=(s.ami_host,)
        )
        try:
            await agi.start()
        except AgiError as exc:
            log.error("desk phones cannot sign in", error=exc.code, detail=exc.message)
            return
        self.agi = agi

    async def _stand_by(self) -> None:
        s = self.settings
        self.role = Role.STANDBY
        # said before /healthz can answer "standby": whoever sees the one sees the other
        log.warning(
            "hotline standing by: another service drives this Asterisk",
            role=self.role.value,
            driver=await self.lock.holder(),
            http=f"http://{s.http_host}:{s.http_port}/",
            ami=f"{s.ami_host}:{s.ami_port}",
        )
        await self._serve_http(None)
        self._standing_by = asyncio.create_task(self._take_over(), name="standby")

    async def _take_over(self) -> None:
        try:
            await self.lock.wait()
            log.info("driver lock free: taking over")
            await self._close_http()
            await self._drive()
        except Exception:
            log.exception("taking over failed")
            self.failed.set()

    async def _hold(self) -> None:
        try:
            await self.lock.hold()
            await self._close_http()
            await self._stop_driving()
            self._new_driver()
            await self._stand_by()
        except Exception:
            log.exception("stepping down failed")
            self.failed.set()

    async def _serve_http(self, agents: AgentService | None) -> None:
        if not self._http:
            return
        s = self.settings
        app = init_app(
            s,
            self.pool,
            self.ami,
            self.metrics,
            agents,
            role=lambda: self.role.value,
            writes=self.writes,
            calendar=self.calendar if agents is not None else None,
            dialplan=None
            if agents is None
            else dial_plan_service(s, self.pool, calendar=self.calendar, prompts=self.prompts),
            prompts=self.prompts,
            callbacks=None
            if agents is None or self.calendar is None
            else callbacks.callback_service(
                s,
                self.pool,
                self.calendar,
                dispatcher=self.dispatcher,
                known_agent=lambda job: job in agents.members,
            ),
        )
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, s.http_host, s.http_port).start()

    async def _close_http(self) -> None:
        if self.runner is not None:
            runner, self.runner = self.runner, None
            await runner.cleanup()

    def _reconcile_later(self) -> None:
        if self.reconciler is not None:
            self.reconciler.soon(1.0)

    async def _stop(self, part: str, stopping: Awaitable[None]) -> bool:
        """One part's stop, bounded: one that hangs is logged with where it waits and
        left behind (hotline/waits.py), so a SIGTERM or a step-down always goes on."""
        return await waits.within(part, stopping, self.settings.stop_timeout_s)

    async def _stop_parts(self, *parts: tuple[str, Stoppable | None]) -> None:
        for part, running in parts:
            if running is not None:
                await self._stop(part, running.stop())

    async def _stop_driving(self) -> None:
        self.role = Role.STANDBY
        agi, self.agi = self.agi, None
        await self._stop_parts(
            ("agi", agi),
            ("schedule", self.schedule),
            ("watch", self.watch),
            ("reconciler", self.reconciler),
        )
        if self.agents is not None:
            self.agents.stop()
        await self._stop_parts(
            ("recorder", self.recorder),
            ("purge", self.purge),
            ("hints", self.hints),
            ("dispatcher", self.dispatcher),
            ("intake", self.intake),
        )
        await self._stop("ami", self.ami.close())

    async def stop(self) -> None:
        for task in (self._standing_by, self._holding, self._defaults):
            if task is not None and not task.done():
                await self._stop(task.get_name(), cancel_and_wait(task))
        await self._stop("http", self._close_http())
        await self._stop_driving()
        if self.writes is not None:
            await self._stop("durable writes", self.writes.stop())
        await self.lock.close()
        if not await self._stop("pool", self.pool.close()):
            self.pool.terminate()  # a connection never given back: closed under it
        self.journal.close()  # what it still holds is replayed by the next start
        log.info("hotline stopped")


def preflight(s: Settings) -> None:
    """The settings refused before anything starts — also those only the driving parts
    read, so a standby with a bad one fails now, not at its take-over (when the active
    service has just gone)."""
    if not s.ami_secret:
        raise ConfigError("no AMI secret: set HOTLINE_AMI_SECRET, or run `hotline sandbox up`")
    if not 0 < s.stop_timeout_s < math.inf:
        raise ConfigError(
            f"HOTLINE_STOP_TIMEOUT_S={s.stop_timeout_s}: must be a number of"
            " seconds above 0 (each part's time to stop)"
        )
    valid_pause_wait(s.wrap_up_pause_wait_s)
    if s.blf_lamps:
        valid_check_period(s.lamp_hints_check_s)
    retention_rules(
        cel_days=s.cel_retention_days,
        audit_days=s.audit_retention_days,
        backfill_days=s.backfill_days,
    )
    parse_due_days(s.callback_due_days_by_category)


def sign_in_guard(s: Settings, pool: object) -> SignInGuard:
    policy = LockoutPolicy(
        s.sign_in_max_failures,
        timedelta(seconds=s.sign_in_failure_window_s),
        timedelta(seconds=s.sign_in_lockout_s),
    )
    return SignInGuard(pool, PinChecker(s.sign_in_pending_max), policy, utc_now)


def desks(s: Settings) -> Desks:
    """Hot desking on or off, and the desk phones where one may sign in (empty: any)."""
    try:
        phones = parse_extensions(s.desk_phones)
    except ValueError as exc:
        raise ConfigError(f"setting desk_phones: {exc}") from exc
    return Desks(hot_desking=s.hot_desking, phones=phones)


async def serve(settings: Settings) -> None:
    service = Service(settings)
    loop = asyncio.get_running_loop()
    # before the start: SIGUSR1's default action would end the process
    loop.add_signal_handler(signal.SIGUSR1, service.heap.report)
    loop.add_signal_handler(signal.SIGUSR2, waits.log_pending)  # where a stuck one waits
    await service.start()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    trimming = asyncio.create_task(trim_every(settings.memory_trim_s), name="memory-trim")
    try:
        stopping = asyncio.create_task(stop.wait())
        failing = asyncio.create_task(service.failed.wait())
        await asyncio.wait((stopping, failing), return_when=asyncio.FIRST_COMPLETED)
        for task in (stopping, failing, trimming):
            task.cancel()
        if service.failed.is_set():
            raise ServiceFailed("the service could not take over or step down; see the log")
    finally:
        await service.stop()
        if not await waits.the_rest_ended(settings.stop_timeout_s):
            os._exit(1)  # logged above; everything of ours is closed and flushed
