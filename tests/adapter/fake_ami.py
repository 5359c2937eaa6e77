"""A small fake AMI server on a local socket, for tier-2 tests of the adapter.

It parses actions the way Asterisk does (a line ends at CR LF *or* a bare LF; an empty
line ends the action — asterisk.md §8), so an injected action shows up as a second
action in ``actions``. It can freeze, drop connections, stay silent for chosen
actions, reply wrongly, and send any bytes split at any point.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
Reply = list[dict[str, str]]


@dataclass
class Received:
    connection: int
    headers: dict[str, str]  # the first of a repeated header, as Asterisk reads most
    lines: list[tuple[str, str]] = field(default_factory=list)  # every header, in order

    def all(self, key: str) -> list[str]:
        """Every value of a header that may repeat (``Variable``)."""
        return [v for k, v in self.lines if k == key]

    @property
    def name(self) -> str:
        return self.headers.get("Action", "").lower()


@dataclass
class FakeAmi:
    secret: str = "right-secret-000000"
    fully_booted_on_login: bool = False
    silent_actions: set[str] = field(default_factory=set)  # lowercased names never answered
    replies: dict[str, Callable[[dict[str, str]], Reply]] = field(default_factory=dict)
    actions: list[Received] = field(default_factory=list)
    logins: int = 0
    connections: int = 0
    disconnects: int = 0
    frozen: bool = False
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)
    _server: asyncio.Server | None = None
    port: int = 0

    async def start(self) -> FakeAmi:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.drop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # ---- controls ------------------------------------------------------------------

    def freeze(self) -> None:
        """Like a SIGSTOPped Asterisk: the socket stays open, nothing is answered."""
        self.frozen = True

    def thaw(self) -> None:
        self.frozen = False

    def drop(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()

    def named(self, name: str) -> list[Received]:
        return [a for a in self.actions if a.name == name.lower()]

    async def send_raw(
        self, data: bytes, split_at: tuple[int, ...] = (), gap: float = 0.05
    ) -> None:
        """Send ``data`` to every client, cut at ``split_at`` with a pause between pieces."""
        cuts = [0, *split_at, len(data)]
        for start, end in itertools.pairwise(cuts):
            for writer in list(self._writers):
                writer.write(data[start:end])
                await writer.drain()
            await asyncio.sleep(gap)

    async def send_event(self, **headers: str) -> None:
        await self.send_raw(_encode(headers))

    # ---- the server -----------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self._writers.append(writer)
        writer.write(BANNER)
        headers: dict[str, str] = {}
        lines: list[tuple[str, str]] = []
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                text = line.decode("utf-8", "replace").rstrip("\n").rstrip("\r")
                if text:
                    key, _, value = text.partition(":")
                    headers.setdefault(key.strip(), value.strip())
                    lines.append((key.strip(), value.strip()))
                    continue
                if headers:
                    action, headers = headers, {}
                    self.actions.append(Received(number, action, lines))
                    lines = []
                    if not self.frozen:
                        await self._answer(action, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.disconnects += 1
            self._writers.remove(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, action: dict[str, str], writer: asyncio.StreamWriter) -> None:
        name = action.get("Action", "").lower()
        if name in self.silent_actions:
            return
        action_id = action.get("ActionID", "")
        if name in self.replies:
            messages = self.replies[name](action)
        elif name == "login":
            self.logins += 1
            if action.get("Secret") != self.secret:
                writer.write(
                    _encode(
                        {
                            "Response": "Error",
                            "ActionID": action_id,
                            "Message": "Authentication failed",
                        }
                    )
                )
                await writer.drain()
                writer.transport.close()  # Asterisk hangs up after a failed login
                return
            messages = [{"Response": "Success", "Message": "Authentication accepted"}]
            if self.fully_booted_on_login:
                messages.append(
                    {"Event": "FullyBooted", "Privilege": "system,all", "Status": "Fully Booted"}
                )
        elif name == "ping":
            messages = [{"Response": "Success", "Ping": "Pong", "Timestamp": "1.0"}]
        elif name == "queueadd":
            messages = [{"Response": "Success", "Message": "Added interface to queue"}]
        elif name == "originate":
            messages = [
                {"Response": "Success", "Message": "Originate successfully queued"},
                {
                    "Event": "OriginateResponse",
                    "Response": "Success",
                    "Channel": action.get("Channel", ""),
                    "Reason": "4",
                    "Uniqueid": action.get("ChannelId", ""),
                },
            ]
        else:
            messages = [{"Response": "Success", "Message": f"{action.get('Action')} done"}]
        for message in messages:
            if "Event" in message and message["Event"] == "FullyBooted":
                writer.write(_encode(message))
            else:
                writer.write(_encode({**message, "ActionID": action_id}))
        await writer.drain()


def _encode(headers: dict[str, str]) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode("utf-8")
