"""``hotline serve``: wire the adapters, the domain and the web app; run until stopped."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from agent_state.carrier import AsteriskCarrier
from agent_state.phone_sign_in import PhoneSignIn
from agent_state.pin_checker import PinChecker, SignInGuard
from agent_state.reconciler import Reconciler
from agent_state.schedule import ScheduleRunner
from agent_state.service import AgentService, utc_now
from agent_state.sign_in import LockoutPolicy
from agent_state.watch import AsteriskWatch
from ami import AmiClient
from ami.agi import AgiError, AgiServer
from calls.service import CallRecorder, QueueWaiting
from core import names
from core.errors import ConfigError
from core.logging import get_logger
from core.settings import Settings
from db.pool import create_pool
from web.app import init_app
from web.metrics import Metrics

log = get_logger("hotline")


class Service:
    """Everything ``serve`` runs, started and stopped in order (also used by tests)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.ami_secret:
            raise ConfigError("no AMI secret: set HOTLINE_AMI_SECRET, or run `hotline sandbox up`")
        self.settings = settings
        self.ami = AmiClient(
            settings.ami_host,
            settings.ami_port,
            settings.ami_username,
            settings.ami_secret,
            action_timeout=settings.ami_action_timeout_s,
            on_ready=self._on_ami_ready,
        )
        self.queues = QueueWaiting(self.ami)
        self.metrics = Metrics(self.ami, self.queues)
        self.recorder: CallRecorder | None = None
        self.agents: AgentService | None = None
        self.watch: AsteriskWatch | None = None
        self.reconciler: Reconciler | None = None
        self.schedule: ScheduleRunner | None = None
        self.runner: web.AppRunner | None = None
        self.agi: AgiServer | None = None

    async def _on_ami_ready(self) -> None:
        if self.recorder is not None:
            self.recorder.on_ami_ready()
        if self.reconciler is not None:
            self.reconciler.soon(0)  # busy, never idle, where Asterisk disagrees
        await self.queues.resync()

    async def start(self, *, http: bool = True) -> None:
        s = self.settings
        self.pool = await create_pool(s)
        self.recorder = CallRecorder(
            self.ami,
            self.pool,
            backfill_every_s=s.backfill_every_s,
            backfill_days=s.backfill_days,
            grace_s=s.backfill_grace_s,
            on_recorded=self.metrics.call_recorded,
        )
        self.recorder.attach()
        self.queues.attach()
        carrier = AsteriskCarrier(
            self.ami, on_failure=lambda job: self._reconcile_later(), echo_memory=s.echo_memory
        )
        self.agents = AgentService(
            self.pool,
            carrier,
            wrap_up_s=s.wrap_up_s,
            confirm_wait_s=s.confirm_wait_s,
            sign_ins=sign_in_guard(s, self.pool),
        )
        await self.agents.load()
        await self._start_agi(self.agents)
        self.reconciler = Reconciler(
            self.ami, self.agents, carrier, (s.queue,), phone_grace_s=s.phone_lost_grace_s
        )
        self.watch = AsteriskWatch(self.ami, self.agents, carrier, self.reconciler)
        self.watch.attach()
        self.schedule = ScheduleRunner(self.agents, ZoneInfo(s.timezone), every_s=s.schedule_tick_s)
        await self.ami.start()
        self.recorder.start()
        assert self.schedule is not None
        self.schedule.start()
        if http:
            self.runner = web.AppRunner(
                init_app(s, self.pool, self.ami, self.metrics, self.agents), access_log=None
            )
            await self.runner.setup()
            await web.TCPSite(self.runner, s.http_host, s.http_port).start()
        log.info(
            "hotline serving",
            http=f"http://{s.http_host}:{s.http_port}/",
            ami=f"{s.ami_host}:{s.ami_port}",
            db=s.database_url_redacted,
        )

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

    def _reconcile_later(self) -> None:
        if self.reconciler is not None:
            self.reconciler.soon(1.0)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.agi is not None:
            await self.agi.stop()
        if self.schedule is not None:
            await self.schedule.stop()
        if self.watch is not None:
            await self.watch.stop()
        if self.reconciler is not None:
            await self.reconciler.stop()
        if self.agents is not None:
            self.agents.stop()
        if self.recorder is not None:
            await self.recorder.stop()
        await self.ami.close()
        await self.pool.close()
        log.info("hotline stopped")


def sign_in_guard(s: Settings, pool: object) -> SignInGuard:
    policy = LockoutPolicy(
        s.sign_in_max_failures,
        timedelta(seconds=s.sign_in_failure_window_s),
        timedelta(seconds=s.sign_in_lockout_s),
    )
    return SignInGuard(pool, PinChecker(s.sign_in_pending_max), policy, utc_now)


async def serve(settings: Settings) -> None:
    service = Service(settings)
    await service.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await service.stop()
