"""The AMI adapter against the sandbox's real Asterisk 22: restart, freeze, injection."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest

from ami import AmiClient, AmiNotConnected
from ami.actions import SendUserEvent
from ami.events import Event, FullyBooted
from asterisk_conf.sandbox.sandbox import Sandbox
from core.errors import UnsafeValueError
from core.settings import Settings
from tests.adapter.conftest import eventually
from tests.e2e.conftest import EventLog

KEEPALIVE_S, KEEPALIVE_TIMEOUT_S = 0.5, 1.0


@pytest.fixture
async def watched(
    sandbox: Sandbox, settings: Settings
) -> AsyncIterator[tuple[AmiClient, list[str]]]:
    """The service's AMI user with a fast keepalive, recording hook calls and FullyBooted."""
    calls: list[str] = []
    client = AmiClient(
        settings.ami_host,
        settings.ami_port,
        settings.ami_username,
        sandbox.ensure_secrets()["ami_service"],
        keepalive_interval=KEEPALIVE_S,
        keepalive_timeout=KEEPALIVE_TIMEOUT_S,
        max_backoff=1.0,
        on_ready=lambda: calls.append("ready"),
    )

    def booted(event: Event) -> None:
        if isinstance(event, FullyBooted):
            calls.append("fully_booted")

    client.on_event("FullyBooted", booted)
    await client.start()
    yield client, calls
    await client.close()


async def test_asterisk_restart_reconnects_and_fires_the_hook(
    sandbox: Sandbox, watched: tuple[AmiClient, list[str]]
) -> None:
    client, calls = watched
    # FullyBooted rides in the same read as the login reply, so it may come first
    assert await eventually(lambda: sorted(calls) == ["fully_booted", "ready"], timeout=5)
    await asyncio.to_thread(sandbox.asterisk.cli, "core restart now")
    assert await eventually(lambda: not client.is_ready, timeout=10)
    assert await eventually(
        lambda: client.is_ready and calls.count("fully_booted") >= 2, timeout=60
    )
    assert client.reconnects >= 1 and calls.count("ready") >= 2
    reply = await client.action("Ping")
    assert reply.response == "Success"
    assert sandbox.asterisk.pid() is not None


async def test_frozen_asterisk_is_detected_within_the_keepalive_deadline_and_recovered(
    sandbox: Sandbox, watched: tuple[AmiClient, list[str]]
) -> None:
    client, calls = watched
    pid = sandbox.asterisk.pid()
    assert pid is not None and client.is_ready
    loop = asyncio.get_running_loop()
    os.kill(pid, signal.SIGSTOP)
    try:
        stopped_at = loop.time()
        assert await eventually(lambda: not client.is_ready, timeout=10)
        detected_in = loop.time() - stopped_at
        with pytest.raises(AmiNotConnected):
            await client.action("Ping")
    finally:
        os.kill(pid, signal.SIGCONT)
    assert detected_in <= KEEPALIVE_S + KEEPALIVE_TIMEOUT_S + 0.5
    assert await eventually(lambda: client.is_ready, timeout=15)
    assert calls.count("ready") == 2
    await client.action("Ping")


INJECTIONS = [
    "brb\r\n\r\nAction: UserEvent\r\nUserEvent: Injected",
    "brb\n\nAction: UserEvent\nUserEvent: Injected",
    "brb\r\nAction: UserEvent\r\nUserEvent: Injected\r\n",
    "brb\nUserEvent: Injected",
    "brb\x00\r\n\r\nAction: UserEvent\r\nUserEvent: Injected",
]


async def test_injection_payloads_are_refused_and_nothing_reaches_asterisk(
    service_ami: AmiClient, observer: EventLog
) -> None:
    for payload in INJECTIONS:
        with pytest.raises(UnsafeValueError):
            await service_ami.action(
                "QueuePause",
                {"Interface": "Local/2001@agents-local/n", "Paused": "true", "Reason": payload},
            )
        with pytest.raises(UnsafeValueError):
            await service_ami.action("UserEvent", {"UserEvent": "Probe", "Note": payload})
        with pytest.raises(UnsafeValueError):
            await service_ami.send(SendUserEvent("Probe", {"Note": payload}))
    # a control: the observer does see a user event that was really sent
    await service_ami.send(SendUserEvent("InjectionControl", {"Note": "after the payloads"}))
    await observer.wait_for(lambda e: e.get("UserEvent") == "InjectionControl", timeout=5)
    seen = {e.get("UserEvent") for _, e in observer.matching("UserEvent")}
    assert "Injected" not in seen and "Probe" not in seen
    assert service_ami.is_ready
