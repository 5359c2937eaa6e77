"""DurableWrites against a real PostgreSQL: a write that reached PostgreSQL but whose
reply was lost is journalled, and its replay adds nothing twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from agent_state import repo
from agent_state.model import Agent, CallEnded, State
from db.durable import JOURNALLED, DurableWrites
from db.journal import Arg, Journal
from db.migrate import migrate
from db.pool import open_pool

_AGENT = (
    "INSERT INTO agents (job_number, name, extension, pin_hash)"
    " VALUES ('1001', '测试', '2001', 'x')"
)
_END = CallEnded(wrap_up_s=30.0)
_ON_CALL = Agent("1001", State.ON_CALL)
_WRAP_UP = Agent("1001", State.WRAP_UP, wrap_up_deadline=datetime(2026, 1, 5, 9, tzinfo=UTC))


async def test_a_committed_write_whose_reply_was_lost_is_replayed_without_a_second_row(
    fresh_db: str, tmp_path: Path
) -> None:
    """PostgreSQL stopping (fast shutdown) under a write can commit it and close the
    connection before the reply: the service cannot tell, journals it, replays it."""
    conn = await asyncpg.connect(fresh_db)
    pool = await open_pool(fresh_db, min_size=1, max_size=2)
    try:
        await migrate(conn)
        await conn.execute(_AGENT)

        async def committed_then_cut(db: Any, args: Sequence[Arg]) -> None:
            await repo.write_transition(db, args)
            raise asyncpg.exceptions.ConnectionFailureError("the reply never came")

        journal = Journal(tmp_path / "journal.sqlite3")
        cut = DurableWrites(pool, journal, {repo.TRANSITION: committed_then_cut})
        at = datetime(2026, 1, 5, 8, 59, 30, tzinfo=UTC)
        args = repo.transition_args(_ON_CALL, _WRAP_UP, _END, at)
        assert await cut.write(repo.TRANSITION, args, may_journal=True) is JOURNALLED
        assert journal.depth == 1

        replaying = DurableWrites(pool, journal, {repo.TRANSITION: repo.write_transition})
        assert await replaying.drain()
        assert journal.depth == 0
        rows = await conn.fetch("SELECT event FROM agent_state_audit WHERE job_number = '1001'")
        assert [r["event"] for r in rows] == ["CallEnded"]
        assert await conn.fetchval("SELECT state FROM agent_states") == "wrap_up"
    finally:
        await pool.close()
        await conn.close()


async def test_an_entry_journalled_before_transitions_had_ids_is_still_written(
    fresh_db: str,
) -> None:
    """A journal left by the version before migration 0008 holds 17 parameters."""
    conn = await asyncpg.connect(fresh_db)
    try:
        await migrate(conn)
        await conn.execute(_AGENT)
        at = datetime(2026, 1, 5, 8, 59, 30, tzinfo=UTC)
        args = repo.transition_args(_ON_CALL, _WRAP_UP, _END, at)
        await repo.write_transition(conn, args[:-1])
        assert await conn.fetchval("SELECT count(*) FROM agent_state_audit") == 1
    finally:
        await conn.close()
