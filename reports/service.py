"""Reports for supervisors (and admins): the quality figures and the staffing advice.
Reads only; who may read is decided here, before any query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.actor import FIGURE_READERS, Actor
from core.errors import Forbidden
from reports import repo
from reports.model import By, QualityRow, assemble, days_of
from reports.staffing import HalfHour, Measured, plan

READERS = FIGURE_READERS  # one rule with the callback figures (core/actor.py)


@dataclass(frozen=True)
class QualityReport:
    by: By
    first: date
    last: date
    rows: list[QualityRow]
    category_names: list[str]


@dataclass(frozen=True)
class StaffingAdvice:
    day: date
    weeks: int
    measured: Measured
    answer_s: float
    target: float
    half_hours: list[HalfHour]


class ReportService:
    def __init__(
        self,
        pool: Any,
        *,
        timezone: str,
        answer_s: float,
        target: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pool = pool
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.answer_s = answer_s
        self.target = target
        self.clock = clock

    def may_read(self, actor: Actor) -> None:
        if actor.role not in READERS:
            raise Forbidden("reports are for supervisors and admins")

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=self.tz)

    async def quality(self, actor: Actor, first: date, last: date, by: By) -> QualityReport:
        self.may_read(actor)
        start, end = self._midnight(first), self._midnight(last + timedelta(days=1))
        counts, categories = await repo.quality_counts(self.pool, start, end, self.timezone, by)
        days = days_of(first, last) if by is By.DAY else None
        rows = assemble(by, counts, categories, days=days)
        names = await repo.category_names(self.pool)
        return QualityReport(by, first, last, rows, names)

    async def staffing(self, actor: Actor, day: date, weeks: int) -> StaffingAdvice:
        """Per half hour of ``day``: the last ``weeks`` same weekdays before it."""
        self.may_read(actor)
        day_start = self._midnight(day)
        since = self._midnight(day - timedelta(weeks=weeks))
        arrivals = await repo.arrivals(self.pool, since, day_start, self.timezone, day.isoweekday())
        measured = await repo.measured(self.pool, since, day_start)
        now = self.clock()
        signed_in = await repo.signed_in(self.pool, day_start, now) if day_start <= now else None
        half_hours = plan(
            arrivals, weeks, measured, signed_in, answer_s=self.answer_s, target=self.target
        )
        return StaffingAdvice(day, weeks, measured, self.answer_s, self.target, half_hours)
