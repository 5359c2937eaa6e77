"""Typed AMI events: frozen dataclasses built from the raw headers at the boundary.

Only the events the service uses get a class; any other event arrives as
``UnknownEvent`` with its headers, so nothing is lost. Field names follow
asterisk.md §1-§6; units are stated where Asterisk mixes them (RingTime is ms in
AgentRingNoAnswer and seconds in AgentConnect).

Each field is declared once, as an attribute. Its AMI header follows from the name
(``header_for``: ``member_name`` -> ``MemberName``, a unit suffix of ours dropped:
``hold_time_s`` -> ``HoldTime``); where Asterisk spells it otherwise the field says so
(``header("CallerIDNum")``), and an event that renames an inherited field lists it in
``RENAMED``. The converter follows from the annotation (``int``, ``bool``, an enum's
``parse``). ``FIELDS`` is computed from all that once, when this module loads.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from core import names

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


_HEADER = "ami_header"
_UNIT_SUFFIXES = ("_s", "_ms")  # ours, for clarity: Asterisk's header has no unit


def header(name: str, default: Any = "") -> Any:
    """A field whose AMI header does not follow ``header_for`` its attribute name."""
    return field(default=default, metadata={_HEADER: name})


def header_for(attr: str) -> str:
    """The AMI header an attribute reads unless it says otherwise: ``dest_uniqueid`` ->
    ``DestUniqueid``, ``ring_time_ms`` -> ``RingTime``."""
    for suffix in _UNIT_SUFFIXES:
        if attr.endswith(suffix):
            attr = attr[: -len(suffix)]
            break
    return "".join(part.capitalize() for part in attr.split("_"))


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
    RENAMED: ClassVar[Mapping[str, str]] = {}  # attribute -> header, for this event only
    FIELDS: ClassVar[tuple[tuple[str, str, Converter], ...]] = ()  # derived, see _derive

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


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEvent(Event):
    """An event about a channel: the caller's snapshot for queue events."""

    channel: str = ""
    uniqueid: str = ""
    linkedid: str = ""
    caller_id_num: str = header("CallerIDNum")
    caller_id_name: str = header("CallerIDName")
    context: str = ""
    exten: str = ""


def call_of(event: Event) -> str:
    """The call (Linkedid) an event belongs to. app_queue sends ``AgentComplete``
    without the caller's snapshot when the caller's channel is gone by the time it reads
    it ("Empty caller_snapshot; sending incomplete event", ``apps/app_queue.c``: ~1 % of
    calls under load) — then the member's ``DestLinkedid``, the same call, says it."""
    return event.get("Linkedid") or event.get("DestLinkedid")


# ---- system ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FullyBooted(Event):
    NAME = "FullyBooted"
    status: str = ""
    uptime_s: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Shutdown(Event):
    NAME = "Shutdown"
    shutdown: str = ""
    restart: bool = False


# ---- queue members --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberEvent(Event):
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
    RENAMED: ClassVar[Mapping[str, str]] = {"member_name": "Name", "interface": "Location"}


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueParams(Event):
    NAME = "QueueParams"
    queue: str = ""
    calls: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEntry(ChannelEvent):
    NAME = "QueueEntry"
    queue: str = ""
    position: int = 0
    wait_s: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueStatusComplete(Event):
    NAME = "QueueStatusComplete"


# ---- queue callers and agents ----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerJoin(ChannelEvent):
    NAME = "QueueCallerJoin"
    queue: str = ""
    position: int = 0
    count: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerLeave(ChannelEvent):
    NAME = "QueueCallerLeave"
    queue: str = ""
    position: int = 0
    count: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerAbandon(ChannelEvent):
    NAME = "QueueCallerAbandon"
    queue: str = ""
    position: int = 0
    original_position: int = 0
    hold_time_s: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentEvent(ChannelEvent):
    queue: str = ""
    interface: str = ""
    member_name: str = ""
    dest_channel: str = ""
    dest_uniqueid: str = ""
    dest_linkedid: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCalled(AgentEvent):
    NAME = "AgentCalled"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRingNoAnswer(AgentEvent):
    NAME = "AgentRingNoAnswer"
    ring_time_ms: int = 0  # milliseconds here


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConnect(AgentEvent):
    NAME = "AgentConnect"
    hold_time_s: int = 0
    ring_time_s: int = 0  # seconds here


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentComplete(AgentEvent):
    NAME = "AgentComplete"
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
    uri: str = header("URI")
    contact_status: str = ""  # Created, Reachable, Unreachable, NonQualified, Removed, Updated
    aor: str = header("AOR")
    endpoint: str = header("EndpointName")
    roundtrip_usec: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerStatus(Event):
    NAME = "PeerStatus"
    peer: str = ""
    peer_status: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceStateChange(Event):
    NAME = "DeviceStateChange"
    device: str = ""
    state: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtensionStatus(Event):
    NAME = "ExtensionStatus"
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
    cause: int = 0
    cause_text: str = header("Cause-txt")


@dataclass(frozen=True, slots=True, kw_only=True)
class HangupRequest(ChannelEvent):
    NAME = "HangupRequest"
    cause: int = 0
    tech_cause: int = 0


SOFTHANGUP_SHUTDOWN = 1 << 2  # AST_SOFTHANGUP_SHUTDOWN: Asterisk is stopping/restarting


@dataclass(frozen=True, slots=True, kw_only=True)
class SoftHangupRequest(ChannelEvent):
    """Asterisk tears the channel down itself; ``Cause`` is its soft-hangup flags
    (AST_SOFTHANGUP_*), not a Q.850 cause as in ``HangupRequest``/``Hangup``."""

    NAME = "SoftHangupRequest"
    cause: int = 0

    @property
    def by_shutdown(self) -> bool:
        """Asterisk is shutting down (``core stop``/``core restart``), not a party."""
        return bool(self.cause & SOFTHANGUP_SHUTDOWN)


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeEnter(ChannelEvent):
    NAME = "BridgeEnter"
    bridge: str = header("BridgeUniqueid")


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeLeave(ChannelEvent):
    NAME = "BridgeLeave"
    bridge: str = header("BridgeUniqueid")


@dataclass(frozen=True, slots=True, kw_only=True)
class Hold(ChannelEvent):
    NAME = "Hold"
    music_class: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unhold(ChannelEvent):
    NAME = "Unhold"


@dataclass(frozen=True, slots=True, kw_only=True)
class DTMFEnd(ChannelEvent):
    NAME = "DTMFEnd"
    digit: str = ""
    direction: str = ""
    duration_ms: int = header("DurationMs", 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserEvent(ChannelEvent):
    """``UserEvent(<name>,Key: value,…)`` from the dialplan or the UserEvent action."""

    NAME = "UserEvent"
    user_event: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HotlineNode(UserEvent):
    """``UserEvent(HotlineNode,Node: …,Version: …,PromptLanguage: …)``: the caller entered
    a node of published plan ``version`` (the compiled dial plan emits it at each node).
    Not ``Language``: every event's channel snapshot has that header already."""

    node: str = ""
    version: int = 0
    prompt_language: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageWaiting(ChannelEvent):
    NAME = "MessageWaiting"
    mailbox: str = ""
    waiting: int = 0
    new: int = 0
    old: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginateResponse(Event):
    NAME = "OriginateResponse"
    response: str = ""
    channel: str = ""
    reason: int = 0  # 4 answered, 3 no answer, 0 other (asterisk.md §4)
    uniqueid: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CoreShowChannel(ChannelEvent):
    """One live channel in the reply to ``CoreShowChannels``."""

    NAME = "CoreShowChannel"
    application: str = ""
    duration: str = ""  # HH:MM:SS


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelStatusItem(ChannelEvent):
    """One live channel in the reply to ``Status`` (``ami.actions.ChannelStatus``)."""

    NAME = "Status"
    application: str = ""


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
        CoreShowChannel,
        ChannelStatusItem,
    )
}

# What Asterisk streams to the service's own session: the events a handler of the service
# reads as they happen. The service's AMI user gets only these (an include ``eventfilter``
# a name in manager.conf, asterisk_conf/model.py SERVICE_EVENTS); the rest of a call's
# events (device states, Newstate, caller-id and connected-line updates, dial, bridge
# and music-on-hold events, hangup handlers: 41 of 69 a call, README "Capacity", run AD)
# are neither written by Asterisk nor read and parsed by the service. The replies to
# list actions (QueueStatus, DeviceStateList, CoreShowChannels, Status,
# ExtensionStateList) are written to the session directly and never filtered, so they
# need no entry. A handler of the service for any other event is refused when it is
# attached (``AmiClient(streamed=...)``).
STREAMED: tuple[type[Event], ...] = (
    FullyBooted,  # the client and the agents' reconcile: Asterisk (re)started
    QueueMemberPause,  # agent_state: busy and wrap-up confirmed
    QueueMemberRemoved,  # agent_state: sign-out confirmed
    ContactStatus,  # agent_state: the desk phone lost and back (R2b)
    QueueCallerJoin,  # calls, the wallboard's waiting callers
    QueueCallerLeave,
    QueueCallerAbandon,
    AgentCalled,  # agent_state, calls
    AgentRingNoAnswer,
    AgentConnect,
    AgentComplete,
    Newchannel,  # calls, live calls, callbacks
    Hangup,
    HangupRequest,  # calls: who hung up first (R10)
    SoftHangupRequest,
    Hold,  # calls: holds (R9)
    Unhold,
    UserEvent,  # the dialplan's own (core/names.py EVENT_*)
    OriginateResponse,  # callbacks: the outbound call's fate
)
STREAMED_NAMES: tuple[str, ...] = tuple(sorted(cls.NAME for cls in STREAMED))

# a ``UserEvent`` whose ``UserEvent`` header names one of these gets its own class
USER_EVENT_TYPES: dict[str, type[UserEvent]] = {names.EVENT_NODE: HotlineNode}


def _converter(annotation: Any) -> Converter:
    simple: dict[Any, Converter] = {str: _str, int: _int, bool: _bool, float: _float}
    if annotation in simple:
        return simple[annotation]
    parse = getattr(annotation, "parse", None)
    if parse is None:
        raise TypeError(f"no AMI converter for {annotation!r}")
    return typing.cast(Converter, parse)


def _derive(cls: type[Event]) -> tuple[tuple[str, str, Converter], ...]:
    """``(attribute, header, converter)`` for each field of ``cls`` but the common two."""
    hints = typing.get_type_hints(cls)
    return tuple(
        (
            f.name,
            cls.RENAMED.get(f.name) or f.metadata.get(_HEADER) or header_for(f.name),
            _converter(hints[f.name]),
        )
        for f in dataclasses.fields(cls)
        if f.name not in {"timestamp", "raw"}
    )


_ALL_TYPES: tuple[type[Event], ...] = (
    Event,
    ChannelEvent,
    QueueMemberEvent,
    AgentEvent,
    UnknownEvent,
    *EVENT_TYPES.values(),
    *USER_EVENT_TYPES.values(),
)
for _cls in _ALL_TYPES:
    _cls.FIELDS = _derive(_cls)


def parse_event(headers: Headers) -> Event:
    """The typed event for one message's headers (``UnknownEvent`` when we have no class)."""
    cls = EVENT_TYPES.get(headers.get("Event", ""), UnknownEvent)
    if cls is UserEvent:
        cls = USER_EVENT_TYPES.get(headers.get("UserEvent", ""), UserEvent)
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
