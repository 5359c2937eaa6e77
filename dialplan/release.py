"""What Asterisk runs of the dial plans (pure, but for ``live_release``): the live
version and the newest few before it, compiled; the entry numbers pointing at the live
one; the calendar's special days.

``build_release`` is what both a publish and ``hotline sandbox up`` hand on: the
publisher (``dialplan.publish``) or the sandbox's files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dialplan import compiler, repo
from dialplan.compiler import Compiled, CompileOptions
from dialplan.model import Plan
from dialplan.plan_json import parse_plan
from ivr.calendar import Day

DayOf = Callable[[date], Day]
DEFAULT_VERSION = 0  # the default plan's contexts while no version was ever published


@dataclass(frozen=True)
class Release:
    compiled: tuple[Compiled, ...]  # the live version first
    entry: str  # ``[from-pstn]``: the entry numbers → the live version
    calendar: str  # ``[hotline-calendar]``

    @property
    def live(self) -> int:
        return self.compiled[0].version

    def files(self) -> dict[str, str]:
        """File name → text under ``names.PLANS_DIR`` (what the publisher writes)."""
        return compiler.plan_files(self.compiled, self.entry, self.calendar)


def calendar_days(today: date, ahead: int, day_of: DayOf) -> tuple[Day, ...]:
    """Yesterday to ``ahead`` days on: a call crossing midnight, and time until the
    next publish (or daily refresh) renews it."""
    return tuple(day_of(today + timedelta(days=n)) for n in range(-1, ahead + 1))


def build_release(
    plans: Sequence[tuple[int, Plan]], options: CompileOptions, days: Iterable[Day]
) -> Release:
    """``plans``: (version, plan), the live one first."""
    live_version, live_plan = plans[0]
    compiled = tuple(compiler.compile_plan(plan, number, options) for number, plan in plans)
    digits = frozenset().union(*(c.keep_place_digits for c in compiled))
    entry = compiler.compile_entry(
        dict.fromkeys(live_plan.entry_numbers, live_version), options, digits
    )
    return Release(compiled, entry, compiler.compile_calendar(days))


async def live_plans(conn: Any, keep: int, default: Plan) -> list[tuple[int, Plan]]:
    """The live version and the ``keep`` before it from PostgreSQL; while nothing was
    ever published, the default plan as version 0."""
    found = [(v.version, parse_plan(v.plan)) for v in await repo.loaded_versions(conn, keep)]
    return found or [(DEFAULT_VERSION, default)]


async def live_release(
    conn: Any,
    options: CompileOptions,
    *,
    keep: int,
    default: Plan,
    today: date,
    ahead: int,
    day_of: DayOf,
) -> Release:
    plans = await live_plans(conn, keep, default)
    return build_release(plans, options, calendar_days(today, ahead, day_of))
