"""Prompts, pure: names and wording, the command lines, and the checks' decisions."""

from __future__ import annotations

import math
import sys
import types

import chinese_calendar
import pytest

from asterisk_conf.sandbox.rootfs import ADDED_PACKAGES, missing_packages
from core import names
from dialplan.model import DEFAULT_LANGUAGE, PROMPT_NAME, Language
from ivr import prompts as p
from ivr.prompts import AudioStats, AudioType, Limits

# ---- names and the standard's wording -------------------------------------------------


def test_default_names_are_unique_and_pass_the_plan_whitelist() -> None:
    found = [prompt.name for prompt in p.default_prompts()]
    assert len(found) == len(set(found))
    assert all(PROMPT_NAME.fullmatch(n) for n in found)


def test_the_greeting_is_r6_verbatim() -> None:
    assert dict((x.name, x.text) for x in p.DEFAULT_PROMPTS)["greeting"] == (
        "您好,这里是新疆维吾尔自治区人力资源和社会保障电话咨询服务中心"
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (names.PROMPT_HELLO, "您好,"),
        (names.PROMPT_AGENT_SERVING, "号咨询员为您服务,请讲。"),  # R8
        (names.PROMPT_HOLD_REMINDER, "我正在为您查询,请稍等。"),  # R9
        ("wish-new_years_day", "新年好,"),  # R7
        ("wish-spring_festival", "春节快乐,"),
        ("wish-national_day", "国庆快乐,"),
        ("digit-0", "零"),
        ("digit-1", "幺"),  # a job number is read as on the phone line
        ("digit-7", "七"),
        ("agent-signed_in", "签入成功,已示闲。"),
    ],
)
def test_default_wording(name: str, text: str) -> None:
    assert {x.name: x.text for x in p.DEFAULT_PROMPTS}[name] == text


def test_every_official_holiday_has_a_wish() -> None:
    official = {h.name for h in chinese_calendar.Holiday} - {"anti_fascist_70th_day"}
    assert set(p.HOLIDAY_WISHES) == official
    defaults = {x.name for x in p.DEFAULT_PROMPTS}
    assert {names.PROMPT_WISH_PREFIX + key for key in official} <= defaults


def test_an_agents_job_number_is_read_digit_by_digit() -> None:
    assert p.job_number_prompts("1023") == ("digit-1", "digit-0", "digit-2", "digit-3")


def test_the_default_plans_prompts_extend_the_defaults_without_rewording_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = types.ModuleType("dialplan.default_plan")
    plan.DEFAULT_PROMPT_TEXTS = {"menu-main": "请按一。", "greeting": "不是标准的问候"}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "dialplan.default_plan", plan)
    got = {x.name: x.text for x in p.default_prompts()}
    assert got["menu-main"] == "请按一。"
    assert got["greeting"] == p.GREETING


def test_the_default_language_folder_is_mandarins() -> None:
    assert names.PROMPT_DEFAULT_LANGUAGE == DEFAULT_LANGUAGE.value == "zh"
    assert p.asterisk_path("/var/lib/hotline/prompts/", Language.UYGHUR, "menu") == (
        "/var/lib/hotline/prompts/ug/menu"
    )


@pytest.mark.parametrize(("language", "voice"), [("zh", "cmn"), ("ug", "ug"), ("kk", "kk")])
def test_each_language_speaks_with_its_espeak_voice(language: str, voice: str) -> None:
    argv = p.tts_commands("您好", "/w/raw.wav", "/w/out.wav", p.language(language).espeak_voice)
    assert argv[0][:3] == ["espeak-ng", "-v", voice]


# ---- hostile input at the edge (asterisk.md §5) -------------------------------------------

HOSTILE = [
    "greeting\n[evil]",
    "a;b",
    "a,b",
    "${SHELL(id)}",
    "$[1+1]",
    "#include x",
    "#exec id",
    "[ctx]",
    "_X.",
    "../etc/passwd",
    "a/b",
    'a"b',
    "a'b",
    "a" * 1001,
    "a\x00b",
    "😀",
    "",
    "Greeting",
    "1greeting",
    ".hidden",
]


@pytest.mark.parametrize("raw", [*HOSTILE, None, 7, ["greeting"]])
def test_hostile_prompt_names_are_refused(raw: object) -> None:
    with pytest.raises(p.BadPromptName) as caught:
        p.prompt_name(raw)
    assert caught.value.code == "input.prompt_name"


@pytest.mark.parametrize("raw", ["x\ny", "a\x00b", "x" * 501, "", "   ", "。,!?", None, 3])
def test_unspeakable_texts_are_refused(raw: object) -> None:
    with pytest.raises(p.BadPromptText):
        p.prompt_text(raw)


def test_a_hostile_text_is_one_argv_item_after_the_end_of_options() -> None:
    text = "-w /etc/passwd ${SHELL(id)}; $(reboot) `id` '\" [evil]"
    espeak, sox = p.tts_commands(p.prompt_text(text), "/w/raw.wav", "/w/out.wav")
    assert espeak[-2:] == ["--", text]
    assert text not in sox


@pytest.mark.parametrize("raw", ["en", "ZH", "", None, "zh\n"])
def test_unknown_languages_are_refused(raw: object) -> None:
    with pytest.raises(p.UnknownLanguage):
        p.language(raw)


# ---- the type by content ------------------------------------------------------------

WAV_HEAD = b"RIFF\x24\x08\x00\x00WAVEfmt "
OGG_VORBIS = b"OggS\x00\x02" + bytes(22) + b"\x01\x1e\x01vorbis\x00\x00"
OGG_OPUS = b"OggS\x00\x02" + bytes(22) + b"\x01\x13OpusHead"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (WAV_HEAD, AudioType.WAV),
        (OGG_VORBIS, AudioType.VORBIS),
        (b"ID3\x04\x00\x00", AudioType.MP3),
        (b"\xff\xfb\x90\x64", AudioType.MP3),  # MPEG-1 layer III
        (b"\xff\xf3\x40\xc4", AudioType.MP3),  # MPEG-2 layer III
        (b"\xff\xf1\x50\x80", None),  # AAC (ADTS): layer bits 00
        (OGG_OPUS, None),
        (b"hello, this is text\n", None),
        (b"RIFF\x00\x00\x00\x00AVI ", None),
        (b"%PDF-1.7", None),
        (b"", None),
    ],
)
def test_the_upload_type_is_told_by_content(head: bytes, kind: AudioType | None) -> None:
    assert p.sniff(head) is kind


def test_the_conversion_names_the_type_found_not_a_file_name() -> None:
    argv = p.convert_command("/w/upload", AudioType.MP3, "/w/out.wav")
    assert argv[:5] == ["sox", "-G", "-t", "mp3", "/w/upload"]
    assert argv[5:] == [
        "-r",
        "8000",
        "-c",
        "1",
        "-b",
        "16",
        "-e",
        "signed-integer",
        "-t",
        "wav",
        "/w/out.wav",
    ]


# ---- the checks -----------------------------------------------------------------------

LIMITS = Limits(max_bytes=1000, min_s=0.2, max_s=60.0, silence_dbfs=-50.0)


@pytest.mark.parametrize(
    ("stats", "error"),
    [
        (AudioStats(3.0, -1.0), None),
        (AudioStats(0.2, -1.0), None),
        (AudioStats(60.0, -49.9), None),
        (AudioStats(0.1, -1.0), p.PromptTooShort),
        (AudioStats(60.5, -1.0), p.PromptTooLong),
        (AudioStats(3.0, -90.3), p.PromptSilent),
        (AudioStats(3.0, -math.inf), p.PromptSilent),
        (AudioStats(0.05, -math.inf), p.PromptTooShort),  # too short says more than silent
    ],
)
def test_audio_checks(stats: AudioStats, error: type[Exception] | None) -> None:
    if error is None:
        p.check_audio(stats, LIMITS)
    else:
        with pytest.raises(error):
            p.check_audio(stats, LIMITS)


@pytest.mark.parametrize(("size", "refused"), [(0, False), (1000, False), (1001, True)])
def test_size_limit(size: int, refused: bool) -> None:
    if refused:
        with pytest.raises(p.PromptTooLarge) as caught:
            p.check_size(size, LIMITS)
        assert caught.value.details == {"max_bytes": 1000}
    else:
        p.check_size(size, LIMITS)


SOX_STATS = """\
DC offset   0.000003
Min level  -0.995178
Max level   0.995941
Pk lev dB      -0.04
RMS lev dB    -17.54
Length s       1.865
Scale max   1.000000
"""


def test_sox_stats_are_read() -> None:
    assert p.parse_stats(SOX_STATS) == AudioStats(1.865, -0.04)
    silent = SOX_STATS.replace("-0.04", "-inf")
    assert p.parse_stats(silent).peak_dbfs == -math.inf
    with pytest.raises(p.AudioToolFailed):
        p.parse_stats("sox FAIL formats: can't open input file")


def test_espeak_voices_are_read() -> None:
    text = (
        "Pty Language       Age/Gender VoiceName          File                 Other Languages\n"
        " 5  cmn             --/M      Chinese_(Mandarin) sit/cmn              (zh-cmn 5)(zh 5)\n"
        " 5  kk              --/M      Kazakh             trk/kk\n"
        " 5  ug              --/M      Uyghur             trk/ug\n"
    )
    assert p.parse_voices(text) == {"cmn", "kk", "ug"}


def test_packages_added_to_a_built_root_are_found_missing() -> None:
    listed = "sox install ok installed\nlibsox-fmt-mp3:amd64 deinstall ok config-files\n"
    assert missing_packages(listed, ADDED_PACKAGES) == ["libsox-fmt-mp3"]
    assert missing_packages("libsox-fmt-mp3 install ok installed\n", ADDED_PACKAGES) == []
