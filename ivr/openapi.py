"""The calendar and prompt admin APIs (``ivr/calendar_views.py``, ``ivr/prompt_views.py``)
in OpenAPI 3.1 terms: this package's part of the document ``web/openapi.py`` serves
(``PATHS`` and ``SCHEMAS``; plain data, no web import)."""

from __future__ import annotations

from typing import Any

from core.openapi import Operations, path_param, query_param, ref
from dialplan.model import PROMPT_NAME, Language
from ivr.calendar import HOLIDAYS, DayKind, OverrideKind, Source
from ivr.calendar_input import (
    MAKE_UP_MAX,
    NOTE_MAX,
    RANGE_MAX_DAYS,
    RANGES_MAX,
    YEAR_MAX,
    YEAR_MIN,
)
from ivr.prompt_repo import HISTORY_MAX
from ivr.prompt_repo import Source as PromptSource
from ivr.prompts import TEXT_MAX, AudioType

CALENDAR = "/api/admin/calendar"
PROMPTS = "/api/admin/prompts"

calendar_ops = Operations(
    tag="calendar",
    why={
        400: "malformed: details.field names what to fix, e.g. holidays[2].to (input.invalid)",
        401: "no session (auth.required)",
        403: "not an admin (auth.forbidden)",
        404: "no official notice entered for this year; details.year (not_found)",
    },
)
prompt_ops = Operations(
    tag="prompts",
    why={
        400: "the language (input.prompt_language) or the name (input.prompt_name) in the path",
        401: "no session (auth.required)",
        403: "not an admin (auth.forbidden)",
        404: "no such prompt in this language (not_found.prompt)",
        409: "built in (the service plays it), or the live dial plan plays it;"
        " details: prompt, where (prompt.in_use)",
        413: "larger than prompt_max_bytes, refused before it is read whole;"
        " details.max_bytes (input.prompt_too_large)",
        503: "sox or espeak-ng missing, failed or timed out (prompt.tool_failed), or the"
        " prompts folder is not writable (prompt.unwritable)",
    },
)

# ---- the calendar ---------------------------------------------------------------------

DAY = path_param("day", "the date", {"type": "string", "format": "date"})
YEAR = path_param("year", "the year", {"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX})
_DATE = {"type": "string", "format": "date"}
_HOLIDAY = {"enum": list(HOLIDAYS), "description": "the holiday's key"}
OVERRIDE_BODY = {
    "type": "object",
    "required": ["kind"],
    "properties": {
        "kind": {"enum": [k.value for k in OverrideKind]},
        "holiday": {**_HOLIDAY, "description": "with kind holiday only"},
        "note": {"type": "string", "maxLength": NOTE_MAX, "default": ""},
    },
}
NOTICE_BODY = {
    "type": "object",
    "required": ["holidays"],
    "description": "dates in the year; holidays not overlapping each other or a make-up"
    " day; make-up days (调休) on a Saturday or a Sunday, each once",
    "properties": {
        "holidays": {
            "type": "array",
            "minItems": 1,
            "maxItems": RANGES_MAX,
            "items": {
                "type": "object",
                "required": ["from", "to", "holiday"],
                "properties": {"from": _DATE, "to": _DATE, "holiday": _HOLIDAY},
            },
        },
        "make_up_days": {"type": "array", "maxItems": MAKE_UP_MAX, "items": _DATE},
    },
}
_DAY_400 = (400, "the date in the path, or the body (input.invalid; details.field)")
_YEAR_400 = (400, f"the year in the path ({YEAR_MIN}-{YEAR_MAX}; input.invalid)")

CALENDAR_PATHS: dict[str, dict[str, Any]] = {
    CALENDAR: {
        "get": calendar_ops.op(
            "Every date from one day to another: its kind, holiday and source",
            (200, ref("CalendarDays"), "the dates; a warning when a year is not official"),
            (
                400,
                f"from or to missing or not a date, to before from, or past"
                f" {RANGE_MAX_DAYS} days (input.invalid; details.field)",
            ),
            params=(
                query_param("from", "the first date", _DATE, required=True),
                query_param(
                    "to", f"the last date (at most {RANGE_MAX_DAYS} days)", _DATE, required=True
                ),
            ),
        )
    },
    f"{CALENDAR}/overrides/{{day}}": {
        "parameters": [DAY],
        "put": calendar_ops.op(
            "Override a date: a working day, a holiday or a rest day",
            (200, ref("CalendarDay"), "the date as the calendar now has it"),
            _DAY_400,
            body=OVERRIDE_BODY,
        ),
        "delete": calendar_ops.op(
            "Back to the official calendar for a date",
            (200, ref("CalendarDay"), "the date as the calendar now has it"),
            (400, "the date in the path (input.invalid; details.field)"),
        ),
    },
    f"{CALENDAR}/notices/{{year}}": {
        "parameters": [YEAR],
        "get": calendar_ops.op(
            "The year's official notice as entered",
            (200, ref("Notice"), "the notice"),
            _YEAR_400,
            404,
        ),
        "put": calendar_ops.op(
            "Enter the year's official notice (replaces the one entered)",
            (200, ref("Notice"), "the notice"),
            (400, "the year in the path, or the notice (input.invalid; details.field)"),
            body=NOTICE_BODY,
        ),
        "delete": calendar_ops.op(
            "Remove the year's notice",
            (200, ref("NoticeRemoved"), "removed"),
            _YEAR_400,
            404,
        ),
    },
}

# ---- prompts --------------------------------------------------------------------------

LANGUAGE = path_param("language", "the prompt's language", ref("PromptLanguage"))
NAME = path_param("name", "the prompt's name", ref("PromptName"))
_AUDIO = "the recording: WAV, MP3 or Ogg Vorbis, told by its content, never by a type or name"
UPLOAD: dict[str, dict[str, Any]] = {
    **{
        kind: {"type": "string", "contentMediaType": kind, "description": _AUDIO}
        for kind in ("audio/wav", "audio/mpeg", "audio/ogg", "application/octet-stream")
    },
    "multipart/form-data": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": _AUDIO,
            }
        },
    },
}
_MADE_400 = (
    "the audio: too short (input.prompt_too_short), too long (input.prompt_too_long) or"
    " silent (input.prompt_silent); details say by how much"
)

PROMPT_PATHS: dict[str, dict[str, Any]] = {
    PROMPTS: {
        "get": prompt_ops.op(
            "Every prompt: its source and facts",
            (200, ref("PromptList"), "the prompts, and whether the folder is writable"),
        ),
        "post": prompt_ops.op(
            "Speak a text as a prompt (espeak-ng)",
            (201, ref("Prompt"), "the prompt"),
            (
                400,
                "not a JSON object (input.invalid), the language (input.prompt_language),"
                " the name (input.prompt_name), the text (input.prompt_text), or " + _MADE_400,
            ),
            503,
            body={
                "type": "object",
                "required": ["name", "language", "text"],
                "properties": {
                    "name": ref("PromptName"),
                    "language": ref("PromptLanguage"),
                    "text": {"type": "string", "minLength": 1, "maxLength": TEXT_MAX},
                },
            },
        ),
    },
    f"{PROMPTS}/{{language}}/{{name}}": {
        "parameters": [LANGUAGE, NAME],
        "put": prompt_ops.op(
            "Upload a recording as the prompt (replaces it)",
            (201, ref("Prompt"), "the prompt"),
            (
                400,
                "the language or the name in the path (input.prompt_language,"
                " input.prompt_name), a multipart body without a part named file"
                " (input.invalid), not audio we take (input.prompt_type), or " + _MADE_400,
            ),
            413,
            503,
            content=UPLOAD,
        ),
        "get": prompt_ops.op(
            "Listen to a prompt: the wav Asterisk plays",
            (200, {"type": "string", "contentMediaType": "audio/wav"}, "the recording"),
            400,
            404,
            ok_type="audio/wav",
        ),
        "delete": prompt_ops.op(
            "Delete a prompt",
            (200, ref("PromptDeleted"), "deleted"),
            400,
            404,
            409,
        ),
    },
    f"{PROMPTS}/{{language}}/{{name}}/history": {
        "parameters": [LANGUAGE, NAME],
        "get": prompt_ops.op(
            f"Every change of a prompt, newest first (at most {HISTORY_MAX})",
            (200, ref("PromptHistory"), "the changes (none for a prompt never made)"),
            400,
        ),
    },
}

PATHS: dict[str, dict[str, Any]] = {**CALENDAR_PATHS, **PROMPT_PATHS}

# ---- schemas --------------------------------------------------------------------------

_STAMP = {"type": "string", "format": "date-time"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}
_AUDIO_FACTS: dict[str, Any] = {
    "text": {**_NULLABLE_TEXT, "description": "what was spoken (tts, default)"},
    "upload_type": {"enum": [*(t.value for t in AudioType), None]},
    "duration_ms": _NULLABLE_INT,
    "size_bytes": _NULLABLE_INT,
    "sha256": _NULLABLE_TEXT,
    "changed_by": _NULLABLE_TEXT,
    "changed_at": _STAMP,
}  # a deletion in the history has no audio: its facts are null

SCHEMAS: dict[str, dict[str, Any]] = {
    "CalendarDay": {
        "type": "object",
        "properties": {
            "day": _DATE,
            "weekday": {"type": "integer", "minimum": 1, "maximum": 7},
            "kind": {"enum": [k.value for k in DayKind]},
            "working": {"type": "boolean"},
            "holiday": {"enum": [*HOLIDAYS, None]},
            "holiday_name": _NULLABLE_TEXT,
            "wish": _NULLABLE_TEXT,
            "official": {
                "type": "boolean",
                "description": "false: the year's make-up working days are not official yet",
            },
            "source": {"enum": [s.value for s in Source]},
            "note": {"type": "string", "description": "the override's note, or empty"},
        },
    },
    "CalendarDays": {
        "type": "object",
        "properties": {
            "from": _DATE,
            "to": _DATE,
            "days": {"type": "array", "items": ref("CalendarDay")},
            "unofficial_years": {"type": "array", "items": {"type": "integer"}},
            "warning": {"type": "string", "description": "only when a year is not official"},
        },
    },
    "Notice": {
        "type": "object",
        "properties": {
            "year": {"type": "integer"},
            "holidays": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "from": _DATE,
                        "to": _DATE,
                        "holiday": _HOLIDAY,
                        "holiday_name": {"type": "string"},
                    },
                },
            },
            "make_up_days": {"type": "array", "items": _DATE},
            "entered_by": {"type": "string"},
            "entered_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "NoticeRemoved": {
        "type": "object",
        "properties": {"year": {"type": "integer"}, "notice": {"type": "null"}},
    },
    "PromptLanguage": {"enum": [lang.value for lang in Language]},
    "PromptName": {"type": "string", "pattern": PROMPT_NAME.pattern},
    "Prompt": {
        "type": "object",
        "properties": {
            "language": ref("PromptLanguage"),
            "name": ref("PromptName"),
            "source": {"enum": [s.value for s in PromptSource]},
            **_AUDIO_FACTS,
            "duration_ms": {"type": "integer"},
            "size_bytes": {"type": "integer"},
            "sha256": {"type": "string"},
            "changed_by": {**_NULLABLE_TEXT, "description": "null for a default"},
        },
    },
    "PromptList": {
        "type": "object",
        "properties": {
            "prompts": {"type": "array", "items": ref("Prompt")},
            "folder": {"type": "string", "description": "writable, or unwritable: <why>"},
        },
    },
    "PromptDeleted": {
        "type": "object",
        "properties": {
            "language": ref("PromptLanguage"),
            "name": ref("PromptName"),
            "deleted": {"const": True},
        },
    },
    "PromptHistory": {
        "type": "object",
        "properties": {
            "language": ref("PromptLanguage"),
            "name": ref("PromptName"),
            "changes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "action": {"enum": [*(s.value for s in PromptSource), "delete"]},
                        **_AUDIO_FACTS,
                    },
                },
            },
        },
    },
}
