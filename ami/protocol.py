"""panoramisk's protocol, with incremental UTF-8 decoding and no exception escaping.

panoramisk 1.4 decodes every TCP chunk on its own with ``errors='ignore'``, so a
Chinese character split across two reads vanishes (asterisk.md §7.7); and an
exception raised while handling a message closes the connection (§7.3).
"""

from __future__ import annotations

import codecs
from typing import Any

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from ami.errors import AmiConnectionLost
from core.logging import get_logger

log = get_logger("ami")

SEPARATOR = "\r\n\r\n"
BANNER = "Asterisk Call Manager/"


class GuardedProtocol(AMIProtocol):  # type: ignore[misc]
    version: str | None
    _buffer: str

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""

    def data_received(self, data: bytes) -> None:
        text = self._buffer + self._decoder.decode(data)
        if self.version is None and text.startswith(BANNER):
            line, sep, rest = text.partition("\r\n")
            if not sep:
                self._buffer = text
                return
            self.version = line[len(BANNER) :].strip()
            text = rest
        *complete, self._buffer = text.split(SEPARATOR)
        for raw in complete:
            message = Message.from_line(raw.strip())
            if message is None:
                continue
            try:
                self.handle_message(message)
            except Exception:
                log.exception("AMI message handling failed", ami_message=dict(message))

    def close(self) -> None:
        # Fail what is in flight now, instead of leaving futures that never resolve
        # or handing them to panoramisk's replay-on-FullyBooted (§7.4, §7.8).
        for action in list(getattr(self, "responses", {}).values()):
            if not action.future.done():
                action.future.set_exception(
                    AmiConnectionLost(f"connection lost during {action.get('action', '?')}")
                )
        super().close()
