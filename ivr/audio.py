"""The adapter for sox and espeak-ng: the only module that starts them.

Each tool runs without a shell (``create_subprocess_exec``): a prompt's text is one
argv item after ``--``, never parsed by anything but espeak-ng. The tools run where
Asterisk's files are: on this host (``chroot`` None), or chrooted into the sandbox's
Debian root, where they are installed (then the paths given here, which are this
host's, are turned into the root's own). Failures become ``AudioToolFailed``.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from core.logging import get_logger
from ivr.prompts import (
    AudioStats,
    AudioToolFailed,
    AudioType,
    WrongAudioType,
    convert_command,
    parse_stats,
    parse_voices,
    stats_command,
    tts_commands,
    voices_command,
)

log = get_logger("ivr")

TOOL_TIMEOUT_S = 60.0
_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


class AudioTools:
    def __init__(self, chroot: Path | None = None, timeout_s: float = TOOL_TIMEOUT_S) -> None:
        self.chroot = chroot
        self.timeout_s = timeout_s

    def inside(self, path: Path) -> str:
        """``path`` (this host's) as the tools see it."""
        if self.chroot is None:
            return str(path)
        try:
            return "/" + str(path.resolve().relative_to(self.chroot.resolve()))
        except ValueError:
            raise AudioToolFailed(
                f"{path} is outside the root the audio tools run in ({self.chroot})"
            ) from None

    async def run(self, argv: list[str]) -> str:
        """Run one tool; its stderr (sox writes its reports there)."""
        # the program is found on this host's PATH; the tools' own PATH is inside
        if self.chroot is not None:
            full = [shutil.which("chroot") or "/usr/sbin/chroot", str(self.chroot), *argv]
        else:
            full = [shutil.which(argv[0]) or argv[0], *argv[1:]]
        try:
            proc = await asyncio.create_subprocess_exec(
                *full,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=_ENV,
            )
        except OSError as exc:
            raise AudioToolFailed(f"cannot start {argv[0]}: {exc.strerror}") from exc
        try:
            async with asyncio.timeout(self.timeout_s):
                out, err = await proc.communicate()
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise AudioToolFailed(f"{argv[0]} took longer than {self.timeout_s:g} s") from None
        if proc.returncode != 0:
            detail = err.decode("utf-8", "replace").strip()[-300:]
            log.warning("audio tool failed", tool=argv[0], rc=proc.returncode, detail=detail)
            raise AudioToolFailed(f"{argv[0]} failed: {detail}", tool=argv[0])
        return (out + err).decode("utf-8", "replace")

    async def synthesize(self, text: str, voice: str, raw: Path, out: Path) -> None:
        """``text`` spoken by espeak-ng's ``voice``, as a wav Asterisk plays, at ``out``."""
        for argv in tts_commands(text, self.inside(raw), self.inside(out), voice):
            await self.run(argv)

    async def convert(self, source: Path, kind: AudioType, out: Path) -> None:
        """An upload of type ``kind`` (by its content) to a wav Asterisk plays."""
        try:
            await self.run(convert_command(self.inside(source), kind, self.inside(out)))
        except AudioToolFailed as exc:
            raise WrongAudioType(
                f"the file looks like {kind.value} but could not be decoded: is it damaged?"
            ) from exc

    async def stats(self, wav: Path) -> AudioStats:
        return parse_stats(await self.run(stats_command(self.inside(wav))))

    async def voices(self) -> frozenset[str]:
        return parse_voices(await self.run(voices_command()))
