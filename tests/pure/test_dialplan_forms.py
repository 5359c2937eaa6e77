"""The dial-plan editor's view model: the plan as tree rows from its start, a node's
form and back (exactly its JSON form), the validator's problems by node."""

from __future__ import annotations

from typing import Any

import pytest

from dialplan.default_plan import default_plan
from dialplan.model import PlanError
from dialplan.plan_json import parse_plan, plan_to_json
from dialplan.validate import Problem
from pages import dialplan_forms as forms
from tests.dialplan_examples import plan_json


class _Settings:
    entry_number, queue = "12333", "hotline"


EXAMPLE = plan_json(_Settings())


def test_the_tree_walks_from_the_start_depth_first_with_the_way_taken() -> None:
    rows = forms.tree_rows(parse_plan(EXAMPLE))
    head = [(r.node, r.depth, r.via, r.key, r.first) for r in rows[:6]]
    assert head == [
        ("lang", 0, "", "", True),
        ("set_zh", 1, "choices", "1", True),
        ("hours", 2, "next", "", True),
        ("main", 3, "open", "", True),
        ("agents", 4, "choices", "1", True),
        ("after_hours", 5, "when_nobody", "", True),
    ]
    # a node met again is a row without its subtree; every node is shown
    again = [r for r in rows if r.node == "after_hours"]
    assert next(r.first for r in again) and not any(r.first for r in again[1:])
    assert {r.node for r in rows} == {n["id"] for n in EXAMPLE["nodes"]}
    assert all(r.reachable for r in rows)


def test_unreachable_nodes_and_dangling_references_have_rows_of_their_own() -> None:
    plan = dict(EXAMPLE)
    nodes = [dict(n) for n in EXAMPLE["nodes"]]
    nodes[0]["choices"] = {"1": "set_zh", "2": "nowhere"}
    nodes.append({"kind": "hang_up", "id": "orphan"})
    plan["nodes"] = nodes
    rows = forms.tree_rows(parse_plan(plan))
    missing = [r for r in rows if r.node == "nowhere"]
    assert [(r.kind, r.reachable) for r in missing] == [(None, True)]
    assert [(r.node, r.depth, r.reachable) for r in rows[-1:]] == [("orphan", 0, False)]
    assert [r.node for r in rows].count("set_ug") == 1  # only via "2" before; now unreachable
    assert not next(r for r in rows if r.node == "set_ug").reachable


@pytest.mark.parametrize(
    "node",
    EXAMPLE["nodes"] + plan_to_json(default_plan("12333", "hotline"))["nodes"],
    ids=lambda n: n["id"],
)
def test_a_nodes_form_gives_back_exactly_its_json_form(node: dict[str, Any]) -> None:
    values = forms.form_values(node)
    back = forms.node_from_form(node["kind"], node["id"], values)
    canonical = plan_to_json(parse_plan({**EXAMPLE, "nodes": [node]}))["nodes"][0]
    again = plan_to_json(parse_plan({**EXAMPLE, "nodes": [back]}))["nodes"][0]
    assert again == canonical


@pytest.mark.parametrize(
    ("kind", "form", "field"),
    [
        ("menu", {"prompt": "p", "choices": "1 main", "after_retries": "x"}, "choices"),
        ("time_switch", {"hours": "mon 9-17", "open": "a", "closed": "b"}, "hours"),
        ("holiday_greeting", {"greetings": "national_day", "next": "a"}, "greetings"),
    ],
)
def test_what_a_text_field_cannot_say_is_refused_at_its_field(
    kind: str, form: dict[str, str], field: str
) -> None:
    with pytest.raises(PlanError) as refused:
        forms.node_from_form(kind, "n", form)
    assert refused.value.details["field"] == field


def test_blank_is_unset_and_a_non_number_stays_text_for_parse_plan_to_refuse() -> None:
    form = {"queue": "hotline", "when_nobody": "a", "max_wait_s": "", "announce_every_s": "x5"}
    node = forms.node_from_form("queue", "q", form)
    assert "max_wait_s" not in node and node["announce_every_s"] == "x5"
    assert node["announce_position"] is False
    with pytest.raises(PlanError) as refused:
        parse_plan({**EXAMPLE, "nodes": [node]})
    assert refused.value.details["field"] == "announce_every_s"


@pytest.mark.parametrize("kind", forms.KIND_NAMES)
def test_a_new_node_of_each_kind_parses(kind: str) -> None:
    node = forms.new_node(kind, "added", "lang", "e2e-main", "hotline")
    plan = parse_plan(forms.with_node(EXAMPLE, node))
    assert plan.node("added") is not None


def test_problems_by_node_keeps_the_plans_own_apart() -> None:
    problems = [Problem("a", "x", "m"), Problem(None, "y", "m"), Problem("a", "z", "m")]
    by_node = forms.problems_by_node(problems)
    assert [p.code for p in by_node["a"]] == ["x", "z"] and [p.code for p in by_node[""]] == ["y"]


def test_a_node_replaced_in_place_removed_and_the_plans_own_fields() -> None:
    changed = forms.with_node(EXAMPLE, {"kind": "hang_up", "id": "bye"})
    assert [n["id"] for n in changed["nodes"]] == [n["id"] for n in EXAMPLE["nodes"]]
    assert "sub" not in [n["id"] for n in forms.without_node(EXAMPLE, "sub")["nodes"]]
    form = {"name": "新", "start": "main", "entry_numbers": "12333, 12345"}
    settled = forms.plan_settings(EXAMPLE, form)
    assert (settled["start"], settled["entry_numbers"]) == ("main", ["12333", "12345"])
    assert settled["announce_job_number"] is False
