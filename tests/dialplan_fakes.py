"""Stand-ins shared by the dial-plan tests of the db and web tiers.

``FakePublisher`` takes Asterisk's place: it records each release it is handed and
fails when told to. ``use_stand_ins`` replaces the validator, the simulator and the
compiler with small fakes only while those parts are not built (issue 10 builds them
in parallel); once they are, the tests run against the real ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest

from core.names import plan_context
from dialplan import compiler, simulate, validate
from dialplan.compiler import Compiled, CompileOptions
from dialplan.interim import official_day
from dialplan.model import DEFAULT_LANGUAGE, KIND_OF, Language, Plan, parse_plan, plan_to_json
from dialplan.publish import PublishFailed
from dialplan.service import DialPlanService, FixedCalendar, PlanSettings
from dialplan.simulate import Step, Walk
from dialplan.validate import Known, Problem
from ivr.calendar import Day

QUEUE = "12333"
PROMPTS = frozenset({"welcome", "menu-main", "voicemail-intro", "goodbye"})
TZ = "Asia/Shanghai"


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


def fake_validate(plan: Plan, known: Known) -> tuple[Problem, ...]:
    ids = {n.id for n in plan.nodes}
    problems = []
    for node in plan_to_json(plan)["nodes"]:
        targets = [node.get(k) for k in (*REFS, *REFS_TOO)]
        targets += list(node.get("choices", {}).values())
        for target in targets:
            if target is not None and target not in ids:
                problems.append(
                    Problem(node["id"], "dangling_node", f"{target} does not exist; add it")
                )
    for prompt in plan.prompts():
        if prompt not in known.prompts.get(DEFAULT_LANGUAGE, frozenset()):
            problems.append(Problem(None, "missing_prompt", f"record {prompt} first"))
    return tuple(problems)


SIMULATED: list[tuple[str, datetime, bool]] = []


def fake_simulate(
    plan: Plan,
    keys: str,
    at: datetime,
    day_of: Callable[[date], Day],
    *,
    agents_signed_in: bool = True,
) -> Walk:
    SIMULATED.append((keys, at, agents_signed_in))
    start = plan.node(plan.start)
    assert start is not None
    step = Step(start.id, KIND_OF[type(start)], DEFAULT_LANGUAGE, (), f"day {day_of(at.date())}")
    return Walk((step,), "queue", start.id, keys)


def fake_compile_plan(plan: Plan, version: int, options: CompileOptions) -> Compiled:
    contexts = {plan_context(version, n.id): 1 for n in plan.nodes}
    text = "".join(f"[{c}]\nexten => s,1,NoOp({version})\n" for c in contexts)
    return Compiled(version, text, contexts)


def fake_compile_entry(live: Mapping[str, int], options: CompileOptions) -> str:
    return "".join(f"exten => {n},1,Goto(v{v})\n" for n, v in sorted(live.items()))


def fake_compile_calendar(days: Iterable[Day]) -> str:
    return "".join(f"; {d.day} {d.kind.value}\n" for d in days)


def _unbuilt(call: Callable[[], object]) -> bool:
    try:
        call()
    except NotImplementedError:
        return True
    except Exception:
        return False
    return False


def use_stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = parse_plan(good_plan())
    options = plan_settings().compile
    known = Known({DEFAULT_LANGUAGE: PROMPTS}, frozenset({QUEUE}))
    at = datetime(2026, 3, 2, 10, 0)
    probes: list[tuple[Any, str, Callable[[], object], Any]] = [
        (validate, "validate", lambda: validate.validate(plan, known), fake_validate),
        (
            simulate,
            "simulate",
            lambda: simulate.simulate(plan, "1", at, official_day),
            fake_simulate,
        ),
        (
            compiler,
            "compile_plan",
            lambda: compiler.compile_plan(plan, 1, options),
            fake_compile_plan,
        ),
        (
            compiler,
            "compile_entry",
            lambda: compiler.compile_entry({"12333": 1}, options),
            fake_compile_entry,
        ),
        (
            compiler,
            "compile_calendar",
            lambda: compiler.compile_calendar(()),
            fake_compile_calendar,
        ),
    ]
    for module, name, probe, fake in probes:
        if _unbuilt(probe):
            monkeypatch.setattr(module, name, fake)
