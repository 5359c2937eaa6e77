"""The agent's case work: escalate (R11a), transfer to a department (R11b), my callbacks
(R12), and the admin's department numbers."""

from __future__ import annotations

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
