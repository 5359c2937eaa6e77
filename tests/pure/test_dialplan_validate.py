"""The dial-plan validator: each rule refuses a plan that breaks a call, and lets a
near miss through; every message names the node."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from dialplan.default_plan import DEFAULT_PROMPT_TEXTS, HOLIDAY_GREETINGS, default_plan
from dialplan.model import Language, Menu, Plan, Queue
from dialplan.plan_json import parse_plan
from dialplan.validate import (
    AGENT_GREETING_PROMPTS,
    Known,
    Problem,
    Severity,
    blocking,
    validate,
)
from tests.pure.dialplan_examples import KNOWN, changed, plan_json

BASE = parse_plan(plan_json())


def codes(plan: Plan, known: Known = KNOWN) -> set[tuple[str, str | None]]:
    return {(p.code, p.node) for p in validate(plan, known)}


def test_the_example_plan_has_no_problem() -> None:
    assert validate(BASE, KNOWN) == ()


def _raw(change: Callable[[dict[str, Any]], None]) -> Plan:
    raw = plan_json()
    change(raw)
    return parse_plan(raw)


def _add(node: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda raw: raw["nodes"].append(node)


def _set(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda raw: raw.update(fields)


# (what is wrong, the plan, the code, the node it names); each plan breaks one rule
FAILING: list[tuple[str, Plan, str, str | None]] = [
    (
        "two nodes share an id",
        _raw(_add({"kind": "hang_up", "id": "pension"})),
        "duplicate_node",
        "pension",
    ),
    (
        "a menu key leads nowhere",
        changed(main={"choices": {"1": "pensoin"}}),
        "dangling_node",
        "main",
    ),
    ("the start does not exist", _raw(_set(start="welcome")), "dangling_node", None),
    (
        "a node nobody reaches",
        _raw(_add({"kind": "hang_up", "id": "orphan"})),
        "unreachable_node",
        "orphan",
    ),
    (
        "after hours goes back to the time switch",
        changed(after_hours={"next": "hours"}),
        "loop_without_input",
        "hours",
    ),
    (
        "nobody signed in goes back to the queue",
        changed(pension={"when_nobody": "pension"}),
        "loop_without_input",
        "pension",
    ),
    (
        "two menus only lead to each other",
        changed(
            language={"choices": {"1": "main"}, "after_retries": "main"},
            main={"choices": {"9": "language"}, "after_retries": "language"},
        ),
        "no_way_out",
        "main",
    ),
    (
        "working hours only hang up; only after hours reaches voicemail",
        _raw(
            lambda raw: (
                raw["nodes"].append({"kind": "hang_up", "id": "bye"}),
                raw["nodes"][2].update({"open": "bye"}),
            )
        ),
        "no_help_in_working_hours",
        None,
    ),
    ("a menu without choices", changed(main={"choices": {}}), "menu_no_choices", "main"),
    (
        "a menu that only leads back to itself",
        changed(main={"choices": {"0": "main"}, "after_retries": "main"}),
        "menu_leads_nowhere",
        "main",
    ),
    (
        "a menu that starts again after its last retry",
        changed(main={"after_retries": "main"}),
        "menu_retries_forever",
        "main",
    ),
    (
        "a queue that does not exist",
        changed(pension={"queue": "pensions"}),
        "unknown_queue",
        "pension",
    ),
    (
        "a maximum wait that leads nowhere",
        changed(pension={"on_max_wait": None}),
        "queue_max_wait_incomplete",
        "pension",
    ),
    (
        "where to go after a wait never reached",
        changed(pension={"max_wait_s": None}),
        "queue_max_wait_incomplete",
        "pension",
    ),
    (
        "a keep-place key that leads nowhere",
        changed(pension={"keep_place": None}),
        "queue_keep_place_incomplete",
        "pension",
    ),
    (
        "a keep-place node without a key",
        changed(pension={"keep_place_digit": None}),
        "queue_keep_place_incomplete",
        "pension",
    ),
    (
        "two queue nodes announce differently in one queue",
        _raw(
            _add(
                {
                    "kind": "queue",
                    "id": "pension_again",
                    "queue": "pension",
                    "when_nobody": "after_hours",
                    "announce_every_s": 30,
                }
            )
        ),
        "queue_announce_conflict",
        "pension",
    ),
    (
        "a position announcement that never comes",
        changed(pension={"announce_position": True}),
        "queue_announce_never",
        "pension",
    ),
    (
        "a transfer to the hotline's own number",
        changed(labour_inspection={"number": "12333"}),
        "transfer_to_entry_number",
        "labour_inspection",
    ),
    (
        "an entry number listed twice",
        _raw(_set(entry_numbers=["12333", "09914812333", "12333"])),
        "duplicate_entry_number",
        None,
    ),
    (
        "a time switch without hours",
        changed(hours={"hours": {}}),
        "time_switch_never_open",
        "hours",
    ),
]


@pytest.mark.parametrize(
    ("plan", "code", "node"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING]
)
def test_a_plan_that_breaks_a_rule_is_refused_naming_the_node(
    plan: Plan, code: str, node: str | None
) -> None:
    problems = [p for p in validate(plan, KNOWN) if p.code == code]
    assert node in {p.node for p in problems}, validate(plan, KNOWN)
    for problem in problems:
        if problem.node is not None:
            assert f"'{problem.node}'" in problem.message


# near misses: each looks like a failing case above but is fine
PASSING: list[tuple[str, Plan, str]] = [
    ("a menu key that replays the menu", BASE, "loop_without_input"),
    (
        "a long wait that plays a message and queues again",
        _raw(
            lambda raw: (
                raw["nodes"].append(
                    {"kind": "play", "id": "sorry", "prompt": "voicemail", "next": "pension"}
                ),
                raw["nodes"][6].update({"on_max_wait": "sorry"}),
            )
        ),
        "loop_without_input",
    ),
    ("a menu with one way out", changed(main={"choices": {"0": "main"}}), "menu_leads_nowhere"),
    (
        "a queue without a maximum wait",
        changed(pension={"max_wait_s": None, "on_max_wait": None}),
        "queue_max_wait_incomplete",
    ),
    (
        "a queue without keep-place",
        changed(pension={"keep_place_digit": None, "keep_place": None}),
        "queue_keep_place_incomplete",
    ),
    (
        "two queue nodes announce alike in one queue",
        _raw(
            lambda raw: (
                raw["nodes"].append(
                    {
                        "kind": "queue",
                        "id": "pension_again",
                        "queue": "pension",
                        "when_nobody": "after_hours",
                        "announce_position": True,
                        "announce_every_s": 30,
                    }
                ),
                raw["nodes"][6].update({"announce_position": True, "announce_every_s": 30}),
            )
        ),
        "queue_announce_conflict",
    ),
    (
        "a position announcement every 30 s",
        changed(pension={"announce_position": True, "announce_every_s": 30}),
        "queue_announce_never",
    ),
    (
        "working hours reach only voicemail",
        changed(hours={"open": "voicemail"}),
        "no_help_in_working_hours",
    ),
]


@pytest.mark.parametrize(("plan", "code"), [c[1:] for c in PASSING], ids=[c[0] for c in PASSING])
def test_a_near_miss_is_not_refused(plan: Plan, code: str) -> None:
    assert code not in {p.code for p in validate(plan, KNOWN)}


def test_a_prompt_missing_in_a_language_the_caller_can_be_in_is_named() -> None:
    known = dataclasses.replace(
        KNOWN,
        prompts={
            Language.MANDARIN: KNOWN.prompts[Language.MANDARIN],
            Language.UYGHUR: KNOWN.prompts[Language.UYGHUR] - {"main-menu"},
        },
    )
    (problem,) = validate(BASE, known)
    assert (problem.code, problem.node) == ("missing_prompt", "main")
    assert "'main-menu'" in problem.message and "Uyghur (ug)" in problem.message
    assert "upload" in problem.message and "generate" in problem.message


def test_a_prompt_played_before_the_language_choice_is_needed_in_mandarin_only() -> None:
    # 'choose-language' and 'greeting' have no Uyghur recording: callers hear them in zh
    assert "choose-language" not in KNOWN.prompts[Language.UYGHUR]
    assert validate(BASE, KNOWN) == ()
    known = dataclasses.replace(
        KNOWN,
        prompts={
            **KNOWN.prompts,
            Language.MANDARIN: KNOWN.prompts[Language.MANDARIN] - {"greeting"},
        },
    )
    assert codes(BASE, known) == {("missing_prompt", "greeting")}


def test_the_agent_greeting_missing_in_a_callers_language_is_a_warning() -> None:
    known = dataclasses.replace(
        KNOWN,
        prompts={**KNOWN.prompts, Language.UYGHUR: KNOWN.prompts[Language.UYGHUR] - {"digit-7"}},
    )
    (problem,) = validate(BASE, known)
    assert (problem.code, problem.node, problem.severity) == (
        "missing_agent_greeting_prompt",
        "pension",
        Severity.WARNING,
    )
    assert "digit-7" in problem.message
    assert blocking(validate(BASE, known)) == ()
    assert validate(dataclasses.replace(BASE, announce_job_number=False), known) == ()


def test_a_transfer_only_to_a_known_department() -> None:
    known = dataclasses.replace(KNOWN, departments=frozenset({"09915550001"}))
    assert codes(BASE, known) == {("transfer_number_not_allowed", "labour_inspection")}
    assert validate(BASE, dataclasses.replace(KNOWN, departments=frozenset({"09915550000"}))) == ()


def test_an_entry_number_another_plan_answers_is_refused() -> None:
    known = dataclasses.replace(KNOWN, taken_entry_numbers=frozenset({"12333"}))
    assert ("entry_number_taken", None) in codes(BASE, known)
    assert (
        validate(BASE, dataclasses.replace(KNOWN, taken_entry_numbers=frozenset({"12345"}))) == ()
    )


def test_a_greeting_for_a_holiday_the_calendar_never_names_is_a_warning() -> None:
    known = dataclasses.replace(KNOWN, holidays=frozenset({"spring_festival"}))
    (problem,) = validate(BASE, known)
    assert (problem.code, problem.node, problem.severity) == (
        "unknown_holiday",
        "holiday",
        Severity.WARNING,
    )
    assert "'national_day'" in problem.message
    assert validate(BASE, dataclasses.replace(KNOWN, holidays=frozenset(HOLIDAY_GREETINGS))) == ()


def _menu(plan: Plan, **fields: Any) -> Plan:
    nodes = tuple(
        dataclasses.replace(n, **fields) if isinstance(n, Menu) and n.id == "main" else n
        for n in plan.nodes
    )
    return dataclasses.replace(plan, nodes=nodes)


def test_a_menu_with_a_digit_twice_is_refused() -> None:
    # JSON objects cannot hold a key twice; a plan built in code can
    plan = _menu(BASE, choices=(("1", "pension"), ("1", "labour_inspection")))
    assert ("menu_duplicate_digit", "main") in codes(plan)
    assert ("menu_duplicate_digit", "main") not in codes(
        _menu(BASE, choices=(("1", "pension"), ("2", "pension")))
    )


@pytest.mark.parametrize(
    "plan",
    [
        _menu(BASE, choices=(("1;", "pension"),)),
        _menu(BASE, prompt="main-menu\nsame => n,System(rm)"),
        _menu(BASE, after_retries="${SHELL(id)}"),
        dataclasses.replace(
            BASE,
            nodes=tuple(
                dataclasses.replace(n, queue="pension,1") if isinstance(n, Queue) else n
                for n in BASE.nodes
            ),
        ),
        dataclasses.replace(BASE, entry_numbers=("_X.",)),
    ],
    ids=["digit", "prompt", "reference", "queue", "entry number"],
)
def test_a_value_outside_its_whitelist_is_refused_even_if_built_in_code(plan: Plan) -> None:
    assert "unsafe_value" in {p.code for p in validate(plan, KNOWN)}


def test_only_errors_block_publishing() -> None:
    warning = Problem("main", "menu_retries_forever", "…", Severity.WARNING)
    error = Problem("main", "menu_no_choices", "…")
    assert blocking([warning, error]) == (error,)
    assert error.severity == "error"


def test_the_default_plan_passes() -> None:
    known = Known(
        prompts={Language.MANDARIN: frozenset({*DEFAULT_PROMPT_TEXTS, *AGENT_GREETING_PROMPTS})},
        queues=frozenset({"hotline"}),
        holidays=frozenset(HOLIDAY_GREETINGS),
    )
    plan = default_plan("12333", "hotline")
    assert validate(plan, known) == ()
    assert plan.prompts() <= set(DEFAULT_PROMPT_TEXTS)
