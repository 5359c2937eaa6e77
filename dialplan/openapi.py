"""The dial-plan admin API in OpenAPI 3.1 terms: this package's part of the document
``web/openapi.py`` serves (``PATHS`` and ``SCHEMAS``; plain data, no web import)."""

from __future__ import annotations

from typing import Any

from core.openapi import Operations, path_param, query_param, ref
from dialplan.views import PREFIX

ops = Operations(
    tag="dial plans",
    why={
        400: "malformed: the error names the field (dialplan.invalid, input.invalid)",
        401: "no session (auth.required)",
        403: "not an admin (auth.forbidden)",
        404: "no such draft or version (not_found)",
        409: "a name taken, a draft edited meanwhile, a publish under way, a failed version",
        422: "the plan would break calls: details.problems lists each (dialplan.problems)",
        502: "Asterisk did not take it; the former live version stays live"
        " (dialplan.publish_failed)",
    },
)
_ID = {"type": "integer", "minimum": 1}


def _path_param(name: str, what: str) -> dict[str, Any]:
    return path_param(name, what, _ID)


def _query(name: str, what: str, *, required: bool = False) -> dict[str, Any]:
    return query_param(name, what, _ID, required=required)


DRAFT = _path_param("draft", "the draft's id")
VERSION = _path_param("version", "a published version's number")
LIMIT = _query("limit", "at most this many (1-1000, default 100)")
DRAFT_BODY = {
    "type": "object",
    "required": ["name", "plan"],
    "additionalProperties": False,
    "properties": {"name": ref("Label"), "plan": ref("Plan")},
}
DRAFT_EDIT = {
    "type": "object",
    "required": ["plan"],
    "additionalProperties": False,
    "properties": {
        "name": ref("Label"),
        "plan": ref("Plan"),
        "revision": {"type": "integer", "minimum": 1, "description": "the revision edited"},
    },
}

PATHS: dict[str, dict[str, Any]] = {
    f"{PREFIX}/drafts": {
        "get": ops.op("List the drafts", (200, ref("DraftList"), "the drafts, by name")),
        "post": ops.op(
            "Create a draft", (201, ref("Draft"), "the draft"), 400, 409, body=DRAFT_BODY
        ),
    },
    f"{PREFIX}/drafts/{{draft}}": {
        "parameters": [DRAFT],
        "get": ops.op("Read a draft", (200, ref("Draft"), "the draft"), 400, 404),
        "put": ops.op(
            "Edit a draft", (200, ref("Draft"), "the draft"), 400, 404, 409, body=DRAFT_EDIT
        ),
        "delete": ops.op("Delete a draft", (200, {"type": "object"}, "deleted"), 400, 404),
    },
    f"{PREFIX}/drafts/{{draft}}/validate": {
        "parameters": [DRAFT],
        "post": ops.op(
            "Validate a draft: what would break a call",
            (200, ref("Validation"), "publishable, and every problem found"),
            400,
            404,
        ),
    },
    f"{PREFIX}/drafts/{{draft}}/simulate": {
        "parameters": [DRAFT],
        "post": ops.op(
            "Walk a caller through a draft",
            (200, ref("Walk"), "the path taken and where the call ends"),
            400,
            404,
            body=ref("Simulation"),
        ),
    },
    f"{PREFIX}/drafts/{{draft}}/publish": {
        "parameters": [DRAFT],
        "post": ops.op(
            "Publish a draft as the next version",
            (201, ref("Version"), "the new live version"),
            400,
            404,
            409,
            422,
            502,
        ),
    },
    f"{PREFIX}/versions": {
        "get": ops.op(
            "The published versions, newest first",
            (200, ref("VersionList"), "the versions (without their plans)"),
            400,
            params=(LIMIT,),
        )
    },
    f"{PREFIX}/versions/{{version}}": {
        "parameters": [VERSION],
        "get": ops.op("Read a version", (200, ref("Version"), "the version"), 400, 404),
    },
    f"{PREFIX}/versions/{{version}}/simulate": {
        "parameters": [VERSION],
        "post": ops.op(
            "Walk a caller through a published version",
            (200, ref("Walk"), "the path taken"),
            400,
            404,
            body=ref("Simulation"),
        ),
    },
    f"{PREFIX}/versions/{{version}}/rollback": {
        "parameters": [VERSION],
        "post": ops.op(
            "Roll back: this version's plan goes live again as a new version",
            (201, ref("Version"), "the new live version (rollback_of names this one)"),
            400,
            404,
            409,
            502,
        ),
    },
    f"{PREFIX}/diff": {
        "get": ops.op(
            "What changed between two versions, node by node",
            (200, ref("Diff"), "added, removed and changed nodes; entry numbers"),
            400,
            404,
            params=(
                _query("from", "the older version", required=True),
                _query("to", "the newer version", required=True),
            ),
        )
    },
    f"{PREFIX}/audit": {
        "get": ops.op(
            "Who did what to the dial plans, newest first",
            (200, ref("Audit"), "draft edits, publishes, failed publishes, rollbacks"),
            400,
            params=(LIMIT,),
        )
    },
}

_STAMP = {"type": "string", "format": "date-time"}
_NULLABLE_INT = {"type": ["integer", "null"]}
_NULLABLE_TEXT = {"type": ["string", "null"]}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Label": {
        "type": "string",
        "maxLength": 64,
        "description": "letters and digits of any script, space, _ - ( ) ·",
    },
    "Plan": {
        "type": "object",
        "description": "a dial plan's JSON form (dialplan/model.py): entry numbers, start,"
        " nodes of kind play, menu, language, time_switch, holiday_greeting, queue,"
        " voicemail, transfer, hang_up",
        "required": ["entry_numbers", "start", "nodes"],
        "properties": {
            "name": ref("Label"),
            "entry_numbers": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[0-9]{3,20}$"},
            },
            "start": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,31}$"},
            "announce_job_number": {"type": "boolean"},
            "nodes": {"type": "array", "items": {"type": "object"}, "maxItems": 1000},
        },
    },
    "Draft": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": ref("Label"),
            "revision": {"type": "integer"},
            "created_by": {"type": "string"},
            "created_at": _STAMP,
            "edited_by": {"type": "string"},
            "edited_at": _STAMP,
            "plan": ref("Plan"),
        },
    },
    "DraftList": {
        "type": "object",
        "properties": {"drafts": {"type": "array", "items": ref("Draft")}},
    },
    "Version": {
        "type": "object",
        "properties": {
            "version": {"type": "integer"},
            "state": {"enum": ["publishing", "live", "previous", "failed"]},
            "text_hash": _NULLABLE_TEXT,
            "published_by": {"type": "string"},
            "published_at": _STAMP,
            "draft_id": _NULLABLE_INT,
            "draft_name": _NULLABLE_TEXT,
            "rollback_of": _NULLABLE_INT,
            "error": _NULLABLE_TEXT,
            "plan": ref("Plan"),
        },
    },
    "VersionList": {
        "type": "object",
        "properties": {"versions": {"type": "array", "items": ref("Version")}},
    },
    "Problem": {
        "type": "object",
        "properties": {
            "node": _NULLABLE_TEXT,
            "code": {"type": "string"},
            "message": {"type": "string"},
            "severity": {
                "type": "string",
                "enum": ["error", "warning"],
                "description": "an error stops a publish; a warning does not",
            },
        },
    },
    "Validation": {
        "type": "object",
        "properties": {
            "publishable": {"type": "boolean"},
            "problems": {"type": "array", "items": ref("Problem")},
        },
    },
    "Simulation": {
        "type": "object",
        "required": ["at"],
        "additionalProperties": False,
        "properties": {
            "keys": {"type": "string", "pattern": "^[0-9*#]{0,64}$"},
            "at": {
                "type": "string",
                "description": "ISO 8601; without an offset, the centre's local time",
            },
            "agents_signed_in": {"type": "boolean", "default": True},
        },
    },
    "Walk": {
        "type": "object",
        "properties": {
            "steps": {"type": "array", "items": {"type": "object"}},
            "ends": {"type": "string"},
            "node": {"type": "string"},
            "detail": {"type": "string"},
        },
    },
    "Diff": {
        "type": "object",
        "properties": {
            "from": {"type": "integer"},
            "to": {"type": "integer"},
            "nodes": {"type": "object"},
            "entry_numbers": {"type": "object"},
            "plan": {"type": "array"},
            "same": {"type": "boolean"},
        },
    },
    "Audit": {
        "type": "object",
        "properties": {"audit": {"type": "array", "items": {"type": "object"}}},
    },
}
