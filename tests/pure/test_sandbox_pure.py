"""Pure parts of the sandbox and the SIPp harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from asterisk_conf.sandbox import rootfs
from asterisk_conf.sandbox.host import debian_mirror_from_host
from asterisk_conf.sandbox.sipp import DTMF_MARKER, PCAP_DIR, _parse, with_dtmf
from core.errors import SandboxError
from ivr.prompts import GREETING, tts_commands


def test_mirror_comes_from_deb822_sources(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d/debian.sources").write_text(
        "Types: deb\n# comment\nURIs: http://mirror.test/debian\nSuites: bookworm\n\n"
        "Types: deb\nURIs: http://mirror.test/debian-security\nSuites: bookworm-security\n"
    )
    assert debian_mirror_from_host(tmp_path / "none", tmp_path / "d") == "http://mirror.test/debian"


def test_mirror_comes_from_one_line_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list").write_text(
        "# x\ndeb [arch=amd64] http://m.test/debian/ bookworm main\n"
    )
    assert (
        debian_mirror_from_host(tmp_path / "sources.list", tmp_path / "d") == "http://m.test/debian"
    )


def test_no_mirror_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="HOTLINE_SANDBOX_MIRROR"):
        debian_mirror_from_host(tmp_path / "none", tmp_path / "none.d")


def test_root_without_matching_marker_is_not_complete(tmp_path: Path) -> None:
    assert not rootfs.is_complete(tmp_path)
    (tmp_path / rootfs.MARKER).write_text("an-older-recipe\n")
    assert not rootfs.is_complete(tmp_path)
    (tmp_path / rootfs.MARKER).write_text(rootfs.recipe_id() + "\n")
    assert rootfs.is_complete(tmp_path)


def test_sipp_counters_are_read_from_its_final_screen() -> None:
    screen = (
        "  Successful call        |        0                  |        3     \n"
        "  Failed call            |        0                  |        1     \n"
    )
    result = _parse(1, screen)
    assert (result.successful, result.failed, result.ok) == (3, 1, False)


def test_greeting_is_the_standards_wording_and_spoken_as_one_argument() -> None:
    assert GREETING == "您好,这里是新疆维吾尔自治区人力资源和社会保障电话咨询服务中心"
    espeak, sox = tts_commands(GREETING, "/tmp/raw.wav", "/p/greeting.wav")
    assert espeak[-1] == GREETING and espeak[-2] == "--"
    assert sox[:2] == ["sox", "/tmp/raw.wav"] and "8000" in sox


def test_dtmf_digits_become_rfc2833_captures_in_order() -> None:
    text = with_dtmf(f"<a/>\n  {DTMF_MARKER}\n<b/>", "1*#")
    pcaps = [line.split('"')[1] for line in text.splitlines() if "play_pcap_audio" in line]
    assert pcaps == [
        f"{PCAP_DIR}/dtmf_2833_1.pcap",
        f"{PCAP_DIR}/dtmf_2833_star.pcap",
        f"{PCAP_DIR}/dtmf_2833_pound.pcap",
    ]
    with pytest.raises(ValueError, match="A"):
        with_dtmf(DTMF_MARKER, "A")
