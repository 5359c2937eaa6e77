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


# What a desk phone hears after a feature code (design.md: "the phone hears a prompt
# saying what happened"). The service's answer names the prompt: agent-<result>.
FEATURE_PROMPTS = (
    Prompt("agent-enter-job-number", "请输入工号,以井号键结束。"),
    Prompt("agent-enter-pin", "请输入密码,以井号键结束。"),
    Prompt("agent-signed_in", "签入成功,已示闲。"),
    Prompt("agent-signed_in_busy", "签入成功,话机不可达,已置忙。"),
    Prompt("agent-signed_out", "已签出。"),
    Prompt("agent-sign_out_pending", "通话结束后签出。"),
    Prompt("agent-idle", "已示闲。"),
    Prompt("agent-busy", "已置忙。"),
    Prompt("agent-wrong_pin", "工号或密码错误。"),
    Prompt("agent-not_allowed", "当前状态不能进行此操作。"),
    Prompt("agent-unavailable", "系统暂时无法处理,请稍后再试。"),
)

DEFAULT_PROMPTS = (Prompt("greeting", GREETING), *FEATURE_PROMPTS)


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
