"""The desk-phone service as the composition root builds it: the publisher on an AMI
session of its own (``hotline-publish``, as the dial plans'), the ranges from
``Settings``, and the service's phone lists kept up to date with what is published."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg

from accounts.model import parse_extensions
from accounts.service import AccountService
from agent_state.seats import holders
from agent_state.service import AgentService
from ami.client import publish_session
from core import names
from core.errors import ConfigError
from core.settings import Settings
from deskphones import repo
from deskphones.model import DeskPhone, render_files
from deskphones.publish import AsteriskPhonePublisher, PhonePublisher
from deskphones.service import PhoneService


def phones_folder(settings: Settings) -> Path:
    """Asterisk's ``<config dir>/names.PHONES_DIR`` as this host sees it."""
    inside = settings.asterisk_config_dir.lstrip("/")
    return settings.asterisk_root / inside / names.PHONES_DIR


class SessionPhonePublisher:
    """An ``AsteriskPhonePublisher`` on an AMI session opened for one publish."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def publish(self, phones: Sequence[DeskPhone], within: frozenset[str]) -> None:
        s = self.settings
        async with publish_session(s) as ami:
            await AsteriskPhonePublisher(ami, phones_folder(s)).publish(phones, within)


def ranges(settings: Settings) -> tuple[frozenset[str], frozenset[str]]:
    """(the static phones, the published phones' range); refused if they meet."""
    try:
        static = parse_extensions(settings.desk_phones)
        within = parse_extensions(settings.published_phones)
    except ValueError as exc:
        raise ConfigError(f"setting desk_phones or published_phones: {exc}") from exc
    if static & within:
        clash = sorted(static & within)[:3]
        raise ConfigError(f"published_phones overlaps desk_phones (e.g. {', '.join(clash)})")
    return static, within


def phone_service(
    settings: Settings,
    pool: Any,
    agents: AgentService,
    accounts: AccountService,
    publisher: PhonePublisher | None = None,
) -> PhoneService:
    """The service; each change (and the load at start-up) reaches the phones the
    accounts may be given and the hot desks' list: the static ones and the active
    published ones (while ``desk_phones`` is empty, any phone, as before)."""
    static, within = ranges(settings)

    def held(extension: str) -> bool:
        return extension in holders(agents.members, agents.agents)

    service = PhoneService(
        pool, publisher or SessionPhonePublisher(settings), within=within, static=static, held=held
    )

    def known(active: frozenset[str]) -> None:
        phones = static | active if static else frozenset()
        accounts.phones = phones
        agents.desks = dataclasses.replace(agents.desks, phones=phones)

    service.on_change(known)
    return service


async def stored_files(database_url: str) -> dict[str, str]:
    """The files of ``names.PHONES_DIR`` for the phones as stored (``hotline sandbox up``
    writes them, so Asterisk starts with every published phone)."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        return render_files(await repo.phones(conn))
    finally:
        await conn.close()
