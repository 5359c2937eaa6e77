"""Prompts: their names, the standard's exact wording, and the decisions about audio.

Pure: no files, no processes. Asterisk plays ``<prompts_dir>/<language>/<name>.wav``,
8 kHz mono 16-bit signed PCM (what it plays without transcoding). Generated prompts
use espeak-ng in the language's voice, then sox; uploads are recognised by their first
bytes (never by a file name), converted by sox, then checked: size, duration, silence.
Building the command lines and judging their output live here; ``ivr.audio`` runs them.
"""

from __future__ import annotations

import enum
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from core import names
from core.errors import HotlineError, InvalidInput
from core.names import FeatureResult, result_prompt
from dialplan.model import DEFAULT_LANGUAGE, PROMPT_NAME, Language

# standard.md R6, verbatim.
GREETING = "您好,这里是新疆维吾尔自治区人力资源和社会保障电话咨询服务中心"

# standard.md R9: what a caller on hold hears every 30 s.
HOLD_REMINDER = "我正在为您查询,请稍等。"

ESPEAK_VOICE = DEFAULT_LANGUAGE.espeak_voice  # cmn
ESPEAK_SPEED_WPM = 150
SAMPLE_RATE = 8000
TEXT_MAX = 500  # characters of a prompt's text (a long menu is about 100)


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
    FeatureResult.PHONE_TAKEN: "这部话机已有其他坐席签入,请换一部话机。",
}
ENTER_JOB_NUMBER = "agent-enter-job-number"
ENTER_PIN = "agent-enter-pin"
FEATURE_PROMPTS = (
    Prompt(ENTER_JOB_NUMBER, "请输入工号,以井号键结束。"),
    Prompt(ENTER_PIN, "请输入密码,以井号键结束。"),
    *(Prompt(result_prompt(result), _RESULT_TEXT[result]) for result in FeatureResult),
    # callbacks (R12): the agent checks number and name, then confirms with the key
    Prompt(
        names.PROMPT_CALLBACK_CASE,
        f"回访任务,核对号码和姓名后请按{names.CALLBACK_CONFIRM_KEY}拨打。",
    ),
    Prompt(names.PROMPT_ESCALATED, "已提交升级处理。"),  # R11a: the escalation code
)

# R7: each official holiday's wish, by the calendar's holiday key (chinese-calendar's
# names). Clear-and-bright (清明) and the Dragon Boat festival are days of remembrance:
# the custom wishes 安康 (well-being) on them, not 快乐.
HOLIDAY_WISHES: Mapping[str, str] = {
    "new_years_day": "新年好,",
    "spring_festival": "春节快乐,",
    "tomb_sweeping_day": "清明安康,",
    "labour_day": "劳动节快乐,",
    "dragon_boat_festival": "端午安康,",
    "national_day": "国庆快乐,",
    "mid_autumn_festival": "中秋快乐,",
}

# R8: a job number is read digit by digit, as 12333 callers hear any number on the
# line: 1 is 幺 (yāo), the way Chinese service lines say a 工号 ("幺零零幺号"), because
# 一 (yī) and 七 (qī) are easily confused on a narrow-band telephone line; 2 is 二.
DIGIT_WORDS = ("零", "幺", "二", "三", "四", "五", "六", "七", "八", "九")


def wish_prompt(holiday: str) -> str:
    return names.PROMPT_WISH_PREFIX + holiday  # e.g. wish-spring_festival


def digit_prompt(digit: int | str) -> str:
    return f"{names.PROMPT_DIGIT_PREFIX}{digit}"


def job_number_prompts(job_number: str) -> tuple[str, ...]:
    """The prompts that read a job number aloud, one per digit."""
    return tuple(digit_prompt(d) for d in job_number if d.isdigit())


CALLER_PROMPTS = (
    Prompt(names.PROMPT_HELLO, "您好,"),
    *(Prompt(wish_prompt(key), wish) for key, wish in HOLIDAY_WISHES.items()),
    *(Prompt(digit_prompt(d), word) for d, word in enumerate(DIGIT_WORDS)),
    Prompt(names.PROMPT_AGENT_SERVING, "号咨询员为您服务,请讲。"),
    Prompt(names.PROMPT_HOLD_REMINDER, HOLD_REMINDER),
    # keep your place: then the caller's number, digit by digit
    Prompt(names.PROMPT_KEEP_PLACE, "我们将回拨您的来电号码"),
)

# The defaults, in Mandarin (R14: Mandarin by default). A later line may extend it.
DEFAULT_PROMPTS: tuple[Prompt, ...] = (Prompt("greeting", GREETING), *FEATURE_PROMPTS)
DEFAULT_PROMPTS += CALLER_PROMPTS


def default_prompts() -> tuple[Prompt, ...]:
    """``DEFAULT_PROMPTS`` plus the default dial plan's prompts (``dialplan.default_plan``
    when it exists); a name already above keeps the standard's wording."""
    try:
        plan = importlib.import_module("dialplan.default_plan")
    except ModuleNotFoundError:
        return DEFAULT_PROMPTS
    texts: Mapping[str, str] = getattr(plan, "DEFAULT_PROMPT_TEXTS", {})
    known = {p.name for p in DEFAULT_PROMPTS}
    return DEFAULT_PROMPTS + tuple(Prompt(n, t) for n, t in texts.items() if n not in known)


# ---- names, languages, texts (checked at the edge) ----------------------------------


class PromptError(HotlineError):
    code = "input.prompt"


class BadPromptName(PromptError):
    code = "input.prompt_name"


class UnknownLanguage(PromptError):
    code = "input.prompt_language"


class BadPromptText(PromptError):
    code = "input.prompt_text"


class WrongAudioType(PromptError):
    code = "input.prompt_type"


class PromptTooLarge(PromptError):
    code = "input.prompt_too_large"  # 413 (web/errors.py)


class PromptTooShort(PromptError):
    code = "input.prompt_too_short"


class PromptTooLong(PromptError):
    code = "input.prompt_too_long"


class PromptSilent(PromptError):
    code = "input.prompt_silent"


class PromptNotFound(HotlineError):
    code = "not_found.prompt"


class PromptInUse(HotlineError):
    code = "prompt.in_use"  # 409: the live plan plays it


class AudioToolFailed(HotlineError):
    code = "prompt.tool_failed"  # 503: sox or espeak-ng missing, failed or timed out


class PromptsUnwritable(HotlineError):
    code = "prompt.unwritable"  # 503: the prompts folder on Asterisk's side


def prompt_name(raw: object) -> str:
    if not isinstance(raw, str) or not PROMPT_NAME.fullmatch(raw):
        raise BadPromptName(
            "a prompt name is 1-64 characters: a lowercase letter first, then a-z, 0-9, _ or -"
        )
    return raw


def language(raw: object) -> Language:
    try:
        return Language(raw)
    except ValueError:
        codes = ", ".join(lang.value for lang in Language)
        raise UnknownLanguage(f"language must be one of {codes}") from None


_SPEAKABLE = re.compile(r"\w")


def prompt_text(raw: object) -> str:
    """Text to speak: one line, no control characters, something to say."""
    if not isinstance(raw, str) or not raw.strip():
        raise BadPromptText("text must be a non-empty string")
    if len(raw) > TEXT_MAX:
        raise BadPromptText(f"text is limited to {TEXT_MAX} characters")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in raw):
        raise BadPromptText("text holds a control character (a line break, NUL …)")
    if not _SPEAKABLE.search(raw):
        raise BadPromptText("text has nothing to speak: only punctuation or symbols")
    return raw


def asterisk_path(prompts_dir: str, lang: Language, name: str) -> str:
    """What ``Playback()`` names: the file in Asterisk's file system, no extension."""
    return f"{prompts_dir.rstrip('/')}/{lang.value}/{name}"


# ---- audio: type by content, limits, command lines --------------------------------------


class AudioType(enum.Enum):
    """What an upload may be, by its first bytes; the value is sox's ``-t`` type."""

    WAV = "wav"
    MP3 = "mp3"
    VORBIS = "vorbis"  # Ogg Vorbis


SNIFF_BYTES = 64


def sniff(head: bytes) -> AudioType | None:
    """The upload's type from its first bytes; ``None`` for anything else."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return AudioType.WAV
    if head[:4] == b"OggS" and b"\x01vorbis" in head[:SNIFF_BYTES]:
        return AudioType.VORBIS
    if head[:3] == b"ID3":
        return AudioType.MP3
    # an MPEG audio frame: 11 sync bits, a version other than "reserved", layer III
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
        if version != 0b01 and layer == 0b01:
            return AudioType.MP3
    return None


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # an upload, as sent
    min_s: float
    max_s: float
    silence_dbfs: float  # a peak below this is silence


@dataclass(frozen=True)
class AudioStats:
    duration_s: float
    peak_dbfs: float  # -inf for digital silence


def check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise PromptTooLarge(
            f"the upload is larger than {limits.max_bytes} bytes; send a shorter or"
            " more compressed recording",
            max_bytes=limits.max_bytes,
        )


def check_audio(stats: AudioStats, limits: Limits) -> None:
    """A prompt a caller can hear: long enough, short enough, not silence."""
    if stats.duration_s < limits.min_s:
        raise PromptTooShort(
            f"the recording lasts {stats.duration_s:.2f} s; a prompt lasts at least"
            f" {limits.min_s:g} s",
            duration_s=round(stats.duration_s, 2),
            min_s=limits.min_s,
        )
    if stats.duration_s > limits.max_s:
        raise PromptTooLong(
            f"the recording lasts {stats.duration_s:.1f} s; a prompt lasts at most"
            f" {limits.max_s:g} s: cut it or split it into several prompts",
            duration_s=round(stats.duration_s, 1),
            max_s=limits.max_s,
        )
    if stats.peak_dbfs < limits.silence_dbfs:
        raise PromptSilent(
            "the recording is silent (its loudest moment is below"
            f" {limits.silence_dbfs:g} dBFS): check the microphone and record again",
        )


_STAT_LINE = re.compile(r"^(Pk lev dB|Length s)\s+(\S+)", re.MULTILINE)


def parse_stats(text: str) -> AudioStats:
    """``sox <file> -n stats`` output (its stderr) as figures."""
    found = dict(_STAT_LINE.findall(text))
    try:
        return AudioStats(float(found["Length s"]), float(found["Pk lev dB"]))
    except (KeyError, ValueError) as exc:
        raise AudioToolFailed("sox stats gave no length or peak level") from exc


_TO_ASTERISK = ("-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer")


def tts_commands(
    text: str, raw_wav: str, out_wav: str, voice: str = ESPEAK_VOICE
) -> list[list[str]]:
    """The argv lists that turn ``text`` into ``out_wav`` (no shell: text is one argv item)."""
    if not text.strip():
        raise InvalidInput("a prompt needs text")
    return [
        ["espeak-ng", "-v", voice, "-s", str(ESPEAK_SPEED_WPM), "-w", raw_wav, "--", text],
        # normalise to -1 dBFS first: espeak's output clips when resampled as is
        ["sox", raw_wav, *_TO_ASTERISK, "-t", "wav", out_wav, "gain", "-n", "-1"],
    ]


def convert_command(source: str, kind: AudioType, out_wav: str) -> list[str]:
    """An upload to what Asterisk plays; ``-G`` guards against clipping (downmix,
    resampling) without changing the level otherwise, so silence stays silence."""
    return ["sox", "-G", "-t", kind.value, source, *_TO_ASTERISK, "-t", "wav", out_wav]


def generated_command(out_wav: str, seconds: float, *, tone_hz: int | None = None) -> list[str]:
    """``seconds`` of silence (or of a sine tone: tests' stand-in prompts) in the
    format Asterisk plays."""
    sound = (
        ["trim", "0", f"{seconds:g}"]
        if tone_hz is None
        else ["synth", f"{seconds:g}", "sine", str(tone_hz)]
    )
    return ["sox", "-n", *_TO_ASTERISK, out_wav, *sound]


def stats_command(wav: str) -> list[str]:
    return ["sox", "-t", "wav", wav, "-n", "stats"]


def voices_command() -> list[str]:
    return ["espeak-ng", "--voices"]


def parse_voices(text: str) -> frozenset[str]:
    """The voice names of ``espeak-ng --voices`` (its second column)."""
    lines = text.splitlines()[1:]
    return frozenset(parts[1] for line in lines if len(parts := line.split()) > 1)
