"""Typed AMI events: frozen dataclasses built from the raw headers at the boundary.

Only the events the service uses get a class; any other event arrives as
``UnknownEvent`` with its headers, so nothing is lost. Field names follow
asterisk.md §1-§6; units are stated where Asterisk mixes them (RingTime is ms in
AgentRingNoAnswer and seconds in AgentConnect).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

Headers = Mapping[str, str]
Converter = Callable[[str], Any]


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def _bool(value: str) -> bool:
    return value.lower() in {"1", "true", "yes", "on"}


def _str(value: str) -> str:
    return value


class MemberStatus(enum.IntEnum):
    """app_queue's member (device) status, asterisk.md §1."""

    UNKNOWN = 0
    NOT_INUSE = 1
    INUSE = 2
    BUSY = 3
    INVALID = 4
    UNAVAILABLE = 5
    RINGING = 6
    RINGINUSE = 7
    ONHOLD = 8

    @classmethod
    def parse(cls, value: str) -> MemberStatus:
        try:
            return cls(int(value))
        except ValueError:
            return cls.UNKNOWN


class HungUpFirst(enum.Enum):
    """``AgentComplete.Reason``: who ended the call (R10)."""

    CALLER = "caller"
    AGENT = "agent"
    TRANSFER = "transfer"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: str) -> HungUpFirst:
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Every event: Asterisk's own ``Timestamp`` (``timestampevents = yes``) and the raw headers."""

    NAME: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[tuple[str, str, Converter], ...]] = ()

    timestamp: float = 0.0
    raw: Headers = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.raw.get("Event", self.NAME)

    def get(self, key: str, default: str = "") -> str:
        """A raw header by its exact name (or, failing that, any case)."""
        value = self.raw.get(key)
        if value is not None:
            return value
        lowered = key.lower()
        for k, v in self.raw.items():
            if k.lower() == lowered:
                return v
        return default

    @classmethod
    def from_headers(cls, headers: Headers) -> Event:
        get = headers.get
        values = {attr: conv(get(key, "")) for attr, key, conv in cls.FIELDS}
        return cls(timestamp=_float(get("Timestamp", "")), raw=headers, **values)


def _fields(
    *spec: tuple[str, str] | tuple[str, str, Converter],
) -> tuple[tuple[str, str, Converter], ...]:
    return tuple((s[0], s[1], s[2] if len(s) == 3 else _str) for s in spec)


CHANNEL_FIELDS = _fields(
    ("channel", "Channel"),
    ("uniqueid", "Uniqueid"),
    ("linkedid", "Linkedid"),
    ("caller_id_num", "CallerIDNum"),
    ("caller_id_name", "CallerIDName"),
    ("context", "Context"),
    ("exten", "Exten"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEvent(Event):
    """An event about a channel: the caller's snapshot for queue events."""

    FIELDS = CHANNEL_FIELDS
    channel: str = ""
    uniqueid: str = ""
    linkedid: str = ""
    caller_id_num: str = ""
    caller_id_name: str = ""
    context: str = ""
    exten: str = ""


# ---- system ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FullyBooted(Event):
    NAME = "FullyBooted"
    FIELDS = _fields(("status", "Status"), ("uptime_s", "Uptime", _int))
    status: str = ""
    uptime_s: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Shutdown(Event):
    NAME = "Shutdown"
    FIELDS = _fields(("shutdown", "Shutdown"), ("restart", "Restart", _bool))
    shutdown: str = ""
    restart: bool = False


# ---- queue members --------------------------------------------------------------------

MEMBER_FIELDS = _fields(
    ("queue", "Queue"),
    ("member_name", "MemberName"),
    ("interface", "Interface"),
    ("state_interface", "StateInterface"),
    ("membership", "Membership"),
    ("penalty", "Penalty", _int),
    ("calls_taken", "CallsTaken", _int),
    ("last_call", "LastCall", _int),
    ("last_pause", "LastPause", _int),
    ("login_time", "LoginTime", _int),
    ("in_call", "InCall", _bool),
    ("status", "Status", MemberStatus.parse),
    ("paused", "Paused", _bool),
    ("paused_reason", "PausedReason"),
    ("ringinuse", "Ringinuse", _bool),
    ("wrapuptime", "Wrapuptime", _int),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberEvent(Event):
    FIELDS = MEMBER_FIELDS
    queue: str = ""
    member_name: str = ""
    interface: str = ""
    state_interface: str = ""
    membership: str = ""
    penalty: int = 0
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = 0
    in_call: bool = False
    status: MemberStatus = MemberStatus.UNKNOWN
    paused: bool = False
    paused_reason: str = ""
    ringinuse: bool = False
    wrapuptime: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberAdded(QueueMemberEvent):
    NAME = "QueueMemberAdded"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberRemoved(QueueMemberEvent):
    NAME = "QueueMemberRemoved"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberPause(QueueMemberEvent):
    NAME = "QueueMemberPause"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberStatus(QueueMemberEvent):
    NAME = "QueueMemberStatus"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberPenalty(QueueMemberEvent):
    NAME = "QueueMemberPenalty"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMember(QueueMemberEvent):
    """One member in a ``QueueStatus`` reply: it says ``Name``/``Location`` (asterisk.md §1)."""

    NAME = "QueueMember"
    FIELDS = tuple(
        (attr, {"MemberName": "Name", "Interface": "Location"}.get(header, header), conv)
        for attr, header, conv in MEMBER_FIELDS
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueParams(Event):
    NAME = "QueueParams"
    FIELDS = _fields(("queue", "Queue"), ("calls", "Calls", _int))
    queue: str = ""
    calls: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEntry(ChannelEvent):
    NAME = "QueueEntry"
    FIELDS = CHANNEL_FIELDS + _fields(
        ("queue", "Queue"), ("position", "Position", _int), ("wait_s", "Wait", _int)
    )
    queue: str = ""
    position: int = 0
    wait_s: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueStatusComplete(Event):
    NAME = "QueueStatusComplete"


# ---- queue callers and agents ----------------------------------------------------------

QUEUE_CALLER_FIELDS = CHANNEL_FIELDS + _fields(
    ("queue", "Queue"), ("position", "Position", _int), ("count", "Count", _int)
)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerJoin(ChannelEvent):
    NAME = "QueueCallerJoin"
    FIELDS = QUEUE_CALLER_FIELDS
    queue: str = ""
    position: int = 0
    count: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerLeave(ChannelEvent):
    NAME = "QueueCallerLeave"
    FIELDS = QUEUE_CALLER_FIELDS
    queue: str = ""
    position: int = 0
    count: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerAbandon(ChannelEvent):
    NAME = "QueueCallerAbandon"
    FIELDS = CHANNEL_FIELDS + _fields(
        ("queue", "Queue"),
        ("position", "Position", _int),
        ("original_position", "OriginalPosition", _int),
        ("hold_time_s", "HoldTime", _int),
    )
    queue: str = ""
    position: int = 0
    original_position: int = 0
    hold_time_s: int = 0


AGENT_FIELDS = CHANNEL_FIELDS + _fields(
    ("queue", "Queue"),
    ("interface", "Interface"),
    ("member_name", "MemberName"),
    ("dest_channel", "DestChannel"),
    ("dest_uniqueid", "DestUniqueid"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentEvent(ChannelEvent):
    FIELDS = AGENT_FIELDS
    queue: str = ""
    interface: str = ""
    member_name: str = ""
    dest_channel: str = ""
    dest_uniqueid: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCalled(AgentEvent):
    NAME = "AgentCalled"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRingNoAnswer(AgentEvent):
    NAME = "AgentRingNoAnswer"
    FIELDS = AGENT_FIELDS + _fields(("ring_time_ms", "RingTime", _int))
    ring_time_ms: int = 0  # milliseconds here


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConnect(AgentEvent):
    NAME = "AgentConnect"
    FIELDS = AGENT_FIELDS + _fields(
        ("hold_time_s", "HoldTime", _int), ("ring_time_s", "RingTime", _int)
    )
    hold_time_s: int = 0
    ring_time_s: int = 0  # seconds here


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentComplete(AgentEvent):
    NAME = "AgentComplete"
    FIELDS = AGENT_FIELDS + _fields(
        ("hold_time_s", "HoldTime", _int),
        ("talk_time_s", "TalkTime", _int),
        ("reason", "Reason", HungUpFirst.parse),
    )
    hold_time_s: int = 0
    talk_time_s: int = 0
    reason: HungUpFirst = HungUpFirst.UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentDump(AgentEvent):
    NAME = "AgentDump"


# ---- devices and phones ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactStatus(Event):
    NAME = "ContactStatus"
    FIELDS = _fields(
        ("uri", "URI"),
        ("contact_status", "ContactStatus"),
        ("aor", "AOR"),
        ("endpoint", "EndpointName"),
        ("roundtrip_usec", "RoundtripUsec", _int),
    )
    uri: str = ""
    contact_status: str = ""  # Created, Reachable, Unreachable, NonQualified, Removed, Updated
    aor: str = ""
    endpoint: str = ""
    roundtrip_usec: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerStatus(Event):
    NAME = "PeerStatus"
    FIELDS = _fields(("peer", "Peer"), ("peer_status", "PeerStatus"))
    peer: str = ""
    peer_status: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceStateChange(Event):
    NAME = "DeviceStateChange"
    FIELDS = _fields(("device", "Device"), ("state", "State"))
    device: str = ""
    state: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtensionStatus(Event):
    NAME = "ExtensionStatus"
    FIELDS = _fields(
        ("exten", "Exten"),
        ("context", "Context"),
        ("hint", "Hint"),
        ("status", "Status", _int),
        ("status_text", "StatusText"),
    )
    exten: str = ""
    context: str = ""
    hint: str = ""
    status: int = 0
    status_text: str = ""


# ---- channels ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Newchannel(ChannelEvent):
    NAME = "Newchannel"


@dataclass(frozen=True, slots=True, kw_only=True)
class Hangup(ChannelEvent):
    NAME = "Hangup"
    FIELDS = CHANNEL_FIELDS + _fields(("cause", "Cause", _int), ("cause_text", "Cause-txt"))
    cause: int = 0
    cause_text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HangupRequest(ChannelEvent):
    NAME = "HangupRequest"
    FIELDS = CHANNEL_FIELDS + _fields(("cause", "Cause", _int), ("tech_cause", "TechCause", _int))
    cause: int = 0
    tech_cause: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SoftHangupRequest(ChannelEvent):
    NAME = "SoftHangupRequest"
    FIELDS = CHANNEL_FIELDS + _fields(("cause", "Cause", _int))
    cause: int = 0


BRIDGE_FIELDS = CHANNEL_FIELDS + _fields(("bridge", "BridgeUniqueid"))


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeEnter(ChannelEvent):
    NAME = "BridgeEnter"
    FIELDS = BRIDGE_FIELDS
    bridge: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeLeave(ChannelEvent):
    NAME = "BridgeLeave"
    FIELDS = BRIDGE_FIELDS
    bridge: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Hold(ChannelEvent):
    NAME = "Hold"
    FIELDS = CHANNEL_FIELDS + _fields(("music_class", "MusicClass"))
    music_class: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unhold(ChannelEvent):
    NAME = "Unhold"


@dataclass(frozen=True, slots=True, kw_only=True)
class DTMFEnd(ChannelEvent):
    NAME = "DTMFEnd"
    FIELDS = CHANNEL_FIELDS + _fields(
        ("digit", "Digit"), ("direction", "Direction"), ("duration_ms", "DurationMs", _int)
    )
    digit: str = ""
    direction: str = ""
    duration_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class UserEvent(ChannelEvent):
    """``UserEvent(<name>,Key: value,…)`` from the dialplan or the UserEvent action."""

    NAME = "UserEvent"
    FIELDS = CHANNEL_FIELDS + _fields(("user_event", "UserEvent"))
    user_event: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageWaiting(ChannelEvent):
    NAME = "MessageWaiting"
    FIELDS = CHANNEL_FIELDS + _fields(
        ("mailbox", "Mailbox"),
        ("waiting", "Waiting", _int),
        ("new", "New", _int),
        ("old", "Old", _int),
    )
    mailbox: str = ""
    waiting: int = 0
    new: int = 0
    old: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginateResponse(Event):
    NAME = "OriginateResponse"
    FIELDS = _fields(
        ("response", "Response"),
        ("channel", "Channel"),
        ("reason", "Reason", _int),
        ("uniqueid", "Uniqueid"),
    )
    response: str = ""
    channel: str = ""
    reason: int = 0  # 4 answered, 3 no answer, 0 other (asterisk.md §4)
    uniqueid: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownEvent(Event):
    """Any event without a class of its own; its headers are all in ``raw``."""


EVENT_TYPES: dict[str, type[Event]] = {
    cls.NAME: cls
    for cls in (
        FullyBooted,
        Shutdown,
        QueueMemberAdded,
        QueueMemberRemoved,
        QueueMemberPause,
        QueueMemberStatus,
        QueueMemberPenalty,
        QueueMember,
        QueueParams,
        QueueEntry,
        QueueStatusComplete,
        QueueCallerJoin,
        QueueCallerLeave,
        QueueCallerAbandon,
        AgentCalled,
        AgentRingNoAnswer,
        AgentConnect,
        AgentComplete,
        AgentDump,
        ContactStatus,
        PeerStatus,
        DeviceStateChange,
        ExtensionStatus,
        Newchannel,
        Hangup,
        HangupRequest,
        SoftHangupRequest,
        BridgeEnter,
        BridgeLeave,
        Hold,
        Unhold,
        DTMFEnd,
        UserEvent,
        MessageWaiting,
        OriginateResponse,
    )
}


def parse_event(headers: Headers) -> Event:
    """The typed event for one message's headers (``UnknownEvent`` when we have no class)."""
    cls = EVENT_TYPES.get(headers.get("Event", ""), UnknownEvent)
    return cls.from_headers(headers)


def parse_headers(raw: str) -> dict[str, str]:
    """``Key: value`` lines to a dict; the first of a repeated header wins, as in Asterisk."""
    headers: dict[str, str] = {}
    for line in raw.split("\r\n"):
        key, sep, value = line.partition(": ")
        if not sep:
            key, sep, value = line.partition(":")
            if not sep:
                continue
        if key not in headers:
            headers[key] = value
    return headers
