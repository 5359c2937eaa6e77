"""The report page's pure parts: the form's days (the error at its field), the tables
and cells, the charts (SVG, nothing loaded from elsewhere), and the figures' one rule."""

from __future__ import annotations

import re
from datetime import date

import pytest

from callback.model import Kind
from core.actor import FIGURE_READERS, Role
from pages import reports_charts
from pages.i18n import Language, t
from pages.reports_view import (
    CALLBACK_COLUMNS,
    DEPARTMENT_COLUMNS,
    FIGURE_NAMES,
    FieldError,
    callback_rows,
    categories,
    cell,
    department_rows,
    parse_range,
    quality_table,
    staffing_rows,
)
from pages.routes import PAGE_ROLES
from reports.model import By, QualityRow, assemble
from reports.service import READERS
from reports.staffing import HalfHour

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("raw_from", "raw_to", "days"),
    [
        (None, None, (TODAY, TODAY)),  # the first visit: today
        ("", "", (TODAY, TODAY)),
        ("2026-11-01", "", (date(2026, 11, 1), date(2026, 11, 1))),  # to defaults to from
        ("2026-11-01", "2026-11-30", (date(2026, 11, 1), TODAY)),
        (" 2026-11-01 ", "2026-11-02", (date(2026, 11, 1), date(2026, 11, 2))),
    ],
)
def test_the_form_asks_for_these_days(
    raw_from: str | None, raw_to: str | None, days: tuple[date, date]
) -> None:
    assert parse_range(raw_from, raw_to, TODAY) == (days, {})


BAD_DAY = FieldError("reports.bad_day", {})
BAD_RANGE = FieldError("reports.bad_range", {"days": 366})


@pytest.mark.parametrize(
    ("raw_from", "raw_to", "errors"),
    [
        ("2026-13-01", "", {"from": BAD_DAY, "to": BAD_DAY}),  # to is from: both wrong
        ("yesterday", "2026-11-02", {"from": BAD_DAY}),
        ("2026-11-01", "2026-02-30", {"to": BAD_DAY}),
        ("2026-11-02", "2026-11-01", {"to": BAD_RANGE}),  # the API's rule: to before from
        ("2025-01-01", "2026-01-02", {"to": BAD_RANGE}),  # 366 days is the most
    ],
)
def test_bad_days_are_refused_at_their_field(
    raw_from: str, raw_to: str, errors: dict[str, FieldError]
) -> None:
    assert parse_range(raw_from, raw_to, TODAY) == (None, errors)


def test_the_longest_range_is_the_apis() -> None:
    days, errors = parse_range("2025-01-01", "2026-01-01", TODAY)  # 366 days
    assert errors == {} and days == (date(2025, 1, 1), date(2026, 1, 1))


def test_every_message_the_form_uses_has_its_words() -> None:
    for error in (BAD_DAY, BAD_RANGE):
        assert t(Language.ZH, error.message, **error.values)
        assert t(Language.EN, error.message, **error.values)


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("rate_15s", 0.875, "87.5%"),
        ("rate_two_rings", None, "—"),  # nothing to divide by
        ("wait_avg_s", 12.34, "12.3"),
        ("answered", 3, "3"),
        ("answered", 0, "0"),
    ],
)
def test_a_figure_is_shown_as(name: str, value: float | int | None, shown: str) -> None:
    assert cell(name, value) == shown


def rows() -> list[QualityRow]:
    counts = [
        {"key": "1001", "calls": 2, "asked_for_agent": 2, "answered": 2},
        {"key": "1002", "calls": 1, "asked_for_agent": 1, "answered": 0},
        {"key": None, "calls": 1, "abandoned_greeting": 1},
    ]
    categories_ = [
        {"key": "1001", "category": "养老保险", "n": 2},
        {"key": "1002", "category": "建议投诉", "n": 1},
        {"key": "1001", "category": "其他", "n": 1},
    ]
    return assemble(By.AGENT, counts, categories_)


def test_the_table_has_every_figure_down_and_every_group_across() -> None:
    table = quality_table(By.AGENT, rows())
    assert table.keys == ["1001", "1002", None]
    assert [name for name, _ in table.rows] == list(FIGURE_NAMES)
    shown = dict(table.rows)
    assert shown["answered"] == ["2", "0", "0"]
    assert shown["rate_answered"] == ["100.0%", "0.0%", "—"]


def test_calls_per_category_adds_up_every_group_in_the_reports_order() -> None:
    names = ["其他", "养老保险", "医疗保险"]
    assert categories(rows(), names) == [("其他", 1), ("养老保险", 2), ("建议投诉", 1)]


def test_callback_and_department_rows_keep_the_services_numbers() -> None:
    figures = [
        {"day": date(2026, 11, 30), "kind": "escalation", "opened": 2, "done": 1,
         "overdue": 0, "failed": 0, "attempts": 3, "attempts_per_callback": None},
    ]  # fmt: skip
    assert callback_rows(figures) == [("2026-11-30", "escalation", ["2", "1", "0", "0", "3", "—"])]
    departments = [
        {"day": date(2026, 11, 30), "department": "医保科", "opened": 1, "forwarded": 1,
         "done": 1, "live": 0, "overdue": 0},
    ]  # fmt: skip
    assert department_rows(departments) == [("2026-11-30", "医保科", ["1", "1", "1", "0", "0"])]


def half_hour(slot: int, expected: float, needed: int | None, seen: int | None) -> HalfHour:
    signed = None if seen is None else float(seen)
    return HalfHour(slot, expected, 200.0, needed, signed, seen)


def test_staffing_shows_the_half_hours_with_anything_in_them() -> None:
    quiet, busy, staffed = half_hour(0, 0, 0, 0), half_hour(18, 4.5, 2, 1), half_hour(19, 0, 0, 2)
    assert staffing_rows([quiet, busy, staffed]) == [busy, staffed]
    assert busy.starts == "09:00" and staffed.starts == "09:30"


def words(key: str) -> str:
    return t(Language.ZH, key)


def test_charts_are_svg_with_no_script_and_nothing_from_elsewhere() -> None:
    days = assemble(
        By.DAY,
        [{"key": "2026-11-30", "offers": 4, "answered_within_two_rings": 3,
          "abandoned_queue": 1}],
        [{"key": "2026-11-30", "category": "<b>养老</b>", "n": 2}],
        days=["2026-11-29", "2026-11-30"],
    )  # fmt: skip
    charts = [
        reports_charts.two_rings_per_day(days, words),
        reports_charts.abandoned_per_day(days, words),
        reports_charts.calls_per_category(days, [], words),
        reports_charts.staffing([half_hour(s, 1.0, 1, 1) for s in range(48)], words),
    ]
    for svg in charts:
        assert svg.startswith("<svg") and "<script" not in svg
        assert set(re.findall(r"(?:href|src)=\"([^\"]*)\"", svg)) <= {""} | {
            h for h in re.findall(r"href=\"(#[^\"]*)\"", svg)
        }
    assert "两声内接起率" in charts[0] and "75" in charts[0]  # 3 of 4, in per cent
    assert "&lt;b&gt;养老&lt;/b&gt;" in charts[2] and "<b>" not in charts[2]


def test_one_rule_reads_the_figures_in_the_api_and_on_the_pages() -> None:
    assert {Role.SUPERVISOR, Role.ADMIN} == FIGURE_READERS
    assert frozenset(READERS) == FIGURE_READERS
    assert PAGE_ROLES[("GET", "/reports")] == FIGURE_READERS
    assert PAGE_ROLES[("GET", "/reports/quality.csv")] == FIGURE_READERS


def test_every_word_the_page_builds_exists() -> None:
    """The ids the template makes from a name (a figure, a column, a kind, a group)."""
    keys = {f"reports.figure.{name}" for name in FIGURE_NAMES}
    keys |= {f"reports.cb.{c}" for c in CALLBACK_COLUMNS}
    keys |= {f"reports.dept.{c}" for c in DEPARTMENT_COLUMNS}
    keys |= {f"reports.kind.{k.value}" for k in Kind}
    keys |= {f"reports.by.{b.value}" for b in By} | {f"reports.key.{b.value}" for b in By}
    for lang in Language:
        assert all(t(lang, key) for key in keys)
