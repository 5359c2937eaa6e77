"""Prompts: the standard's exact wording, and how text becomes audio Asterisk plays.

Generated prompts use espeak-ng's Mandarin voice, then sox converts them to what
Asterisk plays without transcoding: 8 kHz, mono, 16-bit signed PCM WAV.  Building the
command lines is pure; running them is the caller's business (on the host, or inside
the sandbox root).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.names import FeatureResult, result_prompt

# standard.md R6, verbatim.
GREETING = "您好,这里是新疆维吾尔自治区人力资源和社会保障电话咨询服务中心"

# standard.md R9: what a caller on hold hears every 30 s.
HOLD_REMINDER = "我正在为您查询,请稍等。"

ESPEAK_VOICE = "cmn"
ESPEAK_SPEED_WPM = 150


@dataclass(frozen=True)
class Prompt:
    name: str  # file name without extension, as Playback() names it
    text: str


# What a desk phone hears after a feature code (design.md: "the phone hears a prompt
# saying what happened"). The service's answer names the prompt: agent-<result>.
_RESULT_TEXT = {
    FeatureResult.SIGNED_IN: "签入成功,已示闲。",
    FeatureResult.SIGNED_IN_BUSY: "签入成功,话机不可达,已置忙。",
    FeatureResult.SIGNED_OUT: "已签出。",
    FeatureResult.SIGN_OUT_PENDING: "通话结束后签出。",
    FeatureResult.IDLE: "已示闲。",
    FeatureResult.BUSY: "已置忙。",
    FeatureResult.WRONG_PIN: "工号或密码错误。",
    FeatureResult.NOT_ALLOWED: "当前状态不能进行此操作。",
    FeatureResult.UNAVAILABLE: "系统暂时无法处理,请稍后再试。",
    FeatureResult.LOCKED_OUT: "密码错误次数过多,已暂时锁定,请稍后再试或联系班长。",
    FeatureResult.TRY_LATER: "系统繁忙,请稍后再试。",
}
FEATURE_PROMPTS = (
    Prompt("agent-enter-job-number", "请输入工号,以井号键结束。"),
    Prompt("agent-enter-pin", "请输入密码,以井号键结束。"),
    *(Prompt(result_prompt(result), _RESULT_TEXT[result]) for result in FeatureResult),
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
