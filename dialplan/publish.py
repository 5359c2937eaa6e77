"""Publishing a compiled plan to Asterisk (an adapter): write the files atomically,
reload the dialplan over AMI with the ``hotline-publish`` user, check that Asterisk
took it, and restore the previous files (and reload again) on any failure.

The check: a partly broken file loads without failing (a bad line is skipped with a
warning, an unreadable ``#include`` is left out), so after ``dialplan reload`` the
publisher reads ``dialplan show`` back and wants every context of the files with at
least the extension count the compiler wrote, the live version's marker
(``names.plan_marker``) among them.

Then the queue settings (``dialplan.queue_settings``, the live version's
announcements): AMI ``QueueReload`` with ``Parameters: yes`` re-reads ``queues.conf``
(and the file it includes) and answers an error when Asterisk cannot parse it (an
addition to a queue that does not exist, a bad line), which counts as not taken. It
re-reads the queues' settings only: dynamic members, their pause state and waiting
callers stay.
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

from ami import AmiActionFailed, AmiClient, AmiError
from core.errors import HotlineError
from core.logging import get_logger
from dialplan.compiler import (
    CALENDAR_FILE,
    ENTRY_FILE,
    PLAN_FILE,
    Compiled,
    count_extensions,
    plan_files,
)
from dialplan.queue_settings import QUEUES_FILE

log = get_logger("dialplan")

_CONTEXT_LINE = re.compile(r"^\[ Context '([^']+)' created by")
_EXTEN_LINE = re.compile(r"^\s+'([^']*)' =>")


class PublishFailed(HotlineError):
    """Asterisk did not take the plan; the previous version is live again."""

    code = "dialplan.publish_failed"


class Publisher(Protocol):
    async def publish(self, compiled: Sequence[Compiled], entry: str, calendar: str) -> None:
        """Make exactly ``compiled`` (the live version first, then those kept for callers
        still in them), ``entry`` (``compile_entry``) and ``calendar``
        (``compile_calendar``) what Asterisk runs; raise ``PublishFailed`` with the
        previous files restored and reloaded if Asterisk does not take them."""
        ...


def parse_dialplan_show(lines: Sequence[str]) -> dict[str, int]:
    """``dialplan show``'s output → each context and how many extensions it has."""
    counts: dict[str, int] = {}
    current: str | None = None
    for line in lines:
        found = _CONTEXT_LINE.match(line)
        if found:
            current = found.group(1)
            counts.setdefault(current, 0)
        elif current is not None and _EXTEN_LINE.match(line):
            counts[current] += 1
    return counts


def missing(expected: Mapping[str, int], loaded: Mapping[str, int]) -> list[str]:
    """What Asterisk lacks of ``expected``: contexts absent or with fewer extensions."""
    return [
        f"{name} ({loaded.get(name, 0)} of {count} extensions)"
        for name, count in sorted(expected.items())
        if loaded.get(name, -1) < count
    ]


def expected_contexts(compiled: Sequence[Compiled], entry: str, calendar: str) -> dict[str, int]:
    """What Asterisk must have after the reload: each version's contexts as the compiler
    counted them (its marker first among them), the entry's and the calendar's."""
    expected = {**count_extensions(entry), **count_extensions(calendar)}
    for version in compiled:
        expected.update(version.contexts)
        expected.setdefault(version.marker, 1)
    return expected


def read_folder(folder: Path) -> dict[str, str]:
    """The plan files now in ``folder`` (what a failed publish puts back)."""
    if not folder.is_dir():
        return {}
    return {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted(folder.iterdir())
        if path.name in (ENTRY_FILE, CALENDAR_FILE, QUEUES_FILE) or PLAN_FILE.fullmatch(path.name)
    }


def write_folder(folder: Path, files: Mapping[str, str], gid: int | None = None) -> None:
    """Make ``files`` the folder's plan files: each written atomically (temp + rename;
    the temp's leading dot keeps it out of the ``*.conf`` include), stale ones removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            if gid is not None:
                os.chown(tmp, 0, gid)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    for stale in set(read_folder(folder)) - set(files):
        (folder / stale).unlink(missing_ok=True)


class AsteriskPublisher:
    """Publishes into ``folder`` (Asterisk's ``<config dir>/names.PLANS_DIR`` as this
    host sees it) and reloads through ``ami``, logged in as ``hotline-publish``."""

    def __init__(
        self, ami: AmiClient, folder: Path, *, gid: int | None = None, check_timeout_s: float = 5.0
    ) -> None:
        self.ami = ami
        self.folder = folder
        self.gid = gid
        self.check_timeout_s = check_timeout_s
        self._lock = asyncio.Lock()

    async def publish(self, compiled: Sequence[Compiled], entry: str, calendar: str) -> None:
        files = plan_files(compiled, entry, calendar)
        expected = expected_contexts(compiled, entry, calendar)
        async with self._lock:
            started = time.monotonic()
            previous = read_folder(self.folder)
            write_folder(self.folder, files, self.gid)
            try:
                await self._reload_and_check(expected)
            except (AmiError, _NotTaken) as exc:
                await self._restore(previous)
                version = compiled[0].version if compiled else None
                log.error("dial plan not taken; previous restored", version=version, error=str(exc))
                raise PublishFailed(
                    f"Asterisk did not take dial plan version {version}: {exc}; "
                    "the previous version is live again",
                    version=version,
                ) from exc
        log.info(
            "dial plan published",
            versions=[c.version for c in compiled],
            contexts=len(expected),
            seconds=round(time.monotonic() - started, 3),
        )

    async def _reload_and_check(self, expected: Mapping[str, int]) -> None:
        await self.ami.command("dialplan reload", timeout=self.check_timeout_s)
        await self._check_dialplan(expected)
        try:
            await self._reload_queue_settings()
        except AmiActionFailed as exc:
            raise _NotTaken(f"the queue settings ({QUEUES_FILE}): {exc}") from exc

    async def _reload_queue_settings(self) -> None:
        headers = {"Parameters": "yes", "Members": "no", "Rules": "no"}
        await self.ami.action("QueueReload", headers, as_list=False, timeout=self.check_timeout_s)

    async def _check_dialplan(self, expected: Mapping[str, int]) -> None:
        deadline = time.monotonic() + self.check_timeout_s
        while True:
            loaded = parse_dialplan_show(
                await self.ami.command("dialplan show", timeout=self.check_timeout_s)
            )
            lacking = missing(expected, loaded)
            if not lacking:
                return
            if time.monotonic() >= deadline:  # a reload Asterisk queued may still land
                raise _NotTaken("Asterisk lacks " + ", ".join(lacking[:5]))
            await asyncio.sleep(0.1)

    async def _restore(self, previous: Mapping[str, str]) -> None:
        write_folder(self.folder, previous, self.gid)
        try:
            await self.ami.command("dialplan reload", timeout=self.check_timeout_s)
            await self._reload_queue_settings()
        except AmiError as exc:
            log.error("reload after restoring the previous dial plan failed", error=exc.code)


class _NotTaken(Exception):
    """The reload ran, but Asterisk's dialplan lacks what the files define."""
