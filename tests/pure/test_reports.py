"""The report's pure parts: Erlang C against published values, the staffing plan, the
figures' assembly (rates, means, sums, days without data) and the CSV's bytes."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest

from core.errors import InvalidInput
from reports.erlang import agents_needed, erlang_b, erlang_c, service_level
from reports.model import (
    FIGURE_NAMES,
    FIGURES,
    By,
    QualityRow,
    assemble,
    days_of,
    parse_by,
    parse_days,
    state_counts,
    to_csv,
)
from reports.staffing import Measured, plan

# ---- Erlang ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agents", "traffic"),
    [
        # the classic Erlang B table (ITU / Erlang's tables): the traffic that 5, 10 and
        # 20 circuits carry at 1 % blocking
        (5, 1.361),
        (10, 4.461),
        (20, 12.031),
    ],
)
def test_erlang_b_matches_the_published_one_percent_table(agents: int, traffic: float) -> None:
    assert erlang_b(agents, traffic) == pytest.approx(0.01, abs=0.0002)


def test_erlang_c_matches_the_call_centre_helper_example() -> None:
    """Call Centre Helper's "Erlang C formula – made simple": 100 calls in 30 minutes,
    180 s handle time (10 erlangs), 80 % in 20 s: 11 agents wait 68.21 % and answer
    39 %; 13 answer 79.6 %, 14 answer 88.8 %, so 14 are needed."""
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=0.0001)
    assert service_level(11, 10.0, 180, 20) == pytest.approx(0.39, abs=0.005)
    assert service_level(13, 10.0, 180, 20) == pytest.approx(0.796, abs=0.001)
    assert service_level(14, 10.0, 180, 20) == pytest.approx(0.888, abs=0.001)
    assert agents_needed(100, 180, period_s=1800, answer_s=20, target=0.8) == 14


def test_erlang_c_matches_the_mitan_worked_example() -> None:
    """Mitan's "The Erlang-C formula": 360 calls a half hour of 240 s (48 erlangs), 55
    agents, 15 s: waits 23.87 %, mean wait 8.18 s, 84.6 % answered within 15 s."""
    waits = erlang_c(55, 48.0)
    assert waits == pytest.approx(0.2387, abs=0.0001)
    assert waits * 240 / (55 - 48) == pytest.approx(8.18, abs=0.01)
    assert service_level(55, 48.0, 240, 15) == pytest.approx(0.846, abs=0.001)


def test_erlang_c_edges() -> None:
    assert erlang_c(3, 3.0) == 1.0  # no more agents than traffic: everyone waits
    assert service_level(3, 3.0, 100, 15) == 0.0
    assert erlang_c(1, 0.0) == 0.0
    assert agents_needed(0, 180, period_s=1800, answer_s=15, target=0.9) == 0
    with pytest.raises(ValueError):
        agents_needed(10, 180, period_s=1800, answer_s=15, target=1.0)


def test_more_agents_never_answer_fewer() -> None:
    levels = [service_level(n, 20.0, 200, 15) for n in range(21, 40)]
    assert levels == sorted(levels)


def test_the_plan_per_half_hour() -> None:
    arrivals = {20: 400, 21: 40}  # over 4 weeks: 100 and 10 a half hour
    half_hours = plan(arrivals, 4, Measured(170.0, 10.0), {20: (9.5, 11)}, answer_s=20, target=0.8)
    assert len(half_hours) == 48
    busy, quiet, night = half_hours[20], half_hours[21], half_hours[3]
    assert (busy.starts, busy.expected_arrivals, busy.handle_s) == ("10:00", 100.0, 180.0)
    assert busy.agents_needed == 14  # the Call Centre Helper example again
    assert (busy.agents_signed_in, busy.agents_seen) == (9.5, 11)
    assert quiet.agents_needed == agents_needed(10, 180, period_s=1800, answer_s=20, target=0.8)
    assert (night.expected_arrivals, night.agents_needed, night.agents_signed_in) == (0, 0, 0)


def test_no_handle_time_no_advice_and_a_future_day_has_nobody_signed_in() -> None:
    half_hours = plan({20: 4}, 4, Measured(None, None), None, answer_s=15, target=0.9)
    assert half_hours[20].agents_needed is None
    assert half_hours[20].agents_signed_in is None


# ---- the figures --------------------------------------------------------------------------


def test_every_figure_has_a_chinese_header_and_a_definition() -> None:
    assert len(set(FIGURE_NAMES)) == len(FIGURES)
    for figure in FIGURES:
        assert figure.definition and any("\u4e00" <= ch <= "\u9fff" for ch in figure.header)


def test_rates_means_and_sums_over_the_parts_of_a_key() -> None:
    counts: list[dict[str, Any]] = [
        {"key": "1001", "asked_for_agent": 4, "answered": 3, "answered_within_15s": 2},
        {"key": "1001", "wait_total_s": 58.0, "wait_max_s": 25.0},
        {"key": "1001", "offers": 3, "answered_within_two_rings": 1},
        {"key": "1001", "wrap_ups": 1, "wrap_ups_ended": 1, "wrap_up_total_s": 45.0},
        {"key": "1001", "wrap_ups": 1, "wrap_ups_ended": 1, "wrap_up_total_s": 10.0},
        {"key": None, "abandoned_queue": 1, "wait_max_s": None},
    ]
    categories = [{"key": "1001", "category": "建议投诉", "n": 2}]
    rows = assemble(By.AGENT, counts, categories)
    assert [r.key for r in rows] == ["1001", None]
    mine = rows[0].figures
    assert (mine["rate_15s"], mine["rate_answered"], mine["rate_two_rings"]) == (
        0.5,
        0.75,
        0.3333,
    )
    assert (mine["wait_avg_s"], mine["wait_max_s"]) == (14.5, 25.0)
    assert (mine["wrap_ups"], mine["wrap_up_avg_s"]) == (2, 27.5)
    assert (mine["complaints_calls"], rows[0].categories) == (2, {"建议投诉": 2})
    nobody = rows[1].figures
    assert (nobody["abandoned_queue"], nobody["rate_15s"], nobody["wait_avg_s"]) == (1, None, None)


def test_by_day_every_day_of_the_range_has_a_row() -> None:
    days = days_of(date(2026, 2, 28), date(2026, 3, 2))
    rows = assemble(By.DAY, [{"key": "2026-03-01", "calls": 7}], [], days=days)
    assert [(r.key, r.figures["calls"]) for r in rows] == [
        ("2026-02-28", 0),
        ("2026-03-01", 7),
        ("2026-03-02", 0),
    ]


def _period(state: str, reason: str | None = None, **counts: float) -> dict[str, Any]:
    base = {"periods": 0, "ended": 0, "total_s": 0.0, "over_wrap_up_limit": 0}
    return {"key": "k", "state": state, "reason": reason, **base, **counts}


def test_the_audits_periods_become_offers_wrap_ups_and_forced_busy() -> None:
    rows = [
        _period("ringing", rings_counted=3, rings_in_time=1, periods=4),
        _period("wrap_up", periods=2, ended=2, total_s=55.0, over_wrap_up_limit=1),
        _period("busy", "ring_no_answer", periods=1),
        _period("busy", "manual", periods=5),  # chosen: not forced
    ]
    figures = assemble(By.AGENT, state_counts(rows), [])[0].figures
    assert (figures["offers"], figures["answered_within_two_rings"]) == (3, 1)
    assert (figures["wrap_ups"], figures["wrap_ups_over_30s"], figures["wrap_up_avg_s"]) == (
        2,
        1,
        27.5,
    )
    assert figures["forced_busy_ring_no_answer"] == 1
    assert "forced_busy_manual" not in figures


def test_the_csv_opens_in_a_spreadsheet_with_chinese_headers() -> None:
    rows = [QualityRow("1001", {**dict.fromkeys(FIGURE_NAMES, 0), "rate_15s": None}, {"其他": 2})]
    body = to_csv(By.AGENT, rows, ["养老保险", "其他"])
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM, UTF-8's
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header = table[0]
    assert header[:3] == ["工号", "来电总数", "请求人工"]
    assert "15秒接通率" in header and "人工接通率" in header
    assert header[-2:] == ["分类:养老保险", "分类:其他"]
    line = dict(zip(header, table[1], strict=True))
    assert (line["工号"], line["15秒接通率"], line["分类:其他"], line["分类:养老保险"]) == (
        "1001",
        "",
        "2",
        "0",
    )


def test_bad_parameters_are_input_errors_with_one_code() -> None:
    for bad in (("2026-13-01", None), ("2026-03-02", "2026-03-01"), (None, None)):
        with pytest.raises(InvalidInput) as raised:
            parse_days(*bad)
        assert raised.value.code == "input.report_query"
    with pytest.raises(InvalidInput):
        parse_by("team")
    assert parse_days("2026-03-02", None) == (date(2026, 3, 2), date(2026, 3, 2))
    assert parse_by(None) is By.DAY
