"""Desk phones an admin publishes, on the real Asterisk: added through the admin API,
the phone registers with its extension and password (Asterisk keeps only the digest),
its lamp hint is there; a publish Asterisk does not take changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ami import AmiClient
from asterisk_conf.sandbox.sandbox import PUBLISH_USER, Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core import names
from core.settings import Settings
from deskphones import model as phone_model
from deskphones import publish
from deskphones.publish import AsteriskPhonePublisher, read_files, write_files
from tests.web.conftest import Floor, open_floor
from web.app import PHONES

PASSWORD = "published-Phone.pw1"


@pytest.fixture
async def phone_floor(
    sandbox: Sandbox, settings: Settings, secrets: dict[str, str], fresh_db: str
) -> AsyncIterator[tuple[Floor, AmiClient]]:
    """The web app with the real phone publisher (the hotline-publish AMI user); the
    sandbox's phone files are put back and reloaded afterwards."""
    folder = sandbox.root / "etc/asterisk" / names.PHONES_DIR
    before = read_files(folder)
    ami = AmiClient(settings.ami_host, settings.ami_port, PUBLISH_USER, secrets["ami_publish"])
    await ami.start()
    try:
        async with open_floor(fresh_db, settings) as floor:
            floor.app[PHONES].publisher = AsteriskPhonePublisher(ami, folder, check_timeout_s=2)
            yield floor, ami
    finally:
        write_files(folder, before)
        for command in publish.RELOADS:
            await ami.command(command)
        await ami.close()


async def test_an_added_phone_registers_and_has_its_lamp_and_a_refused_publish_changes_nothing(
    phone_floor: tuple[Floor, AmiClient], sipp: Sipp, monkeypatch: pytest.MonkeyPatch
) -> None:
    floor, ami = phone_floor
    admin = await floor.admin_headers()
    body = {"extension": "3001", "password": PASSWORD}
    added = await floor.client.post("/api/admin/phones", headers=admin, json=body)
    assert added.status == 201, await added.text()

    phone = sipp.phone("3001", PASSWORD, 5191, 6191)
    await phone.start()  # raises unless Asterisk took the digest
    try:
        hints = "\n".join(await ami.command("core show hints"))
        assert "3001@hotline-phones-lamps" in hints and "PJSIP/3001" in hints
        local = "\n".join(await ami.command(f"dialplan show 3001@{names.AGENTS_LOCAL}"))
        assert "Dial(PJSIP/3001" in local
        wrong = sipp.phone("3001", PASSWORD + "x", 5193, 6193)
        try:
            with pytest.raises(Exception, match="could not register"):
                await wrong.start()
        finally:
            await wrong.stop(unregister=False)

        # a fault: the files Asterisk gets lose the new phone's endpoint
        files_before = read_files(floor.app[PHONES].publisher.folder)  # type: ignore[attr-defined]
        render = phone_model.render_files

        def broken(phones):  # type: ignore[no-untyped-def]
            files = render(phones)
            pjsip = files[names.PHONES_PJSIP_FILE].replace("[3002]\ntype = endpoint", "[3002]")
            return {**files, names.PHONES_PJSIP_FILE: pjsip}

        monkeypatch.setattr(publish, "render_files", broken)
        body = {"extension": "3002", "password": PASSWORD}
        refused = await floor.client.post("/api/admin/phones", headers=admin, json=body)
        assert refused.status == 502
        assert (await refused.json())["error"] == "phones.publish_failed"
        listed = await floor.client.get("/api/admin/phones", headers=admin)
        assert (await listed.json())["phones"] == [{"extension": "3001", "active": True}]
        assert read_files(floor.app[PHONES].publisher.folder) == files_before  # type: ignore[attr-defined]
        endpoints = publish.parse_endpoints(await ami.command("pjsip show endpoints"))
        assert "3001" in endpoints and "3002" not in endpoints
    finally:
        await phone.stop()
