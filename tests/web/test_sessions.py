"""Web sessions: a token resolves to who holds it until the session expires; a found
session is remembered (no database round trip per request), never past its expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.actor import Actor, Role
from tests.web.conftest import Floor
from web.sessions import Sessions, token_hash


async def test_a_remembered_session_ends_at_its_expiry(floor: Floor) -> None:
    sessions = Sessions(floor.pool, lifetime=timedelta(seconds=1))
    token = await sessions.create(Actor("1001", Role.AGENT))
    assert await sessions.actor(token) == Actor("1001", Role.AGENT)  # now remembered
    await floor.pool.execute(
        "UPDATE web_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
        token_hash(token),
    )
    # remembered at most until the expiry it had when it was found (1 s after creation)
    deadline = datetime.now(UTC) + timedelta(seconds=3)
    while await sessions.actor(token) is not None:
        assert datetime.now(UTC) < deadline, "a remembered session outlived its expiry"
        await asyncio.sleep(0.05)


async def test_an_unknown_token_is_nobody(floor: Floor) -> None:
    assert await Sessions(floor.pool).actor("x" * 43) is None
