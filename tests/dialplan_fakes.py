"""Stand-ins shared by the dial-plan tests of the db and web tiers.

``FakePublisher`` takes Asterisk's place in these tiers: it records each release it is
handed and fails when told to (tests/e2e/test_dialplan_publish.py is the real thing).
The validator, simulator and compiler are the real ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dialplan.compiler import Compiled, CompileOptions
from dialplan.default_plan import DEFAULT_PROMPT_TEXTS
from dialplan.model import DEFAULT_LANGUAGE, Language
from dialplan.plan_json import parse_plan
from dialplan.problems import AGENT_GREETING_PROMPTS
from dialplan.publish import PublishFailed
from dialplan.service import DialPlanService, FixedCalendar, PlanSettings
from ivr.calendar import Day
from ivr.calendar import day_of as calendar_day_of

QUEUE = "12333"
# the plan's prompts, and R8's (the job-number greeting) that every queue needs
PROMPTS = frozenset({"welcome", "menu-main", "voicemail-intro", "goodbye", *AGENT_GREETING_PROMPTS})
# the shipped plan's prompts (dialplan.default_plan), which the prompts work generates
SHIPPED_PROMPTS = PROMPTS | frozenset(DEFAULT_PROMPT_TEXTS)
TZ = "Asia/Shanghai"


def official_day(day: date) -> Day:
    """The official calendar with no admin overrides or notices."""
    return calendar_day_of(day, {}, {})


def good_plan(welcome: str = "welcome") -> dict[str, Any]:
    """Greeting, a menu (1: the queue, 2: voicemail), the queue, voicemail."""
    return {
        "name": "工作日",
        "entry_numbers": ["12333"],
        "start": "greeting",
        "announce_job_number": True,
        "nodes": [
            {"kind": "play", "id": "greeting", "prompt": welcome, "next": "main"},
            {
                "kind": "menu",
                "id": "main",
                "prompt": "menu-main",
                "choices": {"1": "agents", "2": "leave_message"},
                "after_retries": "agents",
            },
            {"kind": "queue", "id": "agents", "queue": QUEUE, "when_nobody": "leave_message"},
            {"kind": "voicemail", "id": "leave_message", "prompt": "voicemail-intro"},
        ],
    }


def broken_plan() -> dict[str, Any]:
    """A menu choice leads nowhere: every validator refuses it."""
    plan = good_plan()
    plan["nodes"][1]["choices"]["3"] = "nowhere"
    return plan


@dataclass
class FakePublisher:
    fail_with: str | None = None
    releases: list[tuple[tuple[int, ...], str, str]] = field(default_factory=list)

    async def publish(self, compiled: Sequence[Compiled], entry: str, calendar: str) -> None:
        self.releases.append((tuple(c.version for c in compiled), entry, calendar))
        if self.fail_with is not None:
            raise PublishFailed(self.fail_with)

    @property
    def handed(self) -> list[tuple[int, ...]]:
        return [versions for versions, _, _ in self.releases]


@dataclass(frozen=True)
class FakePrompts:
    prompts: frozenset[str] = PROMPTS

    def known_prompts(self) -> Mapping[Language, frozenset[str]]:
        return {DEFAULT_LANGUAGE: self.prompts}


def plan_settings(keep: int = 2) -> PlanSettings:
    return PlanSettings(
        compile=CompileOptions(prompts_dir="/var/lib/hotline/prompts", timezone=TZ),
        queues=frozenset({QUEUE}),
        keep=keep,
        calendar_ahead_days=10,
        default=parse_plan(good_plan()),
    )


def make_service(pool: Any, publisher: FakePublisher, keep: int = 2) -> DialPlanService:
    return DialPlanService(
        pool,
        publisher,
        settings=plan_settings(keep),
        prompts=FakePrompts(),
        calendar=FixedCalendar(official_day),
    )


# ---- fakes of the parts built alongside -------------------------------------------------

REFS = ("next", "after_retries", "open", "closed", "holiday", "when_nobody", "on_max_wait")
REFS_TOO = ("keep_place", "on_failure")
