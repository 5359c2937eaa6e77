"""The FastAGI adapter against a stand-in Asterisk over local TCP: who may connect, the
header block's guards, commands out and answers in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from ami.agi import AgiCall, AgiHangup, AgiServer
from core.errors import UnsafeValueError

HEADERS = (
    b"agi_network: yes\n"
    b"agi_network_script: sign-in\n"
    b"agi_request: agi://127.0.0.1:4573/sign-in\n"
    b"agi_channel: PJSIP/2001-00000001\n"
    b"agi_callerid: 2001\x07\n"
    b"agi_arg_1: 2001\n"
    b"\n"
)


class Seen:
    def __init__(self) -> None:
        self.calls: list[AgiCall] = []
        self.keys: list[str] = []
        self.errors: list[Exception] = []
        self.done = asyncio.Event()


async def serve(seen: Seen, allowed: str = "127.0.0.1") -> AgiServer:
    async def handler(call: AgiCall) -> None:
        seen.calls.append(call)
        try:
            seen.keys.append(await call.get_data("/p/agent-enter-pin", timeout_ms=10, max_digits=4))
            await call.set_variable("HOTLINE_RESULT", "signed_in")
        except Exception as exc:
            seen.errors.append(exc)
            raise
        finally:
            seen.done.set()

    server = AgiServer("127.0.0.1", 0, {"sign-in": handler}, allowed=(allowed,))
    await server.start()
    return server


@pytest.fixture
async def seen() -> AsyncIterator[Seen]:
    yield Seen()


async def test_asterisk_collects_keys_and_gets_the_result_word(seen: Seen) -> None:
    server = await serve(seen)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port_bound)
        writer.write(HEADERS)
        assert await reader.readline() == b"GET DATA /p/agent-enter-pin 10 4\n"
        writer.write(b"200 result=7319\n")
        assert await reader.readline() == b"SET VARIABLE HOTLINE_RESULT signed_in\n"
        writer.write(b"200 result=1\n")
        await asyncio.wait_for(seen.done.wait(), 5)
        assert await reader.read() == b""  # the service closes the session
        writer.close()
    finally:
        await server.stop()
    call = seen.calls[0]
    assert (call.script, call.channel, call.arg(1), call.arg(2)) == (
        "sign-in",
        "PJSIP/2001-00000001",
        "2001",
        "",
    )
    assert "agi_callerid" not in call.headers  # a control character: dropped
    assert seen.keys == ["7319"]


async def test_a_peer_that_is_not_asterisk_is_refused_before_any_header(seen: Seen) -> None:
    server = await serve(seen, allowed="192.0.2.1")
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port_bound)
        writer.write(HEADERS)
        # closed, nothing said (a reset when our headers went unread: the same refusal)
        with contextlib.suppress(ConnectionResetError):
            assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
    finally:
        await server.stop()
    assert server.refused == 1 and not seen.calls


async def test_a_session_closed_before_the_blank_line_does_not_spin(seen: Seen) -> None:
    """panoramisk 1.4's own handler loops forever here, holding the event loop."""
    server = await serve(seen)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port_bound)
        writer.write(b"agi_network: yes\n")
        writer.write_eof()
        assert await asyncio.wait_for(reader.read(), 5) == b""
        ticks = 0
        for _ in range(10):  # the loop still turns
            await asyncio.sleep(0)
            ticks += 1
        assert ticks == 10 and not seen.calls
    finally:
        await server.stop()


async def test_a_hangup_while_keys_are_read_is_an_agi_hangup(seen: Seen) -> None:
    server = await serve(seen)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port_bound)
        writer.write(HEADERS)
        await reader.readline()
        writer.write(b"HANGUP\n")
        await asyncio.wait_for(seen.done.wait(), 5)
        writer.close()
    finally:
        await server.stop()
    assert [type(e) for e in seen.errors] == [AgiHangup]


async def test_a_command_word_with_a_newline_is_refused_before_it_is_sent() -> None:
    class NoWire:
        async def send_command(self, command: str) -> dict[str, object]:
            raise AssertionError(f"sent {command!r}")

    call = AgiCall(NoWire(), {})
    for value in ("signed_in\nEXEC System x", "two words", ""):
        with pytest.raises(UnsafeValueError):
            await call.set_variable("HOTLINE_RESULT", value)
