"""The wallboard's charts as SVG (``pygal``, rendered here on the server, no script in
them and nothing from elsewhere): calls per hour today, the share answered within two
rings per hour (R3), and the wrap-up durations per agent (R4). ``render`` is pure:
rows in, SVG bytes out; ``Charts`` keeps the rows a minute and each SVG with them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pygal
from pygal.style import Style

from pages import i18n
from pages.wallboard_data import ChartRows
from reports.model import QualityRow

NAMES = ("calls", "two_rings", "wrap_up")
STYLE = Style(
    background="white",
    plot_background="white",
    font_family="'Noto Sans CJK SC', 'Noto Sans', sans-serif",
    colors=("#1f5fa8", "#2e8540", "#c0392b"),
    title_font_size=16,
    label_font_size=12,
    legend_font_size=12,
)
# no script: pygal's default loads one from its site (a CDN); an <img> runs none anyway
OPTIONS: dict[str, Any] = {
    "js": [],
    "style": STYLE,
    "width": 640,
    "height": 300,
    "legend_at_bottom": True,
    "print_values": False,
    "show_minor_x_labels": True,
}


def _values(rows: list[QualityRow], name: str, scale: float = 1.0) -> list[float | None]:
    out: list[float | None] = []
    for row in rows:
        value = row.figures.get(name)
        out.append(None if value is None else round(float(value) * scale, 1))
    return out


def render(name: str, rows: ChartRows, lang: i18n.Language) -> bytes:
    def t(key: str) -> str:
        return i18n.t(lang, key)

    if name == "calls":
        chart = pygal.Bar(
            title=t("wallboard.chart_calls"), no_data_text=t("wallboard.no_data"), **OPTIONS
        )
        chart.x_labels = [r.key for r in rows.hours]
        chart.add(t("wallboard.series_calls"), _values(rows.hours, "calls"))
        chart.add(t("wallboard.series_answered"), _values(rows.hours, "answered"))
        chart.add(t("wallboard.series_abandoned"), _values(rows.hours, "abandoned_queue"))
    elif name == "two_rings":
        chart = pygal.Line(
            title=t("wallboard.chart_two_rings"),
            range=(0, 100),
            no_data_text=t("wallboard.no_data"),
            **OPTIONS,
        )
        chart.x_labels = [r.key for r in rows.hours]
        chart.add(t("wallboard.series_two_rings"), _values(rows.hours, "rate_two_rings", 100))
    elif name == "wrap_up":
        chart = pygal.Bar(
            title=t("wallboard.chart_wrap_up"), no_data_text=t("wallboard.no_data"), **OPTIONS
        )
        chart.x_labels = [str(r.key) for r in rows.agents]
        chart.add(t("wallboard.series_wrap_up_avg"), _values(rows.agents, "wrap_up_avg_s"))
        chart.add(t("wallboard.series_wrap_up_over"), _values(rows.agents, "wrap_ups_over_30s"))
    else:
        raise KeyError(name)
    svg: bytes = chart.render()
    return svg


class Charts:
    """The charts' rows, read at most every ``every_s`` (one read for all boards), and
    each chart rendered once per reading and language."""

    def __init__(self, read: Callable[[], Awaitable[ChartRows]], every_s: float) -> None:
        self.read = read
        self.every_s = every_s
        self._rows: ChartRows | None = None
        self._read_at = 0.0
        self._svg: dict[tuple[str, i18n.Language], bytes] = {}
        self._lock = asyncio.Lock()

    async def svg(self, name: str, lang: i18n.Language) -> bytes:
        if name not in NAMES:
            raise KeyError(name)
        async with self._lock:
            if self._rows is None or time.monotonic() - self._read_at >= self.every_s:
                self._rows = await self.read()
                self._read_at = time.monotonic()
                self._svg.clear()
            key = (name, lang)
            if key not in self._svg:
                self._svg[key] = render(name, self._rows, lang)
            return self._svg[key]
