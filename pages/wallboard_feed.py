"""The wallboard's live feed: one snapshot per change, fanned out to every open board.

An agent's change (``AgentService.subscribe``) or a caller joining or leaving a queue
only marks the board dirty. One task takes the snapshot (the agents as they are, the
queues' callers, the last figures read) and wakes every client; changes that arrive
while it works, or within ``min_interval_s`` after, make one more snapshot, not one
each. Each client sends the newest snapshot it has not sent: a slow client skips
straight to the newest and never queues a backlog. The snapshot's JSON is made once
per language, by the first client that needs it.

The figures (``wallboard_data``) are read on a timer, ``figures_every_s``, only while a
board is open. At shutdown every stream ends (``close``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from aiohttp import web

from agent_state.model import Agent
from agent_state.service import AgentService, Change
from core.encoding import json_dumps
from core.logging import get_logger
from core.tasks import cancel_and_wait
from pages import i18n
from pages.wallboard_model import Figures, QueueView, board
from pages.wallboard_queues import QueueWatch

log = get_logger("pages.wallboard")

READ_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass
class Snapshot:
    version: int
    agents: tuple[Agent, ...]
    names: dict[str, str]
    queues: list[QueueView]
    figures: Figures
    now: datetime
    _encoded: dict[i18n.Language, bytes] = field(default_factory=dict)

    def view(self, lang: i18n.Language) -> dict[str, Any]:
        return board(
            lang,
            agents=self.agents,
            names=self.names,
            queues=self.queues,
            figures=self.figures,
            now=self.now,
        )

    def event(self, lang: i18n.Language) -> bytes:
        """``event: board`` with the view in ``lang``, made once per language."""
        body = self._encoded.get(lang)
        if body is None:
            data = json_dumps({"version": self.version, **self.view(lang)})
            body = f"event: board\ndata: {data}\n\n".encode()
            self._encoded[lang] = body
        return body


class BoardFeed:
    def __init__(
        self,
        agents: AgentService,
        queues: QueueWatch,
        read_figures: Callable[[], Awaitable[Figures]],
        clock: Callable[[], datetime],
        *,
        keepalive_s: float,
        min_interval_s: float = 0.05,
        figures_every_s: float = 15.0,
    ) -> None:
        self.agents = agents
        self.queues = queues
        self.read_figures = read_figures
        self.clock = clock
        self.keepalive_s = keepalive_s
        self.min_interval_s = min_interval_s
        self.figures_every_s = figures_every_s
        self.figures = Figures()
        self.latest: Snapshot | None = None
        self._version = 0
        self._dirty = asyncio.Event()
        self._clients: set[asyncio.Event] = set()
        self._someone = asyncio.Event()  # a board is open: read the figures
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._unsubscribe: Callable[[], None] | None = None

    # ---- life cycle ---------------------------------------------------------------------

    def _start(self) -> None:
        if self._tasks or self._closing:
            return
        self._unsubscribe = self.agents.subscribe(self._on_change)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._publish()), loop.create_task(self._refresh())]

    async def close(self, _app: web.Application | None = None) -> None:
        self._closing = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        for wake in self._clients:
            wake.set()
        await cancel_and_wait(*self._tasks)

    # ---- snapshots ----------------------------------------------------------------------

    def _on_change(self, _change: Change) -> None:
        self._dirty.set()

    def changed(self) -> None:
        """Something the board shows changed (a queue's callers): a new snapshot soon."""
        self._dirty.set()

    def capture(self, version: int = 0) -> Snapshot:
        """The board as it is now (the page renders this; the feed publishes it)."""
        names = {job: member.name for job, member in self.agents.members.items()}
        agents = tuple(self.agents.agents.values())
        return Snapshot(version, agents, names, self.queues.view(), self.figures, self.clock())

    def snapshot(self) -> Snapshot:
        """The board now; becomes the latest and wakes every client."""
        self._version += 1
        snap = self.capture(self._version)
        self.latest = snap
        for wake in self._clients:
            wake.set()
        return snap

    async def _publish(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            self.snapshot()
            await asyncio.sleep(self.min_interval_s)  # a burst of changes: one more, not many

    async def refresh_figures(self) -> None:
        """Today's figures again (and the queues from Asterisk); the last stand if
        PostgreSQL does not answer."""
        await self.queues.resync()
        try:
            self.figures = await self.read_figures()
        except READ_ERRORS as exc:
            log.warning("wallboard figures not refreshed", error=repr(exc))
            return
        self._dirty.set()

    async def _refresh(self) -> None:
        while True:
            await self._someone.wait()
            await self.refresh_figures()
            await asyncio.sleep(self.figures_every_s)

    # ---- one client ---------------------------------------------------------------------

    async def stream(self, response: web.StreamResponse, lang: i18n.Language) -> None:
        """Every new snapshot to this client, the newest only, until it goes or the
        service stops; a keepalive comment when nothing changed for ``keepalive_s``."""
        self._start()
        wake = asyncio.Event()
        self._clients.add(wake)
        self._someone.set()
        sent = 0
        snap = self.latest if self.latest is not None else self.snapshot()
        try:
            await response.write(snap.event(lang))
            sent = snap.version
            while not self._closing:
                try:
                    async with asyncio.timeout(self.keepalive_s):
                        await wake.wait()
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                wake.clear()
                latest = self.latest
                if self._closing or latest is None or latest.version == sent:
                    continue
                await response.write(latest.event(lang))
                sent = latest.version
        finally:
            self._clients.discard(wake)
            if not self._clients:
                self._someone.clear()
