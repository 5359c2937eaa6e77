"""The ``Actor`` on an aiohttp request: ``web/``'s auth middleware puts it there, domain
views read it with ``actor_of`` — so no domain package imports ``web/`` (style.md), and
``core/actor.py`` stays a plain type the pure core can import without aiohttp.
"""

from __future__ import annotations

from aiohttp import web

from core.actor import Actor
from core.errors import Unauthorized

ACTOR = web.RequestKey("actor", Actor)


def actor_of(request: web.Request) -> Actor:
    """The request's signed-in person; a route the middleware leaves open has none."""
    try:
        return request[ACTOR]
    except KeyError:
        raise Unauthorized(
            "sign in first: POST /api/sessions, then send 'Authorization: Bearer'"
        ) from None
