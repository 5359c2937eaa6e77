"""Named SQL blocks and the bundled migrations."""

from __future__ import annotations

from pathlib import Path

import pytest

import db
from core.errors import MigrationError
from db.migrate import bundled_migrations
from db.sql import parse_queries


def test_named_blocks_are_split_by_name() -> None:
    text = "-- name: one\nSELECT 1;\n\n-- name: two\nSELECT $1;\n"
    assert parse_queries(text) == {"one": "SELECT 1;", "two": "SELECT $1;"}


def test_a_name_defined_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        parse_queries("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n")


MIGRATIONS = Path(db.__file__).parent / "migrations"


def test_every_sql_file_in_migrations_is_bundled() -> None:
    """A misnamed file (``5_x.sql``, ``0005-x.sql``) would be skipped without a word."""
    on_disk = sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    assert [m.name for m in bundled_migrations()] == on_disk
    assert on_disk[0].startswith("0001_")


class _Dir:
    """A migrations folder listed in the order given (a file system promises none)."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def joinpath(self, _name: str) -> _Dir:
        return self

    def iterdir(self) -> list[_File]:
        return [_File(name) for name in self.names]


class _File:
    def __init__(self, name: str) -> None:
        self.name = name

    def read_text(self, encoding: str) -> str:
        return f"-- {self.name}"


def test_migrations_are_applied_in_number_order_whatever_the_listing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = _Dir("0010_c.sql", "0002_b.sql", "README.md", "0001_a.sql", "0003_d.sql~")
    monkeypatch.setattr("db.migrate.resources.files", lambda _package: folder)
    assert [(m.version, m.sql) for m in bundled_migrations()] == [
        ("0001", "-- 0001_a.sql"),
        ("0002", "-- 0002_b.sql"),
        ("0010", "-- 0010_c.sql"),
    ]


def test_two_migrations_with_one_number_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _Dir("0001_a.sql", "0002_b.sql", "0002_c.sql")
    monkeypatch.setattr("db.migrate.resources.files", lambda _package: folder)
    with pytest.raises(MigrationError, match="share a number"):
        bundled_migrations()
