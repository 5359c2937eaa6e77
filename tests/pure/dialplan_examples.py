"""A dial plan as an admin sends it (JSON), for the validator's and simulator's tests.

greeting → holiday greeting → working hours (Mon–Fri 09:00–13:00, 15:30–19:30) →
open: a language menu (1 Mandarin, 2 Uyghur) → the main menu (1 pension queue,
2 a department, 0 hear again) → …; closed or holiday: after-hours → voicemail.
"""

from __future__ import annotations

import copy
from typing import Any

from dialplan.model import Language, Plan
from dialplan.plan_json import parse_plan
from dialplan.validate import AGENT_GREETING_PROMPTS, Known

WORKING = [["09:00", "13:00"], ["15:30", "19:30"]]

PLAN: dict[str, Any] = {
    "name": "12333 main",
    "entry_numbers": ["12333"],
    "start": "greeting",
    "nodes": [
        {"kind": "play", "id": "greeting", "prompt": "greeting", "next": "holiday"},
        {
            "kind": "holiday_greeting",
            "id": "holiday",
            "greetings": {
                "spring_festival": "holiday-spring_festival",
                "national_day": "holiday-national_day",
            },
            "next": "hours",
        },
        {
            "kind": "time_switch",
            "id": "hours",
            "hours": {day: WORKING for day in ("mon", "tue", "wed", "thu", "fri")},
            "open": "language",
            "closed": "after_hours",
            "holiday": "after_hours",
        },
        {
            "kind": "menu",
            "id": "language",
            "prompt": "choose-language",
            "choices": {"1": "main", "2": "uyghur"},
            "after_retries": "main",
            "retries": 2,
            "invalid_prompt": "invalid",
            "timeout_prompt": "no-key",
        },
        {"kind": "language", "id": "uyghur", "language": "ug", "next": "main"},
        {
            "kind": "menu",
            "id": "main",
            "prompt": "main-menu",
            "choices": {"1": "pension", "2": "labour_inspection", "0": "main"},
            "after_retries": "pension",
        },
        {
            "kind": "queue",
            "id": "pension",
            "queue": "pension",
            "when_nobody": "after_hours",
            "max_wait_s": 300,
            "on_max_wait": "voicemail",
            "keep_place_digit": "1",
            "keep_place": "voicemail",
        },
        {
            "kind": "transfer",
            "id": "labour_inspection",
            "department": "劳动保障监察",
            "number": "09915550000",
            "on_failure": "voicemail",
        },
        {"kind": "play", "id": "after_hours", "prompt": "after-hours", "next": "voicemail"},
        {"kind": "voicemail", "id": "voicemail", "prompt": "voicemail"},
    ],
}

MANDARIN_PROMPTS = frozenset(
    {
        "greeting",
        "holiday-spring_festival",
        "holiday-national_day",
        "choose-language",
        "invalid",
        "no-key",
        "main-menu",
        "after-hours",
        "voicemail",
        *AGENT_GREETING_PROMPTS,
    }
)
# a caller is in Uyghur only from the main menu on
UYGHUR_PROMPTS = frozenset({"main-menu", "after-hours", "voicemail", *AGENT_GREETING_PROMPTS})

KNOWN = Known(
    prompts={Language.MANDARIN: MANDARIN_PROMPTS, Language.UYGHUR: UYGHUR_PROMPTS},
    queues=frozenset({"pension", "medical"}),
)


def plan_json() -> dict[str, Any]:
    """A fresh copy of ``PLAN`` to change."""
    return copy.deepcopy(PLAN)


def node_json(raw: dict[str, Any], node_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(n for n in raw["nodes"] if n["id"] == node_id)
    return found


def changed(**nodes: dict[str, Any]) -> Plan:
    """``PLAN`` with the named nodes' fields changed (``None`` removes a field)."""
    raw = plan_json()
    for node_id, fields in nodes.items():
        node = node_json(raw, node_id)
        for key, value in fields.items():
            if value is None:
                node.pop(key, None)
            else:
                node[key] = value
    return parse_plan(raw)
