"""The admin's department numbers over HTTP (``DepartmentService`` decides who may).

GET  /api/admin/departments                  every department, active first
POST /api/admin/departments                  {name, number} → 201
PUT  /api/admin/departments/{id}             {name, number, active?}
POST /api/admin/departments/{id}/disable     no longer offered to agents (kept for history)
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core import inputs
from core.encoding import json_dumps
from core.errors import InvalidInput
from core.request_actor import actor_of
from departments.model import Department, draft
from departments.service import DepartmentService

PREFIX = "/api/admin/departments"


def department_json(d: Department) -> dict[str, Any]:
    return {"id": d.id, "name": d.name, "number": d.number, "active": d.active}


def department_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput("the department id must be a whole number")
    return int(raw)


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=json_dumps)


class DepartmentViews:
    def __init__(self, service: DepartmentService) -> None:
        self.service = service

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get(PREFIX, self.listing)
        r.add_post(PREFIX, self.create)
        r.add_put(PREFIX + "/{id}", self.update)
        r.add_post(PREFIX + "/{id}/disable", self.disable)

    async def listing(self, request: web.Request) -> web.Response:
        found = await self.service.listing(actor_of(request))
        return _json({"departments": [department_json(d) for d in found]})

    async def create(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        self.service.may_keep(actor)  # before the body: a 403 says it all
        body = inputs.json_object(await request.read())
        made = await self.service.create(actor, draft(body.get("name"), body.get("number")))
        return _json(department_json(made), 201)

    async def update(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        self.service.may_keep(actor)
        which = department_id(request.match_info["id"])
        body = inputs.json_object(await request.read())
        active = body.get("active", True)
        if not isinstance(active, bool):
            raise InvalidInput("active must be true or false")
        changed = await self.service.update(
            actor, which, draft(body.get("name"), body.get("number")), active
        )
        return _json(department_json(changed))

    async def disable(self, request: web.Request) -> web.Response:
        actor = actor_of(request)
        self.service.may_keep(actor)
        which = department_id(request.match_info["id"])
        return _json(department_json(await self.service.disable(actor, which)))
