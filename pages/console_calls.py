"""The agent console's call half (``/agent``): the screen pop, the wrap-up form (R5) with
its countdown (R4), and the hold timer (R9).

- **Which call.** The agents' changes carry the call's Linkedid when it is offered and
  answered (``Change.call``); the console keeps it for the agent through ringing, the
  call and wrap-up (``call_after``), and forgets it once the agent is idle, busy or
  signed out.
- **The pop.** The live call's caller and menu path come from ``calls.live.LiveCalls``
  (the recorder's own fold, run for the consoles); the caller is decided by
  ``caller_number``. The caller's earlier calls (``calls.repo.earlier_calls_of``), the
  callbacks still open for that number, and for a callback offer its case and script
  (``CallbackViews.case``, as the API's stream has it) are read once per call.
- **Live.** ``AgentConsole.events`` sends ``event: call`` (``pop_json``) after each
  state, and is woken when a hold starts or ends on the agent's call.
- **Wrap-up.** ``POST /agent/wrap-up`` {call, category, summary, then: idle|busy}: the
  same ``Classifier.classify`` as ``POST /api/calls/{linkedid}/wrap-up``, then 示闲 or
  置忙 through the model. Checked first (``check_wrap_up``): bad input is shown at its
  field and nothing is saved.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from aiohttp import web

from agent_state import requests
from agent_state.model import Agent, Source, State
from agent_state.service import AgentService, Change
from callback import repo as callback_repo
from callback.model import LIVE_STATES, Callback
from callback.views import CallbackViews
from calls import repo as call_repo
from calls.classification import CATEGORY_MAX, SUMMARY_MAX, Classifier
from calls.live import LiveCalls
from calls.model import CallDraft
from calls.path import LONG_HOLD_S
from calls.repo import EarlierCall
from core.errors import HotlineError
from core.logging import get_logger
from core.request_actor import actor_of
from core.settings import Settings
from pages import guard, i18n, routes, views
from web.errors import status_for

log = get_logger("pages")

POP_STATES = frozenset({State.RINGING, State.ON_CALL, State.WRAP_UP})
EARLIER_MAX = 5  # the caller's last calls the pop lists
CALLBACKS_MAX = 5
QUESTION_SHOWN = 60  # characters of a callback's question in the pop
THEN = ("idle", "busy")
LINKEDID = re.compile(r"[0-9]{1,20}\.[0-9]{1,10}")
ERRORS_AT = ("call", "category", "summary", "then")

# the page's renderer: errors by field (code, text), the status, the form's values
Render = Callable[
    [web.Request, dict[str, tuple[str, str]], int, dict[str, str]], Awaitable[web.Response]
]


# ---- pure decisions ---------------------------------------------------------------------


def call_after(previous: str | None, change: Change) -> str | None:
    """The call an agent's console is about after ``change``: the one offered or
    answered, kept through wrap-up; none once the agent is idle, busy or signed out."""
    if change.after.state not in POP_STATES:
        return None
    return change.call or previous


def caller_number(draft: CallDraft | None, offered: str | None) -> str:
    """Who is calling: the caller id the call entered with (the fold's), else the one
    app_queue named when it offered the call (a call whose start was not seen)."""
    if draft is not None and draft.caller_number:
        return draft.caller_number
    return offered or ""


def wrap_up_deadline(agent: Agent, wrap_up_s: float) -> datetime | None:
    """When wrap-up ends: the model's deadline, else the state's start plus the limit."""
    if agent.state is not State.WRAP_UP:
        return None
    if agent.wrap_up_deadline is not None:
        return agent.wrap_up_deadline
    return agent.since + timedelta(seconds=wrap_up_s) if agent.since else None


def seconds_left(deadline: datetime | None, now: datetime) -> int | None:
    """The countdown: whole seconds left, rounded up, never below 0."""
    if deadline is None:
        return None
    return max(0, math.ceil((deadline - now).total_seconds()))


def check_wrap_up(form: Mapping[str, str], categories: Sequence[str]) -> dict[str, str]:
    """The wrap-up form's faults, by field (an error code each); empty: good. The rules
    of ``POST /api/calls/{linkedid}/wrap-up`` (and the classifier's, which checks again)."""
    faults: dict[str, str] = {}
    if not LINKEDID.fullmatch(form.get("call", "")):
        faults["call"] = "input.wrap_up_no_call"
    category = form.get("category", "")
    if not category or len(category) > CATEGORY_MAX or category not in categories:
        faults["category"] = "input.category_unknown"
    summary = form.get("summary", "")
    if not summary:
        faults["summary"] = "input.summary_missing"
    elif len(summary) > SUMMARY_MAX:
        faults["summary"] = "input.summary_too_long"
    elif any((ord(c) < 32 or 127 <= ord(c) < 160) and c not in "\r\n\t" for c in summary):
        faults["summary"] = "input.summary_unsafe"
    if form.get("then", "") not in THEN:
        faults["then"] = "input.invalid"
    return faults


@dataclass(frozen=True)
class PopFacts:
    """What the pop shows of one call, read once."""

    number: str
    path: tuple[str, ...]
    earlier: tuple[EarlierCall, ...] = ()
    callbacks: tuple[Callback, ...] = ()
    script: str = ""  # a callback offer's R12 script, with the agent's job number


def pop_json(
    lang: i18n.Language,
    agent: Agent,
    *,
    tz: ZoneInfo,
    call: str | None,
    facts: PopFacts | None,
    hold_since: datetime | None,
    deadline: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """The console's call half, as the page renders it and the stream sends it."""
    shown = agent.state in POP_STATES and call is not None
    facts = facts or PopFacts(number="", path=())

    def when(at: datetime | None) -> str:
        return at.astimezone(tz).strftime("%m-%d %H:%M") if at else ""

    return {
        "shown": shown,
        "call": call or "",
        "number": facts.number,
        "path": " → ".join(facts.path) or i18n.t(lang, "console.pop.no_path"),
        "earlier": [
            {
                "when": when(e.entered_at),
                "outcome": i18n.t(lang, f"console.outcome.{e.outcome.value}"),
                "category": e.category or "",
            }
            for e in facts.earlier
        ],
        "callbacks": [
            {
                "kind": i18n.t(lang, f"console.callback_kind.{c.kind.value}"),
                "due": when(c.due_at),
                "question": c.question[:QUESTION_SHOWN],
            }
            for c in facts.callbacks
        ],
        "script": facts.script,
        "hold_since": hold_since.isoformat() if shown and hold_since else None,
        "hold_long_s": LONG_HOLD_S,
        "wrap_up": agent.state is State.WRAP_UP,
        "deadline": deadline.isoformat() if deadline else None,
        "left_s": seconds_left(deadline, now),
        "now": now.isoformat(),
    }


# ---- the console's calls ----------------------------------------------------------------


class ConsoleCalls:
    def __init__(
        self,
        agents: AgentService,
        classifier: Classifier,
        callback_views: CallbackViews,
        pool: Any,
        live: LiveCalls,
        *,
        wrap_up_s: float,
        tz: ZoneInfo,
    ) -> None:
        self.agents = agents
        self.classifier = classifier
        self.callback_views = callback_views
        self.pool = pool
        self.live = live
        self.wrap_up_s = wrap_up_s
        self.tz = tz
        self.calls: dict[str, str] = {}  # job number -> the call its console is about
        self._facts: dict[str, PopFacts] = {}  # Linkedid -> read once
        agents.subscribe(self._changed)

    def _changed(self, change: Change) -> None:
        job = change.after.job_number
        call = call_after(self.calls.get(job), change)
        if call is None:
            self.calls.pop(job, None)
        else:
            self.calls[job] = call
        for linkedid in set(self._facts) - set(self.calls.values()):
            del self._facts[linkedid]

    def watch(self, job: str, wake: Callable[[], None]) -> Callable[[], None]:
        """``wake()`` when a hold starts or ends on ``job``'s call (or the call ends)."""
        return self.live.subscribe(
            lambda linkedid: wake() if self.calls.get(job) == linkedid else None
        )

    async def live_json(self, lang: i18n.Language, agent: Agent) -> dict[str, Any]:
        call = self.calls.get(agent.job_number) if agent.state in POP_STATES else None
        draft = self.live.draft(call) if call else None
        facts = await self._facts_of(call, agent.job_number) if call else None
        now = datetime.now(UTC)
        deadline = wrap_up_deadline(agent, self.wrap_up_s)
        hold = draft.holds.since if draft else None
        return pop_json(
            lang,
            agent,
            tz=self.tz,
            call=call,
            facts=facts,
            hold_since=hold,
            deadline=deadline,
            now=now,
        )

    async def _facts_of(self, call: str, job: str) -> PopFacts:
        if call in self._facts:
            return self._facts[call]
        draft = self.live.draft(call)
        number = caller_number(draft, self.live.offered.get(call))
        facts = PopFacts(number=number, path=draft.path.nodes if draft else ())
        try:
            facts = await self._read(facts, call, job)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("screen pop not read", call=call, error=repr(exc))
            return facts  # not kept: the next state reads again
        if self.calls.get(job) == call:
            self._facts[call] = facts
        return facts

    async def _read(self, facts: PopFacts, call: str, job: str) -> PopFacts:
        case = await self.callback_views.case(call, job)
        number = facts.number or (str(case["number"]) if case and case.get("number") else "")
        if not number:
            return facts
        earlier = await call_repo.earlier_calls_of(self.pool, number, but=call, limit=EARLIER_MAX)
        where = callback_repo.Filter(number=number, limit=CALLBACKS_MAX * 4)
        open_ = [c for c in await callback_repo.listing(self.pool, where) if c.state in LIVE_STATES]
        return PopFacts(
            number=number,
            path=facts.path,
            earlier=tuple(earlier),
            callbacks=tuple(open_[:CALLBACKS_MAX]),
            script=str(case.get("script", "")) if case else "",
        )

    async def context(self, lang: i18n.Language, agent: Agent) -> dict[str, Any]:
        """The page's part: the pop and the wrap-up form's categories."""
        return {
            "call": await self.live_json(lang, agent),
            "categories": await self.classifier.categories(),
        }

    async def wrap_up(self, request: web.Request, render: Render) -> web.Response:
        """R5: classify the call, then 示闲 or 置忙 as the agent chose."""
        actor = actor_of(request)
        lang = guard.language_of(request)
        posted = await request.post()
        form = {k: str(posted.get(k, ""))[: SUMMARY_MAX + 1] for k in ERRORS_AT}
        faults = check_wrap_up(form, await self.classifier.categories())
        if faults:
            errors = {f: (code, i18n.error_text(lang, code)) for f, code in faults.items()}
            return await render(request, errors, 400, form)
        summary = form["summary"].replace("\r\n", "\n")
        field = "category"
        try:
            await self.classifier.classify(actor, form["call"], form["category"], summary)
            field = "then"
            event = requests.parse(form["then"], source=Source.WEB)
            await self.agents.request(actor, actor.job_number, event)
        except HotlineError as exc:
            if exc.code == "agent.not_allowed" and field == "category":
                field = "call"  # not this agent's answered call (or not written yet)
            text = i18n.error_text(lang, exc.code)
            return await render(request, {field: (exc.code, text)}, status_for(exc.code), form)
        return views.see_other("/agent")

    def handlers(self, render: Render) -> dict[routes.Key, routes.Handler]:
        async def wrap_up(request: web.Request) -> web.Response:
            return await self.wrap_up(request, render)

        return {("POST", "/agent/wrap-up"): wrap_up}


def make_console_calls(services: Any, settings: Settings) -> ConsoleCalls:
    """The console's call half over the pages' services (``pages.setup.PageServices``),
    following the calls in progress on the services' AMI client."""
    live = LiveCalls()
    live.attach(services.ami)
    return ConsoleCalls(
        services.agents,
        services.classifier,
        services.callback_views,
        services.pool,
        live,
        wrap_up_s=settings.wrap_up_s,
        tz=ZoneInfo(settings.timezone),
    )
