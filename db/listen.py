"""LISTEN on a PostgreSQL channel with a connection held for it, until that connection dies.

The caller loops (with a backoff) to listen again: a NOTIFY sent while nobody listened
is lost, so a listener always has a polling fallback as well.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg


async def listen(
    pool: Any, channel: str, on_notify: Callable[[], None], *, check_every_s: float = 30.0
) -> None:
    """Call ``on_notify()`` for each NOTIFY on ``channel``; returns when the connection is
    lost (raises if it cannot be had). Holds one of the pool's connections meanwhile."""
    lost = asyncio.Event()

    def notified(_conn: Any, _pid: int, _channel: str, _payload: str) -> None:
        on_notify()

    def terminated(_conn: Any) -> None:
        lost.set()

    async with pool.acquire() as conn:
        conn.add_termination_listener(terminated)
        conn.keeps_session_state()  # reset in full when released: no LISTEN left behind
        await conn.add_listener(channel, notified)
        on_notify()  # what was notified before we listened: look once now
        try:
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(check_every_s):
                        await lost.wait()
                    break
                await conn.fetchval("SELECT 1", timeout=5)  # a cut that sent no FIN
        finally:
            if not lost.is_set():  # a cut connection is the pool's again already
                with contextlib.suppress(asyncpg.InterfaceError):
                    conn.remove_termination_listener(terminated)
                    await conn.remove_listener(channel, notified)
