"""Callbacks through faults, with the real service (issue 11): ``hotline serve`` as a
process of its own against the sandbox's Asterisk and PostgreSQL, a SIPp desk phone for
the agent and a SIPp citizen behind the outbound trunk.

- The service is killed (-9) while an agent hears the case: Asterisk goes on (the key,
  the citizen's answer need no service); the restarted service reclaims the expired
  claim, finds the attempt's channel alive by its ChannelId and adopts it — the citizen
  is never called twice and the callback is not lost.
- The citizen does not answer: the attempt ends no_answer and the callback is open
  again, counted once, for the retry spacing later.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ami import AmiClient
from ami.actions import Hangup
from ami.events import Event
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp, SippResult, udp_bound
from core import names
from core.settings import Settings
from dialplan.default_plan import ALWAYS
from tests.e2e.agents import (
    make_roster,
    members,
    phones,
    serve_env,
    serve_process,
    service_settings,
    sign_in_over_http,
)
from tests.e2e.conftest import EventLog
from tests.e2e.test_callback_dialplan import phone_keys, step
from tests.e2e.test_outbound_trunk import department

HTTP_PORT = 18097
JOB = "1007"
CITIZEN = "13800138000"
LEASE_S = 3
RING_S = 2
SPACING_S = 600


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    await make_roster(fresh_db, {JOB: 0})
    yield service_settings(
        settings,
        sandbox,
        fresh_db,
        HTTP_PORT,
        callback_dispatch=True,  # the tests' default is off (tests/conftest.py)
    )


def env(settings: Settings) -> dict[str, str]:
    """Short leases and polls, a short ring, the clock out of the way (every hour works);
    no voicemail box (the tests' settings)."""
    return serve_env(
        settings,
        HOTLINE_WORKING_HOURS=ALWAYS,
        HOTLINE_CALLBACK_LEASE_S=str(LEASE_S),
        HOTLINE_CALLBACK_POLL_S="0.5",
        HOTLINE_CALLBACK_RING_TIMEOUT_S=str(RING_S),
        HOTLINE_CALLBACK_RETRY_SPACING_S=str(SPACING_S),
    )


def trunk_channels(observer: EventLog) -> list[Event]:
    """Every channel Asterisk opened on the outbound trunk: one per INVITE to a citizen."""
    return [
        e
        for _, e in observer.events
        if e.name == "Newchannel" and e.get("Channel").startswith(f"PJSIP/{names.OUTBOUND_TRUNK}-")
    ]


def originates(observer: EventLog) -> list[Event]:
    """The attempts' ;1 halves: one per Originate the dispatcher sent."""
    prefix = f"Local/s@{names.CALLBACK_QUEUE}-"
    return [
        e
        for _, e in observer.events
        if e.name == "Newchannel"
        and e.get("Channel").startswith(prefix)
        and e.get("Channel").endswith(";1")
    ]


def any_step(word: str) -> Any:
    def matches(event: Event) -> bool:
        return (
            event.name == "UserEvent"
            and event.get("UserEvent") == names.EVENT_CALLBACK
            and event.get("Step") == word
        )

    return matches


async def return_visit(http: aiohttp.ClientSession, api: str, auth: dict[str, str]) -> str:
    """A return visit to CITIZEN, due now, scheduled by the agent (so theirs)."""
    body = {"number": CITIZEN, "at": datetime.now(UTC).isoformat(), "question": "社保转移进度"}
    async with http.post(f"{api}/callbacks/return-visits", headers=auth, json=body) as r:
        assert r.status == 201, await r.text()
        return str((await r.json())["id"])


async def callback_until(
    http: aiohttp.ClientSession, url: str, auth: dict[str, str], state: str, timeout: float
) -> dict[str, Any]:
    """The callback's detail once it is in ``state`` (polled)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    body: dict[str, Any] = {}
    while loop.time() < deadline:
        async with http.get(url, headers=auth) as r:
            if r.status == 200:
                body = await r.json()
                if body["state"] == state:
                    return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"callback not {state}: {body}")


def _says(path: Path, text: str) -> bool:
    return path.exists() and text in path.read_text(errors="replace")


async def logged(path: Path, text: str, timeout: float) -> None:
    """Until the service's log at ``path`` holds ``text`` (polled)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not _says(path, text):
        if loop.time() > deadline:
            raise AssertionError(f"{path.name} never said {text!r}")
        await asyncio.sleep(0.1)


async def test_a_service_killed_while_the_agent_hears_the_case_never_calls_twice(
    base: Settings,
    sipp: Sipp,
    secrets: dict,
    observer: EventLog,
    service_ami: AmiClient,
    tmp_path: Path,
) -> None:
    api = f"http://127.0.0.1:{base.http_port}/api"
    # the agent keys 1 a moment after answering: by then the service is dead
    desk = phone_keys(sipp, names.CALLBACK_CONFIRM_KEY, after_ms=1500, talk_ms=60_000)
    second_log = tmp_path / "second.log"
    async with (
        phones(sipp, secrets, [JOB], scenario=desk),
        department(sipp, base, timeout_s=60) as citizen,
        aiohttp.ClientSession() as http,
    ):
        async with serve_process(base, env=env(base), log=tmp_path / "first.log") as first:
            auth = await sign_in_over_http(http, api, JOB)
            url = f"{api}/callbacks/{await return_visit(http, api, auth)}"
            taken = await observer.wait_for(any_step(names.CALLBACK_STEP_AGENT), 20)
            first.kill()
            await first.wait()
        attempt = taken.get("Attempt")
        # with no service: the agent's key, the citizen's answer
        await observer.wait_for(step(attempt, names.CALLBACK_STEP_CONFIRMED), 10)
        answered = await observer.wait_for(
            lambda e: (
                e.name == "DialEnd"
                and e.get("Linkedid") == attempt
                and e.get("DialStatus") == "ANSWER"
            ),
            10,
        )
        async with serve_process(base, env=env(base), log=second_log):
            # the claim ran out; the new claim finds the attempt alive by its ChannelId
            await logged(second_log, "adopted, not dialled", LEASE_S + 15)
            await service_ami.send(Hangup(answered.get("DestChannel")))  # the citizen hangs up
            await observer.wait_for(step(attempt, names.CALLBACK_STEP_RESULT), 10)
            worked = await callback_until(http, url, auth, "in_progress", 10)
            async with http.post(
                f"{url}/outcome", headers=auth, json={"outcome": "resolved", "note": "已办结"}
            ) as r:
                assert r.status == 200, await r.text()
                assert (await r.json())["state"] == "done"
        uas: SippResult = await asyncio.wait_for(citizen, 30)
    assert uas.successful == 1, uas.output[-1500:]
    assert len(trunk_channels(observer)) == 1  # one INVITE to the citizen, ever
    assert len(originates(observer)) == 1
    assert [(a["attempt_id"], a["result"]) for a in worked["attempts"]] == [(attempt, "answered")]
    assert worked["attempts_counted"] == 1
    claims = [h for h in worked["history"] if h["event"] == "Claimed"]
    assert len(claims) == 2  # claimed, killed, reclaimed: one attempt all the same
    assert worked["agent"] == JOB  # who talked to the citizen is working it


@pytest.fixture
async def unanswering_citizen(
    sipp: Sipp, base: Settings
) -> AsyncIterator[asyncio.Task[SippResult]]:
    """A citizen whose phone rings and is never picked up, for one call."""
    argv = sipp.argv(
        "citizen-no-answer.xml",
        base.outbound_port,
        7062,
        "-m",
        "1",
        timeout_s=30,
        to_asterisk=False,
    )
    task = asyncio.create_task(sipp.run(argv, 40))
    await udp_bound(sipp.local_ip, base.outbound_port, gone=task.done)
    yield task
    if not task.done():
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def until_out_of_owners(ami: AmiClient, job: str, timeout: float) -> None:
    """Until ``job``'s member is no longer in the owners' queue (polled)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while job in await members(ami, names.OWNER_QUEUE):
        if loop.time() > deadline:
            raise AssertionError(f"{job} still in {names.OWNER_QUEUE}")
        await asyncio.sleep(0.1)


async def test_a_citizen_who_does_not_answer_is_called_again_after_the_spacing(
    base: Settings,
    sipp: Sipp,
    secrets: dict,
    observer: EventLog,
    service_ami: AmiClient,
    unanswering_citizen: asyncio.Task[SippResult],
    tmp_path: Path,
) -> None:
    api = f"http://127.0.0.1:{base.http_port}/api"
    desk = phone_keys(sipp, names.CALLBACK_CONFIRM_KEY, after_ms=500, talk_ms=30_000)
    async with (
        phones(sipp, secrets, [JOB], scenario=desk),
        aiohttp.ClientSession() as http,
        serve_process(base, env=env(base), log=tmp_path / "serve.log"),
    ):
        auth = await sign_in_over_http(http, api, JOB)
        assert JOB not in await members(service_ami, names.OWNER_QUEUE)
        url = f"{api}/callbacks/{await return_visit(http, api, auth)}"
        result = await observer.wait_for(any_step(names.CALLBACK_STEP_RESULT), 20)
        again = await callback_until(http, url, auth, "open", 10)
        # the agent's own return visit was offered to it alone, in the owners' queue, where
        # its member sat for that offer only (then it left: each member there costs
        # Asterisk on every device-state change)
        assert observer.matching("AgentCalled", MemberName=JOB, Queue=names.OWNER_QUEUE)
        await until_out_of_owners(service_ami, JOB, 10)
        assert JOB in await members(service_ami, base.queue)
    uas = await asyncio.wait_for(unanswering_citizen, 10)
    assert uas.successful == 1, uas.output[-1500:]  # rang, was cancelled
    assert result.get("DialStatus") == "NOANSWER"
    [attempt] = again["attempts"]
    assert attempt["result"] == "no_answer"
    assert again["attempts_counted"] == 1
    ended = datetime.fromisoformat(attempt["ended_at"])
    not_before = datetime.fromisoformat(again["not_before"])
    assert timedelta(0) <= not_before - ended - timedelta(seconds=SPACING_S) < timedelta(seconds=2)
