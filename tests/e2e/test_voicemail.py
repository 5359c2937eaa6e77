"""Voicemail for callbacks: a caller sent to the voicemail context leaves a message in
callbacks@hotline, and the hang-up handler's ``VoicemailLeft`` event carries the status,
the caller, the message file and its msg_id (as the message's .txt says)."""

from __future__ import annotations

import subprocess

from ami import AmiClient
from ami.actions import VoicemailRemove
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from callback.spool import Spool
from core import names
from core.settings import Settings
from tests.e2e.conftest import EventLog

CALLER_EXT, CALLER_PORT = "2007", 5077
TALK = "/var/lib/hotline/sipp/talk.alaw"  # inside the root: 8 s of tone, A-law, raw
SPOOL = f"var/spool/asterisk/voicemail/{names.VOICEMAIL_CONTEXT}/{names.VOICEMAIL_BOX}"


def talking_caller(sandbox: Sandbox, sipp: Sipp) -> str:
    """A phone that answers, speaks (an RTP A-law stream) for 8 s, then hangs up."""
    subprocess.run(
        [
            "chroot",
            str(sandbox.root),
            "sox",
            "-n",
            "-r",
            "8000",
            "-c",
            "1",
            "-t",
            "al",
            TALK,
            "synth",
            "8",
            "sine",
            "300",
        ],
        check=True,
        timeout=30,
    )
    text = sipp.scenario_text("phone-hangup.xml")
    text = text.replace(
        '<recv request="ACK" crlf="true"/>',
        '<recv request="ACK" crlf="true"/>\n'
        f'  <nop><action><exec rtp_stream="{TALK},1,8"/></action></nop>',
    ).replace('milliseconds="TALK_MS"', 'milliseconds="9000"')
    return sipp.write_scenario("phone-talk.xml", text)


async def test_a_caller_leaves_a_message_and_the_event_names_it(
    sandbox: Sandbox, sipp: Sipp, secrets: dict, observer: EventLog, service_ami: AmiClient
) -> None:
    caller = sipp.phone(CALLER_EXT, secrets["phones"][CALLER_EXT], CALLER_PORT, CALLER_PORT + 1000)
    await caller.start(ring_ms=100, scenario=talking_caller(sandbox, sipp))
    try:
        await service_ami.action(
            "Originate",
            {
                "Channel": f"PJSIP/{CALLER_EXT}",
                "Context": names.VOICEMAIL,
                "Exten": "s",
                "Priority": "1",
                "CallerID": "<13900139000>",
                "Async": "true",
            },
        )
        left = await observer.wait_for(
            lambda e: e.name == "UserEvent" and e.get("UserEvent") == names.EVENT_VOICEMAIL,
            timeout=30,
        )
    finally:
        await caller.stop()
    assert left.get("Status") == "SUCCESS"
    assert left.get("CallerID") == "13900139000"
    msg = left.get("Msg") or ""
    assert msg.startswith(f"/{SPOOL}/INBOX/msg")
    txt = (sandbox.root / (msg.lstrip("/") + ".txt")).read_text()
    assert (sandbox.root / (msg.lstrip("/") + ".wav")).exists()
    msg_id = next(line.split("=", 1)[1] for line in txt.splitlines() if line.startswith("msg_id="))
    assert left.get("MsgId") == msg_id
    # retention (callback/retention.py) asks app_voicemail itself to remove it, by msg_id,
    # as the service's AMI user: the files go and the spool no longer has the message
    spool = Spool(sandbox.root, Settings().voicemail_spool_dir)
    folder = spool.folder_of(msg_id)
    assert folder == "INBOX"
    await service_ami.send(
        VoicemailRemove(names.VOICEMAIL_CONTEXT, names.VOICEMAIL_BOX, folder, msg_id)
    )
    assert spool.folder_of(msg_id) is None
    assert (
        not (sandbox.root / (msg.lstrip("/") + ".txt")).exists()
        or msg_id not in (sandbox.root / (msg.lstrip("/") + ".txt")).read_text()
    )  # the folder renumbered: another message may now be this msgNNNN
