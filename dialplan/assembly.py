"""The dial-plan service as the composition root builds it from ``Settings``, and the
files ``hotline sandbox up`` writes for the live version."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ami.client import publish_session
from core import names
from core.settings import Settings
from dialplan.compiler import Compiled, CompileOptions
from dialplan.default_plan import default_plan
from dialplan.model import Plan
from dialplan.publish import AsteriskPublisher, Publisher
from dialplan.release import live_release
from dialplan.service import CalendarSource, DialPlanService, PlanSettings
from ivr.calendar_service import Calendar
from ivr.prompt_service import PromptService


def settings_default_plan(settings: Settings) -> Plan:
    """The shipped plan (``dialplan.default_plan``) as the settings shape it."""
    return default_plan(
        settings.entry_number, settings.queue, settings.working_hours, settings.greeting_prompt
    )


def plan_settings(settings: Settings, default: Plan) -> PlanSettings:
    return PlanSettings(
        compile=CompileOptions(prompts_dir=settings.prompts_dir, timezone=settings.timezone),
        queues=frozenset({settings.queue}),
        keep=settings.dialplan_keep_versions,
        calendar_ahead_days=settings.dialplan_calendar_days,
        default=default,
    )


def plans_folder(settings: Settings) -> Path:
    """Asterisk's ``<config dir>/names.PLANS_DIR`` as this host sees it."""
    inside = settings.asterisk_config_dir.lstrip("/")
    return settings.asterisk_root / inside / names.PLANS_DIR


class SessionPublisher:
    """An ``AsteriskPublisher`` on an AMI session of its own, opened as the
    ``hotline-publish`` user for one publish and closed after it: the privileged session
    exists only while a publish runs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def publish(self, compiled: Sequence[Compiled], entry: str, calendar: str) -> None:
        s = self.settings
        async with publish_session(s) as ami:
            await AsteriskPublisher(ami, plans_folder(s)).publish(compiled, entry, calendar)


def dial_plan_service(
    settings: Settings,
    pool: Any,
    publisher: Publisher | None = None,
    calendar: CalendarSource | None = None,
    prompts: PromptService | None = None,
) -> DialPlanService:
    """The service as the composition root builds it; the prompt library learns from it
    which prompts the plans Asterisk runs play (it refuses to delete those), and the
    calendar tells it of every change (the compiled calendar is refreshed)."""
    library = prompts or PromptService.from_settings(settings, pool)
    days = calendar or Calendar(pool)
    service = DialPlanService(
        pool,
        publisher or SessionPublisher(settings),
        settings=plan_settings(settings, settings_default_plan(settings)),
        prompts=library,
        calendar=days,
    )
    library.live_plan = service
    if isinstance(days, Calendar):  # an admin's calendar change reaches Asterisk at once
        days.listeners.append(service.refresh_calendar)
    return service


async def live_files(pool: Any, settings: Settings, now: datetime) -> dict[str, str]:
    """What ``hotline sandbox up`` writes into ``names.PLANS_DIR``: the live version and
    those kept with it, from PostgreSQL (the default plan while nothing was published),
    the entry numbers and the calendar (with the admins' overrides and notices)."""
    default = settings_default_plan(settings)
    options = plan_settings(settings, default)
    calendar = Calendar(pool)
    release = await live_release(
        pool,
        options.compile,
        keep=options.keep,
        default=default,
        today=now.astimezone(ZoneInfo(settings.timezone)).date(),
        ahead=options.calendar_ahead_days,
        day_of=await calendar.day_function(),
    )
    return release.files()
