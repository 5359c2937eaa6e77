"""The admin API's OpenAPI document is well formed: every ``$ref`` resolves, every path
parameter of a template is declared (and none that is not in it), every operation has a
2xx answer and the refusals every admin route has, and no answer describes a secret.

Each check is a function returning the problems it found, run on the served document
and, to show it can fail, on small broken documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from web.openapi import document

Json = dict[str, Any]
METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
SECRETS = frozenset({"pin", "password", "pin_hash", "password_hash", "token"})


def _walk(value: Any, where: str = "#") -> Iterator[tuple[str, Json]]:
    if isinstance(value, dict):
        yield where, value
        for key, item in value.items():
            yield from _walk(item, f"{where}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{where}/{i}")


def _resolve(doc: Json, pointer: str) -> Any:
    if not pointer.startswith("#/"):
        raise KeyError(pointer)
    found: Any = doc
    for part in pointer[2:].split("/"):
        found = found[part.replace("~1", "/").replace("~0", "~")]
    return found


def _operations(doc: Json) -> Iterator[tuple[str, str, Json, Json]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, item, op


def unresolved_refs(doc: Json) -> list[str]:
    problems = []
    for where, node in _walk(doc):
        ref = node.get("$ref")
        if not isinstance(ref, str):
            continue
        try:
            _resolve(doc, ref)
        except (KeyError, TypeError, IndexError):
            problems.append(f"{where}: {ref}")
    return problems


def undeclared_path_params(doc: Json) -> list[str]:
    problems = []
    for path, method, item, op in _operations(doc):
        in_template = set(re.findall(r"\{([^}]+)\}", path))
        declared = {}
        for given in [*item.get("parameters", []), *op.get("parameters", [])]:
            param = _resolve(doc, given["$ref"]) if "$ref" in given else given
            if param.get("in") == "path":
                declared[param["name"]] = param
        for name in sorted(in_template - set(declared)):
            problems.append(f"{method} {path}: {{{name}}} is not declared")
        for name in sorted(set(declared) - in_template):
            problems.append(f"{method} {path}: {name} is declared but not in the path")
        for name, param in declared.items():
            if param.get("required") is not True or "schema" not in param:
                problems.append(f"{method} {path}: {name} must be required, with a schema")
    return problems


def missing_answers(doc: Json) -> list[str]:
    problems = []
    for path, method, _, op in _operations(doc):
        statuses = set(op.get("responses", {}))
        if not any(s.startswith("2") for s in statuses):
            problems.append(f"{method} {path}: no 2xx answer")
        if not {"401", "403"} <= statuses:
            problems.append(f"{method} {path}: 401 and 403 are every admin route's")
        if not op.get("summary"):
            problems.append(f"{method} {path}: no summary")
        if method in ("get", "delete") and "requestBody" in op:
            problems.append(f"{method} {path}: a body on {method}")
    return problems


def _schema_names(doc: Json, schema: Any, seen: set[str]) -> Iterator[tuple[str, Json]]:
    """Every schema reachable from ``schema``, following ``$ref``s once each."""
    for where, node in _walk(schema):
        yield where, node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            yield from _schema_names(doc, _resolve(doc, ref), seen)


def secrets_answered(doc: Json) -> list[str]:
    problems = []
    for path, method, _, op in _operations(doc):
        for status, answer in op.get("responses", {}).items():
            for content in answer.get("content", {}).values():
                for _, node in _schema_names(doc, content.get("schema", {}), set()):
                    named = SECRETS & set(node.get("properties", {}))
                    if named or node.get("writeOnly"):
                        problems.append(f"{method} {path} {status}: {sorted(named) or node}")
    return problems


CHECKS = (unresolved_refs, undeclared_path_params, missing_answers, secrets_answered)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_served_document_passes(check: Any) -> None:
    assert check(document()) == []


def test_it_is_openapi_3_1_with_the_shared_error() -> None:
    doc = document()
    assert doc["openapi"] == "3.1.0"
    assert "Error" in doc["components"]["schemas"]
    assert all(path.startswith("/api/admin/") for path in doc["paths"])


# ---- each check catches what it is for ---------------------------------------------------


def _op(**responses: Json) -> Json:
    return {"summary": "s", "responses": responses or {"200": {}, "401": {}, "403": {}}}


def _doc(paths: Json, schemas: Json | None = None) -> Json:
    return {"paths": paths, "components": {"schemas": schemas or {}}}


_THING = {"name": "thing", "in": "path", "required": True, "schema": {"type": "integer"}}
_ANSWER = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}

BROKEN = [
    (unresolved_refs, _doc({"/a": {"get": {"x": {"$ref": "#/components/schemas/Nope"}}}})),
    (undeclared_path_params, _doc({"/a/{thing}": {"get": _op()}})),
    (undeclared_path_params, _doc({"/a": {"parameters": [_THING], "get": _op()}})),
    (
        undeclared_path_params,
        _doc({"/a/{thing}": {"parameters": [{**_THING, "required": False}], "get": _op()}}),
    ),
    (missing_answers, _doc({"/a": {"get": _op(**{"400": {}, "401": {}, "403": {}})}})),
    (missing_answers, _doc({"/a": {"get": _op(**{"200": {}})}})),
    (missing_answers, _doc({"/a": {"get": {**_op(), "requestBody": {}}}})),
    (
        secrets_answered,
        _doc(
            {"/a": {"get": _op(**{"200": _ANSWER})}},
            {
                "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
                "B": {"properties": {"pin": {"type": "string"}}},
            },
        ),
    ),
]


@pytest.mark.parametrize(("check", "doc"), BROKEN, ids=lambda v: getattr(v, "__name__", ""))
def test_each_check_finds_its_problem(check: Any, doc: Json) -> None:
    assert check(doc) != []
