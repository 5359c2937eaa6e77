"""``GET /api/openapi.json``: the OpenAPI 3.1 document of the admin API.

Each package describes its own routes as plain data (``PATHS``, ``SCHEMAS``: see
``dialplan/openapi.py``) and is listed once in ``CONTRIBUTIONS`` below; this module
only merges them. A route under ``/api/admin/`` that no package describes fails
``tests/web/test_openapi.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from accounts import openapi as accounts_doc
from core.encoding import json_dumps
from departments import openapi as departments_doc
from deskphones import openapi as deskphones_doc
from dialplan import openapi as dialplan_doc
from ivr import openapi as ivr_doc

Part = tuple[Mapping[str, Any], Mapping[str, Any]]  # (paths, schemas)

# one line per package that serves admin routes
CONTRIBUTIONS: tuple[Part, ...] = (
    (accounts_doc.PATHS, accounts_doc.SCHEMAS),
    (departments_doc.PATHS, departments_doc.SCHEMAS),
    (deskphones_doc.PATHS, deskphones_doc.SCHEMAS),
    (dialplan_doc.PATHS, dialplan_doc.SCHEMAS),
    (ivr_doc.PATHS, ivr_doc.SCHEMAS),
)

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "the stable code (web/errors.py)"},
        "message": {"type": "string", "description": "what to do, for a person"},
    },
    "additionalProperties": True,
}


def document(parts: tuple[Part, ...] = CONTRIBUTIONS) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for part_paths, part_schemas in parts:
        for key, value in part_paths.items():
            if key in paths:
                raise ValueError(f"two packages describe {key}")
            paths[key] = value
        for key, value in part_schemas.items():
            if key in schemas and schemas[key] != value:
                raise ValueError(f"two packages define the schema {key} differently")
            schemas[key] = value
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "12333 hotline admin API",
            "version": "1",
            "description": "Role admin; sign in with POST /api/sessions and send"
            " 'Authorization: Bearer <token>'. Errors are {error, message}.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"session": {"type": "http", "scheme": "bearer"}},
        },
    }


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document(), dumps=json_dumps)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", openapi_json)
