"""The supervisor's wallboard (``/wallboard``)."""

from __future__ import annotations

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
