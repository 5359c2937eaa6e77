"""The report page's charts: pygal's server-side SVG, put in the page as it is. No
script (pygal's own tooltips would load from elsewhere: ``js=[]``, and its inline
config is taken out), nothing fetched; labels are escaped by pygal's XML writer."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import pygal
from markupsafe import Markup
from pygal.style import Style

from pages.reports_view import categories, series
from reports.model import QualityRow
from reports.staffing import HalfHour

Words = Callable[[str], str]  # a message id -> its words in the page's language

STYLE = Style(
    font_family='"Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif',
    background="#ffffff",
    plot_background="#ffffff",
    colors=("#0b5cad", "#b3261e", "#1b7f3b", "#8a5a00"),
    title_font_size=16,
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
)
SIZE = {"width": 640, "height": 280}
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _svg(chart: pygal.graph.graph.Graph) -> Markup:
    text = chart.render(is_unicode=True)
    return Markup(_COMMENT.sub("", _SCRIPT.sub("", text)))  # noqa: S704 (pygal's own SVG)


def _chart(kind: type, title: str, **options: object) -> pygal.graph.graph.Graph:
    return kind(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        explicit_size=False,
        title=title,
        print_values=False,
        no_data_text="—",
        **SIZE,
        **options,
    )


def two_rings_per_day(days: Sequence[QualityRow], t: Words) -> Markup:
    """R3: the share of rings answered within two ring cycles, per day, in per cent."""
    chart = _chart(pygal.Bar, t("reports.chart.two_rings"), show_legend=False, range=(0, 100))
    chart.x_labels = [r.key or "" for r in days]
    rates = series(days, "rate_two_rings")
    chart.add(t("reports.figure.rate_two_rings"), [_percent(v) for v in rates])
    return _svg(chart)


def _percent(value: float | int | None) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def calls_per_category(rows: Sequence[QualityRow], names: Sequence[str], t: Words) -> Markup:
    """R5: calls per category over the period."""
    chart = _chart(pygal.HorizontalBar, t("reports.chart.categories"), show_legend=False)
    counted = categories(rows, names)
    chart.x_labels = [name for name, _ in counted]
    chart.add(t("reports.chart.categories"), [n for _, n in counted])
    return _svg(chart)


def abandoned_per_day(days: Sequence[QualityRow], t: Words) -> Markup:
    """Callers who gave up, in the queue and in the menus, per day (stacked)."""
    chart = _chart(pygal.StackedBar, t("reports.chart.abandoned"), legend_at_bottom=True)
    chart.x_labels = [r.key or "" for r in days]
    for name in ("abandoned_queue", "abandoned_greeting"):
        chart.add(t(f"reports.figure.{name}"), series(days, name))
    return _svg(chart)


def staffing(half_hours: Sequence[HalfHour], t: Words) -> Markup:
    """Per half hour: the agents Erlang C needs beside those signed in."""
    chart = _chart(
        pygal.Bar,
        t("reports.chart.staffing"),
        legend_at_bottom=True,
        x_labels_major_every=4,
        show_minor_x_labels=False,
    )
    chart.x_labels = [h.starts for h in half_hours]
    chart.add(t("reports.chart.needed"), [h.agents_needed for h in half_hours])
    chart.add(t("reports.chart.signed_in"), [h.agents_signed_in for h in half_hours])
    return _svg(chart)
