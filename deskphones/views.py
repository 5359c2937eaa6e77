"""The admin API for published desk phones (role admin; ``PhoneService`` decides).

GET  /api/admin/phones                          every published phone (never a digest)
POST /api/admin/phones                          {extension, password} -> 201, published
PUT  /api/admin/phones/{extension}/password     {password}
PUT  /api/admin/phones/{extension}/active       {active: true|false}

Each change is published to Asterisk before it is answered; if Asterisk does not take
it: 502 ``phones.publish_failed`` and nothing changed.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core import inputs
from core.actor import Actor
from core.encoding import json_dumps
from core.errors import InvalidInput
from core.request_actor import actor_of
from deskphones.model import DeskPhone
from deskphones.service import PhoneService, require_admin


def phone_json(phone: DeskPhone) -> dict[str, Any]:
    return {"extension": phone.extension, "active": phone.active}


async def _body(request: web.Request, allowed: frozenset[str]) -> dict[str, Any]:
    return inputs.json_fields(await request.read(), allowed)


def _admin(request: web.Request) -> Actor:
    """Who asks, refused before anything is read unless an admin."""
    return require_admin(actor_of(request))


def _extension(request: web.Request) -> str:
    return inputs.extension(request.match_info["extension"], "the extension in the path")


class PhoneViews:
    def __init__(self, phones: PhoneService) -> None:
        self.phones = phones

    async def list(self, request: web.Request) -> web.Response:
        found = await self.phones.phones(_admin(request))
        return _json({"phones": [phone_json(p) for p in found]})

    async def add(self, request: web.Request) -> web.Response:
        actor = _admin(request)
        body = await _body(request, frozenset({"extension", "password"}))
        phone = await self.phones.add(actor, body.get("extension"), body.get("password"))
        return _json(phone_json(phone), status=201)

    async def change_password(self, request: web.Request) -> web.Response:
        actor, ext = _admin(request), _extension(request)
        body = await _body(request, frozenset({"password"}))
        return _json(
            phone_json(await self.phones.change_password(actor, ext, body.get("password")))
        )

    async def set_active(self, request: web.Request) -> web.Response:
        actor, ext = _admin(request), _extension(request)
        active = (await _body(request, frozenset({"active"}))).get("active")
        if not isinstance(active, bool):
            raise InvalidInput("active must be true or false")
        return _json(phone_json(await self.phones.set_active(actor, ext, active)))

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/admin/phones", self.list)
        app.router.add_post("/api/admin/phones", self.add)
        app.router.add_put("/api/admin/phones/{extension}/password", self.change_password)
        app.router.add_put("/api/admin/phones/{extension}/active", self.set_active)


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=json_dumps)
