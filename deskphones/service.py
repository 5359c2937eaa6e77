"""What an admin does to the desk phones it publishes, as a checklist per change:
who may, what the phone must be, then — in one transaction, under one lock — the row
and its audit, every active phone published to Asterisk, and the commit. A publish
Asterisk refuses rolls the transaction back: nothing half-saved, the previous phones
live. Then the listeners (the accounts' and the hot desks' list of phones) hear of it.

A phone an agent is signed in at is not disabled under it (409): sign it out first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from core.actor import Actor, Role
from core.errors import Forbidden, HotlineError, NotFound
from core.logging import get_logger
from deskphones import repo
from deskphones.model import DeskPhone, check_extension, check_password, digest_of, new_phone
from deskphones.publish import PhonePublisher

log = get_logger("deskphones")

Listener = Callable[[frozenset[str]], None]  # the active published phones, after a change


class PhoneConflict(HotlineError):
    """The extension has a phone already, or an agent is signed in at it."""

    code = "phones.conflict"


def utc_now() -> datetime:
    return datetime.now(UTC)


class PhoneService:
    def __init__(
        self,
        pool: Any,
        publisher: PhonePublisher,
        *,
        within: frozenset[str],
        static: frozenset[str],
        held: Callable[[str], bool] = lambda extension: False,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.pool = pool
        self.publisher = publisher
        self.within = within  # the published phones' range (setting published_phones)
        self.static = static  # the template's phones (setting desk_phones)
        self.held = held
        self.clock = clock
        self.active: frozenset[str] = frozenset()
        self._listeners: list[Listener] = []

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def load(self) -> None:
        """The active phones as stored (at start-up), told to the listeners."""
        async with self.pool.acquire() as conn:
            self._published(await repo.phones(conn))

    async def phones(self, actor: Actor) -> list[DeskPhone]:
        _check_admin(actor)
        async with self.pool.acquire() as conn:
            return await repo.phones(conn)

    async def add(self, actor: Actor, extension: object, password: object) -> DeskPhone:
        _check_admin(actor)
        ext = check_extension(extension, self.within, self.static)
        phone = new_phone(ext, check_password(password))
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.lock(conn)
            if await repo.phone(conn, ext) is not None:
                raise PhoneConflict(f"extension {ext} has a desk phone already")
            await repo.insert(conn, phone, self.clock(), actor.job_number)
            published = await self._publish(conn)
        self._published(published)
        log.info("desk phone added", extension=ext, actor=actor.job_number)
        return phone

    async def change_password(self, actor: Actor, extension: str, password: object) -> DeskPhone:
        _check_admin(actor)
        secret = check_password(password)
        return await self._change(
            actor,
            extension,
            "password_changed",
            lambda p: replace(p, digest=digest_of(p.extension, p.realm, secret)),
        )

    async def set_active(self, actor: Actor, extension: str, active: bool) -> DeskPhone:
        _check_admin(actor)
        if not active and self.held(extension):
            raise PhoneConflict(f"an agent is signed in at {extension}: sign it out first")
        what = "enabled" if active else "disabled"
        return await self._change(actor, extension, what, lambda p: replace(p, active=active))

    async def _change(
        self, actor: Actor, extension: str, what: str, change: Callable[[DeskPhone], DeskPhone]
    ) -> DeskPhone:
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.lock(conn)
            current = await repo.phone(conn, extension)
            if current is None:
                raise NotFound(f"no published desk phone {extension}")
            phone = change(current)
            await repo.update(conn, phone, self.clock(), actor.job_number, what)
            published = await self._publish(conn)
        self._published(published)
        log.info("desk phone changed", extension=extension, what=what, actor=actor.job_number)
        return phone

    async def _publish(self, conn: Any) -> list[DeskPhone]:
        """Every phone as this transaction sees it, to Asterisk; its failure rolls back."""
        phones = await repo.phones(conn)
        await self.publisher.publish(phones, self.within)
        return phones

    def _published(self, phones: list[DeskPhone]) -> None:
        self.active = frozenset(p.extension for p in phones if p.active)
        for listener in list(self._listeners):
            listener(self.active)


def require_admin(actor: Actor) -> Actor:
    if actor.role is not Role.ADMIN:
        raise Forbidden("only an admin manages desk phones")
    return actor


_check_admin = require_admin
