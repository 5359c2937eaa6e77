"""Callback intake and API built from the settings (the composition root calls these)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ami import AmiClient
from callback.dispatch import Dispatcher, Owners
from callback.intake import Agents, Events, Intake, NumberCheck, parse_due_days
from callback.numbers import check_number
from callback.policy import WorkingHours
from callback.retention import Sender, VoicemailRetention
from callback.service import CallbackService, Confirmer
from callback.spool import Spool
from core.settings import Settings
from ivr.calendar_service import Calendar


def number_check(settings: Settings) -> NumberCheck:
    return functools.partial(
        check_number, allow_international=settings.callback_allow_international
    )


def working_hours(settings: Settings, calendar: Calendar) -> WorkingHours:
    """The centre's hours on the one calendar (as the dial plan's time switch)."""
    return WorkingHours.from_setting(
        settings.working_hours, calendar.day_of, ZoneInfo(settings.timezone)
    )


def spool(settings: Settings) -> Spool:
    return Spool(settings.asterisk_root, settings.voicemail_spool_dir)


def callback_service(
    settings: Settings,
    pool: Any,
    calendar: Calendar,
    *,
    dispatcher: Confirmer | None = None,
    known_agent: Callable[[str], bool] = lambda job: True,
) -> CallbackService:
    return CallbackService(
        pool,
        spool(settings),
        check=number_check(settings),
        due_at=working_hours(settings, calendar).due_at,
        due_days_default=settings.callback_due_working_days,
        due_days_by_category=parse_due_days(settings.callback_due_days_by_category),
        centre_name=settings.centre_name,
        dispatcher=dispatcher,
        known_agent=known_agent,
    )


class Ami(Events, Sender, Protocol):
    """Events in (intake), actions out (the retention sweep's ``VoicemailRemove``)."""


def retention(settings: Settings, ami: Sender, pool: Any) -> VoicemailRetention:
    return VoicemailRetention(
        ami, pool, spool(settings), retention_days=settings.callback_voicemail_retention_days
    )


def intake(settings: Settings, ami: Ami, pool: Any, agents: Agents, calendar: Calendar) -> Intake:
    """Intake, and with it the voicemail retention sweep (started and stopped with it)."""
    return Intake(
        ami,
        pool,
        spool(settings),
        agents,
        check=number_check(settings),
        due_at=working_hours(settings, calendar).due_at,
        due_days_default=settings.callback_due_working_days,
        due_days_by_category=parse_due_days(settings.callback_due_days_by_category),
        retention=retention(settings, ami, pool),
    )


def dispatcher(
    settings: Settings,
    ami: AmiClient,
    pool: Any,
    calendar: Calendar,
    *,
    owners: Owners,
    anyone_idle: Callable[[], bool],
) -> Dispatcher:
    """Callbacks into calls: only in the centre's hours on the one calendar."""
    hours = working_hours(settings, calendar)
    return Dispatcher(
        ami,
        pool,
        settings,
        is_open=hours.is_open,
        open_at=hours.next_open,
        owners=owners,
        anyone_idle=anyone_idle,
    )
