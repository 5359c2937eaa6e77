"""The number a callback may call, checked before it is stored (pure).

Mainland mobiles (``1[3-9]`` and 9 digits) and landlines (``0``, a 2- or 3-digit area
code, a 7- or 8-digit local number) only; ``+86``/``0086`` (and ``86`` before a mobile)
are dropped. Short codes (110, 12345, 10086…), service numbers (95xxx, 96xxx), 400/800
numbers and anything else are refused — a callback never reaches a premium or special
number. International numbers (``00``/``+`` and a country code other than 86) only when
an admin allows them (setting ``callback_allow_international``), as ``00`` and 7–15
digits (E.164). The result is digits only, as the outbound trunk dials them.
"""

from __future__ import annotations

import re
from typing import NoReturn

from core.errors import HotlineError

MAX_LENGTH = 32  # characters as typed, separators included

_MOBILE = re.compile(r"1[3-9]\d{9}")
# 010 and 02x have 2-digit area codes, 03xx–09xx 3-digit ones; local numbers start 2–9
_LANDLINE = re.compile(r"0(?:10|2\d|[3-9]\d\d)[2-9]\d{6,7}")
_INTERNATIONAL = re.compile(r"00[1-9]\d{6,14}")
_SEPARATORS = re.compile(r"[ \-]")
_TYPED = re.compile(r"\+?[0-9]+")  # ASCII digits: no full-width ones

# what a refused number looks like → why it is refused (the first that matches speaks)
_SPECIAL = (
    (re.compile(r"(400|800)\d{7}"), "a 400/800 service number"),
    (re.compile(r"9[56]\d{3,6}"), "a 95xxx/96xxx service number"),
    (re.compile(r"1\d{2,5}"), "a short code (110, 12345, 10086…)"),
)


class InvalidNumber(HotlineError):
    """The number is not one a callback may call; ``details['reason']`` says why."""

    code = "callback.invalid_number"


def check_number(raw: str, *, allow_international: bool) -> str:
    """The number as the trunk dials it (digits only), or ``InvalidNumber``."""
    typed = _typed(raw)
    if typed.startswith("+"):
        typed = "00" + typed[1:]
    if typed.startswith("0086"):
        return _national(typed[4:], with_country_code=True)
    if typed.startswith("00"):
        return _international(typed, allow_international)
    if typed.startswith("86") and _MOBILE.fullmatch(typed[2:]):
        return typed[2:]
    return _national(typed, with_country_code=False)


def _typed(raw: str) -> str:
    """The digits (and a leading ``+``) of ``raw``, refusing what cannot be a number."""
    if not raw.strip():
        _refuse("empty", "no number was given")
    if len(raw) > MAX_LENGTH:
        _refuse("too_long", f"a number has at most {MAX_LENGTH} characters")
    if not raw.isprintable():
        _refuse("characters", "the number has control characters")
    typed = _SEPARATORS.sub("", raw.strip())
    if not _TYPED.fullmatch(typed):
        _refuse("characters", "a number has digits only (spaces, dashes and a leading + allowed)")
    return typed


def _national(digits: str, *, with_country_code: bool) -> str:
    if _MOBILE.fullmatch(digits):
        return digits
    for pattern, what in _SPECIAL:
        if pattern.fullmatch(digits):
            _refuse("special", f"{what} is not called back")
    # in international form a landline drops its trunk 0: +86 10 … is 010 …
    landline = "0" + digits if with_country_code and not digits.startswith("0") else digits
    if _LANDLINE.fullmatch(landline):
        return landline
    _refuse(
        "pattern",
        "not a mainland mobile (11 digits, 13–19…) or landline (0, area code, local number)",
    )


def _international(digits: str, allowed: bool) -> str:
    if not allowed:
        _refuse("international", "international numbers are not called back (an admin may allow)")
    if not _INTERNATIONAL.fullmatch(digits):
        _refuse("pattern", "an international number is 00 (or +), a country code and 7–15 digits")
    return digits


def _refuse(reason: str, message: str) -> NoReturn:
    raise InvalidNumber(f"cannot call this number back: {message}", reason=reason)
