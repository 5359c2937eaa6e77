"""The supervisor's wallboard (``/wallboard``): every agent by job number with its state,
for how long and why (a forced busy shows its cause); the queues' waiting callers and
the longest wait; today's 15 秒接通率 and 人工接通率, answered and abandoned; callbacks
open and overdue; the staffing advice for this half hour beside the agents signed in;
force busy / sign out an agent; charts (``/wallboard/charts/{name}``, SVG).

Live: ``/wallboard/events`` streams the whole board (``wallboard_feed``: one snapshot
per change for all boards, the newest only per client). What the board shows is
decided in ``wallboard_model.board`` (pure); the figures are the reports'
(``wallboard_data``). The two buttons go through the same service call as the API's
``POST /api/agents/{job}/state`` with the supervisor as the actor: ``requests.parse``,
then ``AgentService.request``, which decides who may.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from agent_state import requests
from agent_state.model import Source
from agent_state.service import AgentService
from ami import AmiClient
from core import inputs
from core.errors import HotlineError, InvalidInput, NotFound
from core.logging import get_logger
from core.request_actor import actor_of
from core.settings import Settings
from pages import guard, i18n, routes, views
from pages.wallboard_charts import NAMES, Charts
from pages.wallboard_data import BoardReader
from pages.wallboard_feed import BoardFeed
from pages.wallboard_queues import QueueWatch
from reports.service import ReportService
from web.errors import status_for

log = get_logger("pages.wallboard")

# what a supervisor may do from the board, by the API's words (agent_state.requests)
ACTIONS = ("force_busy", "sign_out")
WORD_MAX = 20
CHARTS_EVERY_S = 60.0


def _now() -> datetime:
    return datetime.now(UTC)


class Wallboard:
    def __init__(
        self,
        agents: AgentService,
        ami: AmiClient,
        reports: ReportService,
        pool: Any,
        *,
        queues: tuple[str, ...],
        keepalive_s: float,
        figures_every_s: float = 15.0,
    ) -> None:
        self.agents = agents
        reader = BoardReader(reports, pool)
        self.watch = QueueWatch(ami, queues, self._queue_changed, lambda: _now().timestamp())
        self.watch.attach()
        self.feed = BoardFeed(
            agents,
            self.watch,
            reader.figures,
            _now,
            keepalive_s=keepalive_s,
            figures_every_s=figures_every_s,
        )
        self.charts = Charts(reader.chart_rows, CHARTS_EVERY_S)

    def _queue_changed(self) -> None:
        self.feed.changed()

    async def close(self, app: web.Application) -> None:
        await self.feed.close(app)

    async def page(self, request: web.Request) -> web.Response:
        return await self._render(request, {})

    async def _render(
        self, request: web.Request, errors: dict[str, tuple[str, str]], status: int = 200
    ) -> web.Response:
        if self.feed.figures.at is None:
            await self.feed.refresh_figures()  # the first board since the start
        lang = guard.language_of(request)
        context = {
            "errors": errors,
            "board": self.feed.capture().view(lang),
            "charts": [(name, f"wallboard.chart_{name}") for name in NAMES],
        }
        return views.render(request, "wallboard.html", context, status=status)

    async def act(self, request: web.Request) -> web.Response:
        """Force busy or sign out agent ``job``: the API's service call, this supervisor
        as the actor; a refusal is shown at the agent's row."""
        actor = actor_of(request)
        job = request.match_info["job"]
        form = await request.post()
        action = str(form.get("action", ""))[:WORD_MAX]
        try:
            job = inputs.job_number(job, "the job number in the path")
            if action not in ACTIONS:
                raise InvalidInput(f"the wallboard does {' or '.join(ACTIONS)}, not {action!r}")
            event = requests.parse(action, source=Source.WEB)
            await self.agents.request(actor, job, event)
        except HotlineError as exc:
            lang = guard.language_of(request)
            field = f"agent-{job}" if job in self.agents.agents else "board"
            return await self._render(
                request, {field: (exc.code, i18n.error_text(lang, exc.code))}, status_for(exc.code)
            )
        log.info("wallboard action", agent=job, action=action, by=actor.job_number)
        return views.see_other("/wallboard")

    async def events(self, request: web.Request) -> web.StreamResponse:
        """``event: board`` with the whole board now, then at each change (the newest)."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        with contextlib.suppress(ConnectionResetError):
            await self.feed.stream(response, guard.language_of(request))
        return response

    async def chart(self, request: web.Request) -> web.Response:
        name = request.match_info["name"].removesuffix(".svg")
        if name not in NAMES:
            raise NotFound(f"no chart {name!r}")
        body = await self.charts.svg(name, guard.language_of(request))
        return web.Response(
            body=body,
            content_type="image/svg+xml",
            charset="utf-8",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    def handlers(self) -> dict[routes.Key, routes.Handler]:
        return {
            ("GET", "/wallboard"): self.page,
            ("GET", "/wallboard/events"): self.events,
            ("GET", "/wallboard/charts/{name}"): self.chart,
            ("POST", "/wallboard/agents/{job}/state"): self.act,
        }


def add_wallboard(app: web.Application, settings: Settings, services: Any) -> None:
    """The wallboard's routes on ``app`` (``pages.setup.add_pages``), its streams ended
    at shutdown. ``services``: ``pages.setup.PageServices``."""
    wallboard = Wallboard(
        services.agents,
        services.ami,
        services.reports,
        services.pool,
        queues=(settings.queue,),
        keepalive_s=settings.sse_keepalive_s,
    )
    routes.register(app, wallboard.handlers())
    app.on_shutdown.append(wallboard.close)
