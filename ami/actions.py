"""Typed AMI actions: what the service may ask of Asterisk, as frozen dataclasses.

Each action knows its AMI name and headers. Values are checked by the client for
control characters before anything is sent; the fields that Asterisk stores
unescaped (``persistentmembers``: member names and pause reasons, asterisk.md §1)
are whitelisted here as well.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from core import safety
from core.errors import UnsafeValueError

HeaderValue = str | tuple[str, ...]

# persistentmembers stores "iface;penalty;paused;name;state_iface;reason;wrapuptime|…"
# unescaped: a reason or name holding | ; , recreates members after a restart.
_STORED_TOKEN = re.compile(r"^[A-Za-z0-9_-]{0,40}$")


def _stored(field_name: str, value: str) -> str:
    if not _STORED_TOKEN.fullmatch(value):
        raise UnsafeValueError(
            f"{field_name}={value!r}: Asterisk stores it unescaped; use letters, digits, _ or -"
        )
    return value


def _truth(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True)
class Action:
    NAME: ClassVar[str] = ""
    # an action answered by a list of events ending in "<...>Complete"
    LIST_REPLY: ClassVar[bool] = False

    def headers(self) -> dict[str, HeaderValue]:
        return {}

    def reply_as_list(self) -> bool | None:
        """panoramisk's ``as_list``: True for an event list, None to let it guess."""
        return True if self.LIST_REPLY else None


@dataclass(frozen=True)
class Ping(Action):
    NAME = "Ping"


@dataclass(frozen=True)
class QueueAdd(Action):
    """Sign-in: always added paused unless told otherwise (asterisk#1007)."""

    NAME = "QueueAdd"
    queue: str
    interface: str
    member_name: str
    state_interface: str
    penalty: int = 0
    paused: bool = True
    reason: str = ""

    def headers(self) -> dict[str, HeaderValue]:
        safety.digits("QueueAdd member_name (job number)", self.member_name)
        return {
            "Queue": self.queue,
            "Interface": self.interface,
            "MemberName": self.member_name,
            "StateInterface": self.state_interface,
            "Penalty": str(self.penalty),
            "Paused": _truth(self.paused),
            "Reason": _stored("QueueAdd reason", self.reason),
        }


@dataclass(frozen=True)
class QueueRemove(Action):
    NAME = "QueueRemove"
    queue: str
    interface: str

    def headers(self) -> dict[str, HeaderValue]:
        return {"Queue": self.queue, "Interface": self.interface}


@dataclass(frozen=True)
class QueuePause(Action):
    """Pause or unpause a member; ``queue=None`` acts on all the member's queues."""

    NAME = "QueuePause"
    interface: str
    paused: bool
    queue: str | None = None
    reason: str = ""

    def headers(self) -> dict[str, HeaderValue]:
        headers: dict[str, HeaderValue] = {
            "Interface": self.interface,
            "Paused": _truth(self.paused),
            "Reason": _stored("QueuePause reason", self.reason),
        }
        if self.queue is not None:
            headers["Queue"] = self.queue
        return headers


@dataclass(frozen=True)
class QueueStatus(Action):
    NAME = "QueueStatus"
    LIST_REPLY = True
    queue: str | None = None
    member: str | None = None

    def headers(self) -> dict[str, HeaderValue]:
        headers: dict[str, HeaderValue] = {}
        if self.queue is not None:
            headers["Queue"] = self.queue
        if self.member is not None:
            headers["Member"] = self.member
        return headers


@dataclass(frozen=True)
class DeviceStateList(Action):
    NAME = "DeviceStateList"
    LIST_REPLY = True


@dataclass(frozen=True)
class ExtensionState(Action):
    """One hint: its devices (``Hint``, empty when there is no such hint) and state."""

    NAME = "ExtensionState"
    exten: str
    context: str

    def headers(self) -> dict[str, HeaderValue]:
        return {"Exten": self.exten, "Context": self.context}


@dataclass(frozen=True)
class ExtensionStateList(Action):
    """Every hint: one ``ExtensionStatus`` each (Exten, Context, Hint, Status)."""

    NAME = "ExtensionStateList"
    LIST_REPLY = True


@dataclass(frozen=True)
class Setvar(Action):
    """Set a variable; with no channel, a global or a function such as DEVICE_STATE()."""

    NAME = "Setvar"
    variable: str
    value: str
    channel: str | None = None

    def headers(self) -> dict[str, HeaderValue]:
        headers: dict[str, HeaderValue] = {"Variable": self.variable, "Value": self.value}
        if self.channel is not None:
            headers["Channel"] = self.channel
        return headers


@dataclass(frozen=True)
class SendUserEvent(Action):
    NAME = "UserEvent"
    user_event: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, HeaderValue]:
        safety.token("UserEvent name", self.user_event)
        for key in self.fields:
            safety.token("UserEvent header", key)
        return {"UserEvent": self.user_event, **self.fields}


@dataclass(frozen=True)
class CoreShowChannels(Action):
    """Every live channel, one ``CoreShowChannel`` event each (Uniqueid, Channel, …)."""

    NAME = "CoreShowChannels"
    LIST_REPLY = True


@dataclass(frozen=True)
class ChannelStatus(Action):
    """Every live channel, one ``Status`` event each (Uniqueid, Channel, …). Unlike
    ``CoreShowChannels`` (privilege system or reporting) it needs only ``call``, which
    the service's AMI user has (asterisk.md §8)."""

    NAME = "Status"
    LIST_REPLY = True


@dataclass(frozen=True)
class Getvar(Action):
    """A channel variable's value (the reply's ``Value`` header)."""

    NAME = "Getvar"
    variable: str
    channel: str

    def headers(self) -> dict[str, HeaderValue]:
        return {"Variable": self.variable, "Channel": self.channel}


@dataclass(frozen=True)
class VoicemailRemove(Action):
    """app_voicemail removes one message, found by its ``msg_id``, from a folder and
    renumbers the rest, so its own index stays right (Asterisk 18.20/20.5 and later;
    class ``user``, which the service's AMI user writes). Asterisk answers ``Success``
    whether or not it removed it ("Message remove successful" / "... failed"): the
    caller looks at the spool afterwards."""

    NAME = "VoicemailRemove"
    context: str
    mailbox: str
    folder: str
    msg_id: str

    def headers(self) -> dict[str, HeaderValue]:
        return {
            "Context": self.context,
            "Mailbox": self.mailbox,
            "Folder": self.folder,
            "ID": self.msg_id,
        }


@dataclass(frozen=True)
class Hangup(Action):
    NAME = "Hangup"
    channel: str
    cause: int = 16

    def headers(self) -> dict[str, HeaderValue]:
        return {"Channel": self.channel, "Cause": str(self.cause)}


@dataclass(frozen=True)
class BlindTransfer(Action):
    """``channel`` (the transferer) leaves its bridge and hangs up; the other party of
    that bridge goes on to ``context``,``exten``,1 (R11b: the agent's member leg
    transfers the caller to a department). Unlike ``Redirect`` of the caller, app_queue
    sees a transfer: ``AgentComplete`` says ``Reason: transfer``. The transferee must be
    running the dial plan (an Originate's application has none to go on with).
    Privilege ``call``."""

    NAME = "BlindTransfer"
    channel: str
    context: str
    exten: str = "s"

    def headers(self) -> dict[str, HeaderValue]:
        return {"Channel": self.channel, "Context": self.context, "Exten": self.exten}


@dataclass(frozen=True)
class Originate(Action):
    """Always asynchronous, always with our own ``ChannelId`` (asterisk.md §7.2), so a
    timed-out Originate can be reconciled by that id and is never sent twice."""

    NAME = "Originate"
    channel: str
    context: str
    exten: str
    priority: int = 1
    caller_id: str = ""
    timeout_ms: int = 30_000
    variables: Mapping[str, str] = field(default_factory=dict)
    channel_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    other_channel_id: str = ""  # a Local channel's ;2 half
    # True: the reply is "successfully queued" at once and ``OriginateResponse`` follows
    # as an event (a call into a queue may wait minutes for its answer); False: the reply
    # waits for ``OriginateResponse``
    queued_reply: bool = False

    def reply_as_list(self) -> bool | None:
        return False if self.queued_reply else None

    def headers(self) -> dict[str, HeaderValue]:
        headers: dict[str, HeaderValue] = {
            "Channel": self.channel,
            "Context": self.context,
            "Exten": self.exten,
            "Priority": str(self.priority),
            "Timeout": str(self.timeout_ms),
            "Async": "true",
            "ChannelId": self.channel_id,
        }
        if self.other_channel_id:
            headers["OtherChannelId"] = self.other_channel_id
        if self.caller_id:
            headers["CallerID"] = self.caller_id
        if self.variables:
            headers["Variable"] = tuple(f"{k}={v}" for k, v in self.variables.items())
        return headers
