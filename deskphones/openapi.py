"""The published desk phones' admin API (``deskphones/views.py``) in OpenAPI 3.1 terms:
this package's part of the document ``web/openapi.py`` serves. A SIP password is only
ever sent; the service keeps its digest, never the password."""

from __future__ import annotations

from typing import Any

from core.openapi import Operations, path_param, ref
from deskphones.model import PASSWORD_MAX, PASSWORD_MIN

PREFIX = "/api/admin/phones"

ops = Operations(
    tag="desk phones",
    why={
        400: "malformed: the message names the field (input.invalid)",
        401: "no session (auth.required)",
        403: "not an admin (auth.forbidden)",
        404: "no published phone with this extension (not_found)",
        409: "the extension has a phone, is a static one, or an agent is signed in at it"
        " (phones.conflict)",
        502: "Asterisk did not take the phones: the previous files are live again and"
        " nothing changed (phones.publish_failed)",
    },
)

EXTENSION = path_param("extension", "the desk phone's extension", ref("Digits"))
PASSWORD = {
    "type": "string",
    "minLength": PASSWORD_MIN,
    "maxLength": PASSWORD_MAX,
    "pattern": "^[A-Za-z0-9_.~+=@%^*!-]+$",
    "writeOnly": True,
    "description": "the phone's SIP password; sent to set it, never answered",
}


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": properties,
    }


PATHS: dict[str, dict[str, Any]] = {
    PREFIX: {
        "get": ops.op("Every published desk phone", (200, ref("PhoneList"), "the phones")),
        "post": ops.op(
            "Add a desk phone and publish it to Asterisk (endpoint, local extension, hint)",
            (201, ref("Phone"), "the phone, published"),
            400,
            409,
            502,
            body=_object(
                ["extension", "password"], {"extension": ref("Digits"), "password": PASSWORD}
            ),
        ),
    },
    f"{PREFIX}/{{extension}}/password": {
        "parameters": [EXTENSION],
        "put": ops.op(
            "Give a phone a new SIP password (published)",
            (200, ref("Phone"), "the phone"),
            400,
            404,
            502,
            body=_object(["password"], {"password": PASSWORD}),
        ),
    },
    f"{PREFIX}/{{extension}}/active": {
        "parameters": [EXTENSION],
        "put": ops.op(
            "Disable a phone (its endpoint leaves Asterisk) or enable it again",
            (200, ref("Phone"), "the phone"),
            400,
            404,
            409,
            502,
            body=_object(["active"], {"active": {"type": "boolean"}}),
        ),
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Digits": {"type": "string", "pattern": "^[0-9]{1,20}$"},
    "Phone": _object(
        ["extension", "active"], {"extension": ref("Digits"), "active": {"type": "boolean"}}
    ),
    "PhoneList": _object(["phones"], {"phones": {"type": "array", "items": ref("Phone")}}),
}
