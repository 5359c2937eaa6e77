"""The database boundary's errors: which failures mean "PostgreSQL is not there".

``db/pool.py`` translates failures at connect time; during a request, a query may meet
a server that shut down, a connection that was cut, a pool that is closing, or no
answer at all. ``unavailable`` tells those apart from bugs (a wrong query, a broken
constraint), so the web tier can answer 503 ``db.unavailable`` for the first kind and
keep 500 for the second.
"""

from __future__ import annotations

import asyncpg

from core.errors import DatabaseError


class DatabaseUnavailable(DatabaseError):
    """PostgreSQL did not answer; the request may be retried once it is back."""

    code = "db.unavailable"


# Classes of failures that are about the server or the wire, never about the query:
# 08 connection exceptions, 57 operator intervention (shutdown, cannot connect now,
# statement cancelled), 53300 too many connections.
_SERVER_GONE = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)

# asyncpg's words when the pool or a connection went away under us: "pool is closed",
# "connection is closed", and, for a connection the server cut while a request held it
# (the pool takes it back at once), "connection has been released back to the pool"
_GONE_WORDS = ("closed", "closing", "released back to the pool")


def unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """Our error for ``exc`` if it says the database is unreachable, else ``None``."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    if isinstance(exc, _SERVER_GONE):
        return _translated(exc)
    if isinstance(exc, asyncpg.InterfaceError) and any(w in str(exc) for w in _GONE_WORDS):
        return _translated(exc)
    if isinstance(exc, OSError | TimeoutError) and _raised_in_asyncpg(exc):
        return _translated(exc)  # connection refused while the pool reconnects, no answer
    return None


def _translated(exc: BaseException) -> DatabaseUnavailable:
    error = DatabaseUnavailable("the database is not available; try again shortly")
    error.__cause__ = exc
    return error


def _raised_in_asyncpg(exc: BaseException) -> bool:
    """An ``OSError`` is the database's only if asyncpg was on the stack that raised it
    (a client that hung up raises ``OSError`` too)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        tb = current.__traceback__
        while tb is not None:
            if str(tb.tb_frame.f_globals.get("__name__", "")).startswith("asyncpg"):
                return True
            tb = tb.tb_next
        current = current.__cause__ or current.__context__
    return False
