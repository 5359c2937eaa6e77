"""End-to-end fixtures: the real sandbox (Asterisk 22 + PostgreSQL) and SIPp.

These tests never fake Asterisk. They need root, as the sandbox does; the test
command runs them as root.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from ami import AmiClient
from ami.events import Event as AmiEvent
from asterisk_conf.sandbox.sandbox import OBSERVER_USER, Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core.errors import SandboxError
from core.settings import Settings


@pytest.fixture(scope="session")
def secrets(sandbox: Sandbox) -> dict[str, object]:
    return sandbox.ensure_secrets()


@pytest.fixture(autouse=True)
def no_calls_left_over(sandbox: Sandbox) -> None:
    """Each test starts with no call in Asterisk: a SIPp caller that timed out in an
    earlier test leaves its channel waiting in the queue (it never sent BYE), and a
    later test would see it offered to its agents."""
    with contextlib.suppress(SandboxError):  # a lifecycle test may have Asterisk down
        sandbox.asterisk.cli("channel request hangup all")


@dataclass
class EventLog:
    """Every event one AMI connection saw, with the monotonic time it arrived."""

    events: list[tuple[float, AmiEvent]] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, event: AmiEvent) -> None:
        self.events.append((time.monotonic(), event))
        self._changed.set()

    def matching(self, name: str, **headers: str) -> list[tuple[float, AmiEvent]]:
        return [
            (t, e)
            for t, e in self.events
            if e.name == name and all(e.get(k) == v for k, v in headers.items())
        ]

    async def wait_for(self, predicate: Callable[[AmiEvent], bool], timeout: float) -> AmiEvent:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for _, event in self.events[seen:]:
                if predicate(event):
                    return event
            seen = len(self.events)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching AMI event")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue


@pytest.fixture
async def observer(
    sandbox: Sandbox, secrets: dict[str, str], settings: Settings
) -> AsyncIterator[EventLog]:
    """The sandbox-only observer user: reads every event Asterisk emits."""
    log = EventLog()
    client = AmiClient(settings.ami_host, settings.ami_port, OBSERVER_USER, secrets["ami_observer"])
    client.on_event("*", log.add)
    await client.start()
    yield log
    await client.close()


@pytest.fixture
async def service_ami(sandbox: Sandbox, settings: Settings) -> AsyncIterator[AmiClient]:
    """The service's own least-privilege AMI user, as the service would log in."""
    client = AmiClient(
        settings.ami_host,
        settings.ami_port,
        settings.ami_username,
        sandbox.ensure_secrets()["ami_service"],
    )
    await client.start()
    yield client
    await client.close()


@pytest.fixture
def sipp(sandbox: Sandbox, settings: Settings) -> Sipp:
    return Sipp(sandbox.root, settings.sip_host, settings.sip_port)
