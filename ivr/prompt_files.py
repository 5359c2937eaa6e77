"""The prompt folder on Asterisk's file system: ``<folder>/<language>/<name>.wav``.

Files appear whole or not at all: each is made in ``<folder>/.work`` (the same file
system), made readable by everyone (Asterisk runs as its own user), then renamed into
place. A default prompt carries a stamp (``.<name>.default``) with the text it was
made from: a default whose text changed in the code is made again, while a prompt an
admin made (no stamp) is never overwritten by a default.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from core.logging import get_logger
from dialplan.model import DEFAULT_LANGUAGE, Language
from ivr.audio import AudioTools
from ivr.prompts import (
    SNIFF_BYTES,
    AudioStats,
    AudioType,
    Limits,
    Prompt,
    PromptNotFound,
    PromptsUnwritable,
    WrongAudioType,
    check_audio,
    check_size,
    sniff,
)

log = get_logger("ivr")

WORK = ".work"
FILE_MODE = 0o644
DIR_MODE = 0o755


@dataclass(frozen=True)
class Made:
    """A prompt file as it was put in place."""

    language: Language
    name: str
    stats: AudioStats
    size_bytes: int
    sha256: str


class PromptLibrary:
    def __init__(self, folder: Path, tools: AudioTools, limits: Limits) -> None:
        self.folder = folder
        self.tools = tools
        self.limits = limits

    def path(self, language: Language, name: str) -> Path:
        return self.folder / language.value / f"{name}.wav"

    def _stamp(self, language: Language, name: str) -> Path:
        return self.folder / language.value / f".{name}.default"

    def names(self, language: Language) -> frozenset[str]:
        here = self.folder / language.value
        try:
            return frozenset(p.stem for p in here.iterdir() if p.suffix == ".wav")
        except FileNotFoundError:
            return frozenset()

    def writable(self) -> str | None:
        """``None`` when a prompt can be written here; else why not."""
        try:
            with self.work_dir() as work:
                probe = work / "probe"
                probe.write_bytes(b"")
                os.replace(probe, work / "probe2")
        except OSError as exc:
            return f"{self.folder}: {exc.strerror or exc}"
        return None

    @contextlib.contextmanager
    def work_dir(self) -> Iterator[Path]:
        base = self.folder / WORK
        base.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=base))
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # ---- making prompts ---------------------------------------------------------------

    async def from_text(
        self, language: Language, name: str, text: str, *, default: bool = False
    ) -> Made:
        """``text`` in ``language``'s espeak-ng voice, checked, put in place."""
        with self._workspace() as work:
            out = work / "out.wav"
            await self.tools.synthesize(text, language.espeak_voice, work / "raw.wav", out)
            made = await self._install(language, name, out)
            stamp = self._stamp(language, name)
            if default:
                stamp.write_text(text, encoding="utf-8")
            else:
                stamp.unlink(missing_ok=True)
            return made

    async def from_upload(
        self, language: Language, name: str, chunks: AsyncIterator[bytes]
    ) -> tuple[Made, AudioType]:
        """An upload (wav, mp3, Ogg Vorbis by content), converted, checked, put in place.
        The size limit is enforced while reading: a larger upload is never kept whole."""
        with self._workspace() as work:
            source = work / "upload"
            size = 0
            with source.open("wb") as fh:
                async for chunk in chunks:
                    size += len(chunk)
                    check_size(size, self.limits)
                    fh.write(chunk)
            with source.open("rb") as fh:
                kind = sniff(fh.read(SNIFF_BYTES))
            if kind is None:
                raise WrongAudioType(
                    "the upload is not audio we take: send a WAV, MP3 or Ogg Vorbis file"
                )
            out = work / "out.wav"
            await self.tools.convert(source, kind, out)
            made = await self._install(language, name, out)
            self._stamp(language, name).unlink(missing_ok=True)
            return made, kind

    async def _install(self, language: Language, name: str, wav: Path) -> Made:
        made = await self._describe(language, name, wav)
        check_audio(made.stats, self.limits)
        _put_in_place(wav, self.path(language, name))
        return made

    async def _describe(self, language: Language, name: str, wav: Path) -> Made:
        stats = await self.tools.stats(wav)
        size, digest = _size_and_digest(wav)
        return Made(language, name, stats, size, digest)

    @contextlib.contextmanager
    def _workspace(self) -> Iterator[Path]:
        try:
            with self.work_dir() as work:
                yield work
        except OSError as exc:
            raise PromptsUnwritable(
                f"cannot write the prompts folder {self.folder}: {exc.strerror or exc}"
            ) from exc

    def remove(self, language: Language, name: str) -> None:
        try:
            self.path(language, name).unlink()
        except FileNotFoundError:
            raise PromptNotFound(f"no prompt {name} in {language.value}") from None
        self._stamp(language, name).unlink(missing_ok=True)

    # ---- the defaults -------------------------------------------------------------------

    def default_due(self, prompt: Prompt) -> bool:
        """Missing, or made by us from a text the code no longer has."""
        if not self.path(DEFAULT_LANGUAGE, prompt.name).exists():
            return True
        stamp = self._stamp(DEFAULT_LANGUAGE, prompt.name)
        try:
            return stamp.read_text(encoding="utf-8") != prompt.text
        except FileNotFoundError:
            return False  # an admin's: theirs to keep

    async def describe_default(self, prompt: Prompt) -> Made | None:
        """The default's file when the service made it from ``prompt.text``; else None."""
        if self.default_due(prompt):
            return None
        stamp = self._stamp(DEFAULT_LANGUAGE, prompt.name)
        if not stamp.exists():
            return None
        return await self._describe(
            DEFAULT_LANGUAGE, prompt.name, self.path(DEFAULT_LANGUAGE, prompt.name)
        )

    async def ensure_defaults(self, prompts: Iterable[Prompt]) -> list[Made]:
        """Make the default prompts that are missing or stale (in Mandarin: R14)."""
        made = []
        for prompt in prompts:
            if self.default_due(prompt):
                log.info("generating prompt", prompt=prompt.name, language=DEFAULT_LANGUAGE.value)
                made.append(
                    await self.from_text(DEFAULT_LANGUAGE, prompt.name, prompt.text, default=True)
                )
        return made


def _put_in_place(wav: Path, target: Path) -> None:
    for folder in (target.parent.parent, target.parent):  # the umask may be strict
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(DIR_MODE)
    wav.chmod(FILE_MODE)
    os.replace(wav, target)  # atomic: Asterisk sees the old file or the new one


def _size_and_digest(path: Path) -> tuple[int, str]:
    data = path.read_bytes()
    return len(data), hashlib.sha256(data).hexdigest()
