"""The dial-plan service as the composition root builds it from ``Settings``, and the
files ``hotline sandbox up`` writes for the live version.

Until issue 10's other parts are merged, the prompts, the calendar, the default plan,
the publisher and the release's file names are ``dialplan.interim``'s stand-ins."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.settings import Settings
from dialplan import interim
from dialplan.compiler import CompileOptions
from dialplan.model import Plan
from dialplan.publish import Publisher
from dialplan.release import live_release
from dialplan.service import DialPlanService, FixedCalendar, PlanSettings


def plan_settings(settings: Settings, default: Plan) -> PlanSettings:
    return PlanSettings(
        compile=CompileOptions(prompts_dir=settings.prompts_dir, timezone=settings.timezone),
        queues=frozenset({settings.queue}),
        keep=settings.dialplan_keep_versions,
        calendar_ahead_days=settings.dialplan_calendar_days,
        default=default,
    )


def dial_plan_service(
    settings: Settings, pool: Any, publisher: Publisher | None = None
) -> DialPlanService:
    """The service as the composition root builds it. Until issue 10's other parts are
    merged, the prompts, the calendar, the default plan and the publisher are
    ``dialplan.interim``'s stand-ins (one import each to change)."""

    return DialPlanService(
        pool,
        publisher or interim.UnwiredPublisher(),
        settings=plan_settings(
            settings, interim.default_plan(settings.entry_number, settings.queue)
        ),
        prompts=interim.DefaultPrompts(),
        calendar=FixedCalendar(interim.official_day),
    )


async def live_files(conn: Any, settings: Settings, now: datetime) -> dict[str, str]:
    """What ``hotline sandbox up`` writes next to extensions.conf: the live version and
    those kept with it, from PostgreSQL (the default plan while nothing was published),
    the entry numbers and the calendar — file name → text, each name starting with
    ``release.FILE_PREFIX``."""

    default = interim.default_plan(settings.entry_number, settings.queue)
    options = plan_settings(settings, default)
    release = await live_release(
        conn,
        options.compile,
        keep=options.keep,
        default=default,
        today=now.astimezone(ZoneInfo(settings.timezone)).date(),
        ahead=options.calendar_ahead_days,
        day_of=interim.official_day,
    )
    return interim.release_files(release)
