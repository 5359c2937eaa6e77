"""The voicemail spool: the callers' messages as Asterisk keeps them on disk.

``<asterisk_root>/<voicemail_spool_dir>/<VOICEMAIL_CONTEXT>/<VOICEMAIL_BOX>/INBOX/`` holds
``msgNNNN.txt`` (callerid, origtime, duration, msg_id: asterisk.md §3) next to
``msgNNNN.wav``. The spool, not CEL, is the record of the messages left while the
service was down: CEL says a channel ran ``VoiceMail()`` but carries no ``msg_id`` (the
key a message is taken in by, exactly once) and cannot say whether a message was kept;
the spool is what Asterisk itself keeps — a message is there if and only if it exists,
with its ``msg_id``. ``msgNNNN`` numbers shift when a message is removed, so a message
is always found again by its ``msg_id``, never by its file name.

``parse_message`` is pure; ``Spool`` reads the folder (a few small files) and finds a
message's recording, refusing anything that would lead outside the box.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core import names
from core.logging import get_logger

log = get_logger("callback")

FOLDERS = ("INBOX", "Old")  # nobody listens through Asterisk, but a message moved is kept
MSG_ID = re.compile(r"[0-9a-f][0-9a-f-]{0,39}")  # Asterisk's "<time>-<counter hex>"
_MSG_FILE = re.compile(r"msg[0-9]{4}")
_ANGLED = re.compile(r"<([^<>]*)>\s*$")
TXT_MAX = 16_384  # a message's .txt is a few hundred bytes; more is not one of Asterisk's


@dataclass(frozen=True)
class SpoolMessage:
    msg_id: str
    caller_id: str  # the number part of ``callerid`` as Asterisk wrote it (unchecked)
    left_at: datetime  # origtime
    duration_s: int
    name: str = ""  # msgNNNN: where it is now (it may shift)


def caller_number(callerid: str) -> str:
    """``"Name" <13800138000>`` → ``13800138000``; ``13800138000`` as is; ``Unknown`` →
    itself (the number check refuses it later)."""
    value = callerid.strip()
    angled = _ANGLED.search(value)
    if angled:
        return angled.group(1).strip()
    return value.strip('"').strip()


def parse_message(text: str, name: str = "") -> SpoolMessage | None:
    """One ``msgNNNN.txt``; ``None`` when it has no usable ``msg_id`` or ``origtime``
    (Asterisk writes the .txt in one go, but a half-written file can be read)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith((";", "[")):
            fields.setdefault(key.strip(), value.strip())
    msg_id = fields.get("msg_id", "")
    origtime = fields.get("origtime", "")
    if not MSG_ID.fullmatch(msg_id) or not origtime.isdigit() or len(origtime) > 12:
        return None
    duration = fields.get("duration", "")
    return SpoolMessage(
        msg_id=msg_id,
        caller_id=caller_number(fields.get("callerid", "")),
        left_at=datetime.fromtimestamp(int(origtime), UTC),
        duration_s=int(duration) if duration.isdigit() and len(duration) < 9 else 0,
        name=name,
    )


class Spool:
    """The callback box's folders under Asterisk's file system as seen from here."""

    def __init__(self, asterisk_root: Path, spool_dir: str) -> None:
        self.box = (
            Path(asterisk_root)
            / spool_dir.lstrip("/")
            / names.VOICEMAIL_CONTEXT
            / names.VOICEMAIL_BOX
        )

    def messages(self) -> list[SpoolMessage]:
        """Every message in the box, oldest first; unreadable files are logged and left."""
        found = []
        for txt in self._txt_files():
            message = self._read(txt)
            if message is not None:
                found.append(message)
        return sorted(found, key=lambda m: (m.left_at, m.msg_id))

    def recording(self, msg_id: str) -> Path | None:
        """The .wav of the message ``msg_id``, or ``None`` when it is gone."""
        txt = self._txt_of(msg_id)
        if txt is None:
            return None
        wav = txt.with_suffix(".wav")
        return wav if self._inside(wav) and wav.is_file() else None

    def folder_of(self, msg_id: str) -> str | None:
        """The folder (``INBOX``, ``Old``) that holds the message ``msg_id``; ``None``
        when it is in none (removed)."""
        txt = self._txt_of(msg_id)
        return txt.parent.name if txt is not None else None

    def readable(self) -> bool:
        """The box is there to be read: a message not found in it is really gone (and not
        only out of sight, e.g. a wrong ``asterisk_root``)."""
        try:
            return self.box.is_dir() and any(True for _ in self.box.iterdir())
        except OSError:
            return False

    def _txt_of(self, msg_id: str) -> Path | None:
        if not MSG_ID.fullmatch(msg_id):
            return None
        for txt in self._txt_files():
            message = self._read(txt)
            if message is not None and message.msg_id == msg_id:
                return txt
        return None

    def _txt_files(self) -> list[Path]:
        files: list[Path] = []
        for folder in FOLDERS:
            where = self.box / folder
            try:
                entries = list(where.iterdir())
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("voicemail folder not readable", folder=str(where), error=str(exc))
                continue
            files.extend(p for p in entries if p.suffix == ".txt" and _MSG_FILE.fullmatch(p.stem))
        return sorted(files)

    def _read(self, txt: Path) -> SpoolMessage | None:
        if not self._inside(txt):
            return None
        try:
            with txt.open("rb") as f:
                raw = f.read(TXT_MAX + 1)
        except OSError:  # removed between listing and reading: gone, not an error
            return None
        if len(raw) > TXT_MAX:
            log.warning("voicemail .txt too large; left", file=txt.name)
            return None
        message = parse_message(raw.decode("utf-8", errors="replace"), txt.stem)
        if message is None:
            log.warning("voicemail .txt without msg_id or origtime; left", file=txt.name)
        return message

    def _inside(self, path: Path) -> bool:
        """No symbolic link or ``..`` leads out of the box."""
        try:
            return path.resolve().is_relative_to(self.box.resolve())
        except OSError:
            return False
