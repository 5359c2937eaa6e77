"""Which failures mean "the database is not there" (503) and which are bugs (500)."""

from __future__ import annotations

import asyncpg
import pytest

from db.errors import DatabaseUnavailable, unavailable


@pytest.mark.parametrize(
    ("exc", "gone"),
    [
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
        (asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"), True),
        (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), True),
        (asyncpg.exceptions.TooManyConnectionsError("too many clients"), True),
        (asyncpg.InterfaceError("pool is closed"), True),
        (asyncpg.InterfaceError("cannot call Connection.fetch(): released back to the pool"), True),
        (asyncpg.InterfaceError("another operation is in progress"), False),
        (asyncpg.exceptions.UniqueViolationError("duplicate key"), False),
        (asyncpg.exceptions.UndefinedColumnError("no such column"), False),
        (ConnectionRefusedError("refused, but not from asyncpg"), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_counts_as_the_database_gone(exc: BaseException, gone: bool) -> None:
    translated = unavailable(exc)
    assert (translated is not None) is gone
    if translated is not None:
        assert isinstance(translated, DatabaseUnavailable)
        assert translated.code == "db.unavailable" and translated.__cause__ is exc
