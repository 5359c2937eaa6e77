"""The wallboard's pure parts: what the board shows of agents, queues and figures
(``wallboard_model.board``), the queues' callers (``QueueCallers``), the charts' SVG,
and the feed's fan-out (one snapshot per burst of changes, the newest per client)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from agent_state.model import Agent, BusyReason, State
from pages.i18n import Language
from pages.wallboard_charts import NAMES, render
from pages.wallboard_data import ChartRows
from pages.wallboard_feed import BoardFeed
from pages.wallboard_model import (
    Figures,
    QueueView,
    Staffing,
    board,
    callback_counts,
    staffing_now,
)
from pages.wallboard_queues import QueueCallers
from reports.model import QualityRow
from reports.staffing import HalfHour

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
AGO = NOW - timedelta(minutes=3, seconds=7)


def busy(job: str, reason: BusyReason) -> Agent:
    return Agent(job, State.BUSY, busy_reason=reason, since=AGO, phone="2" + job[1:])


def show(agents: list[Agent], figures: Figures | None = None, **more: Any) -> dict[str, Any]:
    return board(
        Language.ZH,
        agents=agents,
        names={"1001": "张三"},
        queues=more.get("queues", []),
        figures=figures or Figures(),
        now=NOW,
    )


@pytest.mark.parametrize(
    ("agent", "text", "forced", "can_force_busy"),
    [
        (Agent("1001"), "已签出", False, False),
        (Agent("1001", State.IDLE, since=AGO), "示闲", False, True),
        (Agent("1001", State.ON_CALL, since=AGO), "通话中", False, True),
        (busy("1001", BusyReason.BREAK), "置忙(休息)", False, True),
        (busy("1001", BusyReason.RING_NO_ANSWER), "置忙(未接听)", True, False),
        (busy("1001", BusyReason.PHONE_UNREACHABLE), "置忙(话机离线)", True, False),
        (busy("1001", BusyReason.SUPERVISOR), "置忙(班长置忙)", True, False),
        (busy("1001", BusyReason.RECONCILED), "置忙(系统校正)", True, False),
    ],
)
def test_each_agent_shows_its_state_why_and_what_may_be_done(
    agent: Agent, text: str, forced: bool, can_force_busy: bool
) -> None:
    row = show([agent])["agents"][0]
    assert (row["job"], row["name"], row["text"]) == ("1001", "张三", text)
    assert row["forced"] is forced
    assert row["can_force_busy"] is can_force_busy
    assert row["signed_in"] is (agent.state is not State.LOGGED_OUT)
    assert row["since"] == (AGO.isoformat() if row["signed_in"] else None)


def test_agents_by_job_number_and_counted_by_state() -> None:
    agents = [
        busy("1010", BusyReason.RING_NO_ANSWER),
        Agent("1002", State.IDLE, since=AGO),
        Agent("999"),
        Agent("1003", State.RINGING, since=AGO),
        busy("1004", BusyReason.MANUAL),
        Agent("1005", State.WRAP_UP, since=AGO),
    ]
    shown = show(agents)
    assert [a["job"] for a in shown["agents"]] == ["999", "1002", "1003", "1004", "1005", "1010"]
    assert shown["summary"] == {
        "signed_in": 5,
        "idle": 1,
        "talking": 1,
        "wrap_up": 1,
        "busy": 2,
        "forced": 1,
    }


def test_a_phone_offline_is_shown_only_while_signed_in() -> None:
    away = Agent("1001", State.BUSY, BusyReason.PHONE_UNREACHABLE, AGO, phone_reachable=False)
    assert show([away])["agents"][0]["phone_offline"] is True
    assert show([Agent("1001", phone_reachable=False)])["agents"][0]["phone_offline"] is False


def test_queues_with_their_waiting_callers_and_longest_wait() -> None:
    queues = [QueueView("12333", 3, 75.4), QueueView("hotline-owners", 0, None)]
    shown = show([], queues=queues)["queues"]
    assert shown[0] == {
        "queue": "12333",
        "waiting": 3,
        "longest_wait": "01:15",
        "longest_wait_s": 75.4,
    }
    assert shown[1]["longest_wait"] == "—"


def test_todays_figures_are_the_reports_formatted() -> None:
    today = {"rate_15s": 0.9123, "rate_answered": None, "answered": 40, "abandoned_queue": 3}
    figures = Figures(today, 7, 2, Staffing("10:00", 6), NOW)
    shown = show([Agent("1001", State.IDLE, since=AGO)], figures)
    view = shown["figures"]
    assert view["rates"] == {"rate_15s": "91.2%", "rate_answered": "—"}
    assert view["counts"]["answered"] == 40 and view["counts"]["abandoned_queue"] == 3
    assert view["counts"]["asked_for_agent"] == 0
    assert (view["callbacks_open"], view["callbacks_overdue"]) == (7, 2)
    assert (view["staffing_starts"], view["staffing_needed"]) == ("10:00", 6)
    assert shown["staffing_short"] == "缺 5 人"  # six needed, one signed in
    assert view["at"] == "数据更新于 02:00:00"


def test_no_shortfall_shown_when_enough_are_signed_in_or_nothing_is_known() -> None:
    enough = Figures(staffing=Staffing("10:00", 1))
    assert show([Agent("1001", State.IDLE, since=AGO)], enough)["staffing_short"] == ""
    assert show([], Figures())["staffing_short"] == ""


def test_staffing_for_the_half_hour_now_and_callbacks_counted() -> None:
    halves = [HalfHour(s, 1.0, 200.0, s % 5, None, None) for s in range(48)]
    assert staffing_now(halves, 19) == Staffing("09:30", 4)
    counts = {
        "live": {"voicemail": {"open": 2, "dialling": 1}, "escalation": {"open": 3}},
        "overdue": {"voicemail": 1, "escalation": 2},
        "dispatch_lag_s": 0.0,
    }
    assert callback_counts(counts) == (6, 3)


def test_queue_callers_from_joins_leaves_and_a_status_reading() -> None:
    callers = QueueCallers(("12333",))
    assert callers.view(100.0) == [QueueView("12333", 0, None)]
    callers.join("12333", "c1", 100.0)
    callers.join("12333", "c2", 130.0)
    assert callers.view(160.0) == [QueueView("12333", 2, 60.0)]
    callers.leave("12333", "c1")
    callers.leave("12333", "never-joined")
    assert callers.view(160.0) == [QueueView("12333", 1, 30.0)]
    # Asterisk's reading replaces what the events said (callers from before a restart)
    callers.read(["12333", "hotline-owners"], [("hotline-owners", "c9", 42.0)], 200.0)
    assert callers.view(200.0) == [
        QueueView("12333", 0, None),
        QueueView("hotline-owners", 1, 42.0),
    ]


def rows() -> ChartRows:
    hour = QualityRow("09", {"calls": 12, "answered": 10, "rate_two_rings": 0.75}, {})
    agent = QualityRow("1001", {"wrap_up_avg_s": 21.5, "wrap_ups_over_30s": 1}, {})
    return ChartRows([hour], [agent])


@pytest.mark.parametrize("name", NAMES)
def test_each_chart_is_svg_with_no_script_from_elsewhere(name: str) -> None:
    svg = render(name, rows(), Language.ZH).decode()
    assert svg.startswith("<?xml") and "<svg" in svg
    # pygal links its tooltips' script from its site unless told not to
    assert re.findall(r"<script[^>]*(?:src|href)=", svg) == []
    title = {"calls": "每小时来电", "two_rings": "两声内接起率", "wrap_up": "话后处理时长"}
    assert title[name] in svg
    empty = render(name, ChartRows([], []), Language.ZH).decode()
    assert "暂无数据" in empty  # pygal's own words are English


# ---- the feed: one snapshot per burst, the newest per client -----------------------------


class Agents:
    """What the feed reads of ``AgentService``: agents, members, subscribe."""

    def __init__(self) -> None:
        self.agents = {"1001": Agent("1001", State.IDLE, since=AGO)}
        self.members = {"1001": SimpleNamespace(name="张三")}
        self.listeners: list[Any] = []

    def subscribe(self, listener: Any) -> Any:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def change(self, agent: Agent) -> None:
        self.agents[agent.job_number] = agent
        for listener in self.listeners:
            listener(SimpleNamespace(after=agent))


class Queues:
    def view(self) -> list[QueueView]:
        return []

    async def resync(self) -> None:
        return None


class Stream:
    """A client: each write is an event; ``slow`` holds every write until released."""

    def __init__(self, slow: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self.gate = asyncio.Event()
        self.wrote = asyncio.Event()
        if not slow:
            self.gate.set()

    async def write(self, data: bytes) -> None:
        await self.gate.wait()
        text = data.decode()
        if text.startswith("event: board"):
            self.events.append(json.loads(text.split("data: ", 1)[1]))
            self.wrote.set()


async def figures() -> Figures:
    return Figures(at=NOW)


async def until(stream: Stream, condition: Any) -> None:
    """Until ``condition`` holds, checked after each board the stream writes."""
    async with asyncio.timeout(2):
        while not condition():
            stream.wrote.clear()
            await stream.wrote.wait()


async def test_a_burst_of_changes_is_one_snapshot_and_a_slow_client_skips_to_the_newest() -> None:
    agents = Agents()
    feed = BoardFeed(
        agents,  # type: ignore[arg-type]
        Queues(),  # type: ignore[arg-type]
        figures,
        lambda: NOW,
        keepalive_s=5,
        min_interval_s=0.05,
        figures_every_s=60,
    )
    fast, slow = Stream(), Stream(slow=True)
    clients = [
        asyncio.create_task(feed.stream(fast, Language.ZH)),  # type: ignore[arg-type]
        asyncio.create_task(feed.stream(slow, Language.ZH)),  # type: ignore[arg-type]
    ]
    await until(fast, lambda: fast.events and fast.events[-1]["figures"]["at"])
    before = feed.latest.version if feed.latest else 0
    for n in range(50):  # 50 changes in one go: the board is drawn once for them
        agents.change(Agent("1001", State.BUSY, BusyReason.MANUAL if n % 2 else None, AGO))
    agents.change(busy("1001", BusyReason.SUPERVISOR))
    await until(fast, lambda: fast.events[-1]["agents"][0]["reason"] == "supervisor")
    assert feed.latest is not None and feed.latest.version == before + 1
    # the slow client, released, gets its first board and then only the newest
    slow.gate.set()
    await until(
        slow, lambda: slow.events and slow.events[-1]["agents"][0]["reason"] == "supervisor"
    )
    assert len(slow.events) <= 3
    await feed.close()
    await asyncio.wait_for(asyncio.gather(*clients), 2)  # every stream ends at close
