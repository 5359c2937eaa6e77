"""Desk phones an admin adds, pure: the rules for an extension and a SIP password, the
digest Asterisk keeps instead of the password, and the two files the publisher writes.

No plaintext password is stored or written: PJSIP's auth takes
``password_digest = MD5:<md5(username:realm:password)>`` (Asterisk 22; the older
``auth_type = md5`` / ``md5_cred`` are converted to it), so the table and the config
file hold the digest only. Every value that reaches the files is whitelisted here
(asterisk.md §5: a newline, ``;`` or ``[`` would change the file's meaning): the
extension is digits, the realm a token, the digest 32 hex digits.

The sandbox's static phones (``asterisk_conf/templates/pjsip.conf.j2``, setting
``desk_phones``) stay in the template; published phones are extra, in their own range
(setting ``published_phones``) that must not meet the static ones.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from core import names, safety
from core.errors import InvalidInput, UnsafeValueError

PASSWORD_MIN = 12
PASSWORD_MAX = 64
# what a phone's keypad and a provisioning file take; no space, quote, ';', '#', '\\'
_PASSWORD = re.compile(r"[A-Za-z0-9_.~+=@%^*!-]+")
_DIGEST = re.compile(r"[0-9a-f]{32}")
_DIGITS = re.compile(r"[0-9]{1,20}")
QUALIFY_FREQUENCY_S = 5  # as the template's phones (asterisk_conf AsteriskConf)


class InvalidPhonePassword(InvalidInput):
    """The SIP password breaks the policy (the message never repeats it)."""

    code = "input.invalid_phone_password"


@dataclass(frozen=True)
class DeskPhone:
    """A published desk phone: its extension (also its SIP user), the realm its digest
    was made for, MD5(extension:realm:password), and whether Asterisk should have it."""

    extension: str
    realm: str
    digest: str
    active: bool = True

    def checked(self) -> DeskPhone:
        """Refuse anything that could change the meaning of the rendered files."""
        safety.digits("desk phone extension", self.extension)
        safety.token("desk phone realm", self.realm)
        if not _DIGEST.fullmatch(self.digest):
            raise UnsafeValueError(f"digest of desk phone {self.extension} is not MD5 hex")
        return self


def check_extension(value: object, allowed: Collection[str], static: Collection[str]) -> str:
    """A new phone's extension: digits, inside the published range, not a static phone."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise InvalidInput("extension must be 1-20 digits (0-9)")
    if value in static:
        raise InvalidInput(f"extension {value} is one of the static desk phones")
    if allowed and value not in allowed:
        raise InvalidInput(f"extension {value} is outside the range for published phones")
    return value


def check_password(value: object) -> str:
    if not isinstance(value, str) or not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise InvalidPhonePassword(
            f"a desk phone's password is {PASSWORD_MIN} to {PASSWORD_MAX} characters"
        )
    if not _PASSWORD.fullmatch(value):
        raise InvalidPhonePassword(
            "a desk phone's password holds letters, digits and _ . ~ + = @ % ^ * ! - only"
        )
    return value


def digest_of(extension: str, realm: str, password: str) -> str:
    """What Asterisk checks a phone's answer against (RFC 2617's HA1)."""
    text = f"{extension}:{realm}:{password}".encode()
    return hashlib.md5(text, usedforsecurity=False).hexdigest()


def new_phone(extension: str, password: str, realm: str = names.PHONE_REALM) -> DeskPhone:
    return DeskPhone(extension, realm, digest_of(extension, realm, check_password(password)))


# ---- the files ---------------------------------------------------------------------------


def _pjsip(phone: DeskPhone) -> str:
    ext = phone.extension
    return f"""
[{ext}]
type = endpoint
transport = transport-udp
context = {names.AGENTS}
moh_suggest = {names.HOLD_MOH_CLASS}
disallow = all
allow = alaw,ulaw
dtmf_mode = rfc4733
direct_media = no
rtp_symmetric = yes
auth = {ext}-auth
aors = {ext}

[{ext}-auth]
type = auth
auth_type = digest
username = {ext}
realm = {phone.realm}
password_digest = MD5:{phone.digest}
supported_algorithms_uas = MD5

[{ext}]
type = aor
max_contacts = 1
remove_existing = yes
qualify_frequency = {QUALIFY_FREQUENCY_S}
qualify_timeout = 2.0
"""


def _local(ext: str) -> str:
    """The queue member's Local extension: the template's agents-local body."""
    announce = f'${{IF($["${{{names.ANNOUNCE_VAR}}}" = "0"]?:G({names.CONNECT}^announce^1))}}'
    return (
        f"exten => {ext},1,Set(CHANNEL(hangup_handler_push)={names.WRAP_UP_HANDLER},s,1({ext}))\n"
        f" same => n,Dial(PJSIP/{ext},,b({names.ESCALATE}^features^1){announce})\n"
        ' same => n,ExecIf($["${DIALSTATUS}"="BUSY"]?Busy(5))\n'
        ' same => n,ExecIf($["${DIALSTATUS}"="CHANUNAVAIL" | "${DIALSTATUS}"="CONGESTION"]'
        "?Congestion(5))\n"
        " same => n,Hangup()\n"
    )


HEADER = "; Written by hotline's desk-phone publisher (deskphones/) - do not edit by hand.\n"


def render_files(phones: Sequence[DeskPhone]) -> dict[str, str]:
    """``{file name: text}`` for ``names.PHONES_DIR``: the active phones' PJSIP objects,
    and their Local extensions and lamps. Both contexts always exist (maybe empty)."""
    live = sorted((p.checked() for p in phones if p.active), key=lambda p: p.extension)
    if len({p.extension for p in live}) != len(live):
        raise UnsafeValueError("two desk phones share an extension")
    pjsip = HEADER + "".join(_pjsip(p) for p in live)
    dialplan = (
        HEADER
        + f"[{names.PHONES_LOCAL}]\n"
        + "".join(_local(p.extension) for p in live)
        + f"\n[{names.PHONES_LAMPS}]\n"
        + "".join(f"exten => {p.extension},hint,PJSIP/{p.extension}\n" for p in live)
    )
    return {names.PHONES_PJSIP_FILE: pjsip, names.PHONES_DIALPLAN_FILE: dialplan}


def expected(phones: Sequence[DeskPhone]) -> frozenset[str]:
    """The endpoints Asterisk must have after a publish."""
    return frozenset(p.extension for p in phones if p.active)
