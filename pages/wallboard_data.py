"""What the wallboard reads from PostgreSQL, on a timer (never per change): today's
quality figures, the callbacks' live counts, the staffing advice for the half hour
now, and the charts' rows. Every figure comes from where the reports and ``/metrics``
get it (``reports.service`` / ``reports.repo`` and their SQL, ``callback.figures``):
nothing is counted twice in two ways.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from callback import figures as callback_figures
from core.actor import Actor, Role
from pages.wallboard_model import Figures, Staffing, callback_counts, staffing_now
from reports import repo
from reports.model import By, QualityRow, assemble
from reports.service import ReportService
from reports.staffing import SLOT_S

# the board reads as a supervisor would (the reports' own check stays in force)
READER = Actor("wallboard", Role.SUPERVISOR)
STAFFING_WEEKS = 4
STAFFING_EVERY_S = 300.0  # the advice changes by the half hour: read it that seldom


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ChartRows:
    """The charts' data: today per local hour (0 … the hour now), and per agent."""

    hours: list[QualityRow]  # key: "HH"
    agents: list[QualityRow]  # key: job number


class BoardReader:
    def __init__(
        self, reports: ReportService, pool: Any, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.reports = reports
        self.pool = pool
        self.clock = clock
        self._staffing: tuple[int, float, Staffing | None] | None = None  # slot, read at

    def _today(self, now: datetime) -> date:
        return now.astimezone(self.reports.tz).date()

    async def figures(self) -> Figures:
        now = self.clock()
        today = self._today(now)
        report = await self.reports.quality(READER, today, today, By.DAY)
        row = report.rows[0].figures if report.rows else {}
        live, overdue = callback_counts(await callback_figures.open_counts(self.pool, now))
        return Figures(row, live, overdue, await self._staffing_now(now), now)

    async def _staffing_now(self, now: datetime) -> Staffing | None:
        local = now.astimezone(self.reports.tz)
        slot = (local.hour * 3600 + local.minute * 60) // SLOT_S
        stamp = now.timestamp()
        kept = self._staffing
        if kept is not None and kept[0] == slot and stamp - kept[1] < STAFFING_EVERY_S:
            return kept[2]
        advice = await self.reports.staffing(READER, local.date(), STAFFING_WEEKS)
        found = staffing_now(advice.half_hours, slot)
        self._staffing = (slot, stamp, found)
        return found

    async def chart_rows(self) -> ChartRows:
        """Per hour of today so far (the reports' counts over each hour), per agent."""
        now = self.clock()
        today = self._today(now)
        midnight = datetime.combine(today, time(), tzinfo=self.reports.tz)
        hours = []
        tz = self.reports.timezone
        for hour in range(now.astimezone(self.reports.tz).hour + 1):
            start = midnight + timedelta(hours=hour)
            counts, categories = await repo.quality_counts(
                self.pool, start, start + timedelta(hours=1), tz, By.DAY
            )
            day = today.isoformat()
            rows = assemble(By.DAY, counts, categories, days=[day])
            row = next(r for r in rows if r.key == day)
            hours.append(QualityRow(f"{hour:02d}", row.figures, row.categories))
        agents = await self.reports.quality(READER, today, today, By.AGENT)
        return ChartRows(hours, [r for r in agents.rows if r.key is not None])
