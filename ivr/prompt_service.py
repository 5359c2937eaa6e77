"""The prompt library as admins use it: upload, speak a text, listen, delete — a
checklist per request (wazo-agentd's shape), files by ``PromptLibrary``, rows by
``prompt_repo``.

The service runs where Asterisk's files are (the same host, or a shared mount; in
development the sandbox's root): it writes ``<prompts_dir>/<language>/<name>.wav``
there itself. Defaults exist in Mandarin only (R14: Mandarin by default). A Uyghur or
Kazakh prompt exists once an admin uploads it or gives its text in that language:
espeak-ng's ``ug`` and ``kk`` voices cannot honestly read the Chinese wording.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import asyncpg

from core.actor import Actor, Role
from core.errors import Forbidden
from core.logging import get_logger
from core.settings import Settings
from dialplan.model import DEFAULT_LANGUAGE, Language
from ivr import prompt_repo
from ivr.audio import AudioTools
from ivr.prompt_files import PromptLibrary
from ivr.prompt_repo import PromptRecord, Source
from ivr.prompts import (
    DEFAULT_PROMPTS,
    Limits,
    Prompt,
    PromptInUse,
    PromptNotFound,
    default_prompts,
)

log = get_logger("ivr")

# What the service and the fixed dialplan play by name: never deleted, only replaced.
BUILT_IN = frozenset(p.name for p in DEFAULT_PROMPTS)


class LivePlan(Protocol):
    """What the live dial plan plays (the versions part answers it)."""

    async def prompt_use(self, name: str) -> str | None:
        """Where the live plan plays prompt ``name`` (e.g. "version 7, node main_menu"),
        in any language; ``None`` when it does not."""


class NoLivePlan:
    async def prompt_use(self, name: str) -> str | None:
        return None


def limits_of(settings: Settings) -> Limits:
    return Limits(
        max_bytes=settings.prompt_max_bytes,
        min_s=settings.prompt_min_s,
        max_s=settings.prompt_max_s,
        silence_dbfs=settings.prompt_silence_dbfs,
    )


def prompts_folder(settings: Settings) -> Path:
    """The prompts folder as this host sees Asterisk's file system."""
    return settings.asterisk_root / settings.prompts_dir.lstrip("/")


def library_of(settings: Settings) -> PromptLibrary:
    chroot = settings.asterisk_root if settings.audio_tools_in_root else None
    return PromptLibrary(prompts_folder(settings), AudioTools(chroot), limits_of(settings))


def require_admin(actor: Actor) -> Actor:
    if actor.role is not Role.ADMIN:
        raise Forbidden("only an admin edits prompts")
    return actor


class PromptService:
    def __init__(
        self, pool: asyncpg.Pool, library: PromptLibrary, live_plan: LivePlan | None = None
    ) -> None:
        self.pool = pool
        self.library = library
        self.live_plan: LivePlan = live_plan or NoLivePlan()
        self._writing = asyncio.Lock()  # one change at a time: file and row agree

    @classmethod
    def from_settings(cls, settings: Settings, pool: asyncpg.Pool) -> PromptService:
        return cls(pool, library_of(settings))

    # ---- reading ------------------------------------------------------------------------

    async def all(self, actor: Actor) -> list[PromptRecord]:
        require_admin(actor)
        return await prompt_repo.list_all(self.pool)

    def known_prompts(self) -> Mapping[Language, frozenset[str]]:
        """Per language, the prompts Asterisk can play now (the validator's question)."""
        return {lang: self.library.names(lang) for lang in Language}

    def file(self, actor: Actor, language: Language, name: str) -> Path:
        """The wav to listen to."""
        require_admin(actor)
        path = self.library.path(language, name)
        if not path.is_file():
            raise PromptNotFound(f"no prompt {name} in {language.value}")
        return path

    async def history(self, actor: Actor, language: Language, name: str) -> list[dict[str, Any]]:
        require_admin(actor)
        return await prompt_repo.history(self.pool, language, name)

    def writable(self) -> str | None:
        return self.library.writable()

    # ---- changing -----------------------------------------------------------------------

    async def upload(
        self, actor: Actor, language: Language, name: str, chunks: AsyncIterator[bytes]
    ) -> PromptRecord:
        require_admin(actor)
        async with self._writing:
            made, kind = await self.library.from_upload(language, name, chunks)
            record = await prompt_repo.save(
                self.pool,
                made,
                Source.UPLOAD,
                text=None,
                upload_type=kind.value,
                by=actor.job_number,
            )
        log.info(
            "prompt changed",
            by=actor.job_number,
            prompt=name,
            language=language.value,
            source="upload",
        )
        return record

    async def generate(
        self, actor: Actor, language: Language, name: str, text: str
    ) -> PromptRecord:
        require_admin(actor)
        async with self._writing:
            made = await self.library.from_text(language, name, text)
            record = await prompt_repo.save(
                self.pool, made, Source.TTS, text=text, upload_type=None, by=actor.job_number
            )
        log.info(
            "prompt changed",
            by=actor.job_number,
            prompt=name,
            language=language.value,
            source="tts",
        )
        return record

    async def delete(self, actor: Actor, language: Language, name: str) -> None:
        require_admin(actor)
        if language is DEFAULT_LANGUAGE and name in BUILT_IN:
            raise PromptInUse(
                f"{name} is built in: the service plays it itself; upload or generate a"
                " replacement instead of deleting it",
                prompt=name,
            )
        where = await self.live_plan.prompt_use(name)
        if where is not None:
            raise PromptInUse(
                f"the live dial plan plays {name} ({where}): publish a plan without it first",
                prompt=name,
                where=where,
            )
        async with self._writing:
            self.library.remove(language, name)
            await prompt_repo.delete(self.pool, language, name, actor.job_number)
        log.info("prompt deleted", by=actor.job_number, prompt=name, language=language.value)

    # ---- the defaults -------------------------------------------------------------------

    async def ensure_defaults(self, prompts: tuple[Prompt, ...] | None = None) -> int:
        """Make the missing or stale defaults and record each default the service made;
        returns how many files were made."""
        wanted = default_prompts() if prompts is None else prompts
        async with self._writing:
            made = await self.library.ensure_defaults(wanted)
            recorded = {
                r.name
                for r in await prompt_repo.list_all(self.pool)
                if r.language is DEFAULT_LANGUAGE
            }
            for prompt in wanted:
                if prompt.name in recorded and all(m.name != prompt.name for m in made):
                    continue
                ours = await self.library.describe_default(prompt)
                if ours is not None:
                    await prompt_repo.save_default(self.pool, ours, prompt.text)
        return len(made)
