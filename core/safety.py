"""Whitelists for values that end up inside AMI messages or Asterisk config text.

asterisk.md §5 and §8: a newline, ``;``, ``,`` or ``${`` in generated config or in
an AMI header changes what Asterisk does.  We never escape such values: we refuse
them, with an error that names the field.
"""

from __future__ import annotations

import re

from core.errors import UnsafeValueError

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"^[0-9]{1,20}$")
_DIAL_STRING = re.compile(r"^[0-9*#+]{1,20}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


def _check(pattern: re.Pattern[str], field: str, value: str, what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise UnsafeValueError(f"{field}={value!r} is not {what}")
    return value


def refuse_control_chars(field: str, value: str) -> str:
    """Return ``value`` unchanged, or refuse it if it holds a control character."""
    if _CONTROL.search(value):
        raise UnsafeValueError(
            f"{field} holds a control character (CR, LF, NUL …); refused before it reached Asterisk"
        )
    return value


def digits(field: str, value: str) -> str:
    """Job numbers, extensions, queue numbers: 1–20 ASCII digits."""
    return _check(_DIGITS, field, value, "1-20 digits")


def dial_string(field: str, value: str) -> str:
    """A number a caller or agent may dial: digits, ``*``, ``#``, ``+``."""
    return _check(_DIAL_STRING, field, value, "a dial string of digits, *, # or +")


def token(field: str, value: str) -> str:
    """Names of contexts, users, endpoints: letters, digits, ``_`` and ``-``."""
    return _check(_TOKEN, field, value, "a name of letters, digits, '_' or '-'")


def hostname(field: str, value: str) -> str:
    """A host name or IPv4 address: letters, digits, dots and hyphens."""
    return _check(_HOSTNAME, field, value, "a host name")


def secret(field: str, value: str) -> str:
    """Generated secrets: 16+ URL-safe characters, nothing a config parser treats specially."""
    return _check(_SECRET, field, value, "a secret of 16-128 letters, digits, '_' or '-'")
