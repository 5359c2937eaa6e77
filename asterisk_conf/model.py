"""What the Asterisk configuration is rendered from: plain frozen data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ami.events import STREAMED_NAMES
from core import names, safety
from core.errors import UnsafeValueError

# asterisk.md §8: the least-privilege service user.
SERVICE_READ = "agent,call,user,system"
SERVICE_WRITE = "agent,call,originate,user"
# only the events a handler of the service reads reach its session (ami/events.py
# STREAMED): VarSet, Newexten and the Debian build's TestEvent (asterisk.md §8) among
# the many left out
SERVICE_EVENTS = STREAMED_NAMES
LOOPBACK_ONLY = "127.0.0.1/255.255.255.255"
# The dial-plan publisher (asterisk.md §5): it needs a reload and ``dialplan show`` to
# check what Asterisk took. ``command`` (any CLI command) does both. ``config`` also
# reloads but permits GetConfig, which returns every AMI and SIP secret, and cannot show
# the dialplan; ``system`` permits Originate of System()/SHELL. All three are powerful,
# so the user is loopback-only, used by the publishers alone (dial plans, desk phones,
# and the agents' lamp hints: ``dialplan add extension``, agent_state/hints.py) in
# sessions opened for one piece of work, and reads no events but ``system``
# (FullyBooted after a restart): no call, user or dtmf events.
# the longest a callback's confirm wait or ring time may be (also the dialplan's cap on
# the Originate's names.CALLBACK_CONFIRM_S_VAR / CALLBACK_RING_S_VAR)
MAX_CALLBACK_WAIT_S = 600
# how long a department's number rings when an agent transfers a caller (R11b); the
# same as a dial plan's transfer node (dialplan.compiler.CompileOptions)
TRANSFER_TIMEOUT_S = 30
_DTMF_CODE = re.compile(r"[0-9*#]{1,8}")
PUBLISH_READ = "system"
PUBLISH_WRITE = "command"


@dataclass(frozen=True)
class AmiUser:
    name: str
    secret: str = field(repr=False)
    read: str
    write: str
    purpose: str
    permit: str = LOOPBACK_ONLY
    # the only events this user is sent (an include ``eventfilter`` each); (): every one
    only_events: tuple[str, ...] = ()
    # how long Asterisk waits on a full socket before it drops the session (its default
    # 100 ms when None); a session that reads every event of a loaded system needs more
    write_timeout_ms: int | None = None


# bench phones (AsteriskConf.bench_phones): five digits from here, matched by _3XXXX
BENCH_FIRST_PHONE = 30000
BENCH_MAX_PHONES = 10000


@dataclass(frozen=True)
class DeskPhone:
    """An agent's SIP desk phone: extension and its digest password."""

    extension: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class AsteriskConf:
    ami_host: str
    ami_port: int
    ami_users: tuple[AmiUser, ...]
    sip_host: str
    sip_port: int
    trunk_host: str
    trunk_port: int
    entry_number: str
    queue: str
    ring_timeout_s: int
    prompts_dir: str
    desk_phones: tuple[DeskPhone, ...]
    # Asterisk's own record of every call (CEL): appended to <cel_spool_dir>/cel.csv, which
    # the service's loader moves into the ``cel`` table (calls/cel_loader.py); None: no CEL
    cel_spool_dir: str | None = None
    # where the dialplan reaches the service's FastAGI server (the desk phone's sign-in)
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    # desk-phone feature codes (design.md defaults; admin-changeable)
    feature_sign_in: str = "*11"
    feature_sign_out: str = "*12"
    feature_idle: str = "*21"
    feature_busy: str = "*22"
    # R11a: escalate the call just ended (dialled), or the call in progress (pressed)
    feature_escalate: str = "*31"
    feature_escalate_in_call: str = "*5"
    # job numbers whose BLF hint is rendered: agent<job> -> Custom:agent<job> (while the
    # agent is signed in, the service puts the session's phone in too: agent_state/hints.py)
    lamps: tuple[str, ...] = ()
    # the outbound trunk (departments, callbacks): a static contact, caller ID = entry number
    outbound_host: str = "127.0.0.1"
    outbound_port: int = 5062
    # R9: the hold class reminds the caller this often; its files live here
    hold_reminder_s: int = 30
    # voicemail for callbacks: longest message
    voicemail_max_s: int = 120
    # callbacks: the agent confirms within this long; the citizen's phone rings this long
    callback_confirm_timeout_s: int = 30
    callback_ring_timeout_s: int = 30
    run_user: str = "asterisk"
    # Asterisk's threads at real-time priority (``highpriority``, the same as ``-p``): on
    # cores it shares with PostgreSQL and the service, a caller's path never waits behind
    # them (README "Capacity"); read at Asterisk's start only
    high_priority: bool = True
    qualify_frequency_s: int = 5
    debug_log: bool = False
    # bench only (bench/capacity.py, bench/soak.py; never in production): this many
    # phones BENCH_FIRST_PHONE.. with a static contact at 127.0.0.1:bench_phone_port (one
    # SIPp answers them all), reached as members through the real agents-local path
    bench_phones: int = 0
    bench_phone_port: int = 5090

    @property
    def bench_phone_range(self) -> tuple[int, int]:
        """The bench phones' extensions, first and last (empty when none)."""
        return BENCH_FIRST_PHONE, BENCH_FIRST_PHONE + self.bench_phones - 1

    @property
    def hold_music_dir(self) -> str:
        """R9: the hold class's files, played in name order (silence, then the reminder)."""
        return f"{self.prompts_dir}/{names.HOLD_MOH_CLASS}"

    def validated(self) -> AsteriskConf:
        """Refuse any value that could change the meaning of the rendered text."""
        _address("ami_host", self.ami_host)
        _address("sip_host", self.sip_host)
        _address("trunk_host", self.trunk_host)
        _address("agi_host", self.agi_host)
        _address("outbound_host", self.outbound_host)
        _port("bench_phone_port", self.bench_phone_port)
        if not 0 <= self.bench_phones <= BENCH_MAX_PHONES:
            raise UnsafeValueError(f"bench_phones={self.bench_phones} not in 0..{BENCH_MAX_PHONES}")
        for name in ("ami_port", "sip_port", "trunk_port", "agi_port", "outbound_port"):
            _port(name, getattr(self, name))
        safety.digits("entry_number", self.entry_number)
        safety.digits("queue", self.queue)
        safety.token("run_user", self.run_user)
        if not 1 <= self.ring_timeout_s <= 120:
            raise UnsafeValueError(f"ring_timeout_s={self.ring_timeout_s} not in 1..120")
        self._check_telephony()
        _plain_path("prompts_dir", self.prompts_dir)
        if self.cel_spool_dir is not None:
            _plain_path("cel_spool_dir", self.cel_spool_dir)
        for user in self.ami_users:
            _check_ami_user(user)
        codes = [
            self.feature_sign_in,
            self.feature_sign_out,
            self.feature_idle,
            self.feature_busy,
            self.feature_escalate,
        ]
        for code in [*codes, self.feature_escalate_in_call]:
            safety.dial_string("feature code", code)
        if len(set(codes)) != len(codes):
            raise UnsafeValueError("two feature codes are the same")
        # pressed during a call (features.conf's applicationmap): DTMF keys only
        if not _DTMF_CODE.fullmatch(self.feature_escalate_in_call):
            raise UnsafeValueError(f"feature_escalate_in_call={self.feature_escalate_in_call!r}")
        for job_number in self.lamps:
            safety.digits("lamp job number", job_number)
        extensions = [p.extension for p in self.desk_phones]
        if len(set(extensions)) != len(extensions):
            raise UnsafeValueError("two desk phones share an extension")
        for phone in self.desk_phones:
            safety.digits("desk phone extension", phone.extension)
            safety.secret(f"password of desk phone {phone.extension}", phone.password)
        return self

    def _check_telephony(self) -> None:
        """The outbound trunk, the hold reminder (R9) and voicemail."""
        if (self.outbound_host, self.outbound_port) == (self.trunk_host, self.trunk_port):
            raise UnsafeValueError("the outbound trunk cannot be the inbound trunk's address")
        if not 5 <= self.hold_reminder_s <= 600:
            raise UnsafeValueError(f"hold_reminder_s={self.hold_reminder_s} not in 5..600")
        if not 10 <= self.voicemail_max_s <= 600:
            raise UnsafeValueError(f"voicemail_max_s={self.voicemail_max_s} not in 10..600")
        for name in ("callback_confirm_timeout_s", "callback_ring_timeout_s"):
            if not 1 <= getattr(self, name) <= MAX_CALLBACK_WAIT_S:
                raise UnsafeValueError(f"{name}={getattr(self, name)} not in 1..600")


def _check_ami_user(user: AmiUser) -> None:
    safety.token("ami user", user.name)
    safety.secret(f"secret of AMI user {user.name}", user.secret)
    for cls in (user.read + "," + user.write).split(","):
        if cls:
            safety.token(f"AMI class of {user.name}", cls)
    for event in user.only_events:
        safety.token(f"event filter of {user.name}", event)
    timeout = user.write_timeout_ms
    if timeout is not None and not (isinstance(timeout, int) and 100 <= timeout <= 60_000):
        raise UnsafeValueError(f"writetimeout of {user.name}={timeout!r} not in 100..60000 ms")


def _plain_path(name: str, value: str) -> None:
    if not value.startswith("/") or not all(
        safety.token(name, part) for part in value.strip("/").split("/")
    ):
        raise UnsafeValueError(f"{name}={value!r} is not a plain path")


def _address(name: str, value: str) -> None:
    parts = value.split(".")
    if len(parts) != 4 or not all(p.isdigit() and 0 <= int(p) <= 255 for p in parts):
        raise UnsafeValueError(f"{name}={value!r} is not an IPv4 address")


def _port(name: str, value: int) -> None:
    if not 1 <= int(value) <= 65535:
        raise UnsafeValueError(f"{name}={value!r} is not a port")
