"""The pages' words, one module per area of the pages (each a ``ZH`` and an ``EN``
dict keyed by message id; ``pages.i18n`` joins them and refuses an id defined twice).
A new area adds its module here."""

from __future__ import annotations

from types import ModuleType

from pages.words import admin_agents, admin_plans, casework, common, console, reports, wallboard

AREAS: tuple[ModuleType, ...] = (
    common,
    console,
    casework,
    wallboard,
    admin_agents,
    admin_plans,
    reports,
)
