"""The quality report pages (``/reports``)."""

from __future__ import annotations

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
