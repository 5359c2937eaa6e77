"""The admin API for accounts (role admin; ``AccountService`` decides, views only parse).

GET    /api/admin/accounts                         every account (never a hash)
POST   /api/admin/accounts                         {job_number, name, role, extension?,
                                                    pin?, queues?, password?} -> 201
PUT    /api/admin/accounts/{job}/role              {role, extension?, pin?, queues?, password?}
PUT    /api/admin/accounts/{job}/pin               {pin}
PUT    /api/admin/accounts/{job}/password          {password}
PUT    /api/admin/accounts/{job}/disabled          {disabled: true|false}
DELETE /api/admin/accounts/{job}
GET    /api/admin/accounts/{job}/audit?limit=      who changed what, when (newest first)

An agent: name, extension (its desk phone), PIN, queues. A supervisor or admin: name,
password (12+ characters). Unknown fields are refused, so a typo is a 400, not ignored.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from accounts.model import (
    Account,
    Given,
    check_job_number,
    check_name,
    check_queues,
    check_role,
)
from accounts.repo import Audit
from accounts.service import AUDIT_LIMIT_MAX, AccountService
from core import inputs
from core.encoding import json_dumps
from core.errors import InvalidInput
from core.request_actor import actor_of

CREATE_FIELDS = frozenset({"job_number", "name", "role", "extension", "pin", "queues", "password"})
ROLE_FIELDS = frozenset({"role", "extension", "pin", "queues", "password"})


def account_json(account: Account) -> dict[str, Any]:
    return {
        "job_number": account.job_number,
        "name": account.name,
        "role": account.role.value,
        "extension": account.extension,
        "queues": [{"queue": q, "penalty": p} for q, p in account.queues],
        "sign_in": [c.value for c in account.credentials],
        "disabled": account.disabled,
    }


def _audit_json(row: Audit) -> dict[str, Any]:
    return {"at": row.at.isoformat(), "actor": row.actor, "what": row.what, "detail": row.detail}


async def _body(request: web.Request, allowed: frozenset[str]) -> dict[str, Any]:
    return inputs.json_fields(await request.read(), allowed)


def _secret(body: dict[str, Any], key: str) -> str | None:
    """A PIN or password as given; its policy is checked before hashing."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be a string")
    return value


def _given(body: dict[str, Any]) -> Given:
    extension = body.get("extension")
    if extension is not None and not isinstance(extension, str):
        raise InvalidInput("extension must be a string of digits")
    queues = body.get("queues")
    return Given(
        extension=extension,
        pin=_secret(body, "pin"),
        password=_secret(body, "password"),
        queues=None if queues is None else check_queues(queues),
    )


def _job(request: web.Request) -> str:
    return inputs.job_number(request.match_info["job"], "the job number in the path")


class AccountViews:
    def __init__(self, accounts: AccountService) -> None:
        self.accounts = accounts

    async def list(self, request: web.Request) -> web.Response:
        found = await self.accounts.accounts(actor_of(request))
        return _json({"accounts": [account_json(a) for a in found]})

    async def create(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        body = await _body(request, CREATE_FIELDS)
        base = Account(
            job_number=check_job_number(body.get("job_number")),
            name=check_name(body.get("name")),
            role=check_role(body.get("role")),
        )
        account = await self.accounts.create(actor, base, _given(body))
        return _json(account_json(account), status=201)

    async def change_role(self, request: web.Request) -> web.Response:
        actor, job = actor_of(request), _job(request)
        body = await _body(request, ROLE_FIELDS)
        role = check_role(body.get("role"))
        account = await self.accounts.change_role(actor, job, role, _given(body))
        return _json(account_json(account))

    async def reset_pin(self, request: web.Request) -> web.Response:
        actor, job = actor_of(request), _job(request)
        pin = _secret(await _body(request, frozenset({"pin"})), "pin")
        if pin is None:
            raise InvalidInput("pin is required")
        return _json(account_json(await self.accounts.reset_pin(actor, job, pin)))

    async def reset_password(self, request: web.Request) -> web.Response:
        actor, job = actor_of(request), _job(request)
        password = _secret(await _body(request, frozenset({"password"})), "password")
        if password is None:
            raise InvalidInput("password is required")
        return _json(account_json(await self.accounts.reset_password(actor, job, password)))

    async def set_disabled(self, request: web.Request) -> web.Response:
        actor, job = actor_of(request), _job(request)
        disabled = (await _body(request, frozenset({"disabled"}))).get("disabled")
        if not isinstance(disabled, bool):
            raise InvalidInput("disabled must be true or false")
        return _json(account_json(await self.accounts.set_disabled(actor, job, disabled)))

    async def delete(self, request: web.Request) -> web.Response:
        actor, job = actor_of(request), _job(request)
        await self.accounts.delete(actor, job)
        return _json({"job_number": job, "deleted": True})

    async def audit(self, request: web.Request) -> web.Response:
        actor, job = actor_of(request), _job(request)
        limit = inputs.whole_number(
            request.query.get("limit"), "limit", default=100, low=1, high=AUDIT_LIMIT_MAX
        )
        rows = await self.accounts.audit(actor, job, limit)
        return _json({"job_number": job, "audit": [_audit_json(r) for r in rows]})

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/accounts", self.list)
        app.router.add_post("/api/admin/accounts", self.create)
        app.router.add_put("/api/admin/accounts/{job}/role", self.change_role)
        app.router.add_put("/api/admin/accounts/{job}/pin", self.reset_pin)
        app.router.add_put("/api/admin/accounts/{job}/password", self.reset_password)
        app.router.add_put("/api/admin/accounts/{job}/disabled", self.set_disabled)
        app.router.add_delete("/api/admin/accounts/{job}", self.delete)
        app.router.add_get("/api/admin/accounts/{job}/audit", self.audit)


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=json_dumps)
