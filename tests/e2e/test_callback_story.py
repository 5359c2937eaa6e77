"""A callback's whole story through the real service (issue 11): ``hotline serve`` with
dispatch on, a SIPp caller, a SIPp desk phone, a SIPp citizen behind the outbound trunk.

A caller leaves a voicemail → one callback → the idle agent's desk phone rings and
answers → the agent keys 1 (R12: checked first) → the citizen's phone rings and answers,
from 12333 → the attempt is recorded answered with the agent → the agent records the
outcome and the callback is done.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from ami import AmiClient
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core import names
from core.settings import Settings
from tests.e2e.agents import phones, serve_process, sign_in_over_http
from tests.e2e.conftest import EventLog
from tests.e2e.test_callback_dialplan import phone_keys
from tests.e2e.test_callback_faults import (  # noqa: F401 - base is a fixture
    CITIZEN,
    JOB,
    any_step,
    base,
    callback_until,
    env,
    trunk_channels,
)
from tests.e2e.test_callback_intake import CALLER_EXT, CALLER_PORT, short_talker
from tests.e2e.test_outbound_trunk import department


async def test_a_voicemail_becomes_a_callback_the_agent_confirms_and_the_citizen_answers(
    base: Settings,  # noqa: F811
    sandbox: Sandbox,
    sipp: Sipp,
    secrets: dict,
    observer: EventLog,
    service_ami: AmiClient,
    tmp_path: Path,
) -> None:
    api = f"http://127.0.0.1:{base.http_port}/api"
    desk = phone_keys(sipp, names.CALLBACK_CONFIRM_KEY, after_ms=500, talk_ms=1500)
    caller = sipp.phone(CALLER_EXT, secrets["phones"][CALLER_EXT], CALLER_PORT, CALLER_PORT + 1000)
    async with (
        phones(sipp, secrets, [JOB], scenario=desk),
        department(sipp, base, timeout_s=40) as citizen,
        aiohttp.ClientSession() as http,
        serve_process(base, env=env(base), log=tmp_path / "serve.log"),
    ):
        auth = await sign_in_over_http(http, api, JOB)
        await caller.start(ring_ms=100, scenario=short_talker(sandbox, sipp))
        try:
            # the caller reaches the dial plan's voicemail (as after hours) and speaks
            await service_ami.action(
                "Originate",
                {
                    "Channel": f"PJSIP/{CALLER_EXT}",
                    "Context": names.VOICEMAIL,
                    "Exten": "s",
                    "Priority": "1",
                    "CallerID": f"<{CITIZEN}>",
                    "Async": "true",
                },
            )
            result = await observer.wait_for(any_step(names.CALLBACK_STEP_RESULT), 40)
        finally:
            await caller.stop()
        # the agent working it finds it among theirs
        async with http.get(f"{api}/callbacks/mine", headers=auth) as r:
            assert r.status == 200, await r.text()
            [listed] = (await r.json())["callbacks"]
        url = f"{api}/callbacks/{listed['id']}"
        worked = await callback_until(http, url, auth, "in_progress", 10)
        async with http.post(
            f"{url}/outcome", headers=auth, json={"outcome": "resolved", "note": "已回复"}
        ) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["state"] == "done"
        uas = await asyncio.wait_for(citizen, 30)
    assert uas.successful == 1, uas.output[-1500:]
    assert result.get("DialStatus") == "ANSWER"
    assert len(trunk_channels(observer)) == 1
    assert (worked["kind"], worked["number"], worked["agent"]) == ("voicemail", CITIZEN, JOB)
    [reason] = worked["reasons"]
    assert reason["kind"] == "voicemail" and reason["msg_id"]
    [attempt] = worked["attempts"]
    assert (attempt["result"], attempt["agent"]) == ("answered", JOB)
