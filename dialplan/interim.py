"""Stand-ins for parts of issue 10 that other work delivers; each names what replaces it.

Everything here goes when the real parts are merged (one import each):
- ``default_plan``     → ``dialplan.default_plan.default_plan``
- ``official_day``     → the calendar's day function (``ivr/calendar.py``)
- ``DefaultPrompts``   → the prompt library in ``ivr/`` (its ``known_prompts``)
- ``UnwiredPublisher`` → ``dialplan.publish.AsteriskPublisher`` (see
  ``hotline.serve.dial_plan_publisher``)
- ``release_files``    → the compiler's function that turns a release into files
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import chinese_calendar

from dialplan.compiler import Compiled
from dialplan.model import DEFAULT_LANGUAGE, HangUp, Language, Plan, Play, Queue
from dialplan.publish import PublishFailed
from dialplan.release import FILE_PREFIX, Release
from ivr.calendar import Day, DayKind, official_working_day
from ivr.prompts import DEFAULT_PROMPTS


def default_plan(entry_number: str, queue: str) -> Plan:
    """Today's fixed path: the R6 greeting, then the queue; nobody there: hang up."""
    return Plan(
        entry_numbers=(entry_number,),
        start="greeting",
        nodes=(
            Play("greeting", "greeting", "queue"),
            Queue("queue", queue, when_nobody="goodbye"),
            HangUp("goodbye"),
        ),
        name="default",
    )


def official_day(day: date) -> Day:
    """The official calendar alone (no admin overrides, no holiday keys)."""
    working = official_working_day(day)
    weekend = day.isoweekday() > 5
    if working:
        return Day(day, DayKind.MAKE_UP if weekend else DayKind.WORKING)
    try:
        on_holiday = bool(chinese_calendar.is_holiday(day)) and not weekend
    except NotImplementedError:
        on_holiday = False
    return Day(day, DayKind.HOLIDAY if on_holiday else DayKind.REST)


class DefaultPrompts:
    """The shipped prompts, in Mandarin only."""

    def known_prompts(self) -> Mapping[Language, frozenset[str]]:
        return {DEFAULT_LANGUAGE: frozenset(p.name for p in DEFAULT_PROMPTS)}


class UnwiredPublisher:
    """Refuses every publish with a clear error until the Asterisk side is merged."""

    async def publish(self, compiled: Sequence[Compiled], entry: str, calendar: str) -> None:
        raise PublishFailed("publishing to Asterisk is not wired in this build yet")


def release_files(release: Release) -> dict[str, str]:
    """File name → text: one file per version, the entry and the calendar."""
    files = {f"{FILE_PREFIX}-v{c.version}.conf": c.text for c in release.compiled}
    files[f"{FILE_PREFIX}-entry.conf"] = release.entry
    files[f"{FILE_PREFIX}-calendar.conf"] = release.calendar
    return files
