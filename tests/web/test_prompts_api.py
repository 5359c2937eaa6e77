"""The prompt library's admin API on real files, real sox and espeak-ng (the sandbox
root's) and a real PostgreSQL. Each test writes to a prompts folder of its own inside
the sandbox root, never to the one the sandbox's Asterisk plays from."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
import wave
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from asterisk_conf.sandbox.sandbox import Sandbox
from core.actor import Actor, Role
from core.settings import Settings
from dialplan.model import Language
from ivr.audio import AudioTools
from ivr.prompt_service import PromptService
from ivr.prompts import Prompt
from tests.pure.test_prompts import HOSTILE
from tests.web.conftest import ADMIN, AGENT, Floor, open_floor
from web.app import PROMPTS

MAX_S = 4.0
MAX_BYTES = 300_000


@dataclass
class Audio:
    """Makes test recordings with the root's sox, in a folder inside the root."""

    root: Path
    folder: Path

    def make(self, name: str, synth: str, seconds: float) -> bytes:
        out = self.folder / name
        inside = "/" + str(out.relative_to(self.root))
        argv = [
            "sox",
            "-n",
            "-r",
            "16000",
            "-c",
            "2",
            inside,
            "synth",
            str(seconds),
            *synth.split(),
        ]
        subprocess.run(
            ["/usr/sbin/chroot", str(self.root), *argv],
            check=True,
            capture_output=True,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
        return out.read_bytes()

    def tone(self, ext: str, seconds: float = 1.0) -> bytes:
        return self.make(f"tone-{seconds}.{ext}", "sine 440 vol 0.5", seconds)


@pytest.fixture
def prompts_dir(sandbox: Sandbox) -> Iterator[str]:
    inside = f"/tmp/hotline-prompts-test-{uuid.uuid4().hex[:10]}"
    yield inside
    shutil.rmtree(sandbox.root / inside.lstrip("/"), ignore_errors=True)


@pytest.fixture
def audio(sandbox: Sandbox, prompts_dir: str) -> Audio:
    folder = sandbox.root / prompts_dir.lstrip("/") / "test-input"
    folder.mkdir(parents=True)
    return Audio(sandbox.root, folder)


@pytest.fixture
async def floor(
    fresh_db: str, settings: Settings, sandbox: Sandbox, prompts_dir: str
) -> AsyncIterator[Floor]:
    async with open_floor(
        fresh_db,
        settings,
        prompts_dir=prompts_dir,
        asterisk_root=sandbox.root,
        audio_tools_in_root=True,
        prompt_max_s=MAX_S,
        prompt_max_bytes=MAX_BYTES,
    ) as opened:
        yield opened


def service(floor: Floor) -> PromptService:
    return floor.app[PROMPTS]


async def upload(
    floor: Floor, data: bytes, *, name: str = "menu", language: str = "zh", as_file: str = ""
) -> tuple[int, dict[str, Any]]:
    headers = await floor.admin_headers()
    url = f"/api/admin/prompts/{language}/{name}"
    if as_file:
        form = aiohttp.FormData()
        form.add_field("file", data, filename=as_file, content_type="audio/wav")
        response = await floor.client.put(url, headers=headers, data=form)
    else:
        headers["Content-Type"] = "application/octet-stream"
        response = await floor.client.put(url, headers=headers, data=data)
    return response.status, await response.json()


def played(floor: Floor, language: str, name: str) -> wave.Wave_read:
    return wave.open(str(service(floor).library.path(Language(language), name)), "rb")


@pytest.fixture
def strict_umask() -> Iterator[None]:
    """The service may run with a umask that keeps files from other users."""
    before = os.umask(0o077)
    yield
    os.umask(before)


@pytest.mark.parametrize("ext", ["wav", "mp3", "ogg"])
async def test_an_upload_becomes_what_asterisk_plays(
    floor: Floor, audio: Audio, ext: str, strict_umask: None
) -> None:
    status, body = await upload(floor, audio.tone(ext))
    assert status == 201, body
    assert body["source"] == "upload"
    assert body["upload_type"] == {"wav": "wav", "mp3": "mp3", "ogg": "vorbis"}[ext]
    assert 900 <= body["duration_ms"] <= 1100
    with played(floor, "zh", "menu") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
    path = service(floor).library.path(Language.MANDARIN, "menu")
    assert path.stat().st_mode & 0o777 == 0o644  # Asterisk's own user reads it
    assert path.parent.stat().st_mode & 0o777 == 0o755
    assert path.parent.parent.stat().st_mode & 0o777 == 0o755
    assert not list((path.parent.parent / ".work").iterdir())  # nothing left half-made
    assert "menu" in service(floor).known_prompts()[Language.MANDARIN]


async def test_a_multipart_upload_is_taken_too(floor: Floor, audio: Audio) -> None:
    status, body = await upload(floor, audio.tone("mp3"), language="ug", as_file="x.mp3")
    assert status == 201, body
    assert body["language"] == "ug"


async def test_a_text_file_named_wav_is_refused_by_its_content(floor: Floor) -> None:
    status, body = await upload(floor, b"just some text\n" * 100, as_file="greeting.wav")
    assert (status, body["error"]) == (400, "input.prompt_type")
    assert not service(floor).library.path(Language.MANDARIN, "menu").exists()


async def test_a_damaged_mp3_is_refused(floor: Floor, audio: Audio) -> None:
    status, body = await upload(floor, b"ID3\x04\x00\x00" + bytes(4000))
    assert (status, body["error"]) == (400, "input.prompt_type")


async def test_silence_is_refused(floor: Floor, audio: Audio) -> None:
    status, body = await upload(floor, audio.make("silence.wav", "sine 440 vol 0", 2.0))
    assert (status, body["error"]) == (400, "input.prompt_silent")


async def test_too_long_and_too_short_are_refused(floor: Floor, audio: Audio) -> None:
    status, body = await upload(floor, audio.tone("ogg", MAX_S + 1.5))
    assert (status, body["error"]) == (400, "input.prompt_too_long")
    assert body["max_s"] == MAX_S
    status, body = await upload(floor, audio.tone("wav", 0.05))
    assert (status, body["error"]) == (400, "input.prompt_too_short")


async def test_too_big_is_refused_before_it_is_read_whole(floor: Floor, audio: Audio) -> None:
    data = audio.tone("wav", 3.0)  # 16 kHz stereo: 384 kB
    assert len(data) > MAX_BYTES
    status, body = await upload(floor, data)
    assert (status, body["error"]) == (413, "input.prompt_too_large")

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for i in range(0, len(data), 50_000):
            yield data[i : i + 50_000]

    headers = await floor.admin_headers()
    response = await floor.client.put("/api/admin/prompts/zh/menu", headers=headers, data=chunked())
    assert response.status == 413
    assert not service(floor).library.path(Language.MANDARIN, "menu").exists()


@pytest.mark.parametrize(
    ("language", "text"),
    [("zh", "请按一。"), ("ug", "ياخشىمۇسىز"), ("kk", "Сәлеметсіз бе")],
)
async def test_a_text_is_spoken_in_the_languages_voice_and_can_be_heard(
    floor: Floor, language: str, text: str
) -> None:
    headers = await floor.admin_headers()
    response = await floor.client.post(
        "/api/admin/prompts",
        headers=headers,
        json={"name": "welcome", "language": language, "text": text},
    )
    body = await response.json()
    assert response.status == 201, body
    assert (body["source"], body["text"], body["changed_by"]) == ("tts", text, ADMIN)
    listen = await floor.client.get(f"/api/admin/prompts/{language}/welcome", headers=headers)
    assert listen.status == 200
    assert listen.content_type == "audio/wav"
    sound = await listen.read()
    assert sound[:4] == b"RIFF" and sound[8:12] == b"WAVE"
    assert len(sound) == body["size_bytes"]


async def test_the_sandbox_has_each_languages_voice(sandbox: Sandbox) -> None:
    voices = await AudioTools(sandbox.root).voices()
    assert {lang.espeak_voice for lang in Language} <= voices


async def test_a_prompt_is_deleted_unless_built_in_or_played_by_the_live_plan(
    floor: Floor, audio: Audio
) -> None:
    headers = await floor.admin_headers()
    assert (await upload(floor, audio.tone("wav"), name="greeting"))[0] == 201
    refused = await floor.client.delete("/api/admin/prompts/zh/greeting", headers=headers)
    assert (refused.status, (await refused.json())["error"]) == (409, "prompt.in_use")

    class LivePlan:
        async def prompt_use(self, name: str) -> str | None:
            return "version 3, node main" if name == "menu" else None

    service(floor).live_plan = LivePlan()
    assert (await upload(floor, audio.tone("wav"), name="menu"))[0] == 201
    refused = await floor.client.delete("/api/admin/prompts/zh/menu", headers=headers)
    assert refused.status == 409
    assert (await refused.json())["where"] == "version 3, node main"

    assert (await upload(floor, audio.tone("wav"), name="old"))[0] == 201
    gone = await floor.client.delete("/api/admin/prompts/zh/old", headers=headers)
    assert gone.status == 200
    listen = await floor.client.get("/api/admin/prompts/zh/old", headers=headers)
    assert (listen.status, (await listen.json())["error"]) == (404, "not_found.prompt")
    history = await floor.client.get("/api/admin/prompts/zh/old/history", headers=headers)
    changes = (await history.json())["changes"]
    assert [c["action"] for c in changes] == ["delete", "upload"]
    assert all(c["changed_by"] == ADMIN for c in changes)


async def test_an_agent_may_not_touch_prompts(floor: Floor, audio: Audio) -> None:
    headers = await floor.headers(AGENT)
    response = await floor.client.put(
        "/api/admin/prompts/zh/menu", headers=headers, data=audio.tone("wav")
    )
    assert (response.status, (await response.json())["error"]) == (403, "auth.forbidden")


@pytest.mark.parametrize("name", [n for n in HOSTILE if n and "/" not in n and "\x00" not in n])
async def test_hostile_names_in_the_path_are_refused(floor: Floor, name: str) -> None:
    headers = await floor.admin_headers()
    response = await floor.client.put(
        f"/api/admin/prompts/zh/{quote(name, safe='')}", headers=headers, data=b"RIFF"
    )
    assert (response.status, (await response.json())["error"]) == (400, "input.prompt_name")


@pytest.mark.parametrize("name", HOSTILE)
async def test_hostile_names_and_texts_in_json_are_refused(floor: Floor, name: str) -> None:
    headers = await floor.admin_headers()
    for body in (
        {"name": name, "language": "zh", "text": "您好"},
        {"name": "menu", "language": name, "text": "您好"},
        {"name": "menu", "language": "zh", "text": name if name.strip() else "\n"},
    ):
        response = await floor.client.post("/api/admin/prompts", headers=headers, json=body)
        if body["text"] == name and response.status == 201:
            continue  # a text may hold ; , $ [ quotes: espeak-ng reads it, nothing parses it
        assert response.status == 400, (body, await response.text())
        assert (await response.json())["error"].startswith("input.prompt")


async def test_defaults_are_made_once_and_never_over_an_admins_prompt(
    floor: Floor, audio: Audio
) -> None:
    prompts = service(floor)
    wanted = (Prompt("hello", "您好,"), Prompt("digit-1", "幺"))
    assert await prompts.ensure_defaults(wanted) == 2
    assert await prompts.ensure_defaults(wanted) == 0
    headers = await floor.admin_headers()
    listed = await (await floor.client.get("/api/admin/prompts", headers=headers)).json()
    assert {(r["name"], r["source"], r["changed_by"]) for r in listed["prompts"]} == {
        ("hello", "default", None),
        ("digit-1", "default", None),
    }
    assert listed["folder"] == "writable"
    assert (await upload(floor, audio.tone("wav"), name="hello"))[0] == 201
    reworded = (Prompt("hello", "您好!"), Prompt("digit-1", "一"))
    assert await prompts.ensure_defaults(reworded) == 1  # digit-1 only: hello is the admin's
    rows = {r.name: r for r in await prompts.all(Actor(ADMIN, Role.ADMIN))}
    assert rows["hello"].source.value == "upload"
    assert rows["digit-1"].text == "一"


async def test_healthz_says_whether_prompts_can_be_written(floor: Floor, sandbox: Sandbox) -> None:
    body = await (await floor.client.get("/healthz")).json()
    assert body["prompts"] == "writable"
    blocker = sandbox.root / "tmp" / f"hotline-not-a-folder-{uuid.uuid4().hex[:8]}"
    blocker.write_text("a file where the prompts folder should be")
    try:
        service(floor).library.folder = blocker / "prompts"
        response = await floor.client.get("/healthz")
        body = await response.json()
        assert body["prompts"].startswith("unwritable: ")
        assert "status" not in body  # said, but not by itself a reason to be unhealthy
    finally:
        blocker.unlink()
