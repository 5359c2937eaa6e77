"""FastAGI: a private channel from the dialplan to the service (panoramisk's ``Request``).

Used where a value must not cross the AMI bus: the desk phone's sign-in reads the job
number and the PIN with ``GET DATA``, whose answer travels only over this TCP
connection (no channel variable, so no ``VarSet``; no ``UserEvent``).

Guards, as for AMI (asterisk.md §7):
- only Asterisk's own address may connect; any other peer is closed at once and logged;
- the AGI header block is read here, bounded in size and time: panoramisk 1.4's
  ``Application.handler`` spins forever on a connection that closes before the blank
  line (``reader.read`` returns ``b''`` at EOF without yielding) and has no limit;
- routes are the exact script name (panoramisk keeps the query string in it, item 11);
  arguments come as ``agi_arg_N``;
- every value we send in a command is refused if it holds a control character or a
  space; header values holding control characters are dropped;
- panoramisk's results and errors become ours (``AgiHangup``, ``AgiError``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from panoramisk.fast_agi import Request

from core.errors import HotlineError, UnsafeValueError
from core.logging import get_logger

log = get_logger("ami")

HEADERS_MAX_BYTES = 16_384
HEADERS_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 120.0  # GET DATA waits for a person keying digits
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WORD = re.compile(r"[^\s\x00-\x1f\x7f\"]{1,200}")
_KEYS = re.compile(r"[0-9*#]*")


class AgiError(HotlineError):
    code = "agi.failed"


class AgiHangup(AgiError):
    """The caller hung up (or the channel went away) while a command ran."""

    code = "agi.hangup"


class AgiCall:
    """One FastAGI session: the channel's AGI variables and the commands we may send."""

    def __init__(self, request: Any, headers: Mapping[str, str]) -> None:
        self._request = request
        self.headers = dict(headers)

    @property
    def script(self) -> str:
        return self.headers.get("agi_network_script", "")

    @property
    def channel(self) -> str:
        return self.headers.get("agi_channel", "")

    def arg(self, n: int) -> str:
        """The dialplan's ``AGI(agi://…/route,arg1,arg2…)`` argument ``n`` (from 1), or ''."""
        return self.headers.get(f"agi_arg_{n}", "")

    async def get_data(self, prompt: str, *, timeout_ms: int, max_digits: int) -> str:
        """Play ``prompt`` and collect keys until ``#``, ``max_digits`` or the timeout.
        The keys come back over this connection only; never logged here."""
        value, _ = await self._command("GET DATA", prompt, str(timeout_ms), str(max_digits))
        if not _KEYS.fullmatch(value):
            raise AgiError("GET DATA returned something other than keys")
        return value

    async def set_variable(self, name: str, value: str) -> None:
        await self._command("SET VARIABLE", name, value)

    async def _command(self, verb: str, *words: str) -> tuple[str, str]:
        for word in words:
            if not _WORD.fullmatch(word):
                raise UnsafeValueError(f"AGI {verb}: {word!r} is not one plain word")
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT_S):
                reply = await self._request.send_command(" ".join((verb, *words)))
        except (OSError, EOFError, asyncio.IncompleteReadError) as exc:
            raise AgiHangup(f"AGI {verb}: the connection closed") from exc
        except TimeoutError as exc:
            raise AgiError(f"AGI {verb}: no answer in {COMMAND_TIMEOUT_S:.0f} s") from exc
        except (ValueError, TypeError) as exc:  # an answer panoramisk could not parse
            raise AgiHangup(f"AGI {verb}: no usable answer (hung up?)") from exc
        return _result(verb, reply)


def _result(verb: str, reply: Mapping[str, Any]) -> tuple[str, str]:
    error = reply.get("error")
    if error in ("AGIResultHangup", "AGIAppError"):
        raise AgiHangup(f"AGI {verb}: {error}")
    if error or reply.get("status_code") != 200:
        raise AgiError(f"AGI {verb} failed: {error or reply.get('status_code')}")
    value, data = reply.get("result", ("", ""))
    return str(value), str(data or "")


AgiHandler = Callable[[AgiCall], Awaitable[None]]


class AgiServer:
    """Listens on ``host:port``; accepts only ``allowed`` peers; one handler per route."""

    def __init__(
        self,
        host: str,
        port: int,
        routes: Mapping[str, AgiHandler],
        *,
        allowed: Iterable[str],
    ) -> None:
        self.host = host
        self.port = port
        self.routes = dict(routes)
        self.allowed_hosts = tuple(allowed)
        self.allowed: frozenset[str] = frozenset()
        self.refused = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.allowed = frozenset(await _addresses(self.allowed_hosts))
        try:
            self._server = await asyncio.start_server(self._connected, self.host, self.port)
        except OSError as exc:
            raise AgiError(f"cannot listen for FastAGI on {self.host}:{self.port}: {exc}") from exc
        log.info("fastagi listening", agi=f"{self.host}:{self.port}", allowed=sorted(self.allowed))

    @property
    def port_bound(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if peer else ""
        if address not in self.allowed:
            self.refused += 1
            log.warning("fastagi connection refused", peer=address, why="not asterisk's address")
            return
        try:
            async with asyncio.timeout(HEADERS_TIMEOUT_S):
                headers = await _read_headers(reader)
        except (
            TimeoutError,
            AgiError,
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ) as exc:
            log.warning("fastagi session dropped", peer=address, error=str(exc))
            return
        call = AgiCall(Request(None, headers, reader, writer), headers)
        handler = self.routes.get(call.script)
        if handler is None:
            log.warning("fastagi route unknown", route=call.script[:64], channel=call.channel)
            return
        try:
            await handler(call)
        except AgiHangup:
            log.info("fastagi caller hung up", route=call.script, channel=call.channel)
        except Exception:
            log.exception("fastagi handler failed", route=call.script, channel=call.channel)


async def _read_headers(reader: asyncio.StreamReader) -> dict[str, str]:
    """The AGI variables, up to the blank line: ``agi_name: value`` per line."""
    headers: dict[str, str] = {}
    size = 0
    while True:
        line = await reader.readuntil(b"\n")
        size += len(line)
        if size > HEADERS_MAX_BYTES:
            raise AgiError("the AGI header block is too long")
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        if not text:
            return headers
        name, sep, value = text.partition(": ")
        if sep and name.startswith("agi_") and not _CONTROL.search(value):
            headers[name] = value


async def _addresses(hosts: Iterable[str]) -> set[str]:
    loop = asyncio.get_running_loop()
    found: set[str] = set()
    for host in hosts:
        try:
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise AgiError(f"cannot resolve the allowed FastAGI peer {host!r}: {exc}") from exc
        found.update(str(info[4][0]) for info in infos)
    return found
