"""What admins edit for the agent rules: the R2c
sign-out schedule and the working-day calendar's overrides. Who may edit is decided
here; the views only parse."""

from __future__ import annotations

from datetime import date
from typing import Any

from agent_state import schedule_repo
from agent_state.schedule_repo import Entry
from core.actor import Actor, Role
from core.errors import Forbidden, InvalidInput
from ivr.calendar import Override, OverrideKind
from ivr.calendar_service import Calendar

LABELS = ("noon_break", "end_of_day")
NOTE_MAX = 200


class AdminService:
    def __init__(self, pool: Any, calendar: Calendar) -> None:
        self.pool = pool
        self.calendar = calendar

    @staticmethod
    def _check(actor: Actor) -> None:
        if actor.role is not Role.ADMIN:  # the admin pages' /admin/schedule, one rule
            raise Forbidden("only an admin edits the sign-out schedule and the calendar")

    async def schedule(self) -> list[Entry]:
        return await schedule_repo.schedule(self.pool)

    async def replace_schedule(self, actor: Actor, entries: list[Entry]) -> list[Entry]:
        self._check(actor)
        if any(label not in LABELS for _, _, label in entries):
            raise InvalidInput(f"label must be one of {', '.join(LABELS)}")
        if len({(w, at) for w, at, _ in entries}) != len(entries):
            raise InvalidInput("two entries share a weekday and time")
        await schedule_repo.replace_schedule(self.pool, entries)
        return await self.schedule()

    async def set_working_day(self, actor: Actor, day: date, working: bool, note: str) -> None:
        self._check(actor)
        if len(note) > NOTE_MAX:
            raise InvalidInput(f"the note is limited to {NOTE_MAX} characters")
        kind = OverrideKind.WORKING if working else OverrideKind.REST
        await self.calendar.set_override(Override(day, kind, note=note), actor.job_number)

    async def clear_working_day(self, actor: Actor, day: date) -> None:
        """Back to the official calendar for ``day``."""
        self._check(actor)
        await self.calendar.clear_override(day, actor.job_number)
