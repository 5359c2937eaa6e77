"""Builders for a package's part of the admin API's OpenAPI 3.1 document (plain data).

Each domain package describes its routes in its own ``openapi.py`` (``PATHS``,
``SCHEMAS``) with these helpers; ``web/openapi.py`` merges the parts and defines the
shared ``Error`` schema. Pure: no aiohttp, no ``web/`` import, so a domain package may
use it without depending on the web layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]
# a refusal: its status (described by the package's table), or (status, what exactly)
Refusal = int | tuple[int, str]

JSON = "application/json"
ALWAYS = (401, 403)  # every admin route: no session, or not an admin


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


ERROR = ref("Error")  # web/openapi.py defines it: {error: <code>, message, ...details}


def response(schema: Schema, description: str, media_type: str = JSON) -> Schema:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def path_param(name: str, what: str, schema: Schema) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": what, "schema": schema}


def query_param(name: str, what: str, schema: Schema, *, required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": what,
        "schema": schema,
    }


@dataclass(frozen=True)
class Operations:
    """Builds one package's operations: its tag, and what each refusal status means
    there (the codes its views and services raise, ``web/errors.py`` maps to them)."""

    tag: str
    why: Mapping[int, str]

    def refusals(self, *refusals: Refusal) -> dict[str, Schema]:
        found: dict[str, Schema] = {}
        for refusal in (*ALWAYS, *refusals):
            status, what = refusal if isinstance(refusal, tuple) else (refusal, self.why[refusal])
            found[str(status)] = response(ERROR, what)
        return found

    def op(
        self,
        summary: str,
        ok: tuple[int, Schema, str],
        *refusals: Refusal,
        body: Schema | None = None,
        content: Mapping[str, Schema] | None = None,
        params: tuple[Schema, ...] = (),
        ok_type: str = JSON,
    ) -> Schema:
        """One operation: its success ``(status, schema, what)``, its refusals (401 and
        403 always), a JSON ``body`` or a request ``content`` by media type."""
        if body is not None and content is not None:
            raise ValueError("give a JSON body or a content map, not both")
        status, schema, what = ok
        op: Schema = {
            "tags": [self.tag],
            "summary": summary,
            "security": [{"session": []}],
            "responses": {str(status): response(schema, what, ok_type), **self.refusals(*refusals)},
        }
        if body is not None:
            content = {JSON: body}
        if content is not None:
            media = {kind: {"schema": schema} for kind, schema in content.items()}
            op["requestBody"] = {"required": True, "content": media}
        if params:
            op["parameters"] = list(params)
        return op
