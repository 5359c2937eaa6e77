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


class Sessions:
    def __init__(self, pool: Any, lifetime: timedelta = SESSION_LIFETIME) -> None:
        self.pool = pool
        self.lifetime = lifetime

    async def create(self, actor: Actor) -> str:
        """A new session for ``actor``; the token to hand to the client."""
        token, hashed = new_session_token()
        expires_at = datetime.now(UTC) + self.lifetime
        await self.pool.execute(
            Q["create_session"], hashed, actor.job_number, actor.role.value, expires_at
        )
        return token

    async def actor(self, token: str) -> Actor | None:
        """Who holds this token, or ``None`` if it is unknown or expired."""
        row = await self.pool.fetchrow(Q["session"], token_hash(token))
        return Actor(row["job_number"], Role(row["role"])) if row else None
