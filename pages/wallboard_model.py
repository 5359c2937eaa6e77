"""What the supervisor's wallboard shows, pure: ``board`` turns the agents, the queues'
callers and today's figures into the board's view model (the page renders it, the
live stream sends it as JSON, ``wallboard.js`` redraws from it). No I/O, no clock:
``now`` is given.

The figures are the reports' own (``reports.model.FIGURES``, counted by
``reports.repo``): nothing is re-derived here, only picked and formatted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent_state.model import Agent, State
from pages import i18n
from reports.model import FORCED_BUSY
from reports.staffing import HalfHour

# today's figures the board shows, by the reports' names (reports/model.py FIGURES)
RATES = ("rate_15s", "rate_answered")
COUNTS = ("asked_for_agent", "answered", "abandoned_queue", "abandoned_greeting")
TALKING = frozenset({State.RINGING, State.ON_CALL})


@dataclass(frozen=True)
class QueueView:
    """A queue as Asterisk has it now: callers waiting, and since when the longest."""

    queue: str
    waiting: int
    longest_wait_s: float | None  # None: nobody waiting (or the join time is unknown)


@dataclass(frozen=True)
class Staffing:
    """The staffing advice for the half hour now (``reports.staffing``)."""

    starts: str  # "09:30"
    agents_needed: int | None  # None: no handle time measured yet


@dataclass(frozen=True)
class Figures:
    """What is read from PostgreSQL on a timer: today's quality figures (one day row of
    the report), the callbacks' live counts and the staffing advice."""

    today: Mapping[str, float | int | None] = field(default_factory=dict)
    callbacks_open: int | None = None
    callbacks_overdue: int | None = None
    staffing: Staffing | None = None
    at: datetime | None = None  # when they were read; None: not yet


def staffing_now(half_hours: Iterable[HalfHour], slot: int) -> Staffing | None:
    """The advice for ``slot`` (0 = 00:00-00:30 local)."""
    for half in half_hours:
        if half.slot == slot:
            return Staffing(half.starts, half.agents_needed)
    return None


def callback_counts(counts: Mapping[str, Any]) -> tuple[int, int]:
    """Open and overdue callbacks from ``callback.figures.open_counts``."""
    live = sum(n for states in counts["live"].values() for n in states.values())
    return live, sum(counts["overdue"].values())


def is_forced(agent: Agent) -> bool:
    """Busy for a reason the agent did not choose (R2b, R3, a supervisor, a reconcile)."""
    reason = agent.busy_reason
    return agent.state is State.BUSY and reason is not None and reason.value in FORCED_BUSY


def agent_row(lang: i18n.Language, agent: Agent, name: str) -> dict[str, Any]:
    signed_in = agent.state is not State.LOGGED_OUT
    return {
        "job": agent.job_number,
        "name": name,
        "state": agent.state.value,
        "reason": agent.busy_reason.value if agent.busy_reason else None,
        "text": i18n.state_text(lang, agent),
        "forced": is_forced(agent),
        "since": agent.since.isoformat() if agent.since and signed_in else None,
        "phone": agent.phone or "",
        "phone_offline": signed_in and not agent.phone_reachable,
        "signed_in": signed_in,
        "can_force_busy": signed_in and not is_forced(agent),
    }


def summary(agents: Iterable[Agent]) -> dict[str, int]:
    """How many agents are signed in, idle, on calls, in wrap-up, busy (forced)."""
    out = dict.fromkeys(("signed_in", "idle", "talking", "wrap_up", "busy", "forced"), 0)
    for agent in agents:
        if agent.state is State.LOGGED_OUT:
            continue
        out["signed_in"] += 1
        if agent.state is State.IDLE:
            out["idle"] += 1
        elif agent.state in TALKING:
            out["talking"] += 1
        elif agent.state is State.WRAP_UP:
            out["wrap_up"] += 1
        else:
            out["busy"] += 1
            out["forced"] += is_forced(agent)
    return out


def percent(value: float | int | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def wait_text(seconds: float | None) -> str:
    return "—" if seconds is None else i18n.duration_text(timedelta(seconds=seconds))


def figures_view(lang: i18n.Language, figures: Figures) -> dict[str, Any]:
    today = figures.today
    staffing = figures.staffing
    return {
        "rates": {name: percent(today.get(name)) for name in RATES},
        "counts": {name: int(today.get(name) or 0) for name in COUNTS},
        "callbacks_open": figures.callbacks_open,
        "callbacks_overdue": figures.callbacks_overdue,
        "staffing_starts": staffing.starts if staffing else None,
        "staffing_needed": staffing.agents_needed if staffing else None,
        "at": (
            i18n.t(lang, "wallboard.figures_at", at=figures.at.strftime("%H:%M:%S"))
            if figures.at
            else ""
        ),
    }


def board(
    lang: i18n.Language,
    *,
    agents: Iterable[Agent],
    names: Mapping[str, str],
    queues: Iterable[QueueView],
    figures: Figures,
    now: datetime,
) -> dict[str, Any]:
    """The whole board: agents by job number, queues, today's figures, staffing."""
    ordered = sorted(agents, key=lambda a: (len(a.job_number), a.job_number))
    counts = summary(ordered)
    view = figures_view(lang, figures)
    needed = view["staffing_needed"]
    short = needed - counts["signed_in"] if needed is not None else 0
    return {
        "now": now.isoformat(),
        "agents": [agent_row(lang, a, names.get(a.job_number, "")) for a in ordered],
        "summary": counts,
        "queues": [
            {
                "queue": q.queue,
                "waiting": q.waiting,
                "longest_wait": wait_text(q.longest_wait_s),
                "longest_wait_s": q.longest_wait_s,
            }
            for q in sorted(queues, key=lambda q: q.queue)
        ],
        "figures": view,
        "staffing_short": i18n.t(lang, "wallboard.staffing_short", n=short) if short > 0 else "",
    }
