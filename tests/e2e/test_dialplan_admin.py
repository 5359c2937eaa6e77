"""Issue 10 as an admin uses it: the real service (its HTTP API, a fresh database),
the real Asterisk, SIPp callers keying RFC 2833 DTMF.

An admin signs in with a password, builds a plan through ``/api/admin/dialplan``
(a language menu → a time switch → a two-level menu with a queue, voicemail, a
department and a hang-up; a holiday greeting on the holiday branch), validates,
simulates and publishes it; callers then take the paths the simulation showed. A
calendar override makes today a holiday; a rollback brings the first version back.

The service publishes into the sandbox's live plans folder: each test puts the folder
back and reloads the dialplan afterwards; the prompts it made are removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import subprocess
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import pytest

from accounts.passwords import PasswordCost, Passwords
from ami import AmiClient
from asterisk_conf.sandbox.sandbox import PUBLISH_USER, Sandbox
from asterisk_conf.sandbox.services import root_user
from asterisk_conf.sandbox.sipp import Sipp, SippResult
from core import names
from core.settings import Settings
from dialplan.publish import read_folder, write_folder
from tests.dialplan_examples import SILENT, WISH, plan_json
from tests.e2e.agents import keyed_call, make_roster, running_service, service_settings
from tests.e2e.conftest import EventLog
from tests.e2e.telephony import empty
from tests.e2e.test_dialplan_publish import path_of, write_silence
from tests.e2e.test_outbound_trunk import department

HTTP_PORT = 18095
ADMIN, PASSWORD = "1099", "e2e admin passphrase"
DIALPLAN = "/api/admin/dialplan"
WISH_TEXT = {"zh": "国庆节快乐", "ug": "bayram"}
TALK = "/var/lib/hotline/sipp/e2e-talk.alaw"  # inside the root: a caller's voice


@dataclasses.dataclass
class AdminApi:
    http: aiohttp.ClientSession
    base: str
    headers: dict[str, str]
    timezone: str

    async def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        async with self.http.request(
            method, self.base + path, json=body, headers=self.headers
        ) as response:
            answer = await response.json()
            assert response.status == status, answer
            return answer

    async def draft(self, plan: dict[str, Any]) -> int:
        body = {"name": plan["name"], "plan": plan}
        return int((await self.call("POST", f"{DIALPLAN}/drafts", body, 201))["id"])

    async def publish(self, draft: int) -> int:
        published = await self.call("POST", f"{DIALPLAN}/drafts/{draft}/publish", status=201)
        assert published["state"] == "live", published
        return int(published["version"])

    async def simulate(self, what: str, keys: str) -> dict[str, Any]:
        """The walk of ``keys`` now, nobody signed in (``what``: drafts/N or versions/N)."""
        now = datetime.now(ZoneInfo(self.timezone)).replace(tzinfo=None)
        body = {"keys": keys, "at": now.isoformat(timespec="minutes"), "agents_signed_in": False}
        walk: dict[str, Any] = await self.call("POST", f"{DIALPLAN}/{what}/simulate", body)
        return walk

    async def record(self, caller: str, timeout: float = 15) -> dict[str, Any]:
        """The caller's call record, once the call is over."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            calls = (await self.call("GET", f"/api/calls?number={caller}"))["calls"]
            if calls and calls[0]["ended_at"]:
                return dict(calls[0])
            assert loop.time() < deadline, f"no finished call record for {caller}: {calls}"
            await asyncio.sleep(0.2)


def walked(walk: dict[str, Any], version: int) -> list[tuple[str, str, str]]:
    """The simulated walk as ``path_of`` reads the real call's HotlineNode events."""
    return [(str(version), s["node"], s["language"]) for s in walk["steps"]]


async def _add_admin(database_url: str, settings: Settings) -> None:
    await make_roster(database_url, {})  # the schema, and no agent: nobody signs in
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO agents (job_number, name, role, password_hash)"
            " VALUES ($1, '管理员', 'admin', $2)",
            ADMIN,
            Passwords(PasswordCost.of(settings)).hash(PASSWORD),
        )
    finally:
        await conn.close()


async def _reload(settings: Settings, secrets: dict[str, Any]) -> None:
    ami = AmiClient(settings.ami_host, settings.ami_port, PUBLISH_USER, secrets["ami_publish"])
    await ami.start()
    try:
        await ami.command("dialplan reload")
    finally:
        await ami.close()


@pytest.fixture
async def admin(
    settings: Settings,
    sandbox: Sandbox,
    fresh_db: str,
    secrets: dict[str, Any],
    service_ami: AmiClient,
) -> AsyncIterator[AdminApi]:
    """The service on a fresh database, an admin signed in with a password over HTTP,
    the plan's prompts there (silence; the holiday wish generated through the API);
    afterwards the sandbox's plans and prompts as they were."""
    folders = {lang: sandbox.root / settings.prompts_dir.lstrip("/") / lang for lang in WISH_TEXT}
    made = [f / f"{p}.wav" for f in folders.values() for p in (*SILENT, WISH)]
    made = [path for path in made if not path.exists()]
    for folder in folders.values():
        for prompt in SILENT:
            # the goodbye outlasts the keys the caller is still sending (0.7 s a key)
            write_silence(folder / f"{prompt}.wav", 2.0 if prompt == "e2e-bye" else 0.2)
    before = read_folder(sandbox.plans_dir)
    await _add_admin(fresh_db, settings)
    await empty(service_ami, settings.queue)
    base = service_settings(
        settings,
        sandbox,
        fresh_db,
        HTTP_PORT,
    )
    try:
        async with running_service(base), aiohttp.ClientSession() as http:
            api = f"http://127.0.0.1:{HTTP_PORT}"
            body = {"job_number": ADMIN, "password": PASSWORD}
            async with http.post(f"{api}/api/sessions", json=body) as r:
                assert r.status == 201, await r.text()
                token = (await r.json())["token"]
            admin = AdminApi(http, api, {"Authorization": f"Bearer {token}"}, settings.timezone)
            for lang, text in WISH_TEXT.items():
                wish = {"language": lang, "name": WISH, "text": text}
                await admin.call("POST", "/api/admin/prompts", wish, 201)
            yield admin
    finally:
        write_folder(sandbox.plans_dir, before, root_user(sandbox.root, "asterisk").gid)
        await _reload(settings, secrets)
        for path in made:
            path.unlink(missing_ok=True)


def talking_scenario(sandbox: Sandbox, sipp: Sipp, digits: str) -> str:
    """caller.xml keying ``digits``, then speaking (a tone, A-law RTP) until it hangs
    up: a message is kept only if it has sound in it."""
    argv = ["sox", "-n", "-r", "8000", "-c", "1", "-t", "al", TALK, "synth", "8", "sine", "300"]
    subprocess.run(["chroot", str(sandbox.root), *argv], check=True, timeout=30)
    text = sipp.scenario_text("caller.xml").replace(
        'play_pcap_audio="/usr/share/sip-tester/g711a.pcap"', f'rtp_stream="{TALK},1,8"'
    )
    return sipp.with_digits(sipp.write_scenario("caller-talk.xml", text), digits)


async def talking_call(
    sandbox: Sandbox, sipp: Sipp, settings: Settings, caller: str, digits: str, talk_ms: int
) -> SippResult:
    argv = sipp.argv(
        talking_scenario(sandbox, sipp, digits),
        settings.trunk_port,
        6000,
        *("-s", settings.entry_number, "-m", "1", "-d", str(talk_ms)),
        *("-key", "caller", caller, "-key", "caller_name", ""),
        timeout_s=30,
    )
    return await sipp.run(argv, 40)


async def test_an_admin_publishes_a_plan_and_callers_go_where_the_simulation_said(
    admin: AdminApi, settings: Settings, sandbox: Sandbox, sipp: Sipp, observer: EventLog
) -> None:
    draft = await admin.draft(plan_json(settings))
    validation = await admin.call("POST", f"{DIALPLAN}/drafts/{draft}/validate")
    assert validation["publishable"], validation
    assert [p for p in validation["problems"] if p["severity"] == "error"] == []
    walks = {keys: await admin.simulate(f"drafts/{draft}", keys) for keys in ("11", "12", "131")}
    assert [(w["ends"], w["node"]) for w in walks.values()] == [
        ("voicemail", "leave_message"),
        ("transfer", "dept"),
        ("hang_up", "bye"),
    ]
    version = await admin.publish(draft)

    # 1 1: nobody signed in → after hours → a message for a callback
    result = await talking_call(sandbox, sipp, settings, "13900910011", "11", talk_ms=4000)
    assert result.ok, result.output[-2000:]
    left = await observer.wait_for(
        lambda e: (
            e.name == "UserEvent"
            and e.get("UserEvent") == names.EVENT_VOICEMAIL
            and e.get("CallerID") == "13900910011"
        ),
        timeout=15,
    )
    assert left.get("Status") == "SUCCESS" and left.get("MsgId"), left
    assert path_of(observer, "13900910011") == walked(walks["11"], version)
    record = await admin.record("13900910011")
    assert record["menu_path"] == [s["node"] for s in walks["11"]["steps"]]
    assert (record["ended_node"], record["plan_version"], record["language"]) == (
        "leave_message",
        version,
        "zh",
    )

    # 1 2: the department's number, through the outbound trunk, from the entry number
    async with department(sipp, settings) as uas:
        result = await sipp.call(
            settings.entry_number,
            caller="13900910012",
            digits="12",
            talk_ms=1500,
            trunk_port=settings.trunk_port,
            timeout_s=30,
        )
        answered = await asyncio.wait_for(uas, 30)
    assert result.ok and answered.ok, (result.output[-1500:], answered.output[-1500:])
    log = (sipp.root / "var/lib/hotline/sipp/department.log").read_text()
    assert f"From user sip:{settings.entry_number}@" in log
    assert path_of(observer, "13900910012") == walked(walks["12"], version)

    # 1 3 1: the second level, then a hang-up
    result = await keyed_call(sipp, settings, "13900910013", "131", timeout_s=30)
    assert result.ok, result.output[-2000:]
    assert path_of(observer, "13900910013") == walked(walks["131"], version)


@contextlib.asynccontextmanager
async def holiday_today(admin: AdminApi, today: str) -> AsyncIterator[None]:
    path = f"/api/admin/calendar/overrides/{today}"
    day = await admin.call("PUT", path, {"kind": "holiday", "holiday": "national_day"})
    assert (day["kind"], day["holiday"]) == ("holiday", "national_day"), day
    try:
        yield
    finally:
        await admin.call("DELETE", path)


async def test_an_override_makes_today_a_holiday_and_the_caller_hears_its_greeting(
    admin: AdminApi, settings: Settings, sandbox: Sandbox, sipp: Sipp, observer: EventLog
) -> None:
    draft = await admin.draft(plan_json(settings))
    await admin.publish(draft)
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    async with holiday_today(admin, today.isoformat()):
        walk = await admin.simulate(f"drafts/{draft}", "1")
        assert [(s["node"], s["heard"]) for s in walk["steps"][3:]] == [
            ("holiday", [WISH]),
            ("bye", ["e2e-bye"]),
        ]
        version = await admin.publish(draft)  # the calendar is compiled as it publishes
        calendar = (sandbox.plans_dir / "calendar.conf").read_text()
        assert f"exten => {today:%Y%m%d}," in calendar
        start = len(observer.events)
        result = await keyed_call(sipp, settings, "13900910021", "1", timeout_s=30)
    assert result.ok, result.output[-2000:]
    assert path_of(observer, "13900910021") == walked(walk, version)
    played = [
        e.get("AppData")
        for _, e in observer.events[start:]
        if e.name == "Newexten"
        and e.get("Application") == "Playback"
        and e.get("Context") == names.plan_context(version, "holiday")
    ]
    assert played == [f"{settings.prompts_dir}/zh/{WISH}"]


async def test_a_rollback_through_the_api_makes_the_first_version_answer_again(
    admin: AdminApi, settings: Settings, sipp: Sipp, observer: EventLog
) -> None:
    first = await admin.publish(await admin.draft(plan_json(settings)))
    await admin.publish(await admin.draft(plan_json(settings, start="welcome")))
    back = await admin.call("POST", f"{DIALPLAN}/versions/{first}/rollback", status=201)
    assert (back["rollback_of"], back["state"]) == (first, "live"), back
    walk = await admin.simulate(f"versions/{first}", "231")  # Uyghur, 3, then 1
    assert walk["steps"][0]["node"] == "lang" and walk["steps"][-1]["language"] == "ug"
    result = await keyed_call(sipp, settings, "13900910031", "231", timeout_s=30)
    assert result.ok, result.output[-2000:]
    assert path_of(observer, "13900910031") == walked(walk, back["version"])
