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
