"""What changed between two dial plans, node by node (pure).

Nodes are matched by id: a node only in ``to`` was added, only in ``from`` removed;
one in both whose JSON form differs is changed, with each changed field's old and new
value (a node whose kind changed shows ``kind`` among them). Entry numbers and the
plan's own fields (start, name, R8's announcement) are reported apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dialplan.model import Plan
from dialplan.plan_json import plan_to_json


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class NodeChange:
    node: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class PlanDiff:
    added: tuple[str, ...]  # node ids, in the new plan's order
    removed: tuple[str, ...]  # node ids, in the old plan's order
    changed: tuple[NodeChange, ...]
    entry_numbers_added: tuple[str, ...]
    entry_numbers_removed: tuple[str, ...]
    plan_fields: tuple[FieldChange, ...]  # start, name, announce_job_number

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.entry_numbers_added
            or self.entry_numbers_removed
            or self.plan_fields
        )


PLAN_FIELDS = ("start", "name", "announce_job_number")


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    a, b = plan_to_json(old), plan_to_json(new)
    old_nodes = {n["id"]: n for n in a["nodes"]}
    new_nodes = {n["id"]: n for n in b["nodes"]}
    changed = tuple(
        NodeChange(node_id, _fields(old_nodes[node_id], node))
        for node_id, node in new_nodes.items()
        if node_id in old_nodes and old_nodes[node_id] != node
    )
    return PlanDiff(
        added=tuple(i for i in new_nodes if i not in old_nodes),
        removed=tuple(i for i in old_nodes if i not in new_nodes),
        changed=changed,
        entry_numbers_added=tuple(e for e in b["entry_numbers"] if e not in a["entry_numbers"]),
        entry_numbers_removed=tuple(e for e in a["entry_numbers"] if e not in b["entry_numbers"]),
        plan_fields=tuple(FieldChange(f, a[f], b[f]) for f in PLAN_FIELDS if a[f] != b[f]),
    )


def _fields(old: dict[str, Any], new: dict[str, Any]) -> tuple[FieldChange, ...]:
    keys = [*old, *(k for k in new if k not in old)]
    return tuple(FieldChange(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k))


def diff_to_json(diff: PlanDiff) -> dict[str, Any]:
    def fields(changes: tuple[FieldChange, ...]) -> list[dict[str, Any]]:
        return [{"field": c.field, "from": c.old, "to": c.new} for c in changes]

    return {
        "nodes": {
            "added": list(diff.added),
            "removed": list(diff.removed),
            "changed": [{"node": c.node, "fields": fields(c.fields)} for c in diff.changed],
        },
        "entry_numbers": {
            "added": list(diff.entry_numbers_added),
            "removed": list(diff.entry_numbers_removed),
        },
        "plan": fields(diff.plan_fields),
        "same": diff.empty,
    }
