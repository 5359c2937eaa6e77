"""The prompt library's admin API (role admin; ``PromptService`` checks it).

GET    /api/admin/prompts                           every prompt, its source and facts
POST   /api/admin/prompts  {name, language, text}   speak a text (espeak-ng) → 201
PUT    /api/admin/prompts/{language}/{name}         upload audio → 201: the body is the
       file (Content-Type audio/wav, audio/mpeg, audio/ogg or application/octet-stream),
       or multipart/form-data with a part named ``file``; the type is told by the
       content, never by a name; past ``prompt_max_bytes`` → 413 before it is read whole
GET    /api/admin/prompts/{language}/{name}         listen: the wav Asterisk plays
DELETE /api/admin/prompts/{language}/{name}         409 when built in or the live plan plays it
GET    /api/admin/prompts/{language}/{name}/history every change, newest first

Views parse; the service decides. Errors: ``input.prompt_*`` (400; too large 413),
``not_found.prompt`` (404), ``prompt.in_use`` (409), ``prompt.tool_failed`` and
``prompt.unwritable`` (503).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import BodyPartReader, web

from core import inputs
from core.actor import Actor
from core.encoding import json_dumps
from core.errors import InvalidInput
from core.request_actor import actor_of
from dialplan.model import Language
from ivr.prompt_service import PromptService, require_admin
from ivr.prompts import check_size, language, prompt_name, prompt_text

CHUNK = 64 * 1024
MULTIPART_SLACK = 16 * 1024  # boundaries and part headers around the file


def _admin(request: web.Request) -> Actor:
    """The signed-in admin: checked before anything else in the request is read."""
    return require_admin(actor_of(request))


def _target(request: web.Request) -> tuple[Language, str]:
    return language(request.match_info["language"]), prompt_name(request.match_info["name"])


async def _upload_chunks(request: web.Request) -> AsyncIterator[bytes]:
    """The uploaded file's bytes, a chunk at a time, from a raw or a multipart body."""
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        part = await reader.next()
        while part is not None and not (isinstance(part, BodyPartReader) and part.name == "file"):
            part = await reader.next()
        if part is None:
            raise InvalidInput("a multipart upload needs a part named file")
        while chunk := await part.read_chunk(CHUNK):
            yield chunk
        return
    async for chunk in request.content.iter_chunked(CHUNK):
        yield chunk


class PromptViews:
    def __init__(self, prompts: PromptService) -> None:
        self.prompts = prompts

    async def list_prompts(self, request: web.Request) -> web.Response:
        records = await self.prompts.all(_admin(request))
        writable = self.prompts.writable()
        return web.json_response(
            {
                "prompts": [r.as_json() for r in records],
                "folder": "writable" if writable is None else f"unwritable: {writable}",
            },
            dumps=json_dumps,
        )

    async def generate(self, request: web.Request) -> web.Response:
        actor = _admin(request)
        body = inputs.json_object(await request.read())
        lang = language(body.get("language"))
        name = prompt_name(body.get("name"))
        text = prompt_text(body.get("text"))
        record = await self.prompts.generate(actor, lang, name, text)
        return web.json_response(record.as_json(), status=201, dumps=json_dumps)

    async def upload(self, request: web.Request) -> web.Response:
        actor = _admin(request)
        lang, name = _target(request)
        limits = self.prompts.library.limits
        declared = request.content_length
        if declared is not None:
            slack = MULTIPART_SLACK if request.content_type.startswith("multipart/") else 0
            check_size(max(0, declared - slack), limits)
        chunks = _upload_chunks(request)
        record = await self.prompts.upload(actor, lang, name, chunks)
        return web.json_response(record.as_json(), status=201, dumps=json_dumps)

    async def listen(self, request: web.Request) -> web.StreamResponse:
        actor = _admin(request)
        lang, name = _target(request)
        path = self.prompts.file(actor, lang, name)
        return web.FileResponse(
            path, headers={"Content-Type": "audio/wav", "Cache-Control": "no-store"}
        )

    async def delete(self, request: web.Request) -> web.Response:
        actor = _admin(request)
        lang, name = _target(request)
        await self.prompts.delete(actor, lang, name)
        return web.json_response({"language": lang.value, "name": name, "deleted": True})

    async def history(self, request: web.Request) -> web.Response:
        actor = _admin(request)
        lang, name = _target(request)
        changes = await self.prompts.history(actor, lang, name)
        return web.json_response(
            {"language": lang.value, "name": name, "changes": changes}, dumps=json_dumps
        )

    def add_routes(self, app: web.Application) -> None:
        one = "/api/admin/prompts/{language:[^/]+}/{name:[^/]+}"  # braces too: 400, not 404
        app.router.add_get("/api/admin/prompts", self.list_prompts)
        app.router.add_post("/api/admin/prompts", self.generate)
        app.router.add_put(one, self.upload)
        app.router.add_get(one, self.listen)
        app.router.add_delete(one, self.delete)
        app.router.add_get(one + "/history", self.history)
