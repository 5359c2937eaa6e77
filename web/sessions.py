"""Web sessions: a random bearer token for the client, only its hash in PostgreSQL."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from core.actor import Actor, Role
from db.sql import load_queries

Q = load_queries("web")

SESSION_LIFETIME = timedelta(hours=12)


def new_session_token() -> tuple[str, str]:
    """A random bearer token and the hash that is stored."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# A session found in PostgreSQL is remembered this long (never past its expiry), so a
# request costs no database round trip; a session deleted by hand in the database
# still works for at most this long.
REMEMBER = timedelta(seconds=60)
REMEMBER_MAX = 10_000  # sessions remembered at once; past it the memory starts afresh


class Sessions:
    def __init__(self, pool: Any, lifetime: timedelta = SESSION_LIFETIME) -> None:
        self.pool = pool
        self.lifetime = lifetime
        self._known: dict[str, tuple[Actor, datetime]] = {}  # hash -> (who, until)

    async def create(self, actor: Actor) -> str:
        """A new session for ``actor``; the token to hand to the client."""
        token, hashed = new_session_token()
        expires_at = datetime.now(UTC) + self.lifetime
        await self.pool.execute(
            Q["create_session"], hashed, actor.job_number, actor.role.value, expires_at
        )
        return token

    async def end(self, token: str) -> None:
        """This session ends now (signing out of the pages), stored and remembered."""
        hashed = token_hash(token)
        await self.pool.execute(Q["end_session"], hashed)
        self._known.pop(hashed, None)

    async def end_for(self, job_number: str) -> None:
        """Every session of ``job_number`` ends now (its account changed): stored and
        remembered alike, so the next request signs in again under the new role."""
        await self.pool.execute(Q["end_sessions"], job_number)
        for hashed, (actor, _) in list(self._known.items()):
            if actor.job_number == job_number:
                del self._known[hashed]

    async def actor(self, token: str) -> Actor | None:
        """Who holds this token, or ``None`` if it is unknown or expired."""
        hashed = token_hash(token)
        now = datetime.now(UTC)
        known = self._known.get(hashed)
        if known is not None and known[1] > now:
            return known[0]
        row = await self.pool.fetchrow(Q["session"], hashed)
        if row is None:
            self._known.pop(hashed, None)
            return None
        actor = Actor(row["job_number"], Role(row["role"]))
        if len(self._known) >= REMEMBER_MAX:
            self._known.clear()
        self._known[hashed] = (actor, min(row["expires_at"], now + REMEMBER))
        return actor
