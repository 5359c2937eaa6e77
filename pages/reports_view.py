"""The report page's decisions, pure: which days the form asks for (the error at its
field), and the tables the page shows from what the services return — the same
numbers as the API (``reports.model``, ``callback.figures``), only laid out and
formatted. No I/O, no aiohttp."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reports.model import FIGURES, MAX_DAYS, BadReportQuery, By, QualityRow, parse_days
from reports.staffing import HalfHour

FIGURE_NAMES = tuple(f.name for f in FIGURES)
RATE_FIGURES = frozenset({"rate_15s", "rate_answered", "rate_two_rings"})
CALLBACK_COLUMNS = ("opened", "done", "overdue", "failed", "attempts", "attempts_per_callback")
DEPARTMENT_COLUMNS = ("opened", "forwarded", "done", "live", "overdue")
STAFFING_WEEKS = 4  # as the API's default (reports/views.py)
DASH = "—"


@dataclass(frozen=True)
class FieldError:
    message: str  # a message id (pages/words/reports.py)
    values: Mapping[str, object]


def parse_range(
    raw_from: str | None, raw_to: str | None, today: date
) -> tuple[tuple[date, date] | None, dict[str, FieldError]]:
    """The form's days (``from`` and ``to`` both included; an empty ``from`` is today,
    an empty ``to`` is ``from``), or the error at each field. The range's rule is the
    API's (``reports.model.parse_days``)."""
    errors: dict[str, FieldError] = {}
    raw_first = (raw_from or "").strip() or today.isoformat()
    raw_last = (raw_to or "").strip() or raw_first
    for field, raw in (("from", raw_first), ("to", raw_last)):
        try:
            date.fromisoformat(raw)
        except ValueError:
            errors[field] = FieldError("reports.bad_day", {})
    if errors:
        return None, errors
    try:
        return parse_days(raw_first, raw_last), {}
    except BadReportQuery:
        return None, {"to": FieldError("reports.bad_range", {"days": MAX_DAYS})}


def cell(name: str, value: float | int | None) -> str:
    """A figure as the page shows it: a rate in per cent, seconds to a tenth, a count."""
    if value is None:
        return DASH
    if name in RATE_FIGURES:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclass(frozen=True)
class Table:
    """Figures down, groups across (a day, a job number, a queue; ``None``: none)."""

    by: By
    keys: list[str | None]
    rows: list[tuple[str, list[str]]]  # (figure name, one cell per key)


def quality_table(by: By, rows: Sequence[QualityRow]) -> Table:
    keys = [r.key for r in rows]
    cells = [(name, [cell(name, r.figures[name]) for r in rows]) for name in FIGURE_NAMES]
    return Table(by, keys, cells)


def categories(rows: Sequence[QualityRow], names: Sequence[str]) -> list[tuple[str, int]]:
    """Calls per category over every row (the report's order, then any other), zeros
    left out."""
    totals: dict[str, int] = {}
    for row in rows:
        for name, n in row.categories.items():
            totals[name] = totals.get(name, 0) + n
    order = [*names, *sorted(set(totals) - set(names))]
    return [(name, totals[name]) for name in order if totals.get(name)]


def series(rows: Sequence[QualityRow], name: str) -> list[float | int | None]:
    """One figure per row (per day, in order), as a chart plots it."""
    return [r.figures[name] for r in rows]


def callback_rows(figures: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, list[str]]]:
    """``callback.figures.figures``'s rows: (day, kind, cells)."""
    return [
        (
            _day(r["day"]),
            str(r["kind"]),
            [DASH if r[c] is None else str(r[c]) for c in CALLBACK_COLUMNS],
        )
        for r in figures
    ]


def department_rows(figures: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, list[str]]]:
    """R13's rows (``callback.figures.department_figures``): (day, department, cells)."""
    return [
        (_day(r["day"]), str(r["department"]), [str(r[c]) for c in DEPARTMENT_COLUMNS])
        for r in figures
    ]


def _day(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def staffing_rows(half_hours: Sequence[HalfHour]) -> list[HalfHour]:
    """The half hours worth a row: callers expected, agents needed or signed in."""
    return [
        h
        for h in half_hours
        if h.expected_arrivals or h.agents_needed or h.agents_signed_in or h.agents_seen
    ]
