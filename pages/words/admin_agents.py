"""The admin's accounts and desk-phone pages (``/admin/agents``, ``/admin/phones``)."""

from __future__ import annotations

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
