"""Pure parts of the sandbox and the SIPp harness."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from asterisk_conf.sandbox import rootfs
from asterisk_conf.sandbox.dtmf import dtmf_pcap
from asterisk_conf.sandbox.host import debian_mirror_from_host
from asterisk_conf.sandbox.sipp import (
    DTMF_MARKER,
    _parse,
    sipp_messages,
    udp_ports_bound,
    with_dtmf,
)
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


def test_bound_udp_ports_are_read_from_the_kernels_table() -> None:
    table = (
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
        "  101: 0100007F:13D0 00000000:0000 07 00000000:00000000 00:00000000 00000000     0\n"
        "  102: 00000000:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0\n"
        "  103: 0200007F:13D1 00000000:0000 07 00000000:00000000 00:00000000 00000000     0\n"
    )
    # 5072 on 127.0.0.1, 5060 on every address; 5073 on 127.0.0.2 is not ours
    assert udp_ports_bound(table, "127.0.0.1") == {5072, 5060}


def test_sipps_error_line_is_shown_not_its_statistics_screen() -> None:
    output = (
        "2026-12-01\t17:49:08.185783\t1796147348.185783: Unable to bind main socket, "
        "errno = 98 (Address already in use)\n" + "  Successful call | 0 | 0\n" * 100
    )
    assert "Unable to bind main socket" in sipp_messages(output)
    assert sipp_messages("just a screen\n") == "just a screen\n"


def test_greeting_is_the_standards_wording_and_spoken_as_one_argument() -> None:
    assert GREETING == "您好,这里是新疆维吾尔自治区人力资源和社会保障电话咨询服务中心"
    espeak, sox = tts_commands(GREETING, "/tmp/raw.wav", "/p/greeting.wav")
    assert espeak[-1] == GREETING and espeak[-2] == "--"
    assert sox[:2] == ["sox", "/tmp/raw.wav"] and "8000" in sox


def _capture(digit_code: int, seq0: int, ts: int) -> bytes:
    """A tiny Debian-style capture: Ethernet + IPv4 + UDP + 3 RTP event packets."""
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    records = []
    for i in range(3):
        rtp = struct.pack("!BBHII", 0x80, 101, seq0 + i, ts, 0xE05384E)
        rtp += bytes([digit_code, 0x0A, 0, 0])
        frame = bytes(14) + bytes([0x45]) + bytes(19) + bytes(8) + rtp
        records.append(struct.pack("<IIII", 100, i * 20_000, len(frame), len(frame)) + frame)
    return header + b"".join(records)


def test_dtmf_digits_become_one_capture_with_increasing_rtp_numbers() -> None:
    # Debian's captures for '#' come *after* '2' in the recording: replayed in the order
    # '#', '2', the '2' would be older and dropped by Asterisk.
    captures = {
        "#": _capture(11, 8436, 92640),
        "2": _capture(2, 8042, 23200),
        "0": _capture(0, 7900, 10000),
    }
    pcap = dtmf_pcap("#200", captures)
    seqs, stamps, codes, offset = [], [], [], 24
    while offset < len(pcap):
        _, _, length, _ = struct.unpack_from("<IIII", pcap, offset)
        frame = pcap[offset + 16 : offset + 16 + length]
        seq, ts = struct.unpack_from("!HI", frame, 42 + 2)
        seqs.append(seq)
        stamps.append(ts)
        codes.append(frame[42 + 12])
        assert struct.unpack_from("!H", frame, 34 + 6) == (0,)  # UDP checksum cleared
        offset += 16 + length
    assert codes == [11] * 3 + [2] * 3 + [0] * 3 + [0] * 3
    assert seqs == sorted(seqs) and len(set(seqs)) == 12
    per_digit = [stamps[i] for i in range(0, 12, 3)]
    assert per_digit == sorted(per_digit) and len(set(per_digit)) == 4  # '00' is two digits
    with pytest.raises(ValueError, match="A"):
        dtmf_pcap("A", captures)


def test_dtmf_capture_is_played_once_after_answer() -> None:
    text = with_dtmf(f"<a/>\n  {DTMF_MARKER}\n<b/>", "/x/dtmf-1.pcap", 1000)
    assert 'play_pcap_audio="/x/dtmf-1.pcap"' in text and 'milliseconds="1000"' in text
