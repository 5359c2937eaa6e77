"""One RTP (RFC 2833) pcap for a whole string of DTMF digits, from Debian's per-digit
captures (``/usr/share/sip-tester/dtmf_2833_<digit>.pcap``).

Those captures come from one recording session: each digit keeps its own RTP sequence
numbers and timestamps, so replaying '#' then '2' sends '2' with *older* numbers and
Asterisk drops it as out of order (and a digit repeated keeps its timestamp, so the
second is taken for the first). Here the packets of each digit are renumbered into one
increasing stream, ``gap_s`` apart, and written as a single capture SIPp can play.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

PCAP_HEADER = struct.Struct("<IHHiIII")
RECORD = struct.Struct("<IIII")
CLOCK_RATE = 8000  # telephone-event/8000
NAMES = {**{d: d for d in "0123456789"}, "*": "star", "#": "pound"}


def _packets(capture: bytes) -> list[tuple[float, bytes]]:
    offset, packets = PCAP_HEADER.size, []
    while offset < len(capture):
        sec, usec, length, _ = RECORD.unpack_from(capture, offset)
        offset += RECORD.size
        packets.append((sec + usec / 1e6, capture[offset : offset + length]))
        offset += length
    return packets


def dtmf_pcap(digits: str, captures: Mapping[str, bytes], gap_s: float = 0.7) -> bytes:
    """The pcap that keys ``digits`` (``captures`` maps a digit to its Debian capture)."""
    if not digits:
        raise ValueError("no digits")
    unknown = [d for d in digits if d not in NAMES or d not in captures]
    if unknown:
        raise ValueError(f"no DTMF capture for {unknown[0]!r}")
    header = captures[digits[0]][: PCAP_HEADER.size]
    out = [header]
    seq, clock = 1000, 160_000
    for index, digit in enumerate(digits):
        packets = _packets(captures[digit])
        first_time = packets[0][0]
        for when, frame in packets:
            ip_start = 14
            udp_start = ip_start + (frame[ip_start] & 0x0F) * 4
            rtp_start = udp_start + 8
            rebuilt = bytearray(frame)
            struct.pack_into("!HI", rebuilt, rtp_start + 2, seq & 0xFFFF, clock & 0xFFFFFFFF)
            struct.pack_into("!H", rebuilt, udp_start + 6, 0)  # no UDP checksum (IPv4)
            seq += 1
            at = 1.0 + index * gap_s + (when - first_time)
            out.append(
                RECORD.pack(int(at), round((at % 1) * 1e6) % 1_000_000, len(rebuilt), len(rebuilt))
            )
            out.append(bytes(rebuilt))
        clock += int(gap_s * CLOCK_RATE)
    return b"".join(out)


def duration_ms(digits: str, gap_s: float = 0.7) -> int:
    return int((len(digits) * gap_s + 0.3) * 1000)
