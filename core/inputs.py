"""What an API request may carry, checked at the edge: pure, no aiohttp.

Every view reads its JSON body with ``json_object`` and each field with ``text`` (or a
stricter checker below): anything malformed — not JSON, nested past what the parser
can take, a wrong type, a control character, too long — is an ``InvalidInput`` (400)
naming the field, never a 500 from deep inside.
"""

from __future__ import annotations

import json
import re
from typing import Any

from core.errors import InvalidInput

TEXT_MAX = 200  # a field's default length limit (characters)
PIN_MAX = 64  # long enough for any PIN policy, short enough to hash cheaply
_JOB_NUMBER = re.compile(r"[0-9]{1,20}")
_LINKEDID = re.compile(r"[0-9]{1,20}\.[0-9]{1,10}")


def json_object(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, nested too deep
        raise InvalidInput("the body must be a JSON object (UTF-8, not nested deeply)") from exc
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    return body


def json_fields(raw: bytes, allowed: frozenset[str]) -> dict[str, Any]:
    """The request body as a JSON object holding no field but ``allowed``."""
    body = json_object(raw)
    unknown = sorted(set(body) - allowed)
    if unknown:
        shown = ", ".join(repr(k[:40]) for k in unknown[:5])
        raise InvalidInput(f"unknown fields {shown}: use {', '.join(sorted(allowed))}")
    return body


def check_text(key: str, value: str, *, multiline: bool = False) -> str:
    """Refuse control characters (PostgreSQL cannot even store NUL); a summary may keep
    its line breaks and tabs."""
    allowed = "\n\t" if multiline else ""
    if any((ord(c) < 32 or 127 <= ord(c) < 160) and c not in allowed for c in value):
        raise InvalidInput(f"{key} holds a control character")
    return value


def text(
    body: dict[str, Any],
    key: str,
    *,
    required: bool = True,
    multiline: bool = False,
    max_len: int = TEXT_MAX,
) -> str | None:
    """A non-empty string field of at most ``max_len`` characters, or ``None`` if absent
    and not required."""
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{key} must be a non-empty string")
    if len(value) > max_len:
        raise InvalidInput(f"{key} is limited to {max_len} characters")
    return check_text(key, value, multiline=multiline)


def required_text(body: dict[str, Any], key: str, **options: Any) -> str:
    value = text(body, key, required=True, **options)
    assert value is not None
    return value


def job_number(value: str, key: str = "job_number") -> str:
    """A job number (工号): digits only."""
    if not _JOB_NUMBER.fullmatch(value):
        raise InvalidInput(f"{key} must be a job number (1-20 digits)")
    return value


def extension(value: str, key: str = "extension") -> str:
    """A desk phone's extension: digits only."""
    if not _JOB_NUMBER.fullmatch(value):
        raise InvalidInput(f"{key} must be a desk phone's extension (1-20 digits)", field=key)
    return value


def linkedid(value: str) -> str:
    """A call's Linkedid as Asterisk writes it (``1700000000.42``)."""
    if not _LINKEDID.fullmatch(value):
        raise InvalidInput("the call id must be a Linkedid such as 1700000000.42")
    return value


def whole_number(raw: str | None, key: str, *, default: int, low: int, high: int) -> int:
    """A query parameter that is a whole number in ``[low, high]``."""
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit():
        raise InvalidInput(f"{key} must be a whole number")
    value = int(raw) if len(raw) <= 12 else high + 1
    if not low <= value <= high:
        raise InvalidInput(f"{key} must be between {low} and {high}")
    return value
