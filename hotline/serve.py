"""``hotline serve``: wire the adapters, the domain and the web app; run until stopped."""

from __future__ import annotations

import asyncio
import signal
from zoneinfo import ZoneInfo

from aiohttp import web

from agent_state.carrier import AsteriskCarrier
from agent_state.schedule import ScheduleRunner
from agent_state.service import AgentService
from agent_state.watch import AsteriskWatch
from ami import AmiClient
from calls.service import CallRecorder, QueueWaiting
from core.errors import ConfigError
from core.logging import get_logger
from core.settings import Settings
from db.pool import create_pool
from ivr.calendar import Calendar
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
        self.schedule: ScheduleRunner | None = None
        self.runner: web.AppRunner | None = None

    async def _on_ami_ready(self) -> None:
        if self.recorder is not None:
            self.recorder.on_ami_ready()
        if self.watch is not None:
            self.watch.reconcile_soon(0)  # busy, never idle, where Asterisk disagrees
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
        carrier = AsteriskCarrier(self.ami, on_failure=lambda job: self._reconcile_later())
        self.agents = AgentService(self.pool, carrier, wrap_up_s=s.wrap_up_s)
        await self.agents.load()
        self.watch = AsteriskWatch(self.ami, self.agents, carrier, queues=(s.queue,))
        self.watch.attach()
        self.schedule = ScheduleRunner(
            self.agents, ZoneInfo(s.timezone), calendar=Calendar(self.pool)
        )
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

    def _reconcile_later(self) -> None:
        if self.watch is not None:
            self.watch.reconcile_soon(1.0)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.schedule is not None:
            await self.schedule.stop()
        if self.watch is not None:
            await self.watch.stop()
        if self.agents is not None:
            self.agents.stop()
        if self.recorder is not None:
            await self.recorder.stop()
        await self.ami.close()
        await self.pool.close()
        log.info("hotline stopped")


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
