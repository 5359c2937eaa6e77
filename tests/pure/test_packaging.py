"""Every top-level package of the repository ships and is type-checked: a package
missing from ``pyproject.toml``'s lists would work in the tests (run from the checkout)
and fail where the service is installed."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = {"tests", "bench", "build", "scripts"}


def top_level_packages() -> set[str]:
    return {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_SHIPPED
    }


def test_every_package_ships_and_is_type_checked() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = set(project["tool"]["setuptools"]["packages"])
    checked = set(project["tool"]["mypy"]["packages"])
    found = top_level_packages()
    assert found, "no package found: the pattern is wrong"
    assert found - shipped == set()
    assert found - checked == set()
