"""The admin's dial-plan editor, prompts, schedule and calendar, categories."""

from __future__ import annotations

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
