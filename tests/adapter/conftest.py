"""Fixtures for the AMI adapter against the fake AMI server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from panoramisk import Manager

from ami import AmiClient
from tests.adapter.fake_ami import FakeAmi


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    server = await FakeAmi().start()
    yield server
    await server.stop()


ClientFactory = Callable[..., Awaitable[AmiClient]]


@pytest.fixture
async def client(fake: FakeAmi) -> AsyncIterator[ClientFactory]:
    """Our adapter, connected to the fake; fast keepalive so tests stay short."""
    made: list[AmiClient] = []

    async def make(**options: Any) -> AmiClient:
        settings: dict[str, Any] = {
            "keepalive_interval": 0.2,
            "keepalive_timeout": 0.3,
            "action_timeout": 0.5,
            "login_timeout": 1.0,
            "max_backoff": 0.4,
        }
        settings.update(options)
        secret = settings.pop("secret", fake.secret)
        ami = AmiClient("127.0.0.1", fake.port, "hotline", secret, **settings)
        made.append(ami)
        await ami.start()
        return ami

    yield make
    for ami in made:
        await ami.close()


@pytest.fixture
async def raw_panoramisk(fake: FakeAmi) -> AsyncIterator[Callable[..., Awaitable[Manager]]]:
    """panoramisk 1.4 used directly, as it is, to reproduce the bug each guard is for."""
    made: list[Manager] = []

    async def make(**options: Any) -> Manager:
        logged_in = asyncio.Event()
        config: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": fake.port,
            "username": "hotline",
            "secret": fake.secret,
            "ping_delay": 3600,
            "reconnect_timeout": 1,
            "on_login": lambda m: logged_in.set(),
        }
        config.update(options)
        manager = Manager(loop=asyncio.get_running_loop(), **config)
        made.append(manager)
        manager.connect()
        if config["secret"] == fake.secret:
            await asyncio.wait_for(logged_in.wait(), 3)
        return manager

    yield make
    for manager in made:
        manager.config["reconnect_timeout"] = 3600
        manager.connection_lost = lambda exc: None  # stop its reconnect loop
        manager.connect = lambda *args, **kwargs: None  # and any retry already scheduled
        manager.close()


async def eventually(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()
