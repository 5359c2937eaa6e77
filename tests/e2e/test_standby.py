"""One service drives one Asterisk: a second ``hotline serve`` stands by and takes over
when the first dies (issue 8)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ami import AmiClient
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core.settings import Settings
from tests.e2e.agents import (
    PIN,
    make_roster,
    members,
    phones,
    serve_process,
    sign_in_over_http,
)

FIRST_PORT, SECOND_PORT = 18084, 18085


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    secrets = sandbox.ensure_secrets()
    yield dataclasses.replace(
        settings, ami_secret=secrets["ami_service"], database_url=fresh_db, wrap_up_s=3
    )


def _serve(
    settings: Settings, port: int, log: Path
) -> contextlib.AbstractAsyncContextManager[asyncio.subprocess.Process]:
    """``hotline serve`` as users run it, its JSON log in ``log``; its health is the
    test's business (a standby never answers 200)."""
    on_port = dataclasses.replace(settings, http_port=port)
    return serve_process(on_port, log=log, wait_healthy_s=None)


async def health(http: aiohttp.ClientSession, port: int) -> tuple[int, dict[str, Any]] | None:
    try:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
            return r.status, await r.json()
    except aiohttp.ClientError:
        return None


async def wait_health(
    http: aiohttp.ClientSession,
    port: int,
    ok: Callable[[int, dict[str, Any]], bool],
    timeout: float,
) -> tuple[int, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await health(http, port)
        if last is not None and ok(*last):
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"/healthz on {port} never matched; last answer {last}")


def active(status: int, body: dict[str, Any]) -> bool:
    return status == 200 and body["role"] == "active"


def standby(status: int, body: dict[str, Any]) -> bool:
    return status == 503 and body["role"] == "standby"


def logged(log: Path, message: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == message]


async def test_a_second_service_stands_by_and_takes_over_when_the_first_is_killed(
    base: Settings,
    sipp: Sipp,
    secrets: dict[str, Any],
    service_ami: AmiClient,
    tmp_path: Path,
) -> None:
    await make_roster(base.database_url, {"1001": 0})
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    async with (
        phones(sipp, secrets, ["1001"]),
        aiohttp.ClientSession() as http,
        _serve(base, FIRST_PORT, first_log) as first,
    ):
        await wait_health(http, FIRST_PORT, active, timeout=15)
        async with _serve(base, SECOND_PORT, second_log) as second:
            _, body = await wait_health(http, SECOND_PORT, standby, timeout=15)
            assert body["ami"] == "disconnected"  # a standby does not log in to AMI
            assert logged(second_log, "hotline standing by: another service drives this Asterisk")
            api = f"http://127.0.0.1:{SECOND_PORT}/api"
            async with http.post(f"{api}/sessions", json={"job_number": "1001", "pin": PIN}) as r:
                assert r.status == 404  # no agent is served by a standby
            await wait_health(http, FIRST_PORT, active, timeout=1)  # still the driver
            assert not logged(second_log, "hotline serving")  # never drove, not even briefly

            first.kill()
            await first.wait()
            killed = time.monotonic()
            await wait_health(http, SECOND_PORT, active, timeout=10)
            took_over = time.monotonic() - killed
            assert took_over < 5, took_over
            assert second.returncode is None

            await sign_in_over_http(http, api, "1001")
            member = (await members(service_ami))["1001"]
            assert not member.paused  # the new driver carried it into Asterisk
    assert logged(second_log, "driver lock free: taking over")
