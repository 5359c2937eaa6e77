"""Prompts: the standard's exact wording, and how text becomes audio Asterisk plays.

Generated prompts use espeak-ng's Mandarin voice, then sox converts them to what
Asterisk plays without transcoding: 8 kHz, mono, 16-bit signed PCM WAV.  Building the
command lines is pure; running them is the caller's business (on the host, or inside
the sandbox root).
"""

from __future__ import annotations

from dataclasses import dataclass

# standard.md R6, verbatim.
GREETING = "您好,这里是新疆维吾尔自治区人力资源和社会保障电话咨询服务中心"

ESPEAK_VOICE = "cmn"
ESPEAK_SPEED_WPM = 150


@dataclass(frozen=True)
class Prompt:
    name: str  # file name without extension, as Playback() names it
    text: str


DEFAULT_PROMPTS = (Prompt("greeting", GREETING),)


def tts_commands(text: str, raw_wav: str, out_wav: str) -> list[list[str]]:
    """The argv lists that turn ``text`` into ``out_wav`` (no shell: text is one argv item)."""
    if not text.strip():
        raise ValueError("a prompt needs text")
    return [
        ["espeak-ng", "-v", ESPEAK_VOICE, "-s", str(ESPEAK_SPEED_WPM), "-w", raw_wav, "--", text],
        # normalise to -1 dBFS first: espeak's output clips when resampled as is
        [
            "sox",
            raw_wav,
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            out_wav,
            "gain",
            "-n",
            "-1",
        ],
    ]
