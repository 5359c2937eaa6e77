"""The accounts admin API (``accounts/views.py``) in OpenAPI 3.1 terms: this package's
part of the document ``web/openapi.py`` serves (``PATHS`` and ``SCHEMAS``; plain data,
no web import). A PIN or a password is only ever sent, never answered."""

from __future__ import annotations

from typing import Any

from accounts.model import NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, PENALTY_MAX, QUEUES_MAX
from accounts.service import AUDIT_LIMIT_MAX
from agent_state.pins import PIN_MAX, PIN_MIN
from core.actor import Role
from core.openapi import Operations, path_param, query_param, ref

PREFIX = "/api/admin/accounts"

ops = Operations(
    tag="accounts",
    why={
        400: "malformed: the message names the field (input.invalid; a PIN against the"
        " policy input.invalid_pin, a password input.invalid_password)",
        401: "no session (auth.required)",
        403: "not an admin (auth.forbidden)",
        404: "no account with this job number (not_found)",
        409: "the account is signed in at a desk phone: sign it out first (account.conflict)",
    },
)

SHAPE = (
    "input.invalid: a field, an unknown field, or a shape the role cannot work with"
    " (an agent needs an extension, a PIN and a queue; an admin a password and no phone);"
    " input.invalid_pin, input.invalid_password: against the policy"
)
NOT_ONESELF = "not an admin, or an admin {} (another admin must; auth.forbidden)"

JOB = path_param("job", "the account's job number (工号)", ref("JobNumber"))
LIMIT = query_param(
    "limit",
    f"at most this many (1-{AUDIT_LIMIT_MAX}, default 100)",
    {"type": "integer", "minimum": 1, "maximum": AUDIT_LIMIT_MAX, "default": 100},
)
_ROLES = [r.value for r in Role]
_GIVEN: dict[str, Any] = {
    "extension": {**ref("Digits"), "description": "the desk phone (agents; supervisors at one)"},
    "pin": ref("Pin"),
    "queues": ref("Queues"),
    "password": ref("Password"),
}
NEW_ACCOUNT = {
    "type": "object",
    "required": ["job_number", "name", "role"],
    "additionalProperties": False,
    "properties": {
        "job_number": ref("JobNumber"),
        "name": ref("PersonName"),
        "role": {"enum": _ROLES},
        **_GIVEN,
    },
}
ROLE_CHANGE = {
    "type": "object",
    "required": ["role"],
    "additionalProperties": False,
    "properties": {"role": {"enum": _ROLES}, **_GIVEN},
}


def _only(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [key],
        "additionalProperties": False,
        "properties": {key: schema},
    }


PATHS: dict[str, dict[str, Any]] = {
    PREFIX: {
        "get": ops.op("List every account", (200, ref("AccountList"), "the accounts")),
        "post": ops.op(
            "Create an account",
            (201, ref("Account"), "the account"),
            (400, SHAPE),
            (409, "the job number or the extension is taken (account.conflict)"),
            body=NEW_ACCOUNT,
        ),
    },
    f"{PREFIX}/{{job}}": {
        "parameters": [JOB],
        "delete": ops.op(
            "Delete an account (its audit stays)",
            (200, ref("AccountDeleted"), "deleted"),
            400,
            (403, NOT_ONESELF.format("deleting itself")),
            404,
            409,
        ),
    },
    f"{PREFIX}/{{job}}/role": {
        "parameters": [JOB],
        "put": ops.op(
            "Change an account's role, with what the new role needs",
            (200, ref("Account"), "the account"),
            (400, SHAPE),
            (403, NOT_ONESELF.format("changing its own role")),
            404,
            (
                409,
                "signed in at a desk phone (sign it out first), or the extension is"
                " another's (account.conflict)",
            ),
            body=ROLE_CHANGE,
        ),
    },
    f"{PREFIX}/{{job}}/pin": {
        "parameters": [JOB],
        "put": ops.op(
            "Reset the PIN of an account at a desk phone",
            (200, ref("Account"), "the account"),
            (
                400,
                "pin missing or against the policy (input.invalid, input.invalid_pin),"
                " or the account has no desk phone (input.invalid)",
            ),
            404,
            body=_only("pin", ref("Pin")),
        ),
    },
    f"{PREFIX}/{{job}}/password": {
        "parameters": [JOB],
        "put": ops.op(
            "Reset the password of a supervisor or an admin",
            (200, ref("Account"), "the account"),
            (
                400,
                "password missing or against the policy (input.invalid,"
                " input.invalid_password), or the account is an agent's (input.invalid)",
            ),
            404,
            body=_only("password", ref("Password")),
        ),
    },
    f"{PREFIX}/{{job}}/disabled": {
        "parameters": [JOB],
        "put": ops.op(
            "Disable an account (it cannot sign in) or enable it again",
            (200, ref("Account"), "the account"),
            400,
            (403, NOT_ONESELF.format("disabling itself")),
            404,
            (409, "disabling an account signed in at a desk phone (account.conflict)"),
            body=_only("disabled", {"type": "boolean"}),
        ),
    },
    f"{PREFIX}/{{job}}/audit": {
        "parameters": [JOB],
        "get": ops.op(
            "Who changed the account, what and when, newest first",
            (200, ref("AccountAudit"), "the changes (none for an unknown job number)"),
            (400, "the job number or the limit (input.invalid)"),
            params=(LIMIT,),
        ),
    },
}

_NULLABLE_DIGITS = {"type": ["string", "null"], "pattern": "^[0-9]{1,20}$"}
_QUEUE = {**ref("Digits"), "description": "the queue's number"}
_PENALTY = {"type": "integer", "minimum": 0, "maximum": PENALTY_MAX}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Digits": {"type": "string", "pattern": "^[0-9]{1,20}$"},
    "JobNumber": {"type": "string", "pattern": "^[0-9]{1,20}$", "description": "工号"},
    "PersonName": {
        "type": "string",
        "minLength": 1,
        "maxLength": NAME_MAX,
        "description": "printable text in any script; no line break, no surrounding space",
    },
    "Pin": {
        "type": "string",
        "pattern": f"^[0-9]{{{PIN_MIN},{PIN_MAX}}}$",
        "writeOnly": True,
        "description": "sent to set it; never answered",
    },
    "Password": {
        "type": "string",
        "minLength": PASSWORD_MIN,
        "maxLength": PASSWORD_MAX,
        "writeOnly": True,
        "description": "a passphrase without control characters; sent to set it, never answered",
    },
    "Queues": {
        "type": "array",
        "maxItems": QUEUES_MAX,
        "description": "each queue once: its number, or {queue, penalty}",
        "items": {
            "oneOf": [
                _QUEUE,
                {
                    "type": "object",
                    "required": ["queue"],
                    "properties": {"queue": _QUEUE, "penalty": {**_PENALTY, "default": 0}},
                },
            ]
        },
    },
    "Account": {
        "type": "object",
        "description": "an account as answered: never a PIN, a password or a hash",
        "properties": {
            "job_number": ref("JobNumber"),
            "name": ref("PersonName"),
            "role": {"enum": _ROLES},
            "extension": _NULLABLE_DIGITS,
            "queues": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"queue": _QUEUE, "penalty": _PENALTY},
                },
            },
            "sign_in": {
                "type": "array",
                "items": {"enum": ["pin", "password"]},
                "description": "what the account may sign in with",
            },
            "disabled": {"type": "boolean"},
        },
    },
    "AccountList": {
        "type": "object",
        "properties": {"accounts": {"type": "array", "items": ref("Account")}},
    },
    "AccountDeleted": {
        "type": "object",
        "properties": {"job_number": ref("JobNumber"), "deleted": {"const": True}},
    },
    "AccountAudit": {
        "type": "object",
        "properties": {
            "job_number": ref("JobNumber"),
            "audit": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "at": {"type": "string", "format": "date-time"},
                        "actor": {
                            "type": "string",
                            "description": "an admin's job number, or hotline-cli",
                        },
                        "what": {
                            "enum": [
                                "created",
                                "role_changed",
                                "pin_reset",
                                "password_reset",
                                "disabled",
                                "enabled",
                                "deleted",
                                "password_rehashed",
                            ]
                        },
                        "detail": {
                            "type": "object",
                            "description": "name, role, extension, queues, credentials:"
                            " never a secret",
                        },
                    },
                },
            },
        },
    },
}
