"""Helpers for the telephony end-to-end tests (R8 announcement, R9 hold, the outbound
trunk, voicemail): test prompts, a call put into the queue by AMI, an empty queue."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from ami import AmiActionFailed, AmiClient
from ami.actions import QueueRemove, QueueStatus
from ami.events import QueueMember
from core import names
from core.settings import Settings
from dialplan.compiler import CompileOptions, compile_calendar, compile_entry, compile_plan
from dialplan.plan_json import parse_plan
from dialplan.publish import AsteriskPublisher
from ivr.prompts import generated_command

# R8's prompts, short tones standing in until the prompt generator has made them
ANNOUNCE_PROMPTS = (
    names.PROMPT_HELLO,
    names.PROMPT_AGENT_SERVING,
    *(f"{names.PROMPT_DIGIT_PREFIX}{d}" for d in range(10)),
)


def ensure_test_prompts(
    root: Path, prompts_dir: str, language: str, prompts: tuple[str, ...]
) -> None:
    """A 0.2 s tone for each prompt that does not exist yet (real prompts are kept)."""
    folder = root / prompts_dir.lstrip("/") / language
    folder.mkdir(parents=True, exist_ok=True)
    for name in prompts:
        if (folder / f"{name}.wav").exists():
            continue
        inside = f"{prompts_dir}/{language}/{name}.wav"
        subprocess.run(
            ["chroot", str(root), *generated_command(inside, 0.2, tone_hz=440)],
            check=True,
            timeout=30,
        )
        (folder / f"{name}.wav").chmod(0o644)


async def empty(ami: AmiClient, queue: str) -> None:
    """No member left behind by another test or a demo."""
    reply = await ami.send(QueueStatus(queue=queue))
    for member in reply.events:
        if isinstance(member, QueueMember):
            with contextlib.suppress(AmiActionFailed):
                await ami.send(QueueRemove(queue, member.interface))


async def originate_into_queue(
    ami: AmiClient, phone_extension: str, queue: str, variables: dict[str, str]
) -> None:
    """A "caller": desk phone ``phone_extension`` (a SIPp UAS that answers) is called and,
    once it answers, waits in ``queue`` with these channel variables — as a compiled plan
    would have set them (a test needs no greeting and no test-only dialplan)."""
    headers: dict[str, object] = {
        "Channel": f"PJSIP/{phone_extension}",
        "Application": "Queue",
        "Data": queue,
        "CallerID": f"<{phone_extension}>",
        "Async": "true",
        "Timeout": "10000",
    }
    if variables:
        headers["Variable"] = ",".join(f"{k}={v}" for k, v in variables.items())
    await ami.action("Originate", headers)  # type: ignore[arg-type]


async def publish_keep_place_plan(
    publisher: AsteriskPublisher, settings: Settings, version: int
) -> None:
    """A plan straight into the queue whose key 1 keeps the caller's place (a callback);
    nobody signed in, a 20 s wait or the key: goodbye. Published as ``version``."""
    plan = parse_plan(
        {
            "entry_numbers": [settings.entry_number],
            "start": "q",
            "nodes": [
                {
                    "kind": "queue",
                    "id": "q",
                    "queue": settings.queue,
                    "when_nobody": "bye",
                    "max_wait_s": 20,
                    "on_max_wait": "bye",
                    "keep_place_digit": "1",
                    "keep_place": "bye",
                },
                {"kind": "hang_up", "id": "bye"},
            ],
        }
    )
    options = CompileOptions(settings.prompts_dir, settings.timezone)
    compiled = compile_plan(plan, version, options)
    entry = compile_entry({settings.entry_number: version}, options, compiled.keep_place_digits)
    await publisher.publish([compiled], entry, compile_calendar(()))
