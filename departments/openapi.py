"""The department numbers' admin API (``departments/views.py``) in OpenAPI 3.1 terms:
this package's part of the document ``web/openapi.py`` serves."""

from __future__ import annotations

from typing import Any

from core.openapi import Operations, path_param, ref
from departments.model import NAME_MAX
from dialplan.model import DEPARTMENT_NUMBER

PREFIX = "/api/admin/departments"

ops = Operations(
    tag="departments",
    why={
        401: "no session (auth.required)",
        403: "not an admin (auth.forbidden)",
        400: "malformed: the message names the field (input.invalid,"
        " input.department_name, input.department_number)",
        404: "no department with this id (not_found)",
        409: "another active department has the name (department.name_taken)",
    },
)

ID = path_param("id", "the department's id", {"type": "integer", "minimum": 0})
NAME = {"type": "string", "minLength": 1, "maxLength": NAME_MAX}
NUMBER = {
    "type": "string",
    "pattern": DEPARTMENT_NUMBER.pattern,
    "description": "dialled through the outbound trunk (R11b)",
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
        "get": ops.op(
            "Every department, active first", (200, ref("DepartmentList"), "the departments")
        ),
        "post": ops.op(
            "Add a department (R11b transfers, R13 complaints)",
            (201, ref("Department"), "the department"),
            400,
            409,
            body=_object(["name", "number"], {"name": NAME, "number": NUMBER}),
        ),
    },
    f"{PREFIX}/{{id}}": {
        "parameters": [ID],
        "put": ops.op(
            "Change a department's name, number, or whether it is offered",
            (200, ref("Department"), "the department"),
            400,
            404,
            409,
            body=_object(
                ["name", "number"],
                {"name": NAME, "number": NUMBER, "active": {"type": "boolean", "default": True}},
            ),
        ),
    },
    f"{PREFIX}/{{id}}/disable": {
        "parameters": [ID],
        "post": ops.op(
            "No longer offer a department to agents (kept for the callbacks' history)",
            (200, ref("Department"), "the department"),
            400,
            404,
        ),
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Department": _object(
        ["id", "name", "number", "active"],
        {
            "id": {"type": "integer"},
            "name": NAME,
            "number": NUMBER,
            "active": {"type": "boolean"},
        },
    ),
    "DepartmentList": _object(
        ["departments"], {"departments": {"type": "array", "items": ref("Department")}}
    ),
}
