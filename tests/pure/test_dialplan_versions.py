"""Dial-plan versions as data: the state table, the versions kept loaded, labels, and
the node-by-node diff (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialplan.diff import diff_plans, diff_to_json
from dialplan.model import PlanError
from dialplan.plan_json import parse_plan
from dialplan.service import read_plan
from dialplan.versions import TRANSITIONS, Version, VersionState, check_label, kept, may_change
from tests.dialplan_fakes import good_plan

S = VersionState


@pytest.mark.parametrize("old", list(S))
@pytest.mark.parametrize("new", list(S))
def test_a_version_changes_state_only_along_the_table(old: S, new: S) -> None:
    allowed = {(S.PUBLISHING, S.LIVE), (S.PUBLISHING, S.FAILED), (S.LIVE, S.PREVIOUS)}
    assert may_change(old, new) is ((old, new) in allowed)
    assert allowed == TRANSITIONS


def _version(number: int, state: S) -> Version:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Version(number, {}, None, "1099", at, None, None, None, state, None)


def test_the_live_version_and_the_newest_previous_ones_stay_loaded() -> None:
    versions = [
        _version(1, S.PREVIOUS),
        _version(2, S.PREVIOUS),
        _version(3, S.FAILED),
        _version(4, S.PREVIOUS),
        _version(5, S.LIVE),
    ]
    assert [v.version for v in kept(versions, 2)] == [5, 4, 2]
    assert [v.version for v in kept(versions, 0)] == [5]


@pytest.mark.parametrize(
    ("label", "ok"),
    [
        ("工作日 方案-1 (新)", True),
        ("Kazakh·v2", True),
        ("", False),
        (" padded", False),
        ("a;b", False),
        ("a,b", False),
        ("${SHELL(id)}", False),
        ("[evil]", False),
        ("_X.", False),
        ("a/b", False),
        ("😀", False),
        ("a" * 65, False),
    ],
)
def test_labels_hold_nothing_the_dialplan_reads(label: str, ok: bool) -> None:
    if ok:
        assert check_label(label, "name") == label
    else:
        with pytest.raises(PlanError) as raised:
            check_label(label, "name")
        assert raised.value.details["field"] == "name"


def test_a_department_name_is_a_label() -> None:
    plan = good_plan()
    plan["nodes"].append(
        {"kind": "transfer", "id": "dept", "department": "社保;科", "number": "80001234"}
    )
    with pytest.raises(PlanError, match="department"):
        read_plan(plan)


def test_the_diff_names_added_removed_and_changed_nodes_and_entry_numbers() -> None:
    old = good_plan()
    new = good_plan("goodbye")
    new["entry_numbers"] = ["12333", "96123"]
    new["nodes"] = [n for n in new["nodes"] if n["id"] != "leave_message"]
    new["nodes"].append({"kind": "hang_up", "id": "bye"})
    new["nodes"][2]["when_nobody"] = "bye"
    diff = diff_to_json(diff_plans(parse_plan(old), parse_plan(new)))
    assert diff["nodes"]["added"] == ["bye"]
    assert diff["nodes"]["removed"] == ["leave_message"]
    assert diff["nodes"]["changed"] == [
        {"node": "greeting", "fields": [{"field": "prompt", "from": "welcome", "to": "goodbye"}]},
        {
            "node": "agents",
            "fields": [{"field": "when_nobody", "from": "leave_message", "to": "bye"}],
        },
    ]
    assert diff["entry_numbers"] == {"added": ["96123"], "removed": []}
    assert not diff["same"]
    assert diff_to_json(diff_plans(parse_plan(old), parse_plan(old)))["same"]


def test_a_changed_kind_shows_among_the_changed_fields() -> None:
    old, new = good_plan(), good_plan()
    new["nodes"][0] = {"kind": "hang_up", "id": "greeting", "prompt": "welcome"}
    changed = diff_plans(parse_plan(old), parse_plan(new)).changed
    assert [c.field for c in changed[0].fields] == ["kind", "next"]
