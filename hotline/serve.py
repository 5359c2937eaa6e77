"""``hotline serve``: wire the adapters and the web app, run until stopped."""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web

from ami import AmiClient
from core.errors import ConfigError
from core.logging import get_logger
from core.settings import Settings
from db.pool import create_pool
from web.app import init_app

log = get_logger("hotline")


async def serve(settings: Settings) -> None:
    if not settings.ami_secret:
        raise ConfigError("no AMI secret: set HOTLINE_AMI_SECRET, or run `hotline sandbox up`")
    pool = await create_pool(settings)
    ami = AmiClient(
        settings.ami_host,
        settings.ami_port,
        settings.ami_username,
        settings.ami_secret,
        action_timeout=settings.ami_action_timeout_s,
    )
    await ami.start()
    runner = web.AppRunner(init_app(settings, pool, ami), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.http_host, settings.http_port).start()
    log.info(
        "hotline serving",
        http=f"http://{settings.http_host}:{settings.http_port}/",
        ami=f"{settings.ami_host}:{settings.ami_port}",
        db=settings.database_url_redacted,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await ami.close()
        await pool.close()
        log.info("hotline stopped")
