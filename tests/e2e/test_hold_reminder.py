"""R9: a caller the agent puts on hold hears the hold class, which plays the reminder
「我正在为您查询,请稍等。」 after ``hold_reminder_s`` and again every ``hold_reminder_s``.

The agent's SIPp phone answers a queued call, holds (re-INVITE a=sendonly), then takes
the caller back (a=sendrecv). AMI shows ``Hold`` on the desk phone's channel and
``MusicOnHoldStart`` with the hold class on the caller's side; music on hold emits no
event per file, so the test turns on res_musiconhold's debug log for the run and reads
which files it opened (the reminder, after the wait), and checks the class's folder.
"""

from __future__ import annotations

import dataclasses
import re
import time
import wave
from collections.abc import Iterator
from datetime import datetime

import pytest

from ami import AmiClient
from asterisk_conf.sandbox.sandbox import HOLD_REMINDER_FILE, HOLD_WAIT_FILE, Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core import names
from core.settings import Settings
from tests.e2e.conftest import EventLog
from tests.e2e.telephony import ANNOUNCE_PROMPTS, empty, ensure_test_prompts, originate_into_queue
from tests.e2e.test_call_records import idle_agent
from tests.e2e.test_callback_intake import announcement_s
from tests.e2e.test_job_number_announce import (
    AGENT_EXT,
    AGENT_JOB,
    AGENT_PORT,
    CALLER_EXT,
    caller_phone,  # noqa: F401 - a fixture
)

REMINDER_S = 5  # the test's hold_reminder_s
HOLD_AFTER_S = 1.5  # the agent holds this long after R8's announcement (about 7 s) ends
HOLD_MS = 9000  # past the wait and the reminder
MOH_LOG = "hotline-moh-test.log"


@pytest.fixture
def short_reminder(sandbox: Sandbox, settings: Settings) -> Iterator[Settings]:
    """The sandbox with a 5 s reminder for this test, set back after it."""
    shorter = dataclasses.replace(settings, hold_reminder_s=REMINDER_S)
    Sandbox(shorter).up()
    sandbox.asterisk.cli(f"logger add channel {MOH_LOG} debug")
    sandbox.asterisk.cli("core set debug 1 res_musiconhold.so")
    try:
        yield shorter
    finally:
        sandbox.asterisk.cli("core set debug off res_musiconhold.so")
        sandbox.asterisk.cli(f"logger remove channel {MOH_LOG}")
        Sandbox(settings).up()


def hold_scenario(sipp: Sipp, announced_s: float) -> str:
    hold_after_ms = int((announced_s + HOLD_AFTER_S) * 1000)
    text = sipp.scenario_text("phone-hold-hangup.xml")
    text = text.replace('"HOLD_AFTER_MS"', f'"{hold_after_ms}"').replace(
        '"HOLD_MS"', f'"{HOLD_MS}"'
    )
    return sipp.write_scenario("phone-hold-test.xml", text)


async def test_a_held_caller_hears_the_reminder_class(
    sandbox: Sandbox,
    short_reminder: Settings,
    observer: EventLog,
    service_ami: AmiClient,
    sipp: Sipp,
    secrets: dict,
    caller_phone: object,  # noqa: F811
) -> None:
    settings = short_reminder
    ensure_test_prompts(sandbox.root, settings.prompts_dir, "zh", ANNOUNCE_PROMPTS)
    folder = sandbox.root / settings.prompts_dir.lstrip("/") / names.HOLD_MOH_CLASS
    log = sandbox.root / "var/log/asterisk" / MOH_LOG
    log_from = log.stat().st_size if log.exists() else 0
    await empty(service_ami, settings.queue)
    async with idle_agent(
        service_ami,
        sipp,
        secrets,
        settings.queue,
        AGENT_JOB,
        AGENT_EXT,
        AGENT_PORT,
        ring_ms=300,
        calls=1,
        scenario=hold_scenario(sipp, announcement_s(sandbox, settings, AGENT_JOB)),
    ) as desk:
        await originate_into_queue(service_ami, CALLER_EXT, settings.queue, {})
        hold = await observer.wait_for(
            lambda e: (
                e.name == "Hold" and (e.get("Channel") or "").startswith(f"PJSIP/{AGENT_EXT}-")
            ),
            timeout=30,
        )
        held_at = time.monotonic()
        moh = await observer.wait_for(
            lambda e: e.name == "MusicOnHoldStart" and e.get("Class") == names.HOLD_MOH_CLASS,
            timeout=5,
        )
        stop = await observer.wait_for(
            lambda e: e.name == "MusicOnHoldStop" and e.get("Uniqueid") == moh.get("Uniqueid"),
            timeout=HOLD_MS / 1000 + 5,
        )
        assert stop is not None and time.monotonic() - held_at >= REMINDER_S
        result = await desk.wait(20)
    assert result.ok, result.output[-1500:]
    assert hold.get("MusicClass") == names.HOLD_MOH_CLASS
    # the held party is the caller's side: the member leg whose other half is bridged to it
    assert (moh.get("Channel") or "").startswith(f"Local/{AGENT_EXT}@{names.AGENTS_LOCAL}-")

    # the class's folder, in the order it plays: the wait, then the reminder
    listing = sandbox.asterisk.cli("moh show files")
    block = listing.split(f"Class: {names.HOLD_MOH_CLASS}")[1].split("Class:")[0]
    files = re.findall(r"File: (\S+)", block)
    assert [f.rsplit("/", 1)[1] for f in files] == [
        HOLD_WAIT_FILE.removesuffix(".wav"),
        HOLD_REMINDER_FILE.removesuffix(".wav"),
    ]
    with wave.open(str(folder / HOLD_WAIT_FILE)) as w:
        assert w.getnframes() / w.getframerate() == pytest.approx(REMINDER_S, abs=0.01)
    reminder = sandbox.root / f"{settings.prompts_dir}/zh/{names.PROMPT_HOLD_REMINDER}.wav".lstrip(
        "/"
    )
    assert (folder / HOLD_REMINDER_FILE).read_bytes() == reminder.read_bytes()
    # and what music on hold opened while the caller was held: the wait, then the reminder
    with log.open("rb") as fh:
        fh.seek(log_from)
        debug = fh.read().decode(errors="replace")
    opened = [
        (datetime.fromisoformat(at), path.rsplit("/", 1)[1])
        for at, path in re.findall(
            r"^\[([0-9-]+ [0-9:.]+)\].*Opened file \d+ '([^']+)'", debug, re.M
        )
        if f"/{names.HOLD_MOH_CLASS}/" in path
    ]
    assert [name for _, name in opened[:3]] == ["00-wait", "01-reminder", "00-wait"], opened
    # the reminder starts once the wait has played, i.e. hold_reminder_s into the hold
    waited = (opened[1][0] - opened[0][0]).total_seconds()
    assert waited == pytest.approx(REMINDER_S, abs=0.5)
