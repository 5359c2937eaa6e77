"""Named SQL blocks and the bundled migrations."""

from __future__ import annotations

import pytest

from db.migrate import bundled_migrations
from db.sql import parse_queries


def test_named_blocks_are_split_by_name() -> None:
    text = "-- name: one\nSELECT 1;\n\n-- name: two\nSELECT $1;\n"
    assert parse_queries(text) == {"one": "SELECT 1;", "two": "SELECT $1;"}


def test_a_name_defined_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        parse_queries("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n")


def test_migrations_are_numbered_in_order() -> None:
    versions = [m.version for m in bundled_migrations()]
    assert versions == sorted(versions) and versions[0] == "0001"
