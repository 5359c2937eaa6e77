"""Publishing the desk phones to Asterisk (an adapter), the way dial plans are
(``dialplan/publish.py``): write the two files of ``names.PHONES_DIR`` atomically,
reload PJSIP and the dialplan over AMI as ``hotline-publish``, check that Asterisk took
them, and put the previous files back (and reload again) on any failure.

The check: PJSIP skips an object it cannot parse with a warning, so after the reload
the publisher reads ``pjsip show endpoints`` back and wants exactly the active phones
among the endpoints of the published range (a disabled phone's endpoint must be gone),
and ``dialplan show`` must hold both contexts with one extension per active phone.

The files hold each phone's digest (as good as its password against this realm): mode
0640, in the group of Asterisk's own ``pjsip.conf``.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from ami import AmiError
from ami.client import AmiClient
from core import names
from core.errors import HotlineError
from core.logging import get_logger
from deskphones.model import DeskPhone, expected, render_files
from dialplan.publish import parse_dialplan_show

log = get_logger("deskphones")

FILES = (names.PHONES_PJSIP_FILE, names.PHONES_DIALPLAN_FILE)
_ENDPOINT_LINE = re.compile(r"^\s*Endpoint:\s+([^\s/<]+)")
RELOADS = ("module reload res_pjsip.so", "dialplan reload")


class PhonesNotPublished(HotlineError):
    """Asterisk did not take the desk phones; the previous ones are live again."""

    code = "phones.publish_failed"


class PhonePublisher(Protocol):
    async def publish(self, phones: Sequence[DeskPhone], within: frozenset[str]) -> None:
        """Make ``phones`` (the active ones) what Asterisk has of the published range
        ``within``; raise ``PhonesNotPublished`` with the previous files restored."""
        ...


def parse_endpoints(lines: Sequence[str]) -> frozenset[str]:
    """``pjsip show endpoints`` → the endpoints' names."""
    return frozenset(m.group(1) for line in lines if (m := _ENDPOINT_LINE.match(line)))


def lacking(
    phones: Sequence[DeskPhone],
    within: frozenset[str],
    endpoints: frozenset[str],
    contexts: Mapping[str, int],
) -> list[str]:
    """What Asterisk has wrong after a reload: missing or left-over endpoints, contexts
    without their extensions."""
    want = expected(phones)
    problems = [f"no endpoint {e}" for e in sorted(want - endpoints)]
    extra = {e for e in endpoints - want if e in within or e in {p.extension for p in phones}}
    problems += [f"endpoint {e} still there" for e in sorted(extra)]
    for context in (names.PHONES_LOCAL, names.PHONES_LAMPS):
        if want and contexts.get(context, -1) < len(want):
            problems.append(f"{context} ({contexts.get(context, 0)} of {len(want)} extensions)")
    return problems


def read_files(folder: Path) -> dict[str, str]:
    return {n: (folder / n).read_text("utf-8") for n in FILES if (folder / n).is_file()}


def write_files(folder: Path, files: Mapping[str, str]) -> None:
    """Each file atomically (temp + rename), 0640 in ``pjsip.conf``'s group."""
    folder.mkdir(parents=True, exist_ok=True)
    owner = folder.parent / "pjsip.conf"
    gid = owner.stat().st_gid if owner.exists() else None
    for name, text in files.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o640 if gid is not None else 0o600)
            if gid is not None and os.geteuid() == 0:
                os.chown(tmp, 0, gid)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    for stale in set(read_files(folder)) - set(files):
        (folder / stale).unlink(missing_ok=True)


class AsteriskPhonePublisher:
    """Publishes into ``folder`` (``<config dir>/names.PHONES_DIR`` as this host sees
    it) through ``ami`` (the ``hotline-publish`` user: write ``command``)."""

    def __init__(self, ami: AmiClient, folder: Path, *, check_timeout_s: float = 5.0) -> None:
        self.ami = ami
        self.folder = folder
        self.check_timeout_s = check_timeout_s
        self._lock = asyncio.Lock()

    async def publish(self, phones: Sequence[DeskPhone], within: frozenset[str]) -> None:
        files = render_files(phones)
        async with self._lock:
            started = time.monotonic()
            previous = read_files(self.folder)
            write_files(self.folder, files)
            try:
                await self._reload_and_check(phones, within)
            except (AmiError, _NotTaken) as exc:
                await self._restore(previous)
                log.error("desk phones not taken; previous restored", error=str(exc))
                raise PhonesNotPublished(
                    f"Asterisk did not take the desk phones: {exc}; the previous ones are live"
                ) from exc
        log.info(
            "desk phones published",
            phones=len(expected(phones)),
            seconds=round(time.monotonic() - started, 3),
        )

    async def _reload(self) -> None:
        for command in RELOADS:
            await self.ami.command(command, timeout=self.check_timeout_s)

    async def _reload_and_check(self, phones: Sequence[DeskPhone], within: frozenset[str]) -> None:
        await self._reload()
        deadline = time.monotonic() + self.check_timeout_s
        while True:  # a reload Asterisk queued behind another may still land
            endpoints = parse_endpoints(await self.ami.command("pjsip show endpoints"))
            contexts: dict[str, int] = {}
            for context in (names.PHONES_LOCAL, names.PHONES_LAMPS):
                shown = await self.ami.command(f"dialplan show {context}")
                contexts.update(parse_dialplan_show(shown))
            problems = lacking(phones, within, endpoints, contexts)
            if not problems:
                return
            if time.monotonic() >= deadline:
                raise _NotTaken("Asterisk has " + ", ".join(problems[:5]))
            await asyncio.sleep(0.1)

    async def _restore(self, previous: Mapping[str, str]) -> None:
        write_files(self.folder, previous)
        try:
            await self._reload()
        except AmiError as exc:
            log.error("reload after restoring the previous desk phones failed", error=exc.code)


class _NotTaken(Exception):
    """The reload ran, but Asterisk lacks what the files define."""
