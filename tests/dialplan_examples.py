"""The plan an admin builds in the end-to-end and browser tests (its JSON form), shared
with the editor's pure tests: a language menu → a time switch → a two-level menu with
a queue, voicemail, a department and a hang-up; a holiday greeting on the holiday branch.
"""

from __future__ import annotations

from typing import Any, Protocol

DEPARTMENT = "88881234"  # the department's number (tests/e2e/test_outbound_trunk.py's UAS)
SILENT = ("e2e-lang", "e2e-main", "e2e-sub", "e2e-closed", "e2e-vm", "e2e-bye")
WISH = "e2e-holiday"  # generated from text through the API, in each language


class Numbers(Protocol):
    """What the plan takes from the settings (``core.settings.Settings`` has both)."""

    @property
    def entry_number(self) -> str: ...

    @property
    def queue(self) -> str: ...


def plan_json(settings: Numbers, start: str = "lang") -> dict[str, Any]:
    """Language → time switch (open all day, every day; a holiday greets, then hangs
    up) → main menu: 1 the queue (nobody: after hours, then voicemail), 2 a department,
    3 a second menu whose 1 hangs up."""

    def menu(ident: str, prompt: str, choices: dict[str, str], after: str) -> dict[str, Any]:
        return {
            "kind": "menu",
            "id": ident,
            "prompt": prompt,
            "choices": choices,
            "after_retries": after,
            "timeout_s": 4,
            "retries": 1,
        }

    all_day = {
        day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    return {
        "name": f"端到端 {start}",
        "entry_numbers": [settings.entry_number],
        "start": start,
        "nodes": [
            menu(start, "e2e-lang", {"1": "set_zh", "2": "set_ug"}, "set_zh"),
            {"kind": "language", "id": "set_zh", "language": "zh", "next": "hours"},
            {"kind": "language", "id": "set_ug", "language": "ug", "next": "hours"},
            {
                "kind": "time_switch",
                "id": "hours",
                "hours": all_day,
                "open": "main",
                "closed": "after_hours",
                "holiday": "holiday",
            },
            {
                "kind": "holiday_greeting",
                "id": "holiday",
                "greetings": {"national_day": WISH},
                "next": "bye",
            },
            menu("main", "e2e-main", {"1": "agents", "2": "dept", "3": "sub"}, "bye"),
            {
                "kind": "queue",
                "id": "agents",
                "queue": settings.queue,
                "when_nobody": "after_hours",
                "max_wait_s": 5,
                "on_max_wait": "after_hours",
            },
            {"kind": "play", "id": "after_hours", "prompt": "e2e-closed", "next": "leave_message"},
            {"kind": "voicemail", "id": "leave_message", "prompt": "e2e-vm"},
            {
                "kind": "transfer",
                "id": "dept",
                "department": "劳动监察",
                "number": DEPARTMENT,
                "on_failure": "after_hours",
            },
            menu("sub", "e2e-sub", {"1": "bye"}, "bye"),
            {"kind": "hang_up", "id": "bye", "prompt": "e2e-bye"},
        ],
    }
