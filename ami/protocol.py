"""panoramisk's protocol, with incremental UTF-8 decoding, typed events, and no
exception escaping into the event loop.

panoramisk 1.4 decodes every TCP chunk on its own with ``errors='ignore'``, so a
Chinese character split across two reads vanishes (asterisk.md §7.7); and an
exception raised while handling a message closes the connection (§7.3). Here, replies
to our actions still go through panoramisk (it resolves their futures); events are
parsed straight into typed events and handed to the client. A list action Asterisk
refuses ends at its ``Response: Error`` instead of waiting for items that never come.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from ami.errors import AmiConnectionLost
from ami.events import Event, parse_event, parse_headers
from core.logging import get_logger

log = get_logger("ami")

SEPARATOR = "\r\n\r\n"
BANNER = "Asterisk Call Manager/"


def _ignore(_event: Event) -> None:
    return None


class GuardedProtocol(AMIProtocol):  # type: ignore[misc]
    version: str | None
    responses: dict[str, Any]
    on_event: Callable[[Event], None] = _ignore

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""

    def data_received(self, data: bytes) -> None:
        text = self._buffer + self._decoder.decode(data)
        if self.version is None:
            if len(text) < len(BANNER) and BANNER.startswith(text):
                self._buffer = text
                return
            if text.startswith(BANNER):
                line, sep, rest = text.partition("\r\n")
                if not sep:
                    self._buffer = text
                    return
                self.version = line[len(BANNER) :].strip()
                text = rest
        *complete, self._buffer = text.split(SEPARATOR)
        for raw in complete:
            try:
                self._handle_raw(raw.strip("\r\n"))
            except Exception:
                log.exception("ami message handling failed", ami_message=raw[:2000])

    def _handle_raw(self, raw: str) -> None:
        if not raw:
            return
        headers = parse_headers(raw)
        action_id = headers.get("ActionID")
        if action_id is not None and action_id in self.responses:
            message = Message.from_line(raw)
            if message is not None:
                self.handle_message(message)
                self._end_refused_list(action_id, message)
            return
        if "Event" in headers:
            event = parse_event(headers)
            self.on_event(event)
            if event.NAME == "Shutdown":
                self.transport.close()  # Asterisk is going away: reconnect from scratch

    def _end_refused_list(self, action_id: str, message: Message) -> None:
        """panoramisk waits for a list action's items after any first reply, even
        ``Response: Error`` (a permission denied, say), after which none follow: the
        action would hang until its timeout. A refusal ends it at once."""
        action = self.responses.get(action_id)
        if action is None or action.future.done() or len(action.responses) != 1:
            return
        if message.get("response", "").lower() != "error":
            return
        self.responses.pop(action_id, None)
        if action.id is not None:
            self.responses.pop(action.id, None)
        action.future.set_result([message])

    def close(self) -> None:
        # Fail what is in flight now, instead of leaving futures that never resolve
        # or handing them to panoramisk's replay-on-FullyBooted (§7.4, §7.8).
        for action in list(getattr(self, "responses", {}).values()):
            if not action.future.done():
                action.future.set_exception(
                    AmiConnectionLost(f"connection lost during {action.get('action', '?')}")
                )
                action.future.exception()  # retrieved: no "never retrieved" warning
        super().close()
